"""Clause-level diffs between two versions: align, pair, word-diff, tag.

1. **Align** the two clause sequences with diff-match-patch, each distinct clause text
   encoded as one character (so the diff runs over clauses, not letters).
2. **Pair** what was removed with what was added: the same text elsewhere is ``moved``;
   a similar clause in the same place is ``modified`` (elsewhere: ``moved``, with edits);
   one clause that became several consecutive ones is ``split``, several that became one
   ``merged``; the rest is ``added`` / ``removed``.
3. **Word diff** inside each paired clause (diff-match-patch over word tokens, then semantic
   clean-up), so a word is never cut in two.
4. **Tag** each change ``cosmetic`` or ``substantive`` and with topics from the taxonomy.

Never a silent degradation: when a time or size budget is hit, the diff says which coarser
method it fell back to (``ClauseDiff.fallbacks``).
"""

from __future__ import annotations

import bisect
import functools
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from diff_match_patch import diff_match_patch

from crawler.diff.clauses import Clause, strip_numbering
from crawler.diff.taxonomy import Taxonomy, load_taxonomy

DIFFER_VERSION = "clause-2"  # clause-1: before issue 15 (set-based split/merge, whole-clause word diffs)
KINDS = ("added", "removed", "modified", "moved", "split", "merged")

# Budgets: whole diff, and the number of (removed x added) similarity comparisons.
DEFAULT_BUDGET_SECONDS = 2.0
MAX_PAIR_COMPARISONS = 200_000
MODIFIED_SIMILARITY = 0.5  # word-set Jaccard for a clause edited in place
MOVED_SIMILARITY = 0.6  # ... for one edited and moved elsewhere
SPLIT_SIMILARITY = 0.7  # Dice of word multisets: one clause vs the join of several
PART_CONTAINMENT = 0.6  # share of a part's words found in the clause it was split from (merged into)
PART_JOINER = "\n\n"
MAX_SPLIT_PARTS = 8  # a paragraph turned into a list: one run of up to this many items
# Versions with more clauses than this (both sides) are aligned between patience anchors, for speed;
# smaller ones by diff-match-patch alone (under 1 ms for real policies).
ANCHOR_ABOVE_CLAUSES = 4000
MAX_ANCHOR_DEPTH = 30  # patience anchors looked for again between anchors, this deep at most
CONTAINED_SHARE = 0.9  # a clause kept whole inside another: share of its words found there ...
MIN_CONTAINED_WORDS = 4  # ... when it has at least this many
KEPT_DICE = 0.6  # Dice of word multisets of a clause edited in place beyond MODIFIED_SIMILARITY

# What a diff says when a budget made it coarser (``ClauseDiff.fallbacks``); each at most once.
# The time-budget ones depend on the machine's speed: such a diff is never kept as final.
ALIGNMENT_TIMED_OUT = "clause alignment hit its time budget: some regions are whole replacements"
WORD_DIFF_TIMED_OUT = "word diff hit its time budget: some words are shown as replaced"
WORD_DIFF_BUDGET_EXCEEDED = "word diff budget exceeded: some clauses are shown as whole replacements"
TOO_MANY_FOR_MOVES = "too many changed clauses to look for moved ones: reported as removed and added"
TIME_BUDGET_FALLBACKS = (ALIGNMENT_TIMED_OUT, WORD_DIFF_TIMED_OUT, WORD_DIFF_BUDGET_EXCEEDED)

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+")
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)
_MONTHS = re.compile(
    r"\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|"
    r"oct(ober)?|nov(ember)?|dec(ember)?)\b"
)
_PREFIX = 8  # letters a re-paragraphed clause's first part is looked up by
_NOT_ALNUM = re.compile(r"[\W_]+", re.UNICODE)
# the words _MONTHS matches whole
_MONTH_WORDS = frozenset(
    "jan january feb february mar march apr april may jun june jul july aug august sep sept september "
    "oct october nov november dec december".split()
)
_NON_LETTERS = re.compile(r"[\W\d_]+", re.UNICODE)


