"""Page furniture learnt from a URL's captures over time, and the policy text without it.

The extractor marks each line of text outside the page's main block with its *slot* (the region
of the page it came from, ``crawler.extract.blocks``). Across a target's captures in time order,
a region that changes between two consecutive captures whose main text says the same words, and
that is small beside that text and states no policy date, is furniture of that page's template:
a rotating "Latest news" list, a promo strip, a testimonial, a visitor counter. A region stating
a date ("Page last updated …"), and a short block at the edges of the main block itself (a "last
visited" line, a view counter, a rating widget), are furniture only when they changed alone in
several pairs, showing at least three values: a real edit shows two. It is left out of
every capture of the target, and what was learnt is stored with its evidence
(``template_chrome``, view ``learnt_chrome``), rebuilt whole on each derive so that it never
depends on the order captures arrived in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from crawler.extract import MAIN_SLOT, REPLACEMENT, key_text, same_words, stated_date, version_key
from crawler.store import Reading

LEARNABLE_CHARS = 3000  # a region longer than this is never furniture ...
LEARNABLE_SHARE = 0.25  # ... nor one longer than this share of the main text
# a block of the main block itself is furniture only when it sits among its first or last few blocks,
# is short, states no date, and changed alone in several pairs of captures showing several values:
# a real edit of one short block shows two values (before and after), a counter or a rotating
# notice many
EDGE_PLACES = 3
EDGE_CHARS = 300
EDGE_PAIRS = 2
EDGE_VALUES = 3
# a date at most this many days before its capture, in every capture showing it, is the page's build or
# serving date
SERVED_DAYS = 31
_EVIDENCE_CHARS = 300
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|\[email(?:&nbsp;|\s)protected\]", re.I)


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


class _Page:
    """One reading's lines by slot: raw text (cheap to compare) and key text (computed when needed)."""

    __slots__ = ("lines", "by_slot", "raw", "_keys")

    def __init__(self, r: Reading) -> None:
        self.lines = lines_of(r.text, r.regions)
        self.by_slot: dict[str, list[str]] = {}
        for slot, line in self.lines:
            self.by_slot.setdefault(slot, []).append(line)
        self.raw = {slot: "\n".join(ls) for slot, ls in self.by_slot.items()}
        self._keys: dict[str, str] = {}

    def key(self, slot: str) -> str:
        if slot not in self._keys:
            self._keys[slot] = key_text(self.raw.get(slot, ""))
        return self._keys[slot]


def learn(readings: list[Reading]) -> dict[str, Learnt]:
    """The slots of one target's pages that change on their own, from its policy readings in time order."""
    learnt: dict[str, Learnt] = {}
    inside: dict[str, tuple[Learnt, set[str]]] = {}  # blocks at the main block's edges: evidence, values seen
    previous: tuple[Reading, _Page | None] | None = None
    for r in readings:
        if previous is not None and previous[0].text == r.text:
            continue  # the same text again (another capture of one body): nothing to compare
        page = _Page(r)
        if previous is not None:
            _compare(previous[0], r, previous[1] or _Page(previous[0]), page, learnt, inside)
        previous = (r, page)
    for slot, (evidence, values) in inside.items():
        if evidence.pairs >= EDGE_PAIRS and len(values) >= EDGE_VALUES:
            learnt[slot] = evidence
    return learnt


def _is_main(slot: str) -> bool:
    return slot == "" or slot.startswith(MAIN_SLOT)


