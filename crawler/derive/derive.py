"""The one idempotent step from stored facts (captures, snapshots) to versions and spans.

It runs at the end of every crawl, after a resume and for ``reextract``. Re-running it is
safe: extraction results are cached per (digest, extractor), versions are keyed by
(document, text hash), and each document's timeline is rebuilt in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from crawler.diff.align import DIFFER_VERSION, diff_clauses
from crawler.diff.clauses import SEGMENTER_VERSION, Clause, segment
from crawler.diff.taxonomy import Taxonomy, load_taxonomy, tag_clauses
from crawler.extract.normalize import text_hash
from crawler.extract.page import EXTRACTOR_VERSION, extract
from crawler.extract.policydate import stated_date
from crawler.extract.rules import Rule, Rules
from crawler.store.store import Store


@dataclass
class DeriveReport:
    extracted: int = 0
    documents: int = 0
    versions: int = 0
    spans: int = 0
    changes_computed: int = 0
    not_policy: dict[str, int] = field(default_factory=dict)


def days_between(start_ts: str, end_ts: str) -> float:
    """Days between two 14-digit archive timestamps."""
    fmt = "%Y%m%d%H%M%S"
    return round((datetime.strptime(end_ts, fmt) - datetime.strptime(start_ts, fmt)).total_seconds() / 86400, 2)


def extract_pending(store: Store, rules: Rules | None = None, extractor: str = EXTRACTOR_VERSION) -> int:
    """Extract every successfully fetched snapshot not yet read by this extractor version, and
    with each per-target rule every snapshot of a capture the rule reads."""
    rules = rules or Rules()
    jobs: dict[tuple[str, str], Rule | None] = {
        (r[0], extractor): None
        for r in store.query(
            "SELECT s.digest FROM snapshots s WHERE s.status BETWEEN 200 AND 299 AND NOT EXISTS "
            "(SELECT 1 FROM extractions e WHERE e.digest = s.digest AND e.extractor = ?)",
            (extractor,),
        )
    }
    for rule in rules.rules:
        rid = rules.extractor_id(extractor, rule)
        for digest, url, ts in store.query(
            "SELECT c.digest, c.url, c.timestamp FROM captures c JOIN targets t ON t.id = c.target_id"
            " JOIN documents d ON d.id = t.document_id JOIN snapshots s ON s.digest = c.digest"
            " WHERE d.company = ? AND s.status BETWEEN 200 AND 299 AND NOT EXISTS"
            " (SELECT 1 FROM extractions e WHERE e.digest = c.digest AND e.extractor = ?)",
            (rule.company, rid),
        ):
            if rules.for_capture(rule.company, url, ts) is rule:
                jobs[(digest, rid)] = rule
    for (digest, eid), rule in jobs.items():
        body, headers, mimetype = store.snapshot_body(digest)
        content_type = _header(headers, "content-type") or mimetype
        result = extract(body, content_type, rule)
        th = text_hash(result.text, normalized=True) if result.is_policy else None
        with store.transaction():
            store.save_extraction(
                digest,
                eid,
                result.verdict,
                result.reason,
                result.title,
                th,
                result.text if result.is_policy else None,
            )
    return len(jobs)


def _header(headers: dict, name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v[0] if isinstance(v, list) else v
    return None


def derive_document(
    store: Store, document_id: int, rules: Rules | None = None, extractor: str = EXTRACTOR_VERSION
) -> tuple[int, int]:
    """Link the document's captures to versions and rebuild its spans; returns (versions, spans).

    Each capture is read by the extraction of the rule in force for it (or the generic one). A
    capture whose version changes here changes only because its extraction did (snapshots never
    change): that is recorded in ``reextractions``, never as a change of the policy.
    """
    rules = rules or Rules()
    company = store.query("SELECT company FROM documents WHERE id = ?", (document_id,))[0][0]
    wanted_ids = [extractor] + [rules.extractor_id(extractor, r) for r in rules.rules if r.company == company]
    with store.transaction():
        rows = store.query(
            f"""
            SELECT c.id, c.target_id, c.timestamp, c.state, e.verdict, e.reason, e.text_hash, e.text,
                   NOT EXISTS (SELECT 1 FROM captures c2 WHERE c2.digest = c.digest
                               AND (c2.timestamp, c2.url) < (c.timestamp, c.url)),
                   c.url, e.extractor, c.version_id
            FROM captures c
            JOIN targets t ON t.id = c.target_id
            JOIN snapshots s ON s.digest = c.digest AND s.status BETWEEN 200 AND 299
            JOIN extractions e ON e.digest = c.digest AND e.extractor IN ({",".join("?" * len(wanted_ids))})
            WHERE t.document_id = ?
              AND (c.state IN ('fetched', 'duplicate') OR (c.state = 'skipped' AND
                   (c.reason LIKE 'not a policy%' OR c.reason LIKE 'unsupported%')))
            ORDER BY c.timestamp, c.id""",
            (*wanted_ids, document_id),
        )
        timeline: list[tuple[int, str, int]] = []  # (capture id, timestamp, version id)
        moved: dict[tuple[int, int | None], list] = {}  # (old version, new version) -> [timestamps, extractor]
        for cid, target_id, ts, state, verdict, why, th, text, first_of_digest, url, eid, old_vid in rows:
            if eid != rules.extractor_id(extractor, rules.for_capture(company, url, ts)):
                continue  # another rule's reading of this body
            vid = None
            if verdict == "policy":
                store.execute(
                    "INSERT OR IGNORE INTO versions (document_id, target_id, text_hash, text, extractor)"
                    " VALUES (?,?,?,?,?)",
                    (document_id, target_id, th, text, eid),
                )
                vid = store.query("SELECT id FROM versions WHERE document_id=? AND text_hash=?", (document_id, th))[0][
                    0
                ]
                new_state = (
                    state if state in ("fetched", "duplicate") else ("fetched" if first_of_digest else "duplicate")
                )
                store.execute(
                    "UPDATE captures SET version_id=?, state=?, reason=NULL WHERE id=?", (vid, new_state, cid)
                )
                timeline.append((cid, ts, vid))
            else:
                label = "not a policy" if verdict == "not_policy" else "unsupported"
                store.execute(
                    "UPDATE captures SET version_id=NULL, state='skipped', reason=? WHERE id=?",
                    (f"{label}: {why}", cid),
                )
            if old_vid is not None and old_vid != vid:
                moved.setdefault((old_vid, vid), [[], eid])[0].append(ts)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        store.executemany(
            "INSERT INTO reextractions (at, document_id, from_version_id, to_version_id, captures, first_ts, last_ts,"
            " extractor) VALUES (?,?,?,?,?,?,?,?)",
            [
                (now, document_id, old, new, len(stamps), min(stamps), max(stamps), eid)
                for (old, new), (stamps, eid) in moved.items()
            ],
        )
        store.execute(
            """
            UPDATE versions SET
              capture_count = (SELECT count(*) FROM captures c WHERE c.version_id = versions.id),
              first_seen = (SELECT min(c.timestamp) FROM captures c WHERE c.version_id = versions.id),
              last_seen = (SELECT max(c.timestamp) FROM captures c WHERE c.version_id = versions.id)
            WHERE document_id = ?""",
            (document_id,),
        )
        for vid, text in store.query(
            "SELECT id, text FROM versions WHERE document_id = ? AND stated_date_text IS NULL", (document_id,)
        ):
            found = stated_date(text)
            store.execute(
                "UPDATE versions SET stated_date = ?, stated_date_text = ? WHERE id = ?",
                (found.date.isoformat() if found else None, found.phrase if found else "", vid),
            )
        store.execute("DELETE FROM spans WHERE document_id = ?", (document_id,))
        runs = []  # (first, last, count) of consecutive captures showing the same version
        start = 0
        for i in range(1, len(timeline) + 1):
            if i == len(timeline) or timeline[i][2] != timeline[start][2]:
                runs.append((timeline[start], timeline[i - 1], i - start))
                start = i
        for position, (first, last, count) in enumerate(runs):
            next_start = runs[position + 1][0][1] if position + 1 < len(runs) else None
            store.execute(
                "INSERT INTO spans (document_id, position, version_id, first_capture_id, last_capture_id,"
                " start_ts, end_ts, next_start_ts, days, capture_count) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    document_id,
                    position,
                    first[2],
                    first[0],
                    last[0],
                    first[1],
                    last[1],
                    next_start,
                    days_between(first[1], next_start) if next_start else None,
                    count,
                ),
            )
        spans = len(runs)
        versions = store.query(
            "SELECT count(*) FROM versions WHERE document_id=? AND capture_count > 0", (document_id,)
        )[0][0]
    return versions, spans


def derive(
    store: Store,
    companies: list[str] | tuple[str, ...] = (),
    rules: Rules | None = None,
    extractor: str = EXTRACTOR_VERSION,
) -> DeriveReport:
    """Bring every derived table up to date with the stored captures and snapshots."""
    report = DeriveReport(extracted=extract_pending(store, rules, extractor))
    for doc in store.documents(companies):
        v, s = derive_document(store, doc[0], rules, extractor)
        segment_versions(store, doc[0])
        report.changes_computed += derive_changes(store, doc[0])
        report.documents += 1
        report.versions += v
        report.spans += s
    return report


# --------------------------------------------------------------------------- clauses, changes


def load_clauses(store: Store, version_id: int) -> list[Clause]:
    return [
        Clause(text, sep, kind, section, pos, None if tags is None else tuple(json.loads(tags)))
        for text, sep, kind, section, pos, _, tags in store.version_clauses(version_id)
    ]


def segment_versions(store: Store, document_id: int) -> int:
    """Segment every version of the document that has no clauses yet."""
    todo = store.query(
        "SELECT v.id, v.text FROM versions v WHERE v.document_id = ? AND NOT EXISTS"
        " (SELECT 1 FROM version_clauses vc WHERE vc.version_id = v.id)",
        (document_id,),
    )
    with store.transaction():
        for vid, text in todo:
            store.save_version_clauses(vid, tag_clauses(segment(text)), SEGMENTER_VERSION)
    return len(todo)


def derive_changes(store: Store, document_id: int, taxonomy: Taxonomy | None = None) -> int:
    """One change per consecutive pair of spans, with its clause changes; lineage carried forward.

    A change already stored for the same pair of versions by the same differ is kept.
    """
    taxonomy = taxonomy or load_taxonomy()
    spans = store.query(
        "SELECT position, version_id, first_capture_id, last_capture_id, start_ts, end_ts"
        " FROM spans WHERE document_id = ? ORDER BY position",
        (document_id,),
    )
    existing = {
        pos: (fv, tv, differ)
        for pos, fv, tv, differ in store.query(
            "SELECT position, from_version_id, to_version_id, differ FROM changes WHERE document_id = ?", (document_id,)
        )
    }
    clauses: dict[int, list[Clause]] = {}
    lineage: dict[int, list[str]] = {}

    def clauses_of(vid: int) -> list[Clause]:
        if vid not in clauses:
            clauses[vid] = load_clauses(store, vid)
        return clauses[vid]

    made = 0
    with store.transaction():
        for k, span in enumerate(spans):
            vid = span[1]
            diff = None
            if k > 0:
                prev = spans[k - 1]
                if existing.get(k - 1) != (prev[1], vid, DIFFER_VERSION):
                    diff = diff_clauses(clauses_of(prev[1]), clauses_of(vid), taxonomy=taxonomy)
                    _store_change(store, document_id, k - 1, prev, span, diff)
                    made += 1
            if vid in lineage:
                continue
            stored = [row[5] for row in store.version_clauses(vid)]
            if stored and all(stored):
                lineage[vid] = stored
                continue
            if k == 0:
                lineage[vid] = [f"{vid}:{c.position}" for c in clauses_of(vid)]
            else:
                prev_vid = spans[k - 1][1]
                diff = diff or diff_clauses(clauses_of(prev_vid), clauses_of(vid), taxonomy=taxonomy)
                lineage[vid] = [
                    lineage[prev_vid][olds[0]] if olds and how != "added" else f"{vid}:{n}"
                    for n, (how, olds, _) in enumerate(diff.sources)
                ]
            store.executemany(
                "UPDATE version_clauses SET lineage = ? WHERE version_id = ? AND position = ?",
                [(lin, vid, n) for n, lin in enumerate(lineage[vid])],
            )
        store.execute(
            "DELETE FROM changes WHERE document_id = ? AND position >= ?", (document_id, max(len(spans) - 1, 0))
        )
    return made


def _store_change(store: Store, document_id: int, position: int, old_span: tuple, new_span: tuple, diff) -> None:
    store.execute("DELETE FROM changes WHERE document_id = ? AND position = ?", (document_id, position))
    counts = diff.counts()
    tags = sorted({t for c in diff.changes for t in c.tags})
    cur = store.execute(
        "INSERT INTO changes (document_id, position, from_version_id, to_version_id, window_start, window_end,"
        " window_start_capture_id, window_end_capture_id, added, removed, modified, moved, split, merged,"
        " substantive, cosmetic, tags, fallback, differ) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            document_id,
            position,
            old_span[1],
            new_span[1],
            old_span[5],
            new_span[4],
            old_span[3],
            new_span[2],
            counts["added"],
            counts["removed"],
            counts["modified"],
            counts["moved"],
            counts["split"],
            counts["merged"],
            sum(c.significance == "substantive" for c in diff.changes),
            sum(c.significance == "cosmetic" for c in diff.changes),
            json.dumps(tags),
            "; ".join(diff.fallbacks) or None,
            DIFFER_VERSION,
        ),
    )
    store.executemany(
        "INSERT INTO clause_changes (change_id, position, kind, old_positions, new_positions, old_text, new_text,"
        " section, word_diff, significance, tags) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                cur.lastrowid,
                i,
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
            for i, c in enumerate(diff.changes)
        ],
    )
