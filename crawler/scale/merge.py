"""``policytrail merge``: fold shard databases (each written by one worker) into the main database.

Only facts travel -- targets, captures, snapshots, crawl runs and judgements -- each matched by
its content key, never by a shard's local ids: a target by its URL, a capture by (archive, url,
timestamp, digest), a body by its digest, a run by (started_at, archive, arguments), a judgement
by its subject, author and time. Everything derived is then rebuilt by ``derive``, as after a crawl.

Conflicts are resolved as one crawl would have resolved them, whatever the order of the shards:
a settled capture (fetched, duplicate, skipped) beats a failed one, which beats a pending one (of
two failed, the one with more attempts); of two bodies with one digest the one fetched through the
smallest memento URL is kept (``Store.store_snapshot``'s rule); and the captures of every body that
arrived are settled again (the earliest ``fetched``, the others ``duplicate``); a capture one worker
reached through an archived redirect and another listed for its own target belongs to that target. A shard merged twice
finds nothing new: nothing is written.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from crawler.archive.timestamps import utcnow
from crawler.errors import UsageError
from crawler.store import Store
from crawler.store.database import open_for_reading
from crawler.store.store import ANNOTATION_FIELDS

# how far a capture has come: a shard's row replaces the main database's only when it went further
# (``inferred`` is a shard's own reading of the captures it did not fetch: no further than pending, since
# derive infers again from everything merged -- two workers searching one document's brackets each infer
# from their own fetches)
_PROGRESS = {"pending": 0, "inferred": 0, "failed": 1, "duplicate": 2, "fetched": 2, "skipped": 2}
_CAPTURE_COLUMNS = (
    "archive, url, timestamp, statuscode, mimetype, digest, length, source, state, reason, attempts,"
    " redirect_to, listed_at, updated_at"
)
_SNAPSHOT_COLUMNS = "digest, sha256, body, codec, length, status, mimetype, headers, digest_ok, fetched_url, fetched_at"


@dataclass
class MergeReport:
    """What one shard brought to the main database."""

    shard: str
    targets: int = 0
    captures_added: int = 0
    captures_advanced: int = 0
    snapshots: int = 0
    runs: int = 0
    annotations: int = 0
    companies: set[str] = field(default_factory=set)

    def row(self) -> dict:
        return {
            "shard": self.shard,
            "targets_added": self.targets,
            "captures_added": self.captures_added,
            "captures_advanced": self.captures_advanced,
            "snapshots_added": self.snapshots,
            "runs_added": self.runs,
            "judgements_added": self.annotations,
        }


def check_shards(shards: list[str | Path], main: str | Path) -> None:
    """Refuse, before the main database is touched, a shard that is missing, foreign, damaged, of
    another schema, or the main database itself (exit 2, with the reason)."""
    main_real = Path(main).resolve()
    for shard in shards:
        if Path(shard).resolve() == main_real:
            raise UsageError(f"{shard} is the main database itself: pass the shards written by the workers")
        conn = open_for_reading(shard)  # missing, foreign, too new or too old: a clear error, exit 2
        try:
            problem = conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            problem = str(exc)
        finally:
            conn.close()
        if problem != "ok":
            raise UsageError(
                f"shard {shard} is damaged ({problem}): nothing was merged; recover it "
                f"(`sqlite3 {shard} .recover`) or crawl its targets again"
            )


def merge_shard(store: Store, shard: str | Path) -> MergeReport:
    """Fold one shard's facts into ``store``, in one transaction."""
    report = MergeReport(str(shard))
    src = open_for_reading(shard)
    try:
        with store.transaction():
            targets = _merge_targets(store, src, report)
            touched = _merge_snapshots(store, src, report)
            touched |= _merge_captures(store, src, targets, report)
            _merge_runs(store, src, report)
            _merge_annotations(store, src, report)
            now = utcnow()
            for digest in sorted(touched):
                if store.has_snapshot(digest):
                    store._settle_digest(digest, now)
    finally:
        src.close()
    return report


def _merge_targets(store: Store, src: sqlite3.Connection, report: MergeReport) -> dict[int, int]:
    """The shard's targets in the main database: {shard target id: main target id}."""
    ids = {}
    rows = src.execute(
        "SELECT t.id, d.company, d.name, t.company, t.url, t.added_at FROM targets t"
        " JOIN documents d ON d.id = t.document_id ORDER BY t.id"
    )
    for sid, doc_company, doc_name, company, url, added_at in rows:
        found = store.query("SELECT id FROM targets WHERE url = ?", (url,))
        if not found:
            store._x("INSERT OR IGNORE INTO documents (company, name) VALUES (?, ?)", (doc_company, doc_name))
            doc_id = store.query("SELECT id FROM documents WHERE company = ? AND name = ?", (doc_company, doc_name))
            store._x(
                "INSERT INTO targets (document_id, company, url, added_at) VALUES (?, ?, ?, ?)",
                (doc_id[0][0], company, url, added_at),
            )
            found = store.query("SELECT id FROM targets WHERE url = ?", (url,))
            report.targets += 1
        report.companies.add(company)
        ids[sid] = found[0][0]
    return ids


