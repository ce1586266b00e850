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

A redesign is furniture too: a capture of a new page template whose policy text differs from the
one before only by a few short lines beside the policy keeps the earlier capture's version
(``redesigns``, below).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from itertools import product

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
ALIKE = 0.5  # a line in a learnt slot of the main block is that furniture when this share of its words was seen there
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|\[email(?:&nbsp;|\s)protected\]", re.I)


ABOVE, BELOW, BETWEEN = " (above the policy)", " (below the policy)", " (between the policy's blocks)"


@dataclass
class Learnt:
    pairs: int
    first_from: str
    first_to: str
    before: str
    after: str


def lines_of(text: str, regions: str | None) -> list[tuple[str, str]]:
    """(slot, line) for each line of an extraction's text; slot "" is the page's main block.

    A block of the main block is named by its tag and its place from the nearer end, without the
    number of blocks beside it (``main:p@-0``, the last): a list re-marked as paragraphs changes that
    number, not which block is the last. A region beside it is named by its path and by where it
    stands, above the policy, below it or between its blocks: one path (``html/body/div/p``) may
    hold a title above the policy and a footer below it, two things."""
    lines = text.split("\n\n")
    if not regions:
        return [("", line) for line in lines]
    runs = [(_uncounted(slot), n) for slot, n in json.loads(regions)]
    runs.append(("", len(lines) - sum(n for _, n in runs)))
    mains = [i for i, (slot, n) in enumerate(runs) if n and _is_main(slot)]
    out: list[tuple[str, str]] = []
    for i, (slot, n) in enumerate(runs):
        if mains and not _is_main(slot):
            slot += ABOVE if i < mains[0] else BELOW if i > mains[-1] else BETWEEN
        out += [(slot, line) for line in lines[len(out) : len(out) + n]]
    return out


def children(regions: str | None) -> int:
    """How many blocks the main block of an extraction has (0 when none is named)."""
    for slot, _ in json.loads(regions) if regions else ():
        count = slot.rpartition("/")[2] if slot.startswith(MAIN_SLOT) else ""
        if count.isdigit():
            return int(count)
    return 0


def _uncounted(slot: str) -> str:
    if slot.startswith(MAIN_SLOT):
        head, _, count = slot.rpartition("/")
        if count.isdigit() and "@" in head:
            return head
    return slot


class _Page:
    """One reading's lines by slot: raw text (cheap to compare) and key text (computed when needed)."""

    __slots__ = ("lines", "by_slot", "raw", "children", "_keys")

    def __init__(self, r: Reading) -> None:
        self.lines = lines_of(r.text, r.regions)
        self.children = children(r.regions)
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