@dataclass
class ClauseChange:
    """One change between two versions, in the documented JSON schema (docs/diff-schema.md)."""

    kind: str
    old_positions: list[int]
    new_positions: list[int]
    old_text: str
    new_text: str
    word_diff: list[tuple[str, str]] = field(default_factory=list)
    significance: str = "substantive"
    tags: list[str] = field(default_factory=list)
    section: str = ""

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "old_positions": self.old_positions,
            "new_positions": self.new_positions,
            "old_text": self.old_text,
            "new_text": self.new_text,
            "word_diff": [list(op) for op in self.word_diff],
            "significance": self.significance,
            "tags": self.tags,
            "section": self.section,
        }


@dataclass
class ClauseDiff:
    """Every change from ``old`` to ``new``, plus how each new clause was made (for ``apply``)."""

    changes: list[ClauseChange]
    sources: list[tuple[str, list[int], str]]  # per new clause: (how, old positions, new text)
    new_seps: list[str]
    fallbacks: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def change_count(self) -> int:
        return len(self.changes)

    def counts(self) -> dict[str, int]:
        return {k: sum(c.kind == k for c in self.changes) for k in KINDS}


# --------------------------------------------------------------------------- helpers

# Words too common to say whether two clauses are the same clause.
_STOPWORDS = frozenset(
    """a an and are as at be by for from has have if in is it its may of on or our that the
this to we will with you your us not can such any all which other""".split()
)


def _words(text: str) -> set[str]:
    """A clause's distinctive words: lower case; numbering, numbers, months and stopwords dropped.

    So a clause whose only edit is a date or a number still pairs with its old self.
    """
    return _distinctive(_tokens(text))


def _distinctive(tokens: Counter) -> set[str]:
    """``_words`` of a clause from its word multiset."""
    words = set(tokens)
    distinctive = {w for w in words - _STOPWORDS - _MONTH_WORDS if not w.isdigit()}
    return distinctive or words


def similarity(a: str, b: str) -> float:
    """Word-set Jaccard of two clauses, numbering and stopwords ignored."""
    wa, wb = _words(a), _words(b)
    if not wa and not wb:
        return 1.0 if a.strip() == b.strip() else 0.0
    return _jaccard(wa, wb)


def canonical(text: str) -> str:
    """What is left once whitespace, punctuation, case, dates, numbers and numbering are dropped."""
    return _NON_LETTERS.sub("", _MONTHS.sub("", strip_numbering(text).lower()))


def _encode(seqs: list[list[str]], table: dict[str, str]) -> list[str]:
    out = []
    for seq in seqs:
        chars = []
        for item in seq:
            ch = table.get(item)
            if ch is None:
                n = len(table) + 0x100
                if n >= 0xD800:  # skip the surrogate range
                    n += 0x800
                ch = table[item] = chr(n)
            chars.append(ch)
        out.append("".join(chars))
    return out


def word_diff(old: str, new: str, dmp: diff_match_patch | None = None) -> list[tuple[str, str]]:
    """Word-level diff: ``[("=", "We "), ("-", "do not"), ("+", "may"), ...]``; words stay whole."""
    return _word_diff(old, new, dmp or _new_dmp(1.0))[0]


def _sentence_pieces(text: str) -> list[str]:
    """A clause cut after each sentence end (the whitespace after it kept): the pieces join back to it."""
    pieces, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        pieces.append(text[start : m.end()])
        start = m.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _word_diff(old: str, new: str, dmp: diff_match_patch) -> tuple[list[tuple[str, str]], bool]:
    """Sentences aligned first (a sentence found again whole is unchanged, wherever the paragraph
    breaks fall), then words inside each run of changed sentences."""
    old_pieces, new_pieces = _sentence_pieces(old), _sentence_pieces(new)
    if len(old_pieces) < 2 and len(new_pieces) < 2:
        return _word_diff_tokens(old, new, dmp)
    a, b = _encode([old_pieces, new_pieces], {})
    diffs, timed_out = _align(a, b, dmp)
    out: list[tuple[str, str]] = []

    def emit(op: str, text: str) -> None:
        if text:
            if out and out[-1][0] == op:
                out[-1] = (op, out[-1][1] + text)
            else:
                out.append((op, text))

    i = j = 0
    gone, came = "", ""
    for op, chars in [*diffs, (0, "")]:
        n = len(chars)
        if op == -1:
            gone += "".join(old_pieces[i : i + n])
            i += n
        elif op == 1:
            came += "".join(new_pieces[j : j + n])
            j += n
        else:
            if gone and came:
                inner, late = _word_diff_tokens(gone, came, dmp)
                timed_out = timed_out or late
                for o, t in inner:
                    emit(o, t)
            else:
                emit("-", gone)
                emit("+", came)
            gone, came = "", ""
            emit("=", "".join(old_pieces[i : i + n]))
            i += n
            j += n
    return out, timed_out


