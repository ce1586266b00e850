"""Researcher access: read-only queries, full-text search, and the documented schema.

``docs/schema.md`` (every table, view and column) and ``docs/research.md`` (worked research
questions) are the single source of the column docs and canned queries that ``policytrail
browse`` hands to Datasette; tests check both against the live schema and the demo database.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from crawler import package_data
from crawler.archive import parse_time
from crawler.defaults import QUERY_SECONDS, SEARCH_RESULTS
from crawler.errors import QueryError, UnknownCompany, UsageError
from crawler.options import SEARCH_LIMIT, TIME_LIMIT, check_number
from crawler.store.database import open_for_reading

# schema.md and research.md are package data (docs/ links to them): `browse` needs them installed too
DOCS = Path(__file__).with_name("docs")


# --------------------------------------------------------------------------- read-only SQL


def _authorizer(action: int, arg1, arg2, db_name, source) -> int:
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in ("load_extension", "readfile", "writefile"):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def open_readonly(path: str | Path) -> sqlite3.Connection:
    """A connection that can only read: ``mode=ro``, no ATTACH, no extension loading."""
    conn = open_for_reading(path, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.set_authorizer(_authorizer)
    return conn


@contextmanager
def _readonly_session(path: str | Path, time_limit: float, what: str = "query"):
    """A read-only connection interrupted after ``time_limit`` s; SQLite errors become QueryErrors."""
    time_limit = check_number(
        time_limit, name="--time-limit (the query's time limit)", low=TIME_LIMIT.low, high=TIME_LIMIT.high
    )
    conn = open_readonly(path)
    deadline = time.monotonic() + time_limit
    expired: list[bool] = []

    def over_time() -> int:
        if time.monotonic() > deadline:
            expired.append(True)
        return int(bool(expired))

    conn.set_progress_handler(over_time, 1000)
    try:
        yield conn
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            if not expired:
                raise KeyboardInterrupt from None  # Ctrl-C (or SIGTERM) stopped it: not the time limit
            raise QueryError(f"{what} interrupted after {time_limit:g} s (raise --time-limit if you mean it)") from None
        raise QueryError(f"{what} failed: {exc}") from None
    except (sqlite3.DatabaseError, sqlite3.Warning, sqlite3.ProgrammingError) as exc:
        raise QueryError(
            f"{what} refused: {exc} (this connection is read-only: no writes, ATTACH or extensions)"
        ) from None
    finally:
        conn.close()


def _statement_text(sql: str) -> str:
    """``sql`` without comments, semicolons and white space: empty when there is no statement to run."""
    return re.sub(r"--[^\n]*|/\*.*?(?:\*/|$)|;|\s", "", sql, flags=re.S)


def run_query(
    path: str | Path, sql: str, params: tuple = (), time_limit: float = QUERY_SECONDS
) -> tuple[list[str], list[tuple]]:
    """Run one read-only statement; interrupt it after ``time_limit`` seconds."""
    if not _statement_text(sql):  # sqlite would run nothing and say nothing
        raise UsageError(f'query: no SQL statement in {sql!r}; e.g. policytrail query "SELECT * FROM policy_timeline"')
    with _readonly_session(path, time_limit) as conn:
        cur = conn.execute(sql, params)
        return [d[0] for d in cur.description or ()], cur.fetchall()


# --------------------------------------------------------------------------- full-text search


@dataclass
class Hit:
    company: str
    document: str
    in_force_from: str
    in_force_to: str | None
    section: str
    text: str


def search_clauses(
    path: str | Path,
    phrase: str,
    companies: tuple[str, ...] = (),
    since: str | None = None,
    until: str | None = None,
    time_limit: float = QUERY_SECONDS,
    limit: int | None = SEARCH_RESULTS,
) -> list[Hit]:
    """Clauses matching ``phrase`` (FTS5, stemmed), each with the time ranges it was in force.

    At most ``limit`` time ranges are returned (None: all), sorted by company and time.
    """
    if not phrase.strip():
        raise UsageError("search needs a phrase")
    if limit is not None:
        limit = check_number(limit, name="--limit", low=SEARCH_LIMIT.low, high=SEARCH_LIMIT.high, integer=True) or None
    fts = '"' + phrase.replace('"', '""') + '"'
    sql = [
        "SELECT f.rowid, d.company, d.name, s.start_ts, s.next_start_ts, vc.section, cl.text",
        "FROM clauses_fts f JOIN clauses cl ON cl.id = f.rowid",
        "JOIN version_clauses vc ON vc.clause_id = f.rowid JOIN spans s ON s.version_id = vc.version_id",
        "JOIN documents d ON d.id = s.document_id WHERE clauses_fts MATCH ?",
    ]
    params: list = [fts]
    if companies:
        sql.append(f"AND d.company COLLATE NOCASE IN ({','.join('?' * len(companies))})")
        params += list(companies)
    since_ts = parse_time(since) if since else None
    until_ts = parse_time(until, upper=True) if until else None
    if since_ts and until_ts and since_ts > until_ts:
        raise UsageError(f"--since {since} ({since_ts}) is later than --until {until} ({until_ts})")
    if since_ts:
        sql.append("AND (s.next_start_ts IS NULL OR s.next_start_ts > ?)")
        params.append(since_ts)
    if until_ts:
        sql.append("AND s.start_ts <= ?")
        params.append(until_ts)
    hits: list[Hit] = []
    with _readonly_session(path, time_limit, "search") as conn:
        if companies:
            known = [r[0] for r in conn.execute("SELECT DISTINCT company FROM documents")]
            UnknownCompany.check(companies, known, str(path))
        rows = conn.execute(" ".join(sql), params)
        # rows arrive clause by clause (the index drives the join): merge each clause's
        # consecutive spans into ranges, and stop once enough ranges are found
        current, group = None, []
        for row in itertools.chain(rows, [None]):
            if row is None or row[0] != current:
                hits.extend(_ranges(group))
                if row is None or (limit is not None and len(hits) >= limit):
                    break
                current, group = row[0], []
            group.append(row)
    hits = hits[:limit] if limit is not None else hits
    return sorted(hits, key=lambda h: (h.company.lower(), h.document, h.in_force_from, h.text))


def _ranges(rows: list[tuple]) -> list[Hit]:
    """One clause's spans (possibly in several documents), merged where one follows the other."""
    out: list[Hit] = []
    for _, company, document, start, end, section, text in sorted(rows, key=lambda r: (r[1], r[2], r[3])):
        if out and (out[-1].company, out[-1].document) == (company, document) and out[-1].in_force_to == start:
            out[-1].in_force_to = end
        else:
            out.append(Hit(company, document, start, end, section, text))
    return out


