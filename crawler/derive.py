"""The one idempotent step from stored facts (captures, snapshots) to versions and spans.

It runs at the end of every crawl, after a resume and for ``reextract``. Re-running it is
safe: extraction results are cached per (digest, extractor), versions are keyed by
(document, text hash), and each document's timeline is rebuilt in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .extract import EXTRACTOR_VERSION, extract
from .normalize import text_hash
from .storage import Store


@dataclass
class DeriveReport:
    extracted: int = 0
    documents: int = 0
    versions: int = 0
    spans: int = 0
    not_policy: dict[str, int] = field(default_factory=dict)


def extract_pending(store: Store, extractor: str = EXTRACTOR_VERSION) -> int:
    """Extract every successfully fetched snapshot not yet read by this extractor version."""
    digests = [
        r[0]
        for r in store.query(
            "SELECT s.digest FROM snapshots s WHERE s.status BETWEEN 200 AND 299 AND NOT EXISTS "
            "(SELECT 1 FROM extractions e WHERE e.digest = s.digest AND e.extractor = ?)",
            (extractor,),
        )
    ]
    for digest in digests:
        body, headers, mimetype = store.snapshot_body(digest)
        content_type = _header(headers, "content-type") or mimetype
        result = extract(body, content_type)
        th = text_hash(result.text, normalized=True) if result.is_policy else None
        with store.transaction():
            store.save_extraction(
                digest,
                extractor,
                result.verdict,
                result.reason,
                result.title,
                th,
                result.text if result.is_policy else None,
            )
    return len(digests)


def _header(headers: dict, name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v[0] if isinstance(v, list) else v
    return None


def derive_document(store: Store, document_id: int, extractor: str = EXTRACTOR_VERSION) -> tuple[int, int]:
    """Link the document's captures to versions and rebuild its spans; returns (versions, spans)."""
    with store.transaction():
        rows = store.query(
            """
            SELECT c.id, c.target_id, c.timestamp, c.state, e.verdict, e.reason, e.text_hash, e.text,
                   c.id = (SELECT min(c2.id) FROM captures c2 WHERE c2.digest = c.digest)
            FROM captures c
            JOIN targets t ON t.id = c.target_id
            JOIN snapshots s ON s.digest = c.digest AND s.status BETWEEN 200 AND 299
            JOIN extractions e ON e.digest = c.digest AND e.extractor = ?
            WHERE t.document_id = ?
              AND (c.state IN ('fetched', 'duplicate') OR (c.state = 'skipped' AND
                   (c.reason LIKE 'not a policy%' OR c.reason LIKE 'unsupported%')))
            ORDER BY c.timestamp, c.id""",
            (extractor, document_id),
        )
        timeline: list[tuple[int, str, int]] = []  # (capture id, timestamp, version id)
        for cid, target_id, ts, state, verdict, why, th, text, first_of_digest in rows:
            if verdict == "policy":
                store.execute(
                    "INSERT OR IGNORE INTO versions (document_id, target_id, text_hash, text, extractor)"
                    " VALUES (?,?,?,?,?)",
                    (document_id, target_id, th, text, extractor),
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
        store.execute(
            """
            UPDATE versions SET
              capture_count = (SELECT count(*) FROM captures c WHERE c.version_id = versions.id),
              first_seen = (SELECT min(c.timestamp) FROM captures c WHERE c.version_id = versions.id),
              last_seen = (SELECT max(c.timestamp) FROM captures c WHERE c.version_id = versions.id)
            WHERE document_id = ?""",
            (document_id,),
        )
        store.execute("DELETE FROM spans WHERE document_id = ?", (document_id,))
        spans = 0
        start = 0
        for i in range(1, len(timeline) + 1):
            if i == len(timeline) or timeline[i][2] != timeline[start][2]:
                first, last = timeline[start], timeline[i - 1]
                store.execute(
                    "INSERT INTO spans (document_id, position, version_id, first_capture_id, last_capture_id,"
                    " start_ts, end_ts, capture_count) VALUES (?,?,?,?,?,?,?,?)",
                    (document_id, spans, first[2], first[0], last[0], first[1], last[1], i - start),
                )
                spans += 1
                start = i
        versions = store.query(
            "SELECT count(*) FROM versions WHERE document_id=? AND capture_count > 0", (document_id,)
        )[0][0]
    return versions, spans


def derive(
    store: Store, companies: list[str] | tuple[str, ...] = (), extractor: str = EXTRACTOR_VERSION
) -> DeriveReport:
    """Bring every derived table up to date with the stored captures and snapshots."""
    report = DeriveReport(extracted=extract_pending(store, extractor))
    for doc in store.documents(companies):
        v, s = derive_document(store, doc[0], extractor)
        report.documents += 1
        report.versions += v
        report.spans += s
    return report