def _word_diff_tokens(old: str, new: str, dmp: diff_match_patch) -> tuple[list[tuple[str, str]], bool]:
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    table: dict[str, str] = {}
    a, b = _encode([old_tokens, new_tokens], table)
    back = {ch: tok for tok, ch in table.items()}
    diffs, timed_out = _align(a, b, dmp)
    dmp.diff_cleanupMerge(diffs)
    dmp.diff_cleanupSemantic(diffs)
    ops = {0: "=", -1: "-", 1: "+"}
    out: list[tuple[str, str]] = []
    for op, chars in diffs:
        text = "".join(back[ch] for ch in chars)
        if out and out[-1][0] == ops[op]:
            out[-1] = (ops[op], out[-1][1] + text)
        elif text:
            out.append((ops[op], text))
    return out, timed_out


def _anchors(a: str, b: str) -> list[tuple[int, int]]:
    """Clauses found exactly once on each side, kept in an order both sides agree on (patience)."""
    count_a: dict[str, int] = {}
    count_b: dict[str, int] = {}
    for ch in a:
        count_a[ch] = count_a.get(ch, 0) + 1
    for ch in b:
        count_b[ch] = count_b.get(ch, 0) + 1
    where_b = {ch: j for j, ch in enumerate(b) if count_b[ch] == 1}
    pairs = [(i, where_b[ch]) for i, ch in enumerate(a) if count_a[ch] == 1 and ch in where_b]
    # longest increasing subsequence of the b positions
    tails: list[int] = []
    prev: list[int] = [-1] * len(pairs)
    tail_idx: list[int] = []
    for k, (_, j) in enumerate(pairs):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if tails[mid] < j:
                lo = mid + 1
            else:
                hi = mid
        if lo == len(tails):
            tails.append(j)
            tail_idx.append(k)
        else:
            tails[lo] = j
            tail_idx[lo] = k
        prev[k] = tail_idx[lo - 1] if lo else -1
    out = []
    k = tail_idx[-1] if tail_idx else -1
    while k >= 0:
        out.append(pairs[k])
        k = prev[k]
    return out[::-1]


def _diff_matchable(a: str, b: str, dmp: diff_match_patch) -> list[tuple[int, str]]:
    """diff-match-patch on the items both sides share; the others can only be removed or added.

    Dropping unmatchable items first (as GNU diff does) gives the same alignment and keeps the
    quadratic bisection small when two versions share little (a rewrite, a language switch).
    """
    common = set(a) & set(b)
    if len(common) == len(set(a) | set(b)):
        return dmp.diff_main(a, b, False)
    keep_a = [i for i, ch in enumerate(a) if ch in common]
    keep_b = [j for j, ch in enumerate(b) if ch in common]
    inner = dmp.diff_main("".join(a[i] for i in keep_a), "".join(b[j] for j in keep_b), False) if common else []
    out: list[tuple[int, str]] = []

    def emit(op: int, text: str) -> None:
        if text:
            if out and out[-1][0] == op:
                out[-1] = (op, out[-1][1] + text)
            else:
                out.append((op, text))

    ia = ib = pa = pb = 0
    for op, chars in inner:
        for ch in chars:
            if op == 0:
                emit(-1, a[ia : keep_a[pa]])
                emit(1, b[ib : keep_b[pb]])
                emit(0, ch)
                ia, ib, pa, pb = keep_a[pa] + 1, keep_b[pb] + 1, pa + 1, pb + 1
            elif op == -1:
                emit(-1, a[ia : keep_a[pa] + 1])
                ia, pa = keep_a[pa] + 1, pa + 1
            else:
                emit(1, b[ib : keep_b[pb] + 1])
                ib, pb = keep_b[pb] + 1, pb + 1
    emit(-1, a[ia:])
    emit(1, b[ib:])
    return out


