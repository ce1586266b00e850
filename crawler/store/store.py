"""The only module that writes SQL: migrations, idempotent inserts, read helpers.

Keys that must survive a merge of databases are content-derived (CDX digest, text hash,
the (archive, url, timestamp, digest) of a capture); integer ids are local conveniences.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from crawler.errors import StorageError, UsageError

# Bodies whose fetch failed this many times (over all their captures) are not retried by later runs.
MAX_ATTEMPTS = 5
TERMINAL_STATES = ("fetched", "duplicate", "skipped")

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_crawl_backbone",
        """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    company TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (company, name)
);
CREATE TABLE targets (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    company TEXT NOT NULL,
    url TEXT NOT NULL UNIQUE,
    added_at TEXT NOT NULL
);
CREATE INDEX targets_document ON targets(document_id);
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    target_id INTEGER NOT NULL REFERENCES targets(id),
    archive TEXT NOT NULL,
    url TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    statuscode TEXT,
    mimetype TEXT,
    digest TEXT NOT NULL,
    length INTEGER,
    source TEXT NOT NULL DEFAULT 'cdx',
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'fetched', 'duplicate', 'skipped', 'failed')),
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    redirect_to TEXT,
    version_id INTEGER REFERENCES versions(id),
    listed_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (archive, url, timestamp, digest)
);
CREATE INDEX captures_digest ON captures(digest);
CREATE INDEX captures_target_ts ON captures(target_id, timestamp);
CREATE INDEX captures_version ON captures(version_id);
CREATE TABLE snapshots (
    digest TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    body BLOB NOT NULL,
    codec TEXT NOT NULL,
    length INTEGER NOT NULL,
    status INTEGER,
    mimetype TEXT,
    headers TEXT NOT NULL,
    digest_ok INTEGER,
    fetched_url TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
CREATE TABLE extractions (
    digest TEXT NOT NULL REFERENCES snapshots(digest),
    extractor TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT,
    title TEXT,
    text_hash TEXT,
    text TEXT,
    PRIMARY KEY (digest, extractor)
);
CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    target_id INTEGER NOT NULL REFERENCES targets(id),
    text_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    capture_count INTEGER NOT NULL DEFAULT 0,
    extractor TEXT NOT NULL,
    UNIQUE (document_id, text_hash)
);
CREATE TABLE spans (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    position INTEGER NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    first_capture_id INTEGER NOT NULL REFERENCES captures(id),
    last_capture_id INTEGER NOT NULL REFERENCES captures(id),
    start_ts TEXT NOT NULL,
    end_ts TEXT NOT NULL,
    next_start_ts TEXT,
    days REAL,
    capture_count INTEGER NOT NULL,
    UNIQUE (document_id, position)
);
CREATE INDEX spans_version ON spans(version_id, document_id, start_ts, next_start_ts);
""",
    ),
    (
        "0002_clauses_and_changes",
        """
CREATE TABLE clauses (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    tags TEXT
);
CREATE TABLE version_clauses (
    version_id INTEGER NOT NULL REFERENCES versions(id),
    position INTEGER NOT NULL,
    clause_id INTEGER NOT NULL REFERENCES clauses(id),
    kind TEXT NOT NULL,
    section TEXT NOT NULL,
    sep TEXT NOT NULL,
    lineage TEXT,
    segmenter TEXT NOT NULL,
    PRIMARY KEY (version_id, position)
);
CREATE INDEX version_clauses_clause ON version_clauses(clause_id, version_id);
CREATE INDEX version_clauses_lineage ON version_clauses(lineage);
CREATE TABLE changes (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    position INTEGER NOT NULL,
    from_version_id INTEGER NOT NULL REFERENCES versions(id),
    to_version_id INTEGER NOT NULL REFERENCES versions(id),
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    window_start_capture_id INTEGER NOT NULL REFERENCES captures(id),
    window_end_capture_id INTEGER NOT NULL REFERENCES captures(id),
    added INTEGER NOT NULL, removed INTEGER NOT NULL, modified INTEGER NOT NULL,
    moved INTEGER NOT NULL, split INTEGER NOT NULL, merged INTEGER NOT NULL,
    substantive INTEGER NOT NULL, cosmetic INTEGER NOT NULL,
    tags TEXT NOT NULL,
    fallback TEXT,
    differ TEXT NOT NULL,
    UNIQUE (document_id, position)
);
CREATE TABLE clause_changes (
    id INTEGER PRIMARY KEY,
    change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('added', 'removed', 'modified', 'moved', 'split', 'merged')),
    old_positions TEXT NOT NULL,
    new_positions TEXT NOT NULL,
    old_text TEXT NOT NULL,
    new_text TEXT NOT NULL,
    section TEXT NOT NULL,
    word_diff TEXT NOT NULL,
    significance TEXT NOT NULL CHECK (significance IN ('cosmetic', 'substantive')),
    tags TEXT NOT NULL,
    UNIQUE (change_id, position)
);
CREATE INDEX clause_changes_change ON clause_changes(change_id);
""",
    ),
]


def _enable_fts(db: sqlite_utils.Database) -> None:
    """Full-text search over clause and version texts, kept current by triggers."""
    db["clauses"].enable_fts(["text"], create_triggers=True, tokenize="porter", replace=True)
    db["versions"].enable_fts(["text"], create_triggers=True, tokenize="porter", replace=True)


MIGRATIONS.append(
    (
        "0003_research_views",
        """
