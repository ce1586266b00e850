"""Versions -> clauses (tagged with topics) -> changes between consecutive spans, and clause lineage.

One source of truth for clause diffs: what ``derive`` stores is what the report, the exports
and ``policytrail diff`` show. A stored diff is kept only while everything that made it is
unchanged (differ, segmenter and taxonomy versions, the two versions) and it did not hit a time
budget; what derives from spans (windows, cited captures, stable keys, lineage) is refreshed on
every run, so the result never depends on the order captures arrived in.
"""

from __future__ import annotations

import json
from collections import Counter

from crawler.diff import (
    DIFFER_VERSION,
    SEGMENTER_VERSION,
    Clause,
    ClauseChange,
    ClauseDiff,
    Taxonomy,
    diff_clauses,
    segment,
    tag_clauses,
)
from crawler.diff.align import TIME_BUDGET_FALLBACKS
from crawler.store import Span, Store


def differ_key(taxonomy: Taxonomy) -> str:
    """Everything a stored clause diff depends on besides the two texts."""
    return f"{DIFFER_VERSION}/{SEGMENTER_VERSION}/{taxonomy.fingerprint}"


def retag_clauses(store: Store, taxonomy: Taxonomy) -> int:
    """Tag again the clauses an earlier taxonomy tagged (an edited taxonomy.toml)."""
    stale = store.clauses_tagged_otherwise(taxonomy.fingerprint)
    if stale:
        store.set_clause_tags([(cid, taxonomy.match(text)) for cid, text in stale], taxonomy.fingerprint)
    return len(stale)


def segment_versions(store: Store, document_id: int, taxonomy: Taxonomy) -> int:
    """Segment the document's versions not yet segmented by this segmenter version."""
    todo = store.versions_to_segment(document_id, SEGMENTER_VERSION)
    for vid, text in todo:
        clauses = tag_clauses(segment(text), taxonomy)
        store.replace_version_clauses(vid, clauses, SEGMENTER_VERSION, taxonomy.fingerprint)
    return len(todo)


def load_clauses(store: Store, version_id: int) -> list[Clause]:
    return [
        Clause(text, sep, kind, section, pos, None if tags is None else tuple(json.loads(tags)))
        for text, sep, kind, section, pos, _, tags in store.version_clauses(version_id)
    ]


def change_key(from_hash: str, to_hash: str, occurrence: int) -> str:
    """A change's stable identity: its two texts, and which time this pair occurs in the timeline
    (A->B->A->B has two A->B changes). Independent of capture times and of local ids."""
    return f"{from_hash[:12]}-{to_hash[:12]}" + (f"-{occurrence}" if occurrence > 1 else "")


def _window(old: Span, new: Span, key: str, unread: int = 0) -> dict:
    """What a change takes from the spans around it: the bracketing captures, how many captures between
    them were not read (0: exact) and the stable key."""
    return {
        "window_unread": unread,
        "window_start": old.end_ts,
        "window_end": new.start_ts,
        "window_start_capture_id": old.last_capture_id,
        "window_end_capture_id": new.first_capture_id,
        "key": key,
    }


def _change_row(diff: ClauseDiff, from_vid: int, to_vid: int, window: dict, differ: str) -> tuple[dict, list]:
    counts = diff.counts()
    change = {
        "from_version_id": from_vid,
        "to_version_id": to_vid,
        **window,
        **counts,
        "substantive": sum(c.significance == "substantive" for c in diff.changes),
        "cosmetic": sum(c.significance == "cosmetic" for c in diff.changes),
        "tags": json.dumps(sorted({t for c in diff.changes for t in c.tags})),
        "fallback": "; ".join(diff.fallbacks) or None,
        "differ": differ,
        "sources": json.dumps([[how, olds] for how, olds, _ in diff.sources]),
    }
    clause_rows = [
        (
            c.kind,
            json.dumps(c.old_positions),
            json.dumps(c.new_positions),
            c.old_text,
            c.new_text,
            c.section,
            json.dumps([list(op) for op in c.word_diff], ensure_ascii=False),
            c.significance,
            json.dumps(c.tags),
        )
        for c in diff.changes
    ]
    return change, clause_rows


def _reusable(stored, old: Span, new: Span, differ: str) -> bool:
    if stored is None or stored.sources is None:
        return False
    if (stored.from_version_id, stored.to_version_id, stored.differ) != (old.version_id, new.version_id, differ):
        return False
    return not any(f in (stored.fallback or "") for f in TIME_BUDGET_FALLBACKS)