def _align(
    a: str, b: str, dmp: diff_match_patch, depth: int = 0, recurse: bool = False
) -> tuple[list[tuple[int, str]], bool]:
    """diff-match-patch over clause (or word) characters, run between patience anchors.

    Anchoring on items that occur once on each side keeps each diff-match-patch run small
    (its bisection is quadratic in the differences) and the alignment stable. With ``recurse``,
    items that occur once between two anchors are anchors in turn (a table of contents repeats
    its section headings: unique within a region, they are not in the whole text).
    """
    diffs: list[tuple[int, str]] = []
    timed_out = False
    anchors = _anchors(a, b)
    i0 = j0 = 0
    for i, j in [*anchors, (len(a), len(b))]:
        if i > i0 or j > j0:
            if i == i0 or j == j0:  # only removed, or only added
                diffs.append((1, b[j0:j]) if i == i0 else (-1, a[i0:i]))
            elif i - i0 == 1 == j - j0:  # one replaced by one (a repeated item may be the same)
                diffs.extend(((-1, a[i0]), (1, b[j0])) if a[i0] != b[j0] else ((0, a[i0]),))
            elif recurse and anchors and depth < MAX_ANCHOR_DEPTH:
                inner, late = _align(a[i0:i], b[j0:j], dmp, depth + 1, recurse)
                diffs.extend(inner)
                timed_out = timed_out or late
            else:
                deadline = time.perf_counter() + dmp.Diff_Timeout
                diffs.extend(_diff_matchable(a[i0:i], b[j0:j], dmp))
                timed_out = timed_out or time.perf_counter() >= deadline
        if i < len(a):
            diffs.append((0, a[i]))
        i0, j0 = i + 1, j + 1
    return diffs, timed_out


def _align_clauses(old: list[str], new: list[str], dmp: diff_match_patch) -> tuple[list[tuple[int, str]], bool]:
    """Align two clause sequences; diff(b, a) is exactly the mirror of diff(a, b).

    When several alignments are equally good, diff-match-patch's choice depends on argument
    order; aligning in a canonical order and mirroring keeps "added" and "removed" symmetric.
    """
    swap = new < old
    first, second = (new, old) if swap else (old, new)
    a, b = _encode([first, second], {})
    if len(a) + len(b) > ANCHOR_ABOVE_CLAUSES:
        diffs, timed_out = _align(a, b, dmp, recurse=True)
    else:  # the fewest clauses removed and added: a unique clause moved far is not taken as an anchor
        deadline = time.perf_counter() + dmp.Diff_Timeout
        diffs = _diff_matchable(a, b, dmp)
        timed_out = time.perf_counter() >= deadline
    if swap:
        diffs = [(-op, chars) for op, chars in diffs]
    return diffs, timed_out


def _new_dmp(timeout: float) -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    return dmp


# --------------------------------------------------------------------------- the diff


