"""Opening a policytrail database: numbered migrations, schema version, and clear refusals.

Writers (``crawl``, ``reextract``) open with :func:`open_for_writing`: the database is created
when missing, migrated in numbered steps (``migrations/NNNN_name.sql``, each in one
transaction), and refused before anything is written when it belongs to another program or
to a newer policytrail. Readers open with :func:`open_for_reading`: read-only, never created,
never migrated.
"""

from __future__ import annotations

import sqlite3
from importlib.resources import files
from pathlib import Path

from crawler.archive.timestamps import utcnow
from crawler.errors import (
    DatabaseBusy,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseTooOld,
    DatabaseUnreadable,
    NotAPolicytrailDatabase,
    StorageError,
)
from crawler.store.files import check_readable, needs_immutable


def migrations() -> list[tuple[str, str]]:
    """(name, SQL) of every migration shipped with the package, in order."""
    folder = files("crawler.store").joinpath("migrations")
    found = sorted(
        (entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    )
    numbers = [int(name.split("_", 1)[0]) for name, _ in found]
    if numbers != list(range(1, len(found) + 1)):  # a packaging mistake, not a user's
        raise RuntimeError(f"migrations are not numbered 1..n: {[n for n, _ in found]}")
    return found


MIGRATIONS = migrations()
# The database's schema version (PRAGMA user_version): the number of migrations applied.
SCHEMA_VERSION = len(MIGRATIONS)


def classify(exc: sqlite3.Error, path: Path, reading: bool = False) -> StorageError:
    """Tell SQLite's failures apart, as errors a user can act on (``reading``: for a read command)."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return DatabaseBusy(f"{path} is busy: another program keeps it locked. Try again when it has finished.")
    if reading and ("readonly" in text or "read-only" in text or "unable to open" in text):
        return DatabaseUnreadable(
            f"cannot read {path} ({text}): check the permissions of the file, of its -wal and -shm files "
            f"and of its folder"
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return DatabaseReadOnly(
            f"cannot write {path} ({text}): check the file's and its folder's permissions, or pass another --db"
        )
    if "malformed" in text:
        return NotAPolicytrailDatabase(
            f"{path} is damaged ({text}): restore it from a backup, or try `sqlite3 {path} .recover`"
        )
    if "not a database" in text or "encrypted" in text:
        return NotAPolicytrailDatabase(f"{path} is not an SQLite database ({text}): pass the right --db")
    return StorageError(f"database {path}: {text}")


def _connect(path: Path, readonly: bool, immutable: bool = False, **kwargs) -> sqlite3.Connection:
    if readonly:
        # immutable: only where no writer can start (files.needs_immutable)
        uri = f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
        return sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None, **kwargs)
    return sqlite3.connect(str(path), timeout=30, isolation_level=None, **kwargs)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def check_ours(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version of a policytrail database; refuse anyone else's, and newer ones."""
    tables = _tables(conn)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if tables and "_migrations" not in tables:
        raise NotAPolicytrailDatabase(
            f"{path} holds another program's tables ({', '.join(sorted(tables)[:5])}…), not a policytrail "
            f"database: nothing was changed. Pass the right --db, or a new file name to start one."
        )
    if "_migrations" in tables and version == 0:
        # policytrail sets user_version with its first migration: at 0, only an empty _migrations of
        # our own shape (a first run killed before it committed) may be found, and nothing else
        others = tables - {"_migrations"}
        columns = [r[1] for r in conn.execute("PRAGMA table_info(_migrations)")]
        done = {r[0] for r in conn.execute("SELECT * FROM _migrations")} if columns[:1] == ["name"] else {None}
        if others or columns != ["name", "applied_at"] or done - {name for name, _ in MIGRATIONS}:
            raise NotAPolicytrailDatabase(
                f"{path} holds another program's tables ({', '.join(sorted(tables)[:5])}), not a policytrail "
                f"database: nothing was changed. Pass the right --db, or a new file name to start one."
            )
    if version > SCHEMA_VERSION:
        raise DatabaseTooNew(
            f"{path} was written by a newer policytrail (schema {version}; this one knows {SCHEMA_VERSION}): "
            f"upgrade policytrail (pip install -U policytrail) to use it. Nothing was changed."
        )
    return version


def migrate(conn: sqlite3.Connection, steps: list[tuple[str, str]] | None = None) -> list[str]:
    """Apply the pending migrations (``steps``: the package's), each with its record and the new
    schema version in one transaction: a failing migration leaves the database as it was.

    Foreign keys are off while migrating (a table rebuilt the SQLite way must not cascade) and
    checked before each commit; a migration may not end the transaction itself.
    """
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    done = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
    applied = []
    for number, (name, sql) in enumerate(MIGRATIONS if steps is None else steps, 1):
        if name in done:
            continue
        # executescript runs trigger bodies and every statement as written
        script = (
            f"BEGIN IMMEDIATE;\n{sql}\n;\nINSERT INTO _migrations VALUES ('{name}', '{utcnow()}');\n"
            f"PRAGMA user_version = {number};"
        )
        try:
            conn.executescript(script)
            if not conn.in_transaction:
                raise RuntimeError(f"migration {name} ended its transaction itself: it must not BEGIN or COMMIT")
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise sqlite3.IntegrityError(f"migration {name} leaves rows without their parents: {broken[:5]}")
            conn.execute("COMMIT")
        except (sqlite3.Error, RuntimeError):
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def open_for_writing(path: str | Path, create: bool = True) -> sqlite3.Connection:
    """Open a policytrail database for a writer, migrated to this code's schema; created when
    missing unless ``create`` is false (``reextract`` works on an existing database only)."""
    path = Path(path)
    if not create:
        check_readable(path)  # missing, or not readable: the real cause
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseReadOnly(f"cannot create the folder of {path}: {exc.strerror}") from None
    if path.exists() and not path.is_file():
        raise NotAPolicytrailDatabase(f"{path} is not a file: pass a database file to --db")
    conn = None
    try:
        conn = _connect(path, readonly=False)
        check_ours(conn, path)  # before anything is written
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        migrate(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        # a file that cannot be written says so now, not mid-crawl: write its schema version, undone
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(f"PRAGMA user_version = {conn.execute('PRAGMA user_version').fetchone()[0]}")
        finally:
            conn.execute("ROLLBACK")
        return conn
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        raise classify(exc, path) from None
    except StorageError:
        conn.close()
        raise


def open_for_reading(path: str | Path, **kwargs) -> sqlite3.Connection:
    """Open an existing policytrail database read-only: never created, never migrated.
    ``kwargs`` go to ``sqlite3.connect`` (``check_same_thread``)."""
    path = Path(path)
    check_readable(path)  # missing, or not readable: the real cause
    conn = None
    try:
        conn = _connect(path, readonly=True, immutable=needs_immutable(path), **kwargs)
        version = check_ours(conn, path)
        if version == 0:
            raise NotAPolicytrailDatabase(f"{path} has no policytrail schema: pass the right --db")
        if version < SCHEMA_VERSION:
            raise DatabaseTooOld(
                f"{path} has schema {version}, older than this policytrail's {SCHEMA_VERSION}: run "
                f"`policytrail reextract --db {path}` once to upgrade it (read commands never change a database)"
            )
        return conn
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        raise classify(exc, path, reading=True) from None
    except StorageError:
        if conn is not None:
            conn.close()
        raise


class Transaction:
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
        elif self.conn.in_transaction:  # SQLite has already rolled back after some errors (a full disk)
            self.conn.execute("ROLLBACK")