def _at_edge(slot: str, count: int) -> bool:
    """A block of the main block among its first or last few of ``count`` children: at most 3, and a
    tenth of them (on a short policy, only the first and the last)."""
    place = slot.rpartition("@")[2]
    if not (slot.startswith(MAIN_SLOT) and place[1:].isdigit()):
        return False
    return int(place[1:]) < max(1, min(EDGE_PLACES, count // 10))


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
    # a region beside the main block whose text is mostly the policy's sentences, shown elsewhere on the
    # other side, moved with a new layout: it did not change, and it is not furniture
    changed = [
        s for s in changed if _is_main(s) or not (_holds_moved_text(s, pa, pb) or _holds_moved_text(s, pb, pa))
    ]
    if not main or not changed:
        return
    limit = min(LEARNABLE_CHARS, LEARNABLE_SHARE * main)
    dated = set()
    for slot in changed:
        texts = (pa.key(slot), pb.key(slot))
        small = max(map(len, texts)) <= (EDGE_CHARS if _is_main(slot) else limit)
        if (_is_main(slot) and not _at_edge(slot, min(pa.children, pb.children))) or not small:
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
        if _is_main(slot) and pa.children != pb.children:
            continue  # the main block's blocks were re-marked: a place from its end holds another block
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
            learnt[slot] = _evidence(a, b, before, after, pairs=1)


def _holds_moved_text(slot: str, page: _Page, other: _Page) -> bool:
    """Whether most of a slot's text is sentences the other capture shows in other slots (moved, not new)."""
    lines = page.by_slot.get(slot, ())
    long_lines = [k for k in map(key_text, lines) if len(k.split()) >= SENTENCE_WORDS]
    if not long_lines:
        return False
    elsewhere = key_text("\n".join(line for s, line in other.lines if s != slot))
    moved = sum(len(k) for k in long_lines if k in elsewhere)
    return moved * 2 > sum(len(k) for k in map(key_text, lines))


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


def _evidence(a: Reading, b: Reading, before: str, after: str, pairs: int = 0) -> Learnt:
    return Learnt(pairs, a.timestamp, b.timestamp, before[:_EVIDENCE_CHARS], after[:_EVIDENCE_CHARS])


def without(text: str, regions: str | None, furniture: dict[str, Learnt]) -> str:
    """The text without the lines of the learnt furniture slots. A block of the main block is named by
    its place, which another template may give to a block of the policy: such a line is left out only
    when it reads like what was learnt there (``alike``)."""
    if not furniture or not regions:
        return text
    return "\n\n".join(line for slot, line in lines_of(text, regions) if not is_furniture(slot, line, furniture))


def is_furniture(slot: str, line: str, furniture: dict[str, Learnt]) -> bool:
    learnt = furniture.get(slot)
    return learnt is not None and (not _is_main(slot) or alike(key_text(line), learnt))


_DIGITS = re.compile(r"\d")


def alike(line: str, learnt: Learnt) -> bool:
    """Whether most of a line's words (digits aside: counters and dates vary) are words of the values
    that taught a slot -- the same furniture showing another value, not another block in its place."""
    words = set(_DIGITS.sub("0", line.lower()).split())
    seen = set(_DIGITS.sub("0", f"{learnt.before} {learnt.after}".lower()).split())
    return bool(words) and len(words & seen) >= ALIKE * len(words)


def policy_text(r: Reading, furniture: dict[str, Learnt]) -> tuple[str, str]:
    """A reading's policy text and version key, once the target's learnt furniture is left out."""
    text = without(r.text, r.regions, furniture)
    return text, (r.text_hash if text is r.text else version_key(text))


# -- a redesign: the policy's words kept, a few lines of the old or new template at its edges -------------
# Two consecutive readings whose pages are of different templates (their frames share under half of
# their containers) and whose policy texts differ only by a few short lines at the top or the bottom
# show one version: the lines came or went with the template ("printable version", a title line, a
# "Back to top"), not with the policy. Lines stating an e-mail address or the policy's own date,
# sentences, edits of a line and plain blocks at the end of the policy's own block (what a policy
# grows by) are never the template's: a change of them is a change of the policy.
REDESIGN_FRAMES = 0.5  # frames sharing less than this share of their containers are two templates
REDESIGN_LINES = 3  # at most this many lines at each edge of each text ...
REDESIGN_WORDS = 12  # ... each of at most this many words ...
REDESIGN_CORE = 0.9  # ... around a core of identical lines holding at least this share of each text
REDESIGN_CORE_CHARS = 400  # ... and at least this many characters
SENTENCE_WORDS = 6  # a line of this many words or more, ending as a sentence does, is the policy's
_SENTENCE = re.compile(r"[.!?;:][\"')\]]*$")


def template_edges(a: Reading, b: Reading, furniture: dict[str, Learnt]) -> tuple[list[str], list[str]] | None:
    """The lines only ``a`` and only ``b`` show (learnt furniture left out) when those are a few short
    lines at the edges of the same words that a template may have brought -- the template's, if the
    page was redesigned between them; else None. The words between are compared, not their lines: the
    new template may break them otherwise."""
    la, lb = _slotted_key_lines(a, furniture), _slotted_key_lines(b, furniture)
    edges = _edges([k for _, k in la], [k for _, k in lb])
    if edges is None:
        return None
    (head_a, tail_a), (head_b, tail_b) = edges
    gone_lines = la[:head_a] + la[len(la) - tail_a :]
    came_lines = lb[:head_b] + lb[len(lb) - tail_b :]
    core_labels = {_label_of(slot) for slot, _ in la[head_a : len(la) - tail_a] + lb[head_b : len(lb) - tail_b]}
    tails = la[len(la) - tail_a :] + lb[len(lb) - tail_b :]
    if any(_is_main(slot) and not _own_element(slot, core_labels) for slot, _ in tails):
        return None  # a plain block at the end of the policy's own: what a policy grows by, its words
    gone, came = [k for _, k in gone_lines], [k for _, k in came_lines]
    if any(_alike_words(x, y) for x in gone for y in came):
        return None  # a line edited, not one template's line replaced by another's
    for line, r in [(x, a) for x in gone] + [(x, b) for x in came]:
        words = len(line.split())
        if words > REDESIGN_WORDS or _CONTACT.search(line) or (words >= SENTENCE_WORDS and _SENTENCE.search(line)):
            return None
        if stated_date(line) and not _served_date(line, r):
            return None
    return gone, came


def _label_of(slot: str) -> str:
    """The element a block of the main block is (``main:p.tip@-0`` -> ``p.tip``); "" beside it."""
    return slot[len(MAIN_SLOT) :].rpartition("@")[0] if slot.startswith(MAIN_SLOT) else ""


def _own_element(slot: str, core_labels: set[str]) -> bool:
    """Whether a block of the main block is an element the policy's other blocks never are, named by a
    class or id ("p.tip", "div.notice"): a template's insert, not a paragraph of the policy."""
    label = _label_of(slot)
    return "." in label and label not in core_labels


def _slotted_key_lines(r: Reading, furniture: dict[str, Learnt]) -> list[tuple[str, str]]:
    """(slot, key text) of each line of a reading's policy text, learnt furniture left out."""
    return [
        (slot, k)
        for slot, block in lines_of(r.text, r.regions)
        if not is_furniture(slot, block, furniture)
        for k in map(key_text, block.split("\n"))
        if k
    ]


_TRIMS = sorted(product(range(REDESIGN_LINES + 1), repeat=4), key=sum)  # fewest lines first


def _edges(la: list[str], lb: list[str]) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """How many lines to take from the head and the tail of each text -- the fewest, some, at most
    REDESIGN_LINES at each end -- to leave the same words, holding most of each."""
    total = max(sum(map(len, la)), sum(map(len, lb)))
    for head_a, head_b, tail_a, tail_b in _TRIMS:
        core_a, core_b = la[head_a : len(la) - tail_a], lb[head_b : len(lb) - tail_b]
        if not core_a or " ".join(core_a) != " ".join(core_b):
            continue
        if sum(map(len, core_a)) < max(REDESIGN_CORE_CHARS, REDESIGN_CORE * total):
            return None  # the rest is too small to say the words are the same
        if head_a + head_b + tail_a + tail_b == 0:
            return None  # the same words: nothing to explain
        return (head_a, tail_a), (head_b, tail_b)
    return None


def _alike_words(a: str, b: str) -> bool:
    """Whether two lines share most of their words (one is the other edited)."""
    wa, wb = set(a.lower().split()), set(b.lower().split())
    return len(wa & wb) >= ALIKE * min(len(wa), len(wb))


def frames_differ(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two pages' frames (``crawler.extract.page.skeleton``) are of two templates."""
    if not a or not b:
        return False
    return len(a & b) < REDESIGN_FRAMES * len(a | b)


def redesigns(
    readings: list[Reading], texts: dict[int, tuple[str, str]], furniture: dict[str, Learnt], frame
) -> dict[str, Learnt]:
    """Give a key that first appears just after a redesign, differing from the key before only by lines
    of the templates, the key before (in ``texts``, per capture id). ``readings``: one target's, in time
    order, with its learnt ``furniture``; ``frame(reading)``: its page's skeleton (read only for the few
    pairs that need it). Returns what each redesign brought and took, as furniture evidence under the
    slot ``redesign <timestamp>``."""
    seen: set[str] = set()
    alias: dict[str, str] = {}
    found: dict[str, Learnt] = {}
    previous: Reading | None = None
    for r in readings:
        text, key = texts[r.capture_id]
        if key in alias:
            texts[r.capture_id] = (text, alias[key])
        elif previous is not None and key not in seen:
            before_key = texts[previous.capture_id][1]
            edges = template_edges(previous, r, furniture)
            if edges and frames_differ(frame(previous), frame(r)):
                alias[key] = before_key
                texts[r.capture_id] = (text, before_key)
                gone, came = edges
                found[f"redesign {r.timestamp}"] = _evidence(previous, r, "\n".join(gone), "\n".join(came), pairs=1)
        seen.add(key)
        previous = r
    return found