def diff_clauses(
    old: list[Clause],
    new: list[Clause],
    *,
    taxonomy: Taxonomy | None = None,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    max_pair_comparisons: int = MAX_PAIR_COMPARISONS,
) -> ClauseDiff:
    """All clause changes from ``old`` to ``new``."""
    start = time.perf_counter()
    deadline = start + budget_seconds
    taxonomy = taxonomy or load_taxonomy()
    fallbacks: list[str] = []
    dmp = _new_dmp(max(budget_seconds / 2, 0.01))

    diffs, timed_out = _align_clauses([c.text for c in old], [c.text for c in new], dmp)
    if timed_out:
        fallbacks.append(ALIGNMENT_TIMED_OUT)

    # walk the alignment into hunks of (removed old indexes, added new indexes)
    source: dict[int, tuple[str, list[int]]] = {}
    hunks: list[tuple[list[int], list[int]]] = []
    i = j = 0
    removed: list[int] = []
    added: list[int] = []
    for op, chars in diffs:
        n = len(chars)
        if op == 0:
            if removed or added:
                hunks.append((removed, added))
                removed, added = [], []
            for k in range(n):
                source[j + k] = ("same", [i + k])
            i += n
            j += n
        elif op == -1:
            removed.extend(range(i, i + n))
            i += n
        else:
            added.extend(range(j, j + n))
            j += n
    if removed or added:
        hunks.append((removed, added))

    changes: list[ClauseChange] = []
    old_tokens, new_tokens = _TokenCache(old), _TokenCache(new)
    old_words = {o: _distinctive(old_tokens[o]) for rs, _ in hunks for o in rs}
    new_words = {n: _distinctive(new_tokens[n]) for _, ns in hunks for n in ns}
    free_old = {o for rs, _ in hunks for o in rs}
    free_new = {n for _, ns in hunks for n in ns}

    def pair(kind: str, olds: list[int], news: list[int]) -> None:
        free_old.difference_update(olds)
        free_new.difference_update(news)
        # the parts of a split or merge joined by a blank line: the word diff shows where paragraphs break
        old_text = PART_JOINER.join(old[o].text for o in olds)
        new_text = PART_JOINER.join(new[n].text for n in news)
        if kind in ("split", "merged"):
            for n in news:
                source[n] = (kind, olds)
        else:
            source[news[0]] = (kind, olds)
        changes.append(ClauseChange(kind, olds, news, old_text, new_text, section=new[news[0]].section))

    # 1. the same text elsewhere: moved
    by_text: dict[str, list[int]] = {}
    for o in sorted(free_old):
        by_text.setdefault(old[o].text, []).append(o)
    for n in sorted(free_new):
        candidates = by_text.get(new[n].text)
        if candidates:
            pair("moved", [candidates.pop(0)], [n])

    # 2. split and merged, within a hunk: one clause vs a run of consecutive ones that together
    #    hold its words (counted with repeats) better than any one of them alone
    for rs, ns in hunks:
        if not rs or not ns or len(rs) * len(ns) > max_pair_comparisons:
            continue  # nothing to pair, or too large: step 3 says so
        new_index = _index([n for n in ns if n in free_new], new_words)
        old_index = _index([o for o in rs if o in free_old], old_words)
        groups = []  # (score, olds, news), best first, ties broken symmetrically
        groups += _reparagraphed([o for o in rs if o in free_old], [n for n in ns if n in free_new], old, new)
        for o in [o for o in rs if o in free_old] if len(new_index) and sum(n in free_new for n in ns) > 1 else []:
            found = _group(old_tokens[o], old_words[o], new_index, free_new, new_tokens, new_words, old[o].text, new)
            if found:
                groups.append((found[0], [o], found[1]))
        for n in [n for n in ns if n in free_new] if sum(o in free_old for o in rs) > 1 else []:
            found = _group(new_tokens[n], new_words[n], old_index, free_old, old_tokens, old_words, new[n].text, old)
            if found:
                groups.append((found[0], found[1], [n]))
        # ties broken by the texts involved, which swapping the versions does not change
        groups.sort(key=lambda g: (-g[0], sorted([old[o].text for o in g[1]] + [new[n].text for n in g[2]])))
        for _, olds, news in groups:
            if free_old.issuperset(olds) and free_new.issuperset(news):
                pair("split" if len(olds) == 1 else "merged", olds, news)

    # 3. similar clauses in the same hunk: modified
    for rs, ns in hunks:
        rs = [o for o in rs if o in free_old]
        ns = [n for n in ns if n in free_new]
        if not rs or not ns:
            continue
        if len(rs) * len(ns) > max_pair_comparisons:
            fallbacks.append(
                f"a hunk of {len(rs)} removed x {len(ns)} added clauses was too large to pair: "
                f"reported as removed and added"
            )
            continue
        both = (old_tokens, new_tokens)
        for _, o, n in _best_pairs(rs, ns, old_words, new_words, MODIFIED_SIMILARITY, contains=both):
            if o in free_old and n in free_new:
                pair("modified", [o], [n])
        # renamed headings: the only heading left on each side of the hunk, or headings of the same
        # levels, in order, over the same body (the first clause after them is unchanged)
        old_heads = [o for o in rs if o in free_old and old[o].kind == "heading"]
        new_heads = [n for n in ns if n in free_new and new[n].kind == "heading"]
        if len(old_heads) == 1 and len(new_heads) == 1:
            pair("modified", old_heads, new_heads)
        elif old_heads and len(old_heads) == len(new_heads):
            levels = [_level(old[o].text) for o in old_heads] == [_level(new[n].text) for n in new_heads]
            if levels and _same_body(old_heads[-1], new_heads[-1], old, new, source):
                for o, n in zip(old_heads, new_heads):
                    pair("modified", [o], [n])

    # 4. edited and moved across hunks
    rest_old, rest_new = sorted(free_old), sorted(free_new)
    if rest_old and rest_new:
        if len(rest_old) * len(rest_new) > max_pair_comparisons:
            fallbacks.append(TOO_MANY_FOR_MOVES)
        else:
            hunk_of_old = {o: h for h, (rs, _) in enumerate(hunks) for o in rs}
            hunk_of_new = {n: h for h, (_, ns) in enumerate(hunks) for n in ns}

            def same_hunk(o: int, n: int) -> bool:  # already judged in step 2
                return hunk_of_old[o] == hunk_of_new[n]

            for _, o, n in _best_pairs(rest_old, rest_new, old_words, new_words, MOVED_SIMILARITY, same_hunk):
                if o in free_old and n in free_new:
                    pair("moved", [o], [n])

    # 5. what is left
    for o in sorted(free_old):
        changes.append(ClauseChange("removed", [o], [], old[o].text, "", section=old[o].section))
    for n in sorted(free_new):
        source[n] = ("added", [])
        changes.append(ClauseChange("added", [], [n], "", new[n].text, section=new[n].section))

    # word diffs, significance, tags
    for change in changes:
        if change.kind in ("modified", "moved", "split", "merged") and change.old_text != change.new_text:
            if time.perf_counter() < deadline:
                change.word_diff, timed_out = _word_diff(change.old_text, change.new_text, dmp)
                if timed_out and WORD_DIFF_TIMED_OUT not in fallbacks:
                    fallbacks.append(WORD_DIFF_TIMED_OUT)
            else:
                change.word_diff = [("-", change.old_text), ("+", change.new_text)]
                if WORD_DIFF_BUDGET_EXCEEDED not in fallbacks:
                    fallbacks.append(WORD_DIFF_BUDGET_EXCEEDED)
        elif change.kind == "removed":
            change.word_diff = [("-", change.old_text)]
        elif change.kind == "added":
            change.word_diff = [("+", change.new_text)]
        else:
            change.word_diff = [("=", change.old_text)]
        change.significance = _significance(change)
        change.tags = _tags(taxonomy, [old[o] for o in change.old_positions] + [new[n] for n in change.new_positions])
    kept = sorted((olds[0], n) for n, (how, olds) in source.items() if how == "same")
    changes.sort(
        key=lambda c: (
            c.new_positions[0] if c.new_positions else _anchor(c.old_positions[0], kept),
            0 if c.new_positions else -1,
        )
    )
    sources = [(source[n][0], source[n][1], new[n].text) for n in range(len(new))]
    return ClauseDiff(changes, sources, [c.sep for c in new], fallbacks, time.perf_counter() - start)