CREATE VIEW policy_timeline AS
SELECT d.company, d.name AS document, s.position, s.version_id, v.text_hash,
       s.start_ts AS in_force_from, s.next_start_ts AS in_force_to, s.days AS in_force_days,
       s.end_ts AS last_seen, s.capture_count, c.url AS first_url, v.extractor
FROM spans s
JOIN documents d ON d.id = s.document_id
JOIN versions v ON v.id = s.version_id
JOIN captures c ON c.id = s.first_capture_id;
CREATE VIEW policy_changes AS
SELECT ch.id AS change_id, d.company, d.name AS document, ch.position, ch.window_start, ch.window_end,
       ch.from_version_id, ch.to_version_id, ch.added, ch.removed, ch.modified, ch.moved, ch.split, ch.merged,
       ch.substantive, ch.cosmetic, ch.tags, ch.fallback
FROM changes ch JOIN documents d ON d.id = ch.document_id;
CREATE VIEW clause_change_details AS
SELECT cc.id AS clause_change_id, pc.company, pc.document, pc.window_start, pc.window_end, cc.kind,
       cc.significance, cc.tags, cc.section, cc.old_text, cc.new_text, cc.word_diff
FROM clause_changes cc JOIN policy_changes pc ON pc.change_id = cc.change_id;
CREATE VIEW clause_history AS
SELECT vc.lineage, d.company, d.name AS document, s.version_id, s.start_ts AS in_force_from,
       s.next_start_ts AS in_force_to, vc.position, vc.section, cl.text, cl.tags, cl.id AS clause_id
FROM version_clauses vc
JOIN clauses cl ON cl.id = vc.clause_id
JOIN spans s ON s.version_id = vc.version_id
JOIN documents d ON d.id = s.document_id;
CREATE VIEW capture_log AS
SELECT d.company, d.name AS document, c.url, c.timestamp, c.statuscode, c.mimetype, c.state, c.reason,
       c.digest, c.version_id, c.archive
FROM captures c JOIN targets t ON t.id = c.target_id JOIN documents d ON d.id = t.document_id
""",
    )
)
MIGRATIONS.append(("0004_full_text_search", _enable_fts))
MIGRATIONS.append(
    (
        "0005_crawl_runs",
        """
CREATE TABLE crawl_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    archive TEXT NOT NULL,
    arguments TEXT NOT NULL,
    figures TEXT
)
""",
    )
)
MIGRATIONS.append(
    (
        "0006_stated_dates_and_reextractions",
        """
ALTER TABLE versions ADD COLUMN stated_date TEXT;
ALTER TABLE versions ADD COLUMN stated_date_text TEXT;
CREATE TABLE reextractions (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    from_version_id INTEGER NOT NULL REFERENCES versions(id),
    to_version_id INTEGER REFERENCES versions(id),
    captures INTEGER NOT NULL,
    first_ts TEXT NOT NULL,
    last_ts TEXT NOT NULL,
    extractor TEXT NOT NULL
);
CREATE INDEX reextractions_document ON reextractions(document_id);
DROP VIEW policy_timeline;
CREATE VIEW policy_timeline AS
SELECT d.company, d.name AS document, s.position, s.version_id, v.text_hash,
       s.start_ts AS in_force_from, s.next_start_ts AS in_force_to, s.days AS in_force_days,
       s.end_ts AS last_seen, s.capture_count, c.url AS first_url, v.extractor,
       v.stated_date, v.stated_date_text
