"""The only code that writes SQL: named, idempotent writes and read helpers over one database.

Keys that must survive a merge of databases are content-derived (CDX digest, text hash,
the (archive, url, timestamp, digest) of a capture); integer ids are local conveniences.
Facts from the archive (targets, captures, snapshots, runs) and what ``derive`` builds from
them (extractions, versions, spans, clauses, changes) are written here and nowhere else.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from crawler.archive.timestamps import utcnow
from crawler.defaults import MAX_ATTEMPTS
from crawler.store.database import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Transaction,
    migrate,
    open_for_reading,
    open_for_writing,
)

__all__ = ["ANNOTATION_FIELDS", "MAX_ATTEMPTS", "MIGRATIONS", "SCHEMA_VERSION", "TERMINAL_STATES", "Store"]

TERMINAL_STATES = ("fetched", "duplicate", "skipped")


class Reading(NamedTuple):
    """A capture of a document as one extraction reads it (derive's input)."""

    capture_id: int
    target_id: int
    url: str
    timestamp: str
    state: str
    first_of_digest: bool
    extractor: str
    verdict: str
    reason: str | None
    text_hash: str | None
    text: str | None
    version_id: int | None
    digest: str
    regions: str | None  # JSON runs of the text's lines outside the page's main block (extractions.regions)


class Span(NamedTuple):
    """One run of consecutive captures showing the same version."""

    position: int
    version_id: int
    text_hash: str
    first_capture_id: int
    last_capture_id: int
    start_ts: str
    end_ts: str
    capture_count: int


class StoredChange(NamedTuple):
    from_version_id: int
    to_version_id: int
    differ: str
    fallback: str | None
    sources: str | None


class Store:
    """A policytrail database. ``Store(path)`` opens it for writing (created and migrated when
    needed); ``Store.open_readonly(path)`` for reading only."""

    def __init__(self, path: str | Path, *, readonly: bool = False, create: bool = True):
        self.path = Path(path)
        self.readonly = readonly
        self.conn = open_for_reading(self.path) if readonly else open_for_writing(self.path, create)

    @classmethod
    def open_readonly(cls, path: str | Path) -> Store:
        return cls(path, readonly=True)

    def migrate(self) -> list[str]:
        return migrate(self.conn)

    def transaction(self) -> Transaction:
        return Transaction(self.conn)

    def close(self) -> None:
        self.conn.close()

    def query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        """Rows of one read-only statement (reports, exports, tests)."""
        if not sql.lstrip().upper().startswith(("SELECT", "WITH", "PRAGMA")):
            raise ValueError("Store.query reads; writes go through the store's named methods")
        return list(self.conn.execute(sql, tuple(params)))

    def _x(self, sql: str, params: Sequence = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, tuple(params))

    def _in(self, values: Sequence) -> str:
        return ",".join("?" * len(values))

    # ================================================================== facts: targets

    def upsert_target(self, company: str, url: str, document: str) -> int:
        with self.transaction():
            self._x("INSERT OR IGNORE INTO documents (company, name) VALUES (?, ?)", (company, document))
            doc_id = self._x("SELECT id FROM documents WHERE company = ? AND name = ?", (company, document)).fetchone()[
                0
            ]
            self._x(
                "INSERT INTO targets (document_id, company, url, added_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET document_id = excluded.document_id, company = excluded.company",
                (doc_id, company, url, utcnow()),
            )
            return self._x("SELECT id FROM targets WHERE url = ?", (url,)).fetchone()[0]

    def documents(self, companies: Iterable[str] = ()) -> list[tuple[int, str, str]]:
        companies = list(companies)
        where = f" WHERE company IN ({self._in(companies)})" if companies else ""
        return self.query(f"SELECT id, company, name FROM documents{where} ORDER BY company, name", companies)

    def document_company(self, document_id: int) -> str:
        return self._x("SELECT company FROM documents WHERE id = ?", (document_id,)).fetchone()[0]

    # ================================================================== facts: captures

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
            cur = self._x(
                "INSERT OR IGNORE INTO captures (target_id, archive, url, timestamp, statuscode, mimetype, digest,"
                " length, source, state, reason, listed_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (target_id, archive, url, timestamp, statuscode, mimetype, digest, length, source, state, reason)
                + (now, now),
            )
            if known:
                self._settle_digest(digest, now)
            elif cur.rowcount == 1 and state == "pending" and not (statuscode or "").startswith("3"):
                # a body given up on stays given up, whichever capture of it is listed later
                body = self._body_failures(archive, digest)
                if body and body[0] >= MAX_ATTEMPTS:
                    self._x(
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
        row = self._x("SELECT status FROM snapshots WHERE digest = ?", (digest,)).fetchone()
        if row is None or (row[0] is not None and 300 <= row[0] < 400):
            return None
        return ("duplicate", None)

    def capture_state(self, archive: str, url: str, timestamp: str, digest: str) -> tuple[str, int] | None:
        row = self._x(
            "SELECT state, attempts FROM captures WHERE archive=? AND url=? AND timestamp=? AND digest=?",
            (archive, url, timestamp, digest),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def has_snapshot(self, digest: str) -> bool:
        return self._x("SELECT 1 FROM snapshots WHERE digest = ?", (digest,)).fetchone() is not None

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
            self._x(
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
                self._x(
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
        self._x(
            "UPDATE captures SET state='duplicate', reason=NULL, updated_at=? WHERE digest=?"
            " AND state IN ('pending','failed','fetched','duplicate','inferred')"
            " AND (statuscode NOT LIKE '3%' OR statuscode IS NULL)",
            (now, digest),
        )
        self._x(
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
            row = self._x(
                "SELECT statuscode FROM captures WHERE archive=? AND url=? AND timestamp=? AND digest=?",
                (archive, url, timestamp, digest),
            ).fetchone()
            if row is not None and not (row[0] or "").startswith("3"):
                attempts = (self._body_failures(archive, digest) or (0, None))[0]
                self._x(
                    "UPDATE captures SET state='failed', reason=?, attempts=?, updated_at=? WHERE archive=?"
                    " AND digest=? AND state IN ('pending','failed','inferred') AND (statuscode NOT LIKE '3%'"
                    " OR statuscode IS NULL)",
                    (reason, attempts + 1, now, archive, digest),
                )
                return
            self._x(
                "UPDATE captures SET state='failed', reason=?, attempts=attempts+1, updated_at=? "
                "WHERE archive=? AND url=? AND timestamp=? AND digest=? AND state IN ('pending','failed','inferred')",
                (reason, now, archive, url, timestamp, digest),
            )

    def _body_failures(self, archive: str, digest: str) -> tuple[int, str | None] | None:
        """(failed attempts, last reason) of a body's non-redirect captures, or None if none failed."""
        row = self._x(
            "SELECT attempts, reason FROM captures WHERE archive=? AND digest=? AND state='failed'"
            " AND (statuscode NOT LIKE '3%' OR statuscode IS NULL) ORDER BY attempts DESC LIMIT 1",
            (archive, digest),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def redirect_fetched(self, archive: str, url: str, statuscode: str, digest: str) -> bool:
        """True when an archived redirect of this URL, status and body was fetched (it says where it leads)."""
        return (
            self._x(
                "SELECT 1 FROM captures WHERE archive = ? AND url = ? AND statuscode = ? AND digest = ?"
                " AND redirect_to IS NOT NULL LIMIT 1",
                (archive, url, statuscode, digest),
            ).fetchone()
            is not None
        )

    def body_gave_up(self, archive: str, digest: str) -> bool:
        """True when fetching this body (any non-redirect capture of it) failed MAX_ATTEMPTS times."""
        body = self._body_failures(archive, digest)
        return body is not None and body[0] >= MAX_ATTEMPTS

    def mark_skipped(self, *, archive: str, url: str, timestamp: str, digest: str, reason: str) -> None:
        with self.transaction():
            self._x(
                "UPDATE captures SET state='skipped', reason=?, version_id=NULL, updated_at=? "
                "WHERE archive=? AND url=? AND timestamp=? AND digest=? AND state IN ('pending','failed','inferred')",
                (reason, utcnow(), archive, url, timestamp, digest),
            )

    def unfinished_captures(self, target_id: int, archive: str) -> list[tuple]:
        """Captures a previous run listed but did not fetch (pending, inferred, or failed under the retry cap):
        (url, timestamp, mimetype, statuscode, digest, length).

        A body is fetched through one of its captures (the first asked for). Retries rotate through
        the body's captures -- the n-th attempt goes through its n-th capture, in time order -- so a
        body that one memento cannot replay is still fetched through another before the cap."""
        return self.query(
            """
            SELECT url, timestamp, mimetype, statuscode, digest, length FROM (
                SELECT *, row_number() OVER body - 1 AS k, count(*) OVER whole AS n
                FROM captures WHERE target_id = ? AND archive = ?
                  AND (state IN ('pending', 'inferred') OR (state = 'failed' AND attempts < ?))
                WINDOW body AS (PARTITION BY digest ORDER BY timestamp, url),
                       whole AS (PARTITION BY digest))
            ORDER BY (k - attempts % n + n) % n, timestamp, url""",
            (target_id, archive, MAX_ATTEMPTS),
        )

    def last_capture_ts(self, target_id: int, archive: str) -> str | None:
        """The newest capture CDX listed for a target: where an incremental listing starts again.

        Captures reached through archived redirects (``source='redirect'``) do not count: their
        Memento-Datetime can be years after anything the listing returned."""
        row = self._x(
            "SELECT max(timestamp) FROM captures WHERE target_id = ? AND archive = ? AND source = 'cdx'",
            (target_id, archive),
        ).fetchone()
        return row[0] if row else None

    def snapshot_body(self, digest: str) -> tuple[bytes, dict, str | None]:
        body, codec, headers, mimetype = self._x(
            "SELECT body, codec, headers, mimetype FROM snapshots WHERE digest = ?", (digest,)
        ).fetchone()
        if codec == "zlib":
            body = zlib.decompress(body)
        return body, json.loads(headers), mimetype

    def snapshot_content(self, digest: str) -> tuple[bytes, str | None]:
        """A snapshot's body and the content type it was served with (else its CDX media type)."""
        body, headers, mimetype = self.snapshot_body(digest)
        for name, value in headers.items():
            if name.lower() == "content-type":
                return body, (value[0] if isinstance(value, list) else value) or mimetype
        return body, mimetype

    # ================================================================== facts: crawl runs

    def start_run(self, archive: str, arguments: dict) -> int:
        """Record a new run. Called under the database lock: a run still marked ``running`` died
        without finishing (killed), so it is marked ``interrupted``."""
        with self.transaction():
            self._x("UPDATE crawl_runs SET status = 'interrupted' WHERE status = 'running' AND finished_at IS NULL")
            return self._x(
                "INSERT INTO crawl_runs (started_at, status, archive, arguments) VALUES (?, 'running', ?, ?)",
                (utcnow(), archive, json.dumps(arguments, sort_keys=True)),
            ).lastrowid

    def finish_run(self, run_id: int, status: str, figures: dict) -> None:
        with self.transaction():
            self._x(
                "UPDATE crawl_runs SET finished_at = ?, status = ?, figures = ? WHERE id = ?",
                (utcnow(), status, json.dumps(figures, sort_keys=True), run_id),
            )

    def recent_runs(self, n: int = 3) -> list[tuple]:
        return self.query("SELECT id, started_at, finished_at, status FROM crawl_runs ORDER BY id DESC LIMIT ?", (n,))

    # ================================================================== summaries

    def company_summary(self, companies: Iterable[str] = ()) -> list[dict]:
        """Per company: captures by state and versions. ``pending`` captures are unresolved: not read, and
        not between fetched captures that agree (``inferred``)."""
        companies = list(companies)
        where = f"WHERE d.company IN ({self._in(companies)})" if companies else ""
        rows = self.query(
            f"""
            SELECT d.company,
                   count(c.id),
                   sum(c.state = 'fetched'), sum(c.state = 'duplicate'), sum(c.state = 'skipped'),
                   sum(c.state = 'failed'), sum(c.state = 'pending'), sum(c.state = 'inferred'),
                   (SELECT count(*) FROM versions v JOIN documents d2 ON v.document_id = d2.id
                     WHERE d2.company = d.company AND v.capture_count > 0)
            FROM documents d JOIN targets t ON t.document_id = d.id
            LEFT JOIN captures c ON c.target_id = t.id
            {where} GROUP BY d.company ORDER BY d.company""",
            companies,
        )
        keys = ("company", "captures", "fetched", "duplicate", "skipped", "failed", "pending", "inferred", "versions")
        return [{k: (v or 0) if k != "company" else v for k, v in zip(keys, row)} for row in rows]

    def work_summary(self) -> list[dict]:
        """``company_summary`` plus what ``policytrail status`` adds: failures at the retry cap
        and the newest capture."""
        rows = self.company_summary()
        for row in rows:
            row["gave_up"], row["newest_capture"] = self._x(
                "SELECT coalesce(sum(c.state = 'failed' AND c.attempts >= ?), 0), coalesce(max(c.timestamp), '')"
                " FROM captures c JOIN targets t ON t.id = c.target_id WHERE t.company = ?",
                (MAX_ATTEMPTS, row["company"]),
            ).fetchone()
        return rows

    def document_figures(self, companies: Sequence[str] = ()) -> dict[str, dict]:
        """Per company: versions in force, changes, substantive changes (reextract's before/after)."""
        where = f"WHERE d.company IN ({self._in(companies)})" if companies else ""
        out: dict[str, dict] = {}
        for company, versions, changes, substantive in self.query(
            f"""SELECT d.company,
                       (SELECT count(*) FROM versions v WHERE v.document_id = d.id AND v.capture_count > 0),
                       (SELECT count(*) FROM changes ch WHERE ch.document_id = d.id),
                       (SELECT count(*) FROM changes ch WHERE ch.document_id = d.id AND ch.substantive > 0)
                FROM documents d {where}""",
            companies,
        ):
            row = out.setdefault(company, {"versions": 0, "changes": 0, "substantive": 0})
            row["versions"] += versions
            row["changes"] += changes
            row["substantive"] += substantive
        return out

    # ================================================================== derived: extractions

    def snapshots_to_extract(self, extractor: str) -> list[str]:
        """Digests of successfully fetched bodies this extractor has not read yet."""
        return [
            r[0]
            for r in self.query(
                "SELECT s.digest FROM snapshots s WHERE s.status BETWEEN 200 AND 299 AND NOT EXISTS "
                "(SELECT 1 FROM extractions e WHERE e.digest = s.digest AND e.extractor = ?) ORDER BY s.digest",
                (extractor,),
            )
        ]

    def captures_unread_by(self, company: str, extractor: str) -> list[tuple[str, str, str]]:
        """(digest, url, timestamp) of the company's fetched captures that ``extractor`` has not read."""
        return self.query(
            "SELECT c.digest, c.url, c.timestamp FROM captures c JOIN targets t ON t.id = c.target_id"
            " JOIN documents d ON d.id = t.document_id JOIN snapshots s ON s.digest = c.digest"
            " WHERE d.company = ? AND s.status BETWEEN 200 AND 299 AND NOT EXISTS"
            " (SELECT 1 FROM extractions e WHERE e.digest = c.digest AND e.extractor = ?) ORDER BY c.digest",
            (company, extractor),
        )

    def save_extraction(
        self,
        digest: str,
        extractor: str,
        verdict: str,
        reason: str,
        title: str,
        text_hash: str | None,
        text: str | None,
        regions: str | None = None,
    ) -> None:
        with self.transaction():
            self._x(
                "INSERT OR REPLACE INTO extractions"
                " (digest, extractor, verdict, reason, title, text_hash, text, regions)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (digest, extractor, verdict, reason, title, text_hash, text, regions),
            )

    def has_extraction(self, digest: str, extractor: str) -> bool:
        return (
            self._x("SELECT 1 FROM extractions WHERE digest = ? AND extractor = ?", (digest, extractor)).fetchone()
            is not None
        )

    def forget_extractions(self, extractors: Sequence[str], companies: Sequence[str] = ()) -> None:
        """Drop cached readings by these extractor ids (of these companies' captures), to read again."""
        scope = f"AND d.company IN ({self._in(companies)})" if companies else ""
        with self.transaction():
            self._x(
                f"""DELETE FROM extractions WHERE extractor IN ({self._in(extractors)}) AND digest IN (
                      SELECT c.digest FROM captures c JOIN targets t ON t.id = c.target_id
                      JOIN documents d ON d.id = t.document_id WHERE 1 {scope})""",
                (*extractors, *companies),
            )

    # ================================================================== derived: versions and spans

    def readings(self, document_id: int, extractors: Sequence[str]) -> list[Reading]:
        """Every capture of the document with a stored 2xx body, as each of ``extractors`` read it,
        in timeline order."""
        return [
            Reading(*row)
            for row in self.query(
                f"""
                SELECT c.id, c.target_id, c.url, c.timestamp, c.state,
                       NOT EXISTS (SELECT 1 FROM captures c2 WHERE c2.digest = c.digest
                                   AND (c2.statuscode NOT LIKE '3%' OR c2.statuscode IS NULL)
                                   AND (c2.timestamp, c2.url) < (c.timestamp, c.url)),
                       e.extractor, e.verdict, e.reason, e.text_hash, e.text, c.version_id, c.digest, e.regions
                FROM captures c
                JOIN targets t ON t.id = c.target_id
                JOIN snapshots s ON s.digest = c.digest AND s.status BETWEEN 200 AND 299
                JOIN extractions e ON e.digest = c.digest AND e.extractor IN ({self._in(extractors)})
                WHERE t.document_id = ?
                  AND (c.state IN ('fetched', 'duplicate') OR (c.state = 'skipped' AND
                       (c.reason LIKE 'not a policy%' OR c.reason LIKE 'unsupported%')))
                ORDER BY c.timestamp, c.url, c.id""",
                (*extractors, document_id),
            )
        ]

    def version_for(self, document_id: int, target_id: int, text_hash: str, text: str, extractor: str) -> int:
        """The id of the document's version with this text (made when new)."""
        self._x(
            "INSERT OR IGNORE INTO versions (document_id, target_id, text_hash, text, extractor) VALUES (?,?,?,?,?)",
            (document_id, target_id, text_hash, text, extractor),
        )
        return self._x(
            "SELECT id FROM versions WHERE document_id = ? AND text_hash = ?", (document_id, text_hash)
        ).fetchone()[0]

    def link_capture(self, capture_id: int, version_id: int, state: str) -> None:
        self._x(
            "UPDATE captures SET version_id = ?, state = ?, reason = NULL WHERE id = ?", (version_id, state, capture_id)
        )

    def document_listing(self, document_id: int) -> list[tuple]:
        """Every capture of the document in timeline order, as the change-point inference reads them:
        (id, timestamp, digest, statuscode, mimetype, length, state, attempts, version_id, version key,
        target_id, url, archive)."""
        return self.query(
            """
            SELECT c.id, c.timestamp, c.digest, c.statuscode, c.mimetype, c.length, c.state, c.attempts,
                   c.version_id, v.text_hash, c.target_id, c.url, c.archive
            FROM captures c JOIN targets t ON t.id = c.target_id LEFT JOIN versions v ON v.id = c.version_id
            WHERE t.document_id = ? ORDER BY c.timestamp, c.url, c.id""",
            (document_id,),
        )

    def target_listing(self, target_id: int, archive: str) -> list[tuple]:
        """One target's captures from one archive, in the shape and order of ``document_listing``."""
        return self.query(
            """
            SELECT c.id, c.timestamp, c.digest, c.statuscode, c.mimetype, c.length, c.state, c.attempts,
                   c.version_id, v.text_hash, c.target_id, c.url, c.archive
            FROM captures c LEFT JOIN versions v ON v.id = c.version_id
            WHERE c.target_id = ? AND c.archive = ? ORDER BY c.timestamp, c.url, c.id""",
            (target_id, archive),
        )

    def set_inferred(self, rows: Iterable[tuple[int, int]], unresolved: Iterable[int]) -> None:
        """Captures not fetched: ``rows`` (capture id, version id) hold the version of the fetched captures
        around them (``inferred``); ``unresolved`` ones, inferred before, no longer do (``pending`` again)."""
        now = utcnow()
        self.conn.executemany(
            "UPDATE captures SET state = 'inferred', version_id = ?, reason = NULL, updated_at = ?"
            " WHERE id = ? AND state IN ('pending', 'inferred') AND version_id IS NOT ?",
            [(vid, now, cid, vid) for cid, vid in rows],
        )
        self.conn.executemany(
            "UPDATE captures SET state = 'pending', version_id = NULL, updated_at = ?"
            " WHERE id = ? AND state = 'inferred'",
            [(now, cid) for cid in unresolved],
        )

    def document_capture_states(self, document_id: int) -> dict[str, int]:
        """The document's captures read (fetched or duplicate), inferred, and unresolved (pending, or
        failed under the retry cap): what a reader of the report should know of how it was made."""
        read, inferred, unresolved = self._x(
            """
            SELECT coalesce(sum(c.state IN ('fetched', 'duplicate')), 0), coalesce(sum(c.state = 'inferred'), 0),
                   coalesce(sum(c.state = 'pending' OR (c.state = 'failed' AND c.attempts < ?)), 0)
            FROM captures c JOIN targets t ON t.id = c.target_id WHERE t.document_id = ?""",
            (MAX_ATTEMPTS, document_id),
        ).fetchone()
        return {"read": read, "inferred": inferred, "unresolved": unresolved}

    def unread_between(self, document_id: int, start_ts: str, end_ts: str) -> int:
        """Captures of the document strictly between two timestamps that may hold the policy but were
        neither read nor inferred (pending, or failed under the retry cap): 0 when a change's window is exact."""
        return self._x(
            """
            SELECT count(*) FROM captures c JOIN targets t ON t.id = c.target_id
            WHERE t.document_id = ? AND c.timestamp > ? AND c.timestamp < ?
              AND (c.state = 'pending' OR (c.state = 'failed' AND c.attempts < ?))
              AND (c.statuscode NOT LIKE '3%' OR c.statuscode IS NULL)""",
            (document_id, start_ts, end_ts, MAX_ATTEMPTS),
        ).fetchone()[0]

    def unlink_capture(self, capture_id: int, reason: str) -> None:
        """The capture holds no policy text: skipped, with why."""
        self._x(
            "UPDATE captures SET version_id = NULL, state = 'skipped', reason = ? WHERE id = ?", (reason, capture_id)
        )

    def record_reextractions(self, document_id: int, rows: Iterable[tuple[int, int | None, list[str], str]]) -> None:
        """Captures whose version changed only because they were read differently: (old, new, timestamps, by)."""
        now = utcnow()
        self.conn.executemany(
            "INSERT INTO reextractions (at, document_id, from_version_id, to_version_id, captures, first_ts, last_ts,"
            " extractor) VALUES (?,?,?,?,?,?,?,?)",
            [(now, document_id, old, new, len(ts), min(ts), max(ts), by) for old, new, ts, by in rows],
        )

    def reextracted_captures_since(self, first_id: int) -> dict[str, int]:
        return {
            company: n or 0
            for company, n in self.query(
                "SELECT d.company, sum(r.captures) FROM reextractions r JOIN documents d ON d.id = r.document_id"
                " WHERE r.id > ? GROUP BY d.company",
                (first_id,),
            )
        }

    def last_reextraction_id(self) -> int:
        return self._x("SELECT coalesce(max(id), 0) FROM reextractions").fetchone()[0]

    def refresh_version_counts(self, document_id: int) -> None:
        self._x(
            """
            UPDATE versions SET
              capture_count = (SELECT count(*) FROM captures c WHERE c.version_id = versions.id),
              first_seen = (SELECT min(c.timestamp) FROM captures c WHERE c.version_id = versions.id),
              last_seen = (SELECT max(c.timestamp) FROM captures c WHERE c.version_id = versions.id)
            WHERE document_id = ?""",
            (document_id,),
        )

    def set_version_origin(self, version_id: int, target_id: int, extractor: str) -> None:
        """The target and reading of the version's earliest capture (not of the first one derived)."""
        self._x(
            "UPDATE versions SET target_id = ?, extractor = ? WHERE id = ? AND (target_id, extractor) IS NOT (?, ?)",
            (target_id, extractor, version_id, target_id, extractor),
        )

    def set_version_text(self, version_id: int, text: str) -> None:
        """The version's text as its earliest capture lays it out. When that changes (a late capture
        laid out otherwise), what was computed from the old text is computed again."""
        if self._x("SELECT 1 FROM versions WHERE id = ? AND text IS NOT ?", (version_id, text)).fetchone() is None:
            return
        self._x(
            "UPDATE versions SET text = ?, stated_date_text = NULL, readability = NULL WHERE id = ?", (text, version_id)
        )
        self._x("DELETE FROM version_clauses WHERE version_id = ?", (version_id,))
        changes = "SELECT id FROM changes WHERE from_version_id = :v OR to_version_id = :v"
        self._x(f"DELETE FROM clause_changes WHERE change_id IN ({changes})", {"v": version_id})
        self._x("DELETE FROM changes WHERE from_version_id = :v OR to_version_id = :v", {"v": version_id})

    def template_chrome(self, document_id: int) -> dict[int, dict[str, tuple]]:
        """Per target of the document, what derive learnt of its pages: slot -> (pairs, first from ts,
        first to ts, before text, after text)."""
        out: dict[int, dict[str, tuple]] = {}
        for target_id, slot, *row in self.query(
            "SELECT tc.target_id, tc.slot, tc.pairs, tc.first_from_ts, tc.first_to_ts, tc.before_text,"
            " tc.after_text FROM template_chrome tc JOIN targets t ON t.id = tc.target_id WHERE t.document_id = ?",
            (document_id,),
        ):
            out.setdefault(target_id, {})[slot] = tuple(row)
        return out

    def replace_template_chrome(self, document_id: int, rows: Iterable[tuple]) -> None:
        """What derive learnt about the document's pages, rebuilt whole: (target id, slot, pairs,
        first from ts, first to ts, before text, after text)."""
        self._x(
            "DELETE FROM template_chrome WHERE target_id IN (SELECT id FROM targets WHERE document_id = ?)",
            (document_id,),
        )
        self.conn.executemany(
            "INSERT INTO template_chrome (target_id, slot, pairs, first_from_ts, first_to_ts, before_text, after_text)"
            " VALUES (?,?,?,?,?,?,?)",
            rows,
        )

    def replace_layout_changes(self, document_id: int, rows: Iterable[tuple]) -> None:
        """Consecutive captures of one version laid out differently, rebuilt whole: (version id, from
        capture id, to capture id, from ts, to ts)."""
        self._x("DELETE FROM layout_changes WHERE document_id = ?", (document_id,))
        self.conn.executemany(
            "INSERT INTO layout_changes (document_id, version_id, from_capture_id, to_capture_id, from_ts, to_ts)"
            " VALUES (?,?,?,?,?,?)",
            [(document_id, *row) for row in rows],
        )

    def versions_without_stated_date(self, document_id: int) -> list[tuple[int, str]]:
        return self.query(
            "SELECT id, text FROM versions WHERE document_id = ? AND stated_date_text IS NULL", (document_id,)
        )

    def set_stated_date(self, version_id: int, date: str | None, phrase: str) -> None:
        self._x("UPDATE versions SET stated_date = ?, stated_date_text = ? WHERE id = ?", (date, phrase, version_id))

    def versions_without_readability(self, document_id: int, method: str) -> list[tuple[int, str]]:
        """(id, text) of the document's versions whose figures were not computed by ``method`` (or never)."""
        return self.query(
            "SELECT id, text FROM versions WHERE document_id = ? AND readability IS NOT ?", (document_id, method)
        )

    def set_readability(self, version_id: int, words: int, sentences: int, grade: float | None, method: str) -> None:
        self._x(
            "UPDATE versions SET words = ?, sentences = ?, reading_grade = ?, readability = ? WHERE id = ?",
            (words, sentences, grade, method, version_id),
        )

    def versions_in_force(self, document_id: int) -> int:
        return self._x(
            "SELECT count(*) FROM versions WHERE document_id = ? AND capture_count > 0", (document_id,)
        ).fetchone()[0]

    def replace_spans(self, document_id: int, rows: Iterable[tuple]) -> None:
        """The document's timeline, rebuilt whole: (position, version, first capture id, last capture id,
        start_ts, end_ts, next_start_ts, days, capture count)."""
        self._x("DELETE FROM spans WHERE document_id = ?", (document_id,))
        self.conn.executemany(
            "INSERT INTO spans (document_id, position, version_id, first_capture_id, last_capture_id,"
            " start_ts, end_ts, next_start_ts, days, capture_count) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [(document_id, *row) for row in rows],
        )

    def spans(self, document_id: int) -> list[Span]:
        return [
            Span(*row)
            for row in self.query(
                "SELECT s.position, s.version_id, v.text_hash, s.first_capture_id, s.last_capture_id, s.start_ts,"
                " s.end_ts, s.capture_count FROM spans s JOIN versions v ON v.id = s.version_id"
                " WHERE s.document_id = ? ORDER BY s.position",
                (document_id,),
            )
        ]

    # ================================================================== derived: clauses

    def versions_to_segment(self, document_id: int, segmenter: str) -> list[tuple[int, str]]:
        """Versions of the document never segmented, or segmented by another segmenter version."""
        return self.query(
            "SELECT v.id, v.text FROM versions v WHERE v.document_id = ? AND NOT EXISTS"
            " (SELECT 1 FROM version_clauses vc WHERE vc.version_id = v.id AND vc.segmenter = ?)",
            (document_id, segmenter),
        )

    def replace_version_clauses(self, version_id: int, clauses, segmenter: str, tagger: str) -> None:
        """Store each clause text once (content-addressed) and link it to the version, in order."""
        self._x("DELETE FROM version_clauses WHERE version_id = ?", (version_id,))
        for c in clauses:
            tags = None if c.tags is None else json.dumps(list(c.tags))
            self._x(
                "INSERT INTO clauses (hash, text, tags, tagger) VALUES (?, ?, ?, ?) ON CONFLICT (hash)"
                " DO UPDATE SET tags = excluded.tags, tagger = excluded.tagger"
                " WHERE excluded.tags IS NOT NULL AND excluded.tagger IS NOT clauses.tagger",
                (c.hash, c.text, tags, tagger if tags is not None else None),
            )
            clause_id = self._x("SELECT id FROM clauses WHERE hash = ?", (c.hash,)).fetchone()[0]
            self._x(
                "INSERT INTO version_clauses (version_id, position, clause_id, kind, section, sep, segmenter)"
                " VALUES (?,?,?,?,?,?,?)",
                (version_id, c.position, clause_id, c.kind, c.section, c.sep, segmenter),
            )

    def drop_unused_clauses(self) -> int:
        """Forget clause texts no version holds any more (after a re-segmentation): out of search too."""
        with self.transaction():
            return self._x(
                "DELETE FROM clauses WHERE NOT EXISTS"
                " (SELECT 1 FROM version_clauses vc WHERE vc.clause_id = clauses.id)"
            ).rowcount

    def clauses_tagged_otherwise(self, tagger: str) -> list[tuple[int, str]]:
        """(id, text) of clauses tagged by another taxonomy (or never)."""
        return self.query("SELECT id, text FROM clauses WHERE tagger IS NOT ?", (tagger,))

    def set_clause_tags(self, rows: Iterable[tuple[int, list[str]]], tagger: str) -> None:
        with self.transaction():
            self.conn.executemany(
                "UPDATE clauses SET tags = ?, tagger = ? WHERE id = ?",
                [(json.dumps(tags), tagger, clause_id) for clause_id, tags in rows],
            )

    def version_clauses(self, version_id: int) -> list[tuple]:
        """(text, sep, kind, section, position, lineage, tags JSON) of a version's clauses, in order."""
        return self.query(
            "SELECT c.text, vc.sep, vc.kind, vc.section, vc.position, vc.lineage, c.tags FROM version_clauses vc"
            " JOIN clauses c ON c.id = vc.clause_id WHERE vc.version_id = ? ORDER BY vc.position",
            (version_id,),
        )

    def set_lineage(
        self, version_id: int, lineage: Sequence[str], merged_from: Sequence[Sequence[str] | None] | None = None
    ) -> None:
        """Each clause's lineage (its identity across versions) and the lineages merged into it,
        written only where they differ."""
        merged = [json.dumps(list(m)) if m else None for m in (merged_from or [None] * len(lineage))]
        stored = self.query(
            "SELECT lineage, merged_from FROM version_clauses WHERE version_id = ? ORDER BY position", (version_id,)
        )
        if stored == list(zip(lineage, merged)):
            return
        self.conn.executemany(
            "UPDATE version_clauses SET lineage = ?, merged_from = ? WHERE version_id = ? AND position = ?",
            [(lin, m, version_id, n) for n, (lin, m) in enumerate(zip(lineage, merged))],
        )

    # ================================================================== derived: changes

    def stored_changes(self, document_id: int) -> dict[int, StoredChange]:
        return {
            pos: StoredChange(*rest)
            for pos, *rest in self.query(
                "SELECT position, from_version_id, to_version_id, differ, fallback, sources FROM changes"
                " WHERE document_id = ?",
                (document_id,),
            )
        }

    def stored_change_between(self, from_version_id: int, to_version_id: int, differ: str) -> int | None:
        """The id of a stored change from one version to the other by this differ, if any."""
        row = self._x(
            "SELECT id FROM changes WHERE from_version_id = ? AND to_version_id = ? AND differ = ? LIMIT 1",
            (from_version_id, to_version_id, differ),
        ).fetchone()
        return row[0] if row else None

    def change_rows(self, change_id: int) -> tuple[tuple, list[tuple]]:
        """A stored change's (fallback, sources) and its clause changes, in order."""
        head = self._x("SELECT fallback, sources FROM changes WHERE id = ?", (change_id,)).fetchone()
        rows = self.query(
            "SELECT kind, old_positions, new_positions, old_text, new_text, word_diff, significance, tags, section"
            " FROM clause_changes WHERE change_id = ? ORDER BY position",
            (change_id,),
        )
        return head, rows

    def save_change(self, document_id: int, position: int, change: dict, clause_rows: list[tuple]) -> None:
        """Replace the change at ``position`` of the document: ``change`` maps columns to values."""
        self._x("DELETE FROM changes WHERE document_id = ? AND position = ?", (document_id, position))
        columns = ["document_id", "position", *change]
        cur = self._x(
            f"INSERT INTO changes ({', '.join(columns)}) VALUES ({self._in(columns)})",
            (document_id, position, *change.values()),
        )
        self.conn.executemany(
            "INSERT INTO clause_changes (change_id, position, kind, old_positions, new_positions, old_text, new_text,"
            " section, word_diff, significance, tags) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(cur.lastrowid, i, *row) for i, row in enumerate(clause_rows)],
        )

    def refresh_change_window(self, document_id: int, position: int, window: dict) -> None:
        """Move a kept change's window, cited captures and stable key to what the spans say now."""
        sets = ", ".join(f"{k} = ?" for k in window)
        self._x(
            f"UPDATE changes SET {sets} WHERE document_id = ? AND position = ?",
            (*window.values(), document_id, position),
        )

    def drop_changes_from(self, document_id: int, position: int) -> None:
        self._x("DELETE FROM changes WHERE document_id = ? AND position >= ?", (document_id, position))

    # ================================================================== reads: trends across companies
    # Each takes the documents to read (None: all) and returns plain rows; crawler/outputs/trends.py
    # turns them into figures per period.

    def _of_documents(self, column: str, document_ids: Sequence[int] | None) -> tuple[str, list]:
        if document_ids is None:
            return "", []
        return f" AND {column} IN ({self._in(document_ids)})", list(document_ids)

    def trend_spans(self, document_ids: Sequence[int] | None = None) -> list[tuple]:
        """(document id, version id, start_ts, end_ts) of every span, in timeline order per document."""
        where, params = self._of_documents("document_id", document_ids)
        return self.query(
            f"SELECT document_id, version_id, start_ts, end_ts FROM spans WHERE 1{where}"
            " ORDER BY document_id, position",
            params,
        )

    def trend_capture_months(self, document_ids: Sequence[int] | None = None) -> list[tuple[int, str]]:
        """(document id, YYYYMM) of each month in which a document has a capture of its policy text."""
        where, params = self._of_documents("t.document_id", document_ids)
        return self.query(
            "SELECT DISTINCT t.document_id, substr(c.timestamp, 1, 6) FROM captures c"
            f" JOIN targets t ON t.id = c.target_id WHERE c.version_id IS NOT NULL{where}",
            params,
        )

    def trend_changes(self, document_ids: Sequence[int] | None = None) -> list[tuple]:
        """(change id, document id, window_end, substantive clause changes) of every change."""
        where, params = self._of_documents("document_id", document_ids)
        return self.query(f"SELECT id, document_id, window_end, substantive FROM changes WHERE 1{where}", params)

    def trend_change_topics(self, document_ids: Sequence[int] | None = None) -> list[tuple[int, str]]:
        """(change id, topic) for each topic that a change's substantive clause changes touch."""
        where, params = self._of_documents("ch.document_id", document_ids)
        return self.query(
            "SELECT DISTINCT cc.change_id, topic.value FROM clause_changes cc JOIN changes ch ON ch.id = cc.change_id,"
            f" json_each(cc.tags) AS topic WHERE cc.significance = 'substantive'{where}",
            params,
        )

    def trend_version_figures(self, document_ids: Sequence[int] | None = None) -> list[tuple]:
        """(version id, words, reading grade) of every version; NULLs until derive computes them."""
        where, params = self._of_documents("document_id", document_ids)
        return self.query(f"SELECT id, words, reading_grade FROM versions WHERE 1{where}", params)

    def trend_version_topics(self, document_ids: Sequence[int] | None = None) -> list[tuple[int, str]]:
        """(version id, topic) for each topic that at least one clause of a version is tagged with."""
        where, params = self._of_documents("v.document_id", document_ids)
        return self.query(
            "SELECT DISTINCT vc.version_id, topic.value FROM versions v"
            " JOIN version_clauses vc ON vc.version_id = v.id JOIN clauses c ON c.id = vc.clause_id,"
            f" json_each(c.tags) AS topic WHERE 1{where}",
            params,
        )

    # ================================================================== judgements (annotations)
    #
    # Researchers' judgements live in ``annotations``, apart from every derived row, keyed by
    # content-derived identities: (archive, url, timestamp, digest) for a capture; company,
    # document and the change's stable key for a change. Of several judgements on one subject,
    # the latest (then by author, verdict, note: the same order in every database) is in force.

    def add_annotations(self, rows: Iterable[dict], source: str) -> int:
        """Store judgements (dicts of ``ANNOTATION_FIELDS``); those already stored (same subject,
        author and time) are left alone. Returns how many were new."""
        rows = list(rows)
        with self.transaction():
            before = self.conn.total_changes
            self.conn.executemany(
                f"INSERT OR IGNORE INTO annotations ({', '.join(ANNOTATION_FIELDS)}, source)"
                f" VALUES ({self._in(ANNOTATION_FIELDS)}, ?)",
                [(*(row.get(f) for f in ANNOTATION_FIELDS), source) for row in rows],
            )
            return self.conn.total_changes - before

    def annotations(self, companies: Sequence[str] = ()) -> list[dict]:
        """Every judgement, oldest first, with ``status``: ``applied`` (in force on a capture or
        change of this database), ``superseded`` (a later judgement on the same subject is in
        force) or ``orphaned`` (its capture or change is not in this database: kept, not dropped)."""
        where = f"WHERE a.company COLLATE NOCASE IN ({self._in(companies)})" if companies else ""
        rows = self.query(
            f"""
            SELECT {", ".join("a." + f for f in ANNOTATION_FIELDS)}, a.source, a.rank,
                   CASE a.kind
                     WHEN 'capture' THEN EXISTS (SELECT 1 FROM captures c WHERE c.archive = a.archive
                          AND c.url = a.url AND c.timestamp = a.timestamp AND c.digest = a.digest)
                     ELSE EXISTS (SELECT 1 FROM changes ch JOIN documents d ON d.id = ch.document_id
                          WHERE d.company = a.company AND d.name = a.document AND ch.key = a.change_key)
                   END
            FROM ({_RANKED}) a {where}
            ORDER BY a.at, a.id""",
            companies,
        )
        out = []
        for row in rows:
            item = dict(zip((*ANNOTATION_FIELDS, "source"), row))
            rank, exists = row[-2], row[-1]
            item["status"] = "orphaned" if not exists else "applied" if rank == 1 else "superseded"
            out.append(item)
        return out

    def capture_judgements(self, document_id: int) -> dict[int, tuple[str, str, str, str]]:
        """The judgement in force on each judged capture of the document: id -> (verdict, author, at, note).
        (Looked up from the document's captures through the index on capture identities.)"""
        rows = self.query(
            """SELECT c.id, a.verdict, a.author, a.at, a.note, a.topics FROM captures c
               JOIN targets t ON t.id = c.target_id
               JOIN annotations a ON a.kind = 'capture' AND a.archive = c.archive AND a.url = c.url
                                 AND a.timestamp = c.timestamp AND a.digest = c.digest
               WHERE t.document_id = ?""",
            (document_id,),
        )
        return {cid: row[:4] for cid, row in _latest(rows).items()}

    def captures_judged_policy(self) -> list[tuple[str, str, str, str]]:
        """(digest, company, url, timestamp) of the captures with a 2xx body that a person judged to
        be the policy: derive reads them even where the extractor said they are not."""
        return self.query(
            f"""SELECT c.digest, d.company, c.url, c.timestamp FROM ({_RANKED}) a
                JOIN captures c ON c.archive = a.archive AND c.url = a.url AND c.timestamp = a.timestamp
                               AND c.digest = a.digest
                JOIN targets t ON t.id = c.target_id JOIN documents d ON d.id = t.document_id
                JOIN snapshots s ON s.digest = c.digest AND s.status BETWEEN 200 AND 299
                WHERE a.kind = 'capture' AND a.rank = 1 AND a.verdict = 'policy'
                ORDER BY c.digest"""
        )

    def earlier_version_hashes(self, document_id: int) -> dict[str, set[str]]:
        """Per version hash (first 12 characters), the hashes of the versions whose captures moved to it
        when they were read again (``reextractions``), transitively."""
        moved: dict[str, set[str]] = {}
        for old, new in self.query(
            "SELECT DISTINCT substr(f.text_hash, 1, 12), substr(t.text_hash, 1, 12) FROM reextractions r"
            " JOIN versions f ON f.id = r.from_version_id JOIN versions t ON t.id = r.to_version_id"
            " WHERE r.document_id = ? AND f.text_hash != t.text_hash",
            (document_id,),
        ):
            moved.setdefault(new, set()).add(old)
        for new in moved:  # a version re-keyed twice keeps both earlier keys
            todo = list(moved[new])
            while todo:
                for older in moved.get(todo.pop(), ()):
                    if older not in moved[new] and older != new:
                        moved[new].add(older)
                        todo.append(older)
        return moved

    def change_judgements(self, document_id: int) -> dict[str, tuple[str, str, str, str, str]]:
        """The judgement in force on each judged change of the document, by change key:
        key -> (verdict, author, at, note, topics JSON)."""
        rows = self.query(
            """SELECT a.change_key, a.verdict, a.author, a.at, a.note, a.topics FROM documents d
               JOIN annotations a ON a.kind = 'change' AND a.company = d.company AND a.document = d.name
               WHERE d.id = ?""",
            (document_id,),
        )
        return _latest(rows)

    def set_change_judgements(self, document_id: int, rows: Iterable[tuple]) -> None:
        """(position, judgement, judged_by, judged_at, note, topics JSON, review_state) per change,
        written only where they differ from what is stored."""
        self.conn.executemany(
            "UPDATE changes SET judgement = ?, judged_by = ?, judged_at = ?, judgement_note = ?,"
            " judgement_topics = ?, review_state = ? WHERE document_id = ? AND position = ?"
            " AND (judgement, judged_by, judged_at, judgement_note, judgement_topics, review_state)"
            " IS NOT (?, ?, ?, ?, ?, ?)",
            [(*row[1:], document_id, row[0], *row[1:]) for row in rows],
        )

    def change_heads(self, document_id: int) -> list[tuple[int, str, int]]:
        """(position, key, substantive clause changes) of the document's changes, in order."""
        return self.query(
            "SELECT position, key, substantive FROM changes WHERE document_id = ? ORDER BY position", (document_id,)
        )

    def replace_judged_spans(self, document_id: int, rows: Iterable[tuple]) -> None:
        """The timeline after judgements, rebuilt whole: (position, version, last version, first capture,
        last capture, start_ts, end_ts, next_start_ts, days, capture count, spans joined, joined change
        keys JSON, entry change key)."""
        self._x("DELETE FROM judged_spans WHERE document_id = ?", (document_id,))
        self.conn.executemany(
            "INSERT INTO judged_spans (document_id, position, version_id, last_version_id, first_capture_id,"
            " last_capture_id, start_ts, end_ts, next_start_ts, days, capture_count, spans, joined_changes,"
            " entry_change_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(document_id, *row) for row in rows],
        )

    # ------------------------------------------------------------------ lookups for annotate and review

    def company_captures(self, company: str, lower: str, upper: str, url: str | None = None) -> list[tuple]:
        """The company's captures with a timestamp in [lower, upper] (and this URL):
        (id, archive, url, timestamp, digest, state, statuscode, document, body status)."""
        return self.query(
            """SELECT c.id, c.archive, c.url, c.timestamp, c.digest, c.state, c.statuscode, d.name, s.status
               FROM captures c JOIN targets t ON t.id = c.target_id JOIN documents d ON d.id = t.document_id
               LEFT JOIN snapshots s ON s.digest = c.digest
               WHERE d.company = ? COLLATE NOCASE AND c.timestamp BETWEEN ? AND ? AND (? IS NULL OR c.url = ?)
               ORDER BY c.timestamp, c.url""",
            (company, lower, upper, url, url),
        )

    def nearest_captures(self, company: str, ts: str) -> list[str]:
        """The timestamps of the company's captures just before and just after ``ts``."""
        near = []
        for op, order in (("<", "DESC"), (">", "ASC")):
            row = self._x(
                f"SELECT c.timestamp FROM captures c JOIN targets t ON t.id = c.target_id WHERE t.company = ?"
                f" COLLATE NOCASE AND c.timestamp {op} ? ORDER BY c.timestamp {order} LIMIT 1",
                (company, ts),
            ).fetchone()
            if row:
                near.append(row[0])
        return near

    def change_heads_for_review(self, company: str | None = None, change_id: int | None = None) -> list[tuple]:
        """Changes with what identifies and describes them, in timeline order: (id, company, document,
        document id, position, key, from version, to version, from hash, to hash, window start, window
        end, substantive, cosmetic, tags JSON, judgement, review state, judged by)."""
        return self.query(
            """SELECT ch.id, d.company, d.name, d.id, ch.position, ch.key, ch.from_version_id, ch.to_version_id,
                      fv.text_hash, tv.text_hash, ch.window_start, ch.window_end, ch.substantive, ch.cosmetic,
                      ch.tags, ch.judgement, ch.review_state, ch.judged_by
               FROM changes ch JOIN documents d ON d.id = ch.document_id
               JOIN versions fv ON fv.id = ch.from_version_id JOIN versions tv ON tv.id = ch.to_version_id
               WHERE (? IS NULL OR d.company = ? COLLATE NOCASE) AND (? IS NULL OR ch.id = ?)
               ORDER BY d.company, d.name, ch.position""",
            (company, company, change_id, change_id),
        )

    # ------------------------------------------------------------------ skip rules

    def captures_unmatched_by(self, company: str, rule_id: str) -> list[tuple[str, str, str]]:
        """(digest, url, timestamp) of the company's captures with a 2xx body that skip rule
        ``rule_id`` has not been tried on."""
        return self.query(
            "SELECT c.digest, c.url, c.timestamp FROM captures c JOIN targets t ON t.id = c.target_id"
            " JOIN documents d ON d.id = t.document_id JOIN snapshots s ON s.digest = c.digest"
            " WHERE d.company = ? AND s.status BETWEEN 200 AND 299 AND NOT EXISTS"
            " (SELECT 1 FROM skip_matches m WHERE m.digest = c.digest AND m.rule_id = ?) ORDER BY c.digest",
            (company, rule_id),
        )

    def save_skip_match(self, digest: str, rule_id: str, matched: str | None) -> None:
        with self.transaction():
            self._x(
                "INSERT OR REPLACE INTO skip_matches (digest, rule_id, matched) VALUES (?, ?, ?)",
                (digest, rule_id, matched),
            )

    def skip_matches(self, document_id: int) -> dict[tuple[str, str], str]:
        """What each skip rule matched in each body of the document's captures: (digest, rule id) -> what."""
        return {
            (digest, rule_id): matched
            for digest, rule_id, matched in self.query(
                "SELECT DISTINCT m.digest, m.rule_id, m.matched FROM skip_matches m"
                " JOIN captures c ON c.digest = m.digest JOIN targets t ON t.id = c.target_id"
                " WHERE t.document_id = ? AND m.matched IS NOT NULL",
                (document_id,),
            )
        }

    def skip_rule_captures(self, company: str, rule_id: str) -> list[tuple[str, str, str | None, int]]:
        """(url, timestamp, what the rule matched or NULL, whether it was tried) for each of the
        company's captures with a 2xx body, in time order."""
        return self.query(
            "SELECT c.url, c.timestamp, m.matched, m.rule_id IS NOT NULL FROM captures c"
            " JOIN targets t ON t.id = c.target_id JOIN documents d ON d.id = t.document_id"
            " JOIN snapshots s ON s.digest = c.digest AND s.status BETWEEN 200 AND 299"
            " LEFT JOIN skip_matches m ON m.digest = c.digest AND m.rule_id = ?"
            " WHERE d.company = ? ORDER BY c.timestamp, c.url",
            (rule_id, company),
        )

    def forget_skip_matches(self, rule_ids: Sequence[str], companies: Sequence[str] = ()) -> None:
        """Drop what these skip rules matched (in these companies' captures), to try them again."""
        if not rule_ids:
            return
        scope = f"AND d.company IN ({self._in(companies)})" if companies else ""
        with self.transaction():
            self._x(
                f"""DELETE FROM skip_matches WHERE rule_id IN ({self._in(rule_ids)}) AND digest IN (
                      SELECT c.digest FROM captures c JOIN targets t ON t.id = c.target_id
                      JOIN documents d ON d.id = t.document_id WHERE 1 {scope})""",
                (*rule_ids, *companies),
            )


# the fields of one judgement, as stored, listed, exported (jsonl) and imported
ANNOTATION_FIELDS = (
    "kind",
    "company",
    "document",
    "archive",
    "url",
    "timestamp",
    "digest",
    "change_key",
    "from_hash",
    "to_hash",
    "verdict",
    "topics",
    "note",
    "author",
    "at",
)


def _latest(rows: Iterable[tuple]) -> dict:
    """Of (subject, verdict, author, at, note, topics) rows, the one in force per subject: the
    latest, then by author, verdict, note and topics (the order ``_RANKED`` ranks by)."""
    best: dict = {}
    for subject, *rest in rows:
        order = (rest[2], rest[1], rest[0], rest[3], rest[4])
        if subject not in best or order > best[subject][0]:
            best[subject] = (order, tuple(rest))
    return {subject: rest for subject, (_, rest) in best.items()}


# every judgement with its rank among those on the same subject (1: the one in force)
_RANKED = """
    SELECT an.*, row_number() OVER (
        PARTITION BY an.kind, an.archive, an.url, an.timestamp, an.digest,
                     CASE an.kind WHEN 'change' THEN an.company END,
                     CASE an.kind WHEN 'change' THEN an.document END, an.change_key
        ORDER BY an.at DESC, an.author DESC, an.verdict DESC, an.note DESC, an.topics DESC) AS rank
    FROM annotations an"""