def _anchor(old_position: int, kept: list[tuple[int, int]]) -> float:
    """Where a removed clause sits in the new version: just after the last kept clause before it.

    ``kept`` lists (old, new) positions of unchanged clauses; both increase together.
    """
    k = bisect.bisect_left(kept, (old_position, -1))
    return (kept[k - 1][1] if k else -1) + 0.5


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _best_pairs(
    olds: list[int],
    news: list[int],
    old_words: dict[int, set[str]],
    new_words: dict[int, set[str]],
    threshold: float,
    skip=None,
    contains: tuple[dict[int, Counter], dict[int, Counter]] | None = None,
) -> list[tuple[float, int, int]]:
    """(similarity, old, new) pairs at or above ``threshold``, best first.

    Candidates come from an inverted index (pairs that share no word are never scored), and
    ``skip(o, n)`` leaves out pairs already judged. With ``contains`` (word multisets of both
    sides), a pair where one clause is kept whole inside the other (a sentence added to it or
    dropped from it) scores ``threshold`` at least.
    """
    index: dict[str, list[int]] = {}
    for o in olds:
        for w in old_words[o]:
            index.setdefault(w, []).append(o)
    scored = []
    for n in news:
        b = new_words[n]
        counts: dict[int, int] = {}
        for w in b:
            for o in index.get(w, ()):
                counts[o] = counts.get(o, 0) + 1
        for o, inter in counts.items():
            score = inter / (len(old_words[o]) + len(b) - inter)
            if (
                score < threshold
                and contains
                and inter >= 0.5 * min(len(old_words[o]), len(b))
                and _kept(contains[0][o], contains[1][n])
            ):
                score = threshold
            if score >= threshold and not (skip and skip(o, n)):
                scored.append((score, o, n))
    # ties broken the same way whichever side is "old", so swapping the versions swaps the result
    scored.sort(key=lambda t: (-t[0], t[1] + t[2], abs(t[1] - t[2]), min(t[1], t[2])))
    return scored


