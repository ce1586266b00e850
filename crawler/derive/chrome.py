"""Page furniture learnt from a URL's captures over time, and the policy text without it.

The extractor marks each line of text outside the page's main block with its *slot* (the region
of the page it came from, ``crawler.extract.blocks``). Across a target's captures in time order,
a region that changes between two consecutive captures whose main text says the same words, and
that is small beside that text and states no policy date, is furniture of that page's template:
a rotating "Latest news" list, a promo strip, a testimonial, a visitor counter. It is left out of
every capture of the target, and what was learnt is stored with its evidence
(``template_chrome``, view ``learnt_chrome``), rebuilt whole on each derive so that it never
depends on the order captures arrived in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from crawler.extract import key_text, stated_date, version_key
from crawler.store import Reading

LEARNABLE_CHARS = 3000  # a region longer than this is never furniture ...
LEARNABLE_SHARE = 0.25  # ... nor one longer than this share of the main text
_EVIDENCE_CHARS = 300


@dataclass
class Learnt:
    pairs: int
    first_from: str
    first_to: str
    before: str
    after: str


def lines_of(text: str, regions: str | None) -> list[tuple[str, str]]:
    """(slot, line) for each line of an extraction's text; slot "" is the page's main block."""
    lines = text.split("\n\n")
    if not regions:
        return [("", line) for line in lines]
    out: list[tuple[str, str]] = []
    for slot, n in json.loads(regions):
        out += [(slot, line) for line in lines[len(out) : len(out) + n]]
    return out + [("", line) for line in lines[len(out) :]]


def _by_slot(lines: list[tuple[str, str]]) -> dict[str, str]:
    grouped: dict[str, list[str]] = {}
    for slot, line in lines:
        grouped.setdefault(slot, []).append(line)
    return {slot: key_text("\n".join(ls)) for slot, ls in grouped.items()}


def learn(readings: list[Reading]) -> dict[str, Learnt]:
    """The slots of one target's pages that change on their own, from its policy readings in time order."""
    learnt: dict[str, Learnt] = {}
    previous = None
    for r in readings:
        if previous is not None and previous.text != r.text:
            _compare(previous, r, learnt)
        previous = r
    return learnt


def _compare(a: Reading, b: Reading, learnt: dict[str, Learnt]) -> None:
    ra, rb = _by_slot(lines_of(a.text, a.regions)), _by_slot(lines_of(b.text, b.regions))
    main = ra.get("", "")
    if main != rb.get("", "") or not main:
        return  # the policy's own words changed: this pair teaches nothing about furniture
    changed = sorted(s for s in ra.keys() | rb.keys() if s and ra.get(s) != rb.get(s))
    limit = min(LEARNABLE_CHARS, LEARNABLE_SHARE * len(main))
    for slot in changed:
        texts = (ra.get(slot, ""), rb.get(slot, ""))
        if max(map(len, texts)) > limit or any(stated_date(t) for t in texts if t):
            return  # a large region, or one stating a date, changed: maybe the policy did
    for slot in changed:
        if slot in learnt:
            learnt[slot].pairs += 1
        else:
            before, after = ra.get(slot, ""), rb.get(slot, "")
            learnt[slot] = Learnt(1, a.timestamp, b.timestamp, before[:_EVIDENCE_CHARS], after[:_EVIDENCE_CHARS])


def without(text: str, regions: str | None, furniture: set[str]) -> str:
    """The text without the lines of the learnt furniture slots."""
    if not furniture or not regions:
        return text
    return "\n\n".join(line for slot, line in lines_of(text, regions) if slot not in furniture)


def policy_text(r: Reading, furniture: set[str]) -> tuple[str, str]:
    """A reading's policy text and version key, once the target's learnt furniture is left out."""
    text = without(r.text, r.regions, furniture)
    return text, (r.text_hash if text is r.text else version_key(text))