def _merge_snapshots(store: Store, src: sqlite3.Connection, report: MergeReport) -> set[str]:
    """Bodies new to the main database (or kept by the smaller-URL rule); returns their digests."""
    touched = set()
    for row in src.execute(f"SELECT {_SNAPSHOT_COLUMNS} FROM snapshots ORDER BY digest"):
        digest, fetched_url = row[0], row[9]
        have = store.query("SELECT fetched_url FROM snapshots WHERE digest = ?", (digest,))
        if have and have[0][0] <= fetched_url:
            continue
        store._x(f"INSERT OR REPLACE INTO snapshots ({_SNAPSHOT_COLUMNS}) VALUES ({store._in(row)})", row)
        report.snapshots += not have
        touched.add(digest)
    return touched


def _merge_captures(store: Store, src: sqlite3.Connection, targets: dict[int, int], report: MergeReport) -> set[str]:
    """Captures new to the main database, or further on in the shard; returns their digests."""
    touched = set()
    for target_id, *row in src.execute(f"SELECT target_id, {_CAPTURE_COLUMNS} FROM captures ORDER BY id"):
        archive, url, timestamp, digest, state, attempts = row[0], row[1], row[2], row[5], row[8], row[10]
        have = store.query(
            "SELECT id, state, attempts, source FROM captures WHERE archive=? AND url=? AND timestamp=? AND digest=?",
            (archive, url, timestamp, digest),
        )
        if not have:
            store._x(
                f"INSERT INTO captures (target_id, {_CAPTURE_COLUMNS}) VALUES (?, {store._in(row)})",
                (targets[target_id], *row),
            )
            report.captures_added += 1
            touched.add(digest)
            continue
        cid, main_state, main_attempts, main_source = have[0]
        if main_source != "cdx" and row[7] == "cdx":
            # reached through an archived redirect here, listed by its own target's CDX query there: it
            # belongs to that target (derive learns each target's page furniture from its own captures)
            store._x("UPDATE captures SET target_id = ?, source = 'cdx' WHERE id = ?", (targets[target_id], cid))
            report.captures_advanced += 1
            touched.add(digest)
        if (_PROGRESS[state], attempts if state == "failed" else 0) <= (
            _PROGRESS[main_state],
            main_attempts if main_state == "failed" else 0,
        ):
            continue
        store._x(
            "UPDATE captures SET statuscode=?, mimetype=?, length=?, state=?, reason=?, attempts=?, redirect_to=?,"
            " updated_at=? WHERE id=?",
            (row[3], row[4], row[6], state, row[9], attempts, row[11], row[13], cid),
        )
        report.captures_advanced += 1
        touched.add(digest)
    return touched


def _merge_runs(store: Store, src: sqlite3.Connection, report: MergeReport) -> None:
    for row in src.execute("SELECT started_at, finished_at, status, archive, arguments, figures FROM crawl_runs"):
        if store.query(
            "SELECT 1 FROM crawl_runs WHERE started_at = ? AND archive = ? AND arguments = ?", (row[0], row[3], row[4])
        ):
            continue
        store._x(
            "INSERT INTO crawl_runs (started_at, finished_at, status, archive, arguments, figures)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            row,
        )
        report.runs += 1


def _merge_annotations(store: Store, src: sqlite3.Connection, report: MergeReport) -> None:
    """Judgements keep the source they were made from (cli, import, ...)."""
    fields = ", ".join(ANNOTATION_FIELDS)
    by_source: dict[str, list[dict]] = {}
    for *values, source in src.execute(f"SELECT {fields}, source FROM annotations ORDER BY id"):
        by_source.setdefault(source, []).append(dict(zip(ANNOTATION_FIELDS, values)))
    for source, rows in sorted(by_source.items()):
        report.annotations += store.add_annotations(rows, source)


def merge_shards(store: Store, shards: list[str | Path]) -> list[MergeReport]:
    """Fold every shard into ``store`` (already checked with :func:`check_shards`), one transaction each."""
    return [merge_shard(store, shard) for shard in shards]