def _index(items: list[int], words: dict[int, set[str]]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for g in items:
        for w in words[g]:
            index.setdefault(w, []).append(g)
    return index


def _group(
    single: Counter,
    single_words: set[str],
    index: dict[str, list[int]],
    free: set[int],
    tokens: dict[int, Counter],  # a _TokenCache
    words: dict[int, set[str]],
    single_text: str,
    others: list[Clause],
) -> tuple[float, list[int]] | None:
    """The best run of 2..MAX_SPLIT_PARTS consecutive clauses that together hold ``single``'s words.

    Word multisets (repeats counted): the join of the parts must match ``single`` (Dice) and hold
    more of its words than any one part alone, and each part must bring a distinctive word of
    ``single`` that the other parts do not hold -- so an edited clause next to an unrelated new one
    is not taken for a split. A heading is a part only when its words are there in ``single``
    as they stand (a bold lead-in made a heading), not merely some of them. Only clauses mostly
    made of ``single``'s words are tried as parts, which keeps the search small.
    """
    if not single_words:
        return None
    shared: dict[int, int] = {}
    for w in single_words:
        for g in index.get(w, ()):
            if g in free:
                shared[g] = shared.get(g, 0) + 1
    near = {g for g, n in shared.items() if n >= 0.5 * len(words[g])}
    # only clauses with a neighbour that could be a part too can be parts of a run
    adjacent = sorted(g for g in near if g - 1 in near or g + 1 in near)
    if not adjacent:
        return None
    overlap = {g: _overlap(single, tokens[g]) for g in adjacent}
    parts = [
        g
        for g in adjacent
        if overlap[g] >= PART_CONTAINMENT * sum(tokens[g].values())
        and (others[g].kind != "heading" or _heading_inside(others[g].text, single_text))
    ]
    size = sum(single.values())
    best: tuple[float, list[int]] | None = None
    best_single: int | None = None
    for start in range(len(parts)):
        rest = single.copy()  # what the run does not hold yet
        held = parts_size = 0
        for k in range(1, MAX_SPLIT_PARTS + 1):
            if start + k > len(parts) or parts[start + k - 1] - parts[start] != k - 1:
                break
            part = tokens[parts[start + k - 1]]
            parts_size += sum(part.values())
            for w, c in part.items():
                take = min(c, rest[w])
                if take:
                    rest[w] -= take
                    held += take
            if k < 2:
                continue
            score = 2 * held / (size + parts_size)
            if score < SPLIT_SIMILARITY or (best is not None and score <= best[0]):
                continue
            if best_single is None:  # the most any one clause holds, once a run is worth checking
                best_single = max(overlap.get(g) or _overlap(single, tokens[g]) for g in near)
            run = parts[start : start + k]
            if held > best_single and all(_brings_own_words(single, run, g, tokens, words) for g in run):
                best = (score, run)
    return best


def _level(heading: str) -> int:
    return len(heading) - len(heading.lstrip("#"))


def _same_body(o: int, n: int, old: list[Clause], new: list[Clause], source: dict) -> bool:
    """Whether the clauses after old heading ``o`` and new heading ``n`` (the body of their
    sections, up to the next heading) start with the same unchanged clause."""
    after_o, after_n = o + 1, n + 1
    if after_n >= len(new) or after_o >= len(old) or new[after_n].kind == "heading":
        return False
    how, olds = source.get(after_n, ("", []))
    return how == "same" and olds == [after_o]


def _reparagraphed(olds: list[int], news: list[int], old: list[Clause], new: list[Clause]) -> list:
    """Splits and merges where no letter or digit changed, only where the paragraphs break
    (``2.6. Sharing`` -> ``2.6.`` + ``Sharing``): groups scored above any similarity."""
    found = []
    for singles, side, others, other_side, as_split in ((olds, old, news, new, True), (news, new, olds, old, False)):
        keys = {g: _letters(other_side[g].text) for g in others}
        starts: dict[str, list[int]] = {}  # a run's first clause, by the start of its letters
        for g in others:
            if keys[g]:
                starts.setdefault(keys[g][:_PREFIX], []).append(g)
        following = {g: h for g, h in zip(others, others[1:]) if h == g + 1}
        for x in singles:
            whole = _letters(side[x].text)
            heads = [g for n in range(1, _PREFIX + 1) for g in starts.get(whole[:n], ()) if len(keys[g]) >= n]
            for g in heads:
                got, run = "", []
                while g is not None and len(run) < MAX_SPLIT_PARTS and keys[g] and whole.startswith(got + keys[g]):
                    got += keys[g]
                    run.append(g)
                    if got == whole:
                        if len(run) >= 2:
                            found.append((2.0, [x], run) if as_split else (2.0, run, [x]))
                        break
                    g = following.get(g)
    return found


@functools.lru_cache(maxsize=8192)
def _letters(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


def _heading_inside(heading: str, text: str) -> bool:
    words = canonical(heading)
    return bool(words) and words in canonical(text)


def _brings_own_words(single: Counter, run: list[int], g: int, tokens, words: dict[int, set[str]]) -> bool:
    """Whether part ``g`` holds a distinctive word of ``single`` that the other parts of ``run`` do not."""
    rest = single.copy()
    for other in run:
        if other != g:
            rest.subtract(tokens[other])
    return any(rest[w] > 0 for w in words[g])


class _TokenCache(dict):
    """Word multisets of clauses, computed when first asked for."""

    def __init__(self, clauses: list[Clause]):
        super().__init__()
        self.clauses = clauses

    def __missing__(self, position: int) -> Counter:
        self[position] = found = _tokens(self.clauses[position].text)
        return found


def _tokens(text: str) -> Counter:
    """A clause's words, lower case and counted, numbering dropped."""
    return Counter(_WORD.findall(strip_numbering(text).lower()))


def _overlap(a: Counter, b: Counter) -> int:
    if len(a) > len(b):
        a, b = b, a
    return sum(min(n, b[w]) for w, n in a.items() if w in b)


def _kept(a: Counter, b: Counter) -> bool:
    """Most of a clause's text is still there: one clause (of a few words at least) nearly whole
    inside the other (a sentence added or dropped), or most words of both shared (a sentence of
    several replaced)."""
    na, nb = sum(a.values()), sum(b.values())
    small, n = (a, na) if na <= nb else (b, nb)
    shared = _overlap(a, b)
    if n >= MIN_CONTAINED_WORDS and shared >= CONTAINED_SHARE * n:
        return True
    return na + nb > 0 and 2 * shared / (na + nb) >= KEPT_DICE


def _tags(taxonomy: Taxonomy, clauses: list[Clause]) -> list[str]:
    """Topics of the clauses a change touches (stored with each clause, else matched now)."""
    found: set[str] = set()
    for c in clauses:
        found.update(c.tags if c.tags is not None else taxonomy.match(c.text))
    return [t.id for t in taxonomy.topics if t.id in found]


def _significance(change: ClauseChange) -> str:
    if change.kind == "added":
        return "cosmetic" if not canonical(change.new_text) else "substantive"
    if change.kind == "removed":
        return "cosmetic" if not canonical(change.old_text) else "substantive"
    return "cosmetic" if canonical(change.old_text) == canonical(change.new_text) else "substantive"


def apply(old: list[Clause], diff: ClauseDiff) -> str:
    """Rebuild the new version's text from the old clauses and the diff (used by the tests)."""
    out = []
    by_change = {}
    for change in diff.changes:
        for n in change.new_positions:
            by_change[n] = change
    for n, (how, olds, _) in enumerate(diff.sources):
        if how == "same" or (how == "moved" and by_change[n].old_text == by_change[n].new_text):
            text = old[olds[0]].text
        elif how in ("modified", "moved"):
            text = "".join(t for op, t in by_change[n].word_diff if op != "-")
        else:  # added, split, merged carry the new clause text itself
            text = diff.sources[n][2]
        out.append(text + diff.new_seps[n])
    return "".join(out)