# --------------------------------------------------------------------------- the docs as data


@dataclass
class DocumentedRelation:
    name: str
    kind: str  # table | view
    description: str
    columns: dict[str, str]


def schema_docs(path: Path = DOCS / "schema.md") -> dict[str, DocumentedRelation]:
    """Parse docs/schema.md: ``### `name` (table|view)``, a paragraph, a ``| column | meaning |`` table."""
    if not path.exists():
        return {}
    out: dict[str, DocumentedRelation] = {}
    current: DocumentedRelation | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^### `(\w+)` \((table|view)\)", line)
        if m:
            current = out[m.group(1)] = DocumentedRelation(m.group(1), m.group(2), "", {})
            continue
        if current is None:
            continue
        cell = re.match(r"^\| `(\w+)` \| (.*) \|$", line)
        if cell:
            current.columns[cell.group(1)] = cell.group(2).strip()
        elif line.strip() and not line.startswith("|") and not current.columns and not line.startswith("#"):
            current.description = (current.description + " " + line.strip()).strip()
    return out


@dataclass
class ResearchQuestion:
    slug: str
    title: str
    sql: str
    output: str


def research_questions(path: Path = DOCS / "research.md") -> list[ResearchQuestion]:
    """Parse docs/research.md: ``## title``, a ```sql block, then a ```text block with its output."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    out = []
    for m in re.finditer(r"^## (.+?)\n(.*?)```sql\n(.*?)```\s*\n(?:.*?)```text\n(.*?)```", text, re.S | re.M):
        title = m.group(1).strip()
        slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:60]
        out.append(ResearchQuestion(slug, title, m.group(3).strip(), m.group(4).rstrip("\n")))
    return out


def datasette_metadata(db_name: str) -> dict:
    """Titles, descriptions, column docs and canned queries for ``policytrail browse``."""
    # a clear error rather than a Datasette without docs when the installation lacks them
    schema, research = (package_data("outputs", "docs", name) for name in ("schema.md", "research.md"))
    tables = {r.name: {"description": r.description, "columns": r.columns} for r in schema_docs(schema).values()}
    queries = {q.slug: {"title": q.title, "sql": q.sql} for q in research_questions(research)}
    return {
        "title": "policytrail",
        "description": "How company privacy policies changed, reconstructed from web archives. Start with the "
        "views policy_timeline, policy_changes, clause_change_details and clause_history.",
        "databases": {db_name: {"tables": tables, "queries": queries}},
    }