def _at_edge(slot: str) -> bool:
    """A block of the main block among its first or last few children: at most 3, and a tenth of them
    (on a short policy, only the first and the last)."""
    place, _, count = slot.rpartition("@")[2].partition("/")
    if not (slot.startswith(MAIN_SLOT) and place[1:].isdigit() and count.isdigit()):
        return False
    return int(place[1:]) < max(1, min(EDGE_PLACES, int(count) // 10))


def _compare(a: Reading, b: Reading, pa: _Page, pb: _Page, learnt: dict[str, Learnt], inside: dict) -> None:
    main = sum(len(t) for s, t in pa.raw.items() if _is_main(s))
    changed = {
        s
        for s in pa.raw.keys() | pb.raw.keys()
        if pa.raw.get(s) != pb.raw.get(s)
        and pa.key(s) != pb.key(s)
        and not _damaged_alike(pa.raw.get(s, ""), pb.raw.get(s, ""))
    }
    # lines whose words only moved to another slot (a heading re-levelled, a paragraph the main block
    # took in or left out, a wrapper renamed by a build) changed nothing
    seq_a, seq_b = (key_text("\n".join(line for s, line in p.lines if s in changed)) for p in (pa, pb))
    changed = sorted(
        s
        for s in changed
        if not (_within(pa.key(s), pa.by_slot.get(s, ()), seq_b) and _within(pb.key(s), pb.by_slot.get(s, ()), seq_a))
    )
    if not main or not changed:
        return
    limit = min(LEARNABLE_CHARS, LEARNABLE_SHARE * main)
    dated = set()
    for slot in changed:
        texts = (pa.key(slot), pb.key(slot))
        small = max(map(len, texts)) <= (EDGE_CHARS if _is_main(slot) else limit)
        if (_is_main(slot) and not _at_edge(slot)) or not small:
            return  # the policy's own words changed, or a large region: maybe the policy did
        if _is_main(slot) and any(_CONTACT.search(t) for t in texts):
            return  # the policy's contact details (an address to write to) are the policy's words
        if any(stated_date(t) for t in texts if t):
            if _is_main(slot) and not (_served_date(pa.key(slot), a) and _served_date(pb.key(slot), b)):
                return  # the policy's own date, which changes with the policy
            # beside the policy, or a date that follows the captures (the day the page was built or
            # served), a page's date may be furniture: only several values say so
            dated.add(slot)
    policy_moved = any(_is_main(s) for s in changed)  # an edge of the policy changed: maybe the policy did
    for slot in changed:
        before, after = pa.key(slot), pb.key(slot)
        if _is_main(slot) or slot in dated:  # learnt once it has shown several values (a real edit shows two)
            evidence, values = inside.setdefault(slot, (_evidence(a, b, before, after), set()))
            evidence.pairs += 1
            # inside the main block a slot is named by its place among the block's children, so one that
            # is missing on one side may only have been renamed (a list re-marked changes their number):
            # its absence shows no value; beside the policy, a region that came or went is a value
            values.update(v for v in (before, after) if v or not _is_main(slot))
        elif policy_moved:
            continue  # a region beside the policy is learnt only from pairs whose policy is the same
        elif slot in learnt:
            learnt[slot].pairs += 1
        else:
            learnt[slot] = _evidence(a, b, before, after)
            learnt[slot].pairs = 1


def _served_date(text: str, reading: Reading) -> bool:
    """Whether a block states a date in the days just before its capture: the day the page was built
    or served, not the day a policy took effect (which most captures see months or years later)."""
    stated = stated_date(text)
    if stated is None:
        return not text  # a block that came or went
    served = datetime.strptime(reading.timestamp[:8], "%Y%m%d").date()
    return 0 <= (served - stated.date).days <= SERVED_DAYS


def _damaged_alike(a: str, b: str) -> bool:
    """Whether two texts of a slot differ only where one has undecodable bytes (U+FFFD)."""
    if (REPLACEMENT in a) == (REPLACEMENT in b):
        return False
    return same_words(a, b) if REPLACEMENT in a else same_words(b, a)


def _within(text: str, lines, other: str) -> bool:
    """Whether every line of a slot is found, word for word, in the other capture's changed lines."""
    return not text or all(key_text(line) in other for line in lines)


def _evidence(a: Reading, b: Reading, before: str, after: str) -> Learnt:
    return Learnt(0, a.timestamp, b.timestamp, before[:_EVIDENCE_CHARS], after[:_EVIDENCE_CHARS])


def without(text: str, regions: str | None, furniture: set[str]) -> str:
    """The text without the lines of the learnt furniture slots."""
    if not furniture or not regions:
        return text
    return "\n\n".join(line for slot, line in lines_of(text, regions) if slot not in furniture)


def policy_text(r: Reading, furniture: set[str]) -> tuple[str, str]:
    """A reading's policy text and version key, once the target's learnt furniture is left out."""
    text = without(r.text, r.regions, furniture)
    return text, (r.text_hash if text is r.text else version_key(text))