def derive_changes(store: Store, document_id: int, taxonomy: Taxonomy, diff=diff_clauses) -> int:
    """One change per consecutive pair of spans, with its clause changes; then lineage. Returns how
    many clause diffs were computed (the others were kept, with their windows refreshed). ``diff``:
    ``diff_clauses``, or the same function answered from diffs computed beforehand (``reextract --jobs``)."""
    spans = store.spans(document_id)
    stored = store.stored_changes(document_id)
    differ = differ_key(taxonomy)
    clauses: dict[int, list[Clause]] = {}

    def clauses_of(vid: int) -> list[Clause]:
        if vid not in clauses:
            clauses[vid] = load_clauses(store, vid)
        return clauses[vid]

    computed = 0
    occurrences: Counter = Counter()
    sources: list[list] = []  # per change: how each clause of the newer version was made
    for old, new in zip(spans, spans[1:]):
        occurrences[(old.text_hash, new.text_hash)] += 1
        window = _window(
            old,
            new,
            change_key(old.text_hash, new.text_hash, occurrences[(old.text_hash, new.text_hash)]),
            store.unread_between(document_id, old.end_ts, new.start_ts),
        )
        have = stored.get(old.position)
        if _reusable(have, old, new, differ):
            store.refresh_change_window(document_id, old.position, window)
            sources.append(json.loads(have.sources))
            continue
        made = diff(clauses_of(old.version_id), clauses_of(new.version_id), taxonomy=taxonomy)
        store.save_change(document_id, old.position, *_change_row(made, old.version_id, new.version_id, window, differ))
        sources.append([[how, olds] for how, olds, _ in made.sources])
        computed += 1
    store.drop_changes_from(document_id, max(len(spans) - 1, 0))
    _set_lineage(store, spans, sources, clauses_of)
    return computed


def _set_lineage(store: Store, spans: list[Span], sources: list[list], clauses_of) -> None:
    """Each clause's identity across versions, carried forward along the timeline from the first
    version a clause appears in (named by that version's text hash, not by a local id).

    Both parts of a split carry the lineage of the clause they were split from; a clause merged
    from several keeps the first one's lineage and lists all of them in ``merged_from`` (carried
    forward too, so that following any merged lineage finds the clause)."""
    lineage: dict[int, list[str]] = {}
    merged: dict[int, list[list[str] | None]] = {}
    for k, span in enumerate(spans):
        if span.version_id in lineage:
            continue  # a version back in force keeps the identities it was first given
        root = span.text_hash[:12]
        size = len(clauses_of(span.version_id))
        if k == 0:
            lineage[span.version_id] = [f"{root}:{n}" for n in range(size)]
            merged[span.version_id] = [None] * size
        else:
            before, before_merged = lineage[spans[k - 1].version_id], merged[spans[k - 1].version_id]
            lineage[span.version_id], merged[span.version_id] = [], []
            for n, (how, olds) in enumerate(sources[k - 1]):
                if not olds or how == "added":
                    lineage[span.version_id].append(f"{root}:{n}")
                    merged[span.version_id].append(None)
                    continue
                lineage[span.version_id].append(before[olds[0]])
                parents = [before[o] for o in olds] if how == "merged" else []
                for o in olds:
                    parents += [p for p in before_merged[o] or () if p not in parents]
                merged[span.version_id].append(parents or None)
        store.set_lineage(span.version_id, lineage[span.version_id], merged[span.version_id])


def compare(store: Store, from_version_id: int, to_version_id: int, taxonomy: Taxonomy) -> ClauseDiff:
    """The clause diff between two versions: the stored one when ``derive`` made it (so that every
    output agrees), else computed now from the stored clauses (two versions that never followed
    each other)."""
    change_id = store.stored_change_between(from_version_id, to_version_id, differ_key(taxonomy))
    if change_id is None:
        old, new = load_clauses(store, from_version_id), load_clauses(store, to_version_id)
        return diff_clauses(old, new, taxonomy=taxonomy)
    (fallback, sources_json), rows = store.change_rows(change_id)
    new = load_clauses(store, to_version_id)
    changes = [
        ClauseChange(
            kind,
            json.loads(olds),
            json.loads(news),
            old_text,
            new_text,
            [tuple(op) for op in json.loads(word_diff)],
            significance,
            json.loads(tags),
            section,
        )
        for kind, olds, news, old_text, new_text, word_diff, significance, tags, section in rows
    ]
    sources = [(how, olds, new[n].text) for n, (how, olds) in enumerate(json.loads(sources_json))]
    return ClauseDiff(changes, sources, [c.sep for c in new], fallback.split("; ") if fallback else [])
