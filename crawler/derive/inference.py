"""Captures that were not fetched: what they hold when the fetched captures around them agree.

A crawl that searches for change points (``--strategy changes``) reads a fraction of a page's
captures. A capture between two fetched captures of the same version is ``inferred`` to hold it
(and says so); one between captures that differ is unresolved; a capture that cannot hold the
policy (an archived error, a redirect, a non-document, a body that is not the policy) is skipped
over, never taken for a change. Pure: the crawl's planner and derive share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from crawler.archive.cdx import CdxRecord, triage
from crawler.defaults import MAX_ATTEMPTS

NOT_POLICY = ""  # the outcome of a body that holds no policy text (or could not be fetched or read)


class Listed(NamedTuple):
    """What the planner and the inference need of one CDX row."""

    timestamp: str
    digest: str
    statuscode: str
    mimetype: str
    length: int | None


class Window(NamedTuple):
    """Where one change lies: the last capture known to hold the old version, the first known to
    hold the new one (indexes into the listing), and whether no capture between them is unread."""

    before: int
    after: int
    exact: bool


class Inference(NamedTuple):
    """Per capture of the listing: the version key it holds or is inferred to hold (None for none),
    and how that is known: ``fetched`` (its body was read), ``inferred`` (the fetched captures
    around it agree), ``unresolved`` (between captures that differ, or beyond the fetched ones),
    ``none`` (it cannot hold the policy: an error, a redirect, a non-document, not a policy)."""

    keys: list[str | None]
    how: list[str]
    windows: list[Window]


def is_candidate(capture: Listed) -> bool:
    """Could this capture hold the policy text? Not an archived error, redirect or non-document."""
    record = CdxRecord("", capture.timestamp, "", capture.mimetype, capture.statuscode, capture.digest, capture.length)
    return triage(record) is None and not (capture.statuscode or "").startswith("3")


def infer_captures(
    captures: Sequence[Listed], known: Sequence[str | None], candidates: Sequence[int] | None = None
) -> Inference:
    """What every capture holds: ``known[i]`` is capture i's version key when it was read, ``NOT_POLICY``
    when it holds none (or was given up on), None when unread. ``candidates``: the indexes of captures
    that may hold the policy (computed when not given)."""
    n = len(captures)
    if candidates is None:
        candidates = [i for i, c in enumerate(captures) if is_candidate(c)]
    keys: list[str | None] = [None] * n
    how = ["none"] * n
    policy = []
    for i in candidates:
        out = known[i]
        if out is None:
            how[i] = "unresolved"
        elif out:
            keys[i], how[i] = out, "fetched"
            policy.append(i)
    windows = []
    for a, b in zip(policy, policy[1:]):
        between = [i for i in range(a + 1, b) if how[i] == "unresolved"]
        if keys[a] == keys[b]:
            for i in between:
                keys[i], how[i] = keys[a], "inferred"
        else:
            windows.append(Window(a, b, not between))
    return Inference(keys, how, windows)


def infer_unread(store, document_id: int, timeline: list[tuple[int, str, int]]) -> list[tuple[int, str, int]]:
    """Mark the document's unfetched captures ``inferred`` where the fetched captures around them agree
    (and ``pending`` again where they no longer do); returns the timeline with them in it: (capture id,
    timestamp, version id) in order, so spans end at the last capture known to show their version."""
    rows = store.document_listing(document_id)
    if not rows:
        return timeline
    linked = {cid: vid for cid, _, vid in timeline}
    captures, known, vids = [], [], {}
    for cid, ts, digest, status, mime, length, state, attempts, vid, key, *_ in rows:
        captures.append(Listed(ts, digest, status or "-", mime or "unk", length))
        if cid in linked and key:
            known.append(key)
            vids[key] = vid
        elif state in ("pending", "inferred") or (state == "failed" and attempts < MAX_ATTEMPTS):
            known.append(None)
        else:  # skipped (not a policy, judged, unreadable), given up on, or read without a version
            known.append(NOT_POLICY)
    result = infer_captures(captures, known)
    inferred, unresolved, merged = [], [], []
    for k, row in enumerate(rows):
        cid, ts, state = row[0], row[1], row[6]
        if cid in linked:
            merged.append((cid, ts, linked[cid]))
        elif result.how[k] == "inferred" and state in ("pending", "inferred"):
            vid = vids[result.keys[k]]
            inferred.append((cid, vid))
            merged.append((cid, ts, vid))
        elif state == "inferred":
            unresolved.append(cid)
    if inferred or unresolved:
        store.set_inferred(inferred, unresolved)
        store.refresh_version_counts(document_id)
    return merged