FROM spans s
JOIN documents d ON d.id = s.document_id
JOIN versions v ON v.id = s.version_id
JOIN captures c ON c.id = s.first_capture_id
""",
    )
)
# The database's schema version (PRAGMA user_version): the number of migrations applied.
SCHEMA_VERSION = len(MIGRATIONS)


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """A policytrail database: opened, migrated, WAL mode."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self.db = sqlite_utils.Database(conn)
            self.conn = conn
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            raise StorageError(
                f"cannot open database {self.path}: {exc}. Is it a policytrail SQLite database?"
            ) from None

    # -- schema -------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply pending named migrations, each in its own transaction."""
        self.conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
        done = {r[0] for r in self.conn.execute("SELECT name FROM _migrations")}
        applied = []
        for name, step in MIGRATIONS:
            if name in done:
                continue
            if callable(step):  # sqlite-utils steps (FTS) manage their own transactions
                step(self.db)
                self.conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, utcnow()))
            else:
                with self.transaction():
                    for statement in step.split(";\n"):
                        if statement.strip():
                            self.conn.execute(statement)
                    self.conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, utcnow()))
            applied.append(name)
        if applied:
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return applied

    def transaction(self):
        return _Transaction(self.conn)

    def close(self) -> None:
        self.conn.close()

    # -- targets ------------------------------------------------------------------------
    def upsert_target(self, company: str, url: str, document: str) -> int:
        with self.transaction():
            self.conn.execute("INSERT OR IGNORE INTO documents (company, name) VALUES (?, ?)", (company, document))
            doc_id = self.conn.execute(
                "SELECT id FROM documents WHERE company = ? AND name = ?", (company, document)
            ).fetchone()[0]
            self.conn.execute(
                "INSERT INTO targets (document_id, company, url, added_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET document_id = excluded.document_id, company = excluded.company",
                (doc_id, company, url, utcnow()),
            )
            return self.conn.execute("SELECT id FROM targets WHERE url = ?", (url,)).fetchone()[0]

    # -- captures -----------------------------------------------------------------------
    def record_capture(
        self,
        *,
        target_id: int,
        archive: str,
        url: str,
        timestamp: str,
        statuscode: str,
        mimetype: str,
        digest: str,
        length: int | None,
        state: str = "pending",
        reason: str | None = None,
        source: str = "cdx",
    ) -> bool:
        """Insert one capture if new (True); a known digest settles it at once (no fetch needed)."""
        now = utcnow()
        with self.transaction():
            known = self._known_outcome(digest) if state == "pending" else None
            if known:
                state, reason = known
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO captures (target_id, archive, url, timestamp, statuscode, mimetype, digest,"
                " length, source, state, reason, listed_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    target_id,
                    archive,
                    url,
                    timestamp,
                    statuscode,
                    mimetype,
                    digest,
                    length,
                    source,
                    state,
                    reason,
                    now,
                    now,
                ),
            )
            if known:
                self._settle_digest(digest, now)
            elif cur.rowcount == 1 and state == "pending" and not (statuscode or "").startswith("3"):
                # a body given up on stays given up, whichever capture of it is listed later
                body = self._body_failures(archive, digest)
                if body and body[0] >= MAX_ATTEMPTS:
                    self.conn.execute(
                        "UPDATE captures SET state='failed', attempts=?, reason=? WHERE archive=? AND url=?"
                        " AND timestamp=? AND digest=?",
                        (body[0], body[1], archive, url, timestamp, digest),
                    )
            return cur.rowcount == 1

    def _known_outcome(self, digest: str) -> tuple[str, str | None] | None:
        """A capture whose digest is already stored needs no fetch: it is a duplicate.

        Not so for redirects: their bodies are often identical while their ``Location`` differs,
        so each archived redirect is fetched for itself.
        """
        row = self.conn.execute("SELECT status FROM snapshots WHERE digest = ?", (digest,)).fetchone()
        if row is None or (row[0] is not None and 300 <= row[0] < 400):
            return None
        return ("duplicate", None)

    def capture_state(self, archive: str, url: str, timestamp: str, digest: str) -> tuple[str, int] | None:
        row = self.conn.execute(
            "SELECT state, attempts FROM captures WHERE archive=? AND url=? AND timestamp=? AND digest=?",
            (archive, url, timestamp, digest),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def has_snapshot(self, digest: str) -> bool:
        return self.conn.execute("SELECT 1 FROM snapshots WHERE digest = ?", (digest,)).fetchone() is not None

    def store_snapshot(
        self,
        *,
        digest: str,
        body: bytes,
        headers: dict,
        status: int,
        mimetype: str,
        fetched_url: str,
        sha256: str,
        digest_ok: bool | None,
        archive: str,
        url: str,
        timestamp: str,
        redirect_to: str | None = None,
    ) -> None:
        """Store one raw body (once per digest) and settle the captures that share it, in one transaction."""
        now = utcnow()
        with self.transaction():
            # one row per body; when two answers share it (a 301 and a 302 with the same page), the
            # one fetched through the smallest memento URL (earliest capture) is kept, whatever the order
            self.conn.execute(
                "INSERT INTO snapshots (digest, sha256, body, codec, length, status, mimetype, headers,"
                " digest_ok, fetched_url, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (digest) DO UPDATE SET sha256=excluded.sha256, body=excluded.body,"
                " codec=excluded.codec, length=excluded.length, status=excluded.status,"
                " mimetype=excluded.mimetype, headers=excluded.headers, digest_ok=excluded.digest_ok,"
                " fetched_url=excluded.fetched_url, fetched_at=excluded.fetched_at"
                " WHERE excluded.fetched_url < snapshots.fetched_url",
                (
                    digest,
                    sha256,
                    zlib.compress(body, 6),
                    "zlib",
                    len(body),
                    status,
                    mimetype,
                    json.dumps(headers, sort_keys=True),
                    None if digest_ok is None else int(digest_ok),
                    fetched_url,
                    now,
                ),
            )
            if redirect_to:
                self.conn.execute(
                    "UPDATE captures SET state='skipped', reason=?, redirect_to=?, updated_at=? "
                    "WHERE archive=? AND url=? AND timestamp=? AND digest=?",
                    (f"redirect to {redirect_to}", redirect_to, now, archive, url, timestamp, digest),
                )
            else:
                self._settle_digest(digest, now)

    def _settle_digest(self, digest: str, now: str) -> None:
        """Settle every capture of a stored body: the earliest (timestamp, url) is ``fetched``, the
        others ``duplicate``, whichever capture the body came through -- so the states never depend
        on the order of a crawl, an interruption or a resume. Redirects are settled one by one."""
        self.conn.execute(
            "UPDATE captures SET state='duplicate', reason=NULL, updated_at=? WHERE digest=?"
            " AND state IN ('pending','failed','fetched','duplicate')"
            " AND (statuscode NOT LIKE '3%' OR statuscode IS NULL)",
            (now, digest),
        )
        self.conn.execute(
            "UPDATE captures SET state='fetched' WHERE id = (SELECT id FROM captures WHERE digest=?"
            " AND state='duplicate' ORDER BY timestamp, url LIMIT 1)",
            (digest,),
        )

    def mark_failed(self, *, archive: str, url: str, timestamp: str, digest: str, reason: str) -> None:
        """A failed fetch. Retries are capped per body, not per capture: a failure counts for every
        unsettled capture of the same body (``attempts`` is then the body's failures), so captures
        sharing a body that never replays cost MAX_ATTEMPTS fetches in all. An archived redirect is
        fetched for its own ``Location``, so its failures are its own."""
        now = utcnow()
        with self.transaction():
            row = self.conn.execute(
                "SELECT statuscode FROM captures WHERE archive=? AND url=? AND timestamp=? AND digest=?",
                (archive, url, timestamp, digest),
            ).fetchone()
            if row is not None and not (row[0] or "").startswith("3"):
                attempts = (self._body_failures(archive, digest) or (0, None))[0]
                self.conn.execute(
                    "UPDATE captures SET state='failed', reason=?, attempts=?, updated_at=? WHERE archive=?"
                    " AND digest=? AND state IN ('pending','failed') AND (statuscode NOT LIKE '3%' OR statuscode"
                    " IS NULL)",
                    (reason, attempts + 1, now, archive, digest),
                )
                return
            self.conn.execute(
                "UPDATE captures SET state='failed', reason=?, attempts=attempts+1, updated_at=? "
                "WHERE archive=? AND url=? AND timestamp=? AND digest=? AND state IN ('pending','failed')",
                (reason, now, archive, url, timestamp, digest),
            )

    def _body_failures(self, archive: str, digest: str) -> tuple[int, str | None] | None:
        """(failed attempts, last reason) of a body's non-redirect captures, or None if none failed."""
        row = self.conn.execute(
            "SELECT attempts, reason FROM captures WHERE archive=? AND digest=? AND state='failed'"
            " AND (statuscode NOT LIKE '3%' OR statuscode IS NULL) ORDER BY attempts DESC LIMIT 1",
            (archive, digest),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def body_gave_up(self, archive: str, digest: str) -> bool:
        """True when fetching this body (any non-redirect capture of it) failed MAX_ATTEMPTS times."""
        body = self._body_failures(archive, digest)
        return body is not None and body[0] >= MAX_ATTEMPTS

    def mark_skipped(self, *, archive: str, url: str, timestamp: str, digest: str, reason: str) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE captures SET state='skipped', reason=?, updated_at=? "
                "WHERE archive=? AND url=? AND timestamp=? AND digest=? AND state IN ('pending','failed')",
                (reason, utcnow(), archive, url, timestamp, digest),
            )

    # -- reads for derive ---------------------------------------------------------------
    def snapshot_body(self, digest: str) -> tuple[bytes, dict, str | None]:
        body, codec, headers, mimetype = self.conn.execute(
            "SELECT body, codec, headers, mimetype FROM snapshots WHERE digest = ?", (digest,)
        ).fetchone()
        if codec == "zlib":
            body = zlib.decompress(body)
        return body, json.loads(headers), mimetype

    def documents(self, companies: Iterable[str] = ()) -> list[sqlite3.Row]:
        sql = "SELECT id, company, name FROM documents"
        params: list[str] = []
        companies = list(companies)
        if companies:
            sql += f" WHERE company IN ({','.join('?' * len(companies))})"
            params = companies
        return list(self.conn.execute(sql + " ORDER BY company, name", params))

    def query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        return list(self.conn.execute(sql, tuple(params)))

    def execute(self, sql: str, params: Iterable = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Iterable[Iterable]) -> None:
        self.conn.executemany(sql, rows)

    def save_extraction(
        self,
        digest: str,
        extractor: str,
        verdict: str,
        reason: str,
        title: str,
        text_hash: str | None,
        text: str | None,
    ) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO extractions (digest, extractor, verdict, reason, title, text_hash, text)"
            " VALUES (?,?,?,?,?,?,?)",
            (digest, extractor, verdict, reason, title, text_hash, text),
        )

    # -- clauses and changes ---------------------------------------------------------------
    def save_version_clauses(self, version_id: int, clauses, segmenter: str) -> None:
        """Store each clause text once (content-addressed) and link it to the version, in order."""
        for c in clauses:
            tags = None if c.tags is None else json.dumps(list(c.tags))
            self.conn.execute(
                "INSERT INTO clauses (hash, text, tags) VALUES (?, ?, ?) ON CONFLICT (hash)"
                " DO UPDATE SET tags = coalesce(excluded.tags, tags)",
                (c.hash, c.text, tags),
            )
            clause_id = self.conn.execute("SELECT id FROM clauses WHERE hash = ?", (c.hash,)).fetchone()[0]
            self.conn.execute(
                "INSERT OR REPLACE INTO version_clauses (version_id, position, clause_id, kind, section, sep,"
                " segmenter) VALUES (?,?,?,?,?,?,?)",
                (version_id, c.position, clause_id, c.kind, c.section, c.sep, segmenter),
            )

    def version_clauses(self, version_id: int) -> list[tuple]:
        """(text, sep, kind, section, position, lineage, tags JSON) of a version's clauses, in order."""
        return self.query(
            "SELECT c.text, vc.sep, vc.kind, vc.section, vc.position, vc.lineage, c.tags FROM version_clauses vc"
            " JOIN clauses c ON c.id = vc.clause_id WHERE vc.version_id = ? ORDER BY vc.position",
            (version_id,),
        )

    # -- crawl runs --------------------------------------------------------------------
    def start_run(self, archive: str, arguments: dict) -> int:
        """Record a new run. Called under the database lock: a run still marked ``running`` died
        without finishing (killed), so it is marked ``interrupted``."""
        with self.transaction():
            self.conn.execute(
                "UPDATE crawl_runs SET status = 'interrupted' WHERE status = 'running' AND finished_at IS NULL"
            )
            return self.conn.execute(
                "INSERT INTO crawl_runs (started_at, status, archive, arguments) VALUES (?, 'running', ?, ?)",
                (utcnow(), archive, json.dumps(arguments, sort_keys=True)),
            ).lastrowid

    def finish_run(self, run_id: int, status: str, figures: dict) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE crawl_runs SET finished_at = ?, status = ?, figures = ? WHERE id = ?",
                (utcnow(), status, json.dumps(figures, sort_keys=True), run_id),
            )

    def unfinished_captures(self, target_id: int, archive: str) -> list[tuple]:
        """Captures a previous run listed but did not settle (pending, or failed under the retry cap):
        (url, timestamp, mimetype, statuscode, digest, length), oldest first."""
        return self.query(
            "SELECT url, timestamp, mimetype, statuscode, digest, length FROM captures WHERE target_id = ?"
            " AND archive = ? AND (state = 'pending' OR (state = 'failed' AND attempts < ?))"
            " ORDER BY timestamp",
            (target_id, archive, MAX_ATTEMPTS),
        )

    def last_capture_ts(self, target_id: int, archive: str) -> str | None:
        """The newest capture CDX listed for a target: where an incremental listing starts again.

        Captures reached through archived redirects (``source='redirect'``) do not count: their
        Memento-Datetime can be years after anything the listing returned."""
        row = self.conn.execute(
            "SELECT max(timestamp) FROM captures WHERE target_id = ? AND archive = ? AND source = 'cdx'",
            (target_id, archive),
        ).fetchone()
        return row[0] if row else None

    def work_summary(self) -> list[dict]:
        """``company_summary`` plus what ``policytrail status`` adds: failures at the retry cap
        and the newest capture."""
        rows = self.company_summary()
        for row in rows:
            row["gave_up"], row["newest_capture"] = self.conn.execute(
                "SELECT coalesce(sum(c.state = 'failed' AND c.attempts >= ?), 0), coalesce(max(c.timestamp), '')"
                " FROM captures c JOIN targets t ON t.id = c.target_id WHERE t.company = ?",
                (MAX_ATTEMPTS, row["company"]),
            ).fetchone()
        return rows

    def recent_runs(self, n: int = 3) -> list[tuple]:
        return self.query("SELECT id, started_at, finished_at, status FROM crawl_runs ORDER BY id DESC LIMIT ?", (n,))

    def company_summary(self, companies: Iterable[str] = ()) -> list[dict]:
        """Per company: captures by state and versions."""
        companies = list(companies)
        where = f"WHERE d.company IN ({','.join('?' * len(companies))})" if companies else ""
        rows = self.conn.execute(
            f"""
            SELECT d.company,
                   count(c.id),
                   sum(c.state = 'fetched'), sum(c.state = 'duplicate'), sum(c.state = 'skipped'),
                   sum(c.state = 'failed'), sum(c.state = 'pending'),
                   (SELECT count(*) FROM versions v JOIN documents d2 ON v.document_id = d2.id
                     WHERE d2.company = d.company AND v.capture_count > 0)
            FROM documents d JOIN targets t ON t.document_id = d.id
            LEFT JOIN captures c ON c.target_id = t.id
            {where} GROUP BY d.company ORDER BY d.company""",
            companies,
        ).fetchall()
        keys = ("company", "captures", "fetched", "duplicate", "skipped", "failed", "pending", "versions")
        return [{k: (v or 0) if k != "company" else v for k, v in zip(keys, row)} for row in rows]


def require_existing(path: str | Path) -> Path:
    """The path of a database that must already exist (read commands never create one)."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"no database at {path}: run `policytrail crawl` (or `policytrail demo`) first, or pass --db")
    return path


class _Transaction:
    """``with store.transaction():`` -- BEGIN IMMEDIATE / COMMIT, or ROLLBACK on error; nestable."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.outer = False

    def __enter__(self) -> sqlite3.Connection:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.outer = True
        return self.conn

    def __exit__(self, exc_type, *exc: object) -> None:
        if not self.outer:
            return
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
