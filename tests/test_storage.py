"""Storage: migrations, idempotent inserts, snapshots stored once and compressed."""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from pathlib import Path

import pytest

from crawler.archive import capture_digest
from crawler.errors import (
    DatabaseBusy,
    DatabaseMissing,
    DatabaseReadOnly,
    DatabaseTooNew,
    NotAPolicytrailDatabase,
    StorageError,
)
from crawler.store import MIGRATIONS, SCHEMA_VERSION, Store
from crawler.store.database import classify, migrate
from crawler.store.store import MAX_ATTEMPTS


def capture(store, target_id, ts, digest, status="200", url="https://a.example/privacy"):
    return store.record_capture(
        target_id=target_id,
        archive="web.archive.org",
        url=url,
        timestamp=ts,
        statuscode=status,
        mimetype="text/html",
        digest=digest,
        length=10,
    )


def snapshot(store, digest, ts, body=b"<p>policy</p>", status=200, redirect_to=None, url="https://a.example/privacy"):
    store.store_snapshot(
        digest=digest,
        body=body,
        headers={"Content-Type": ["text/html"]},
        status=status,
        mimetype="text/html",
        fetched_url="u",
        sha256="s",
        digest_ok=True,
        archive="web.archive.org",
        url=url,
        timestamp=ts,
        redirect_to=redirect_to,
    )


def test_migrations_apply_once_and_reopening_changes_nothing(tmp_path):
    db = tmp_path / "t.db"
    store = Store(db)
    assert store.migrate() == []
    store.close()
    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("SELECT name FROM _migrations")] == [m[0] for m in MIGRATIONS]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_capture_is_recorded_once(tmp_path):
    store = Store(tmp_path / "t.db")
    tid = store.upsert_target("Acme", "https://a.example/privacy", "privacy policy")
    assert store.upsert_target("Acme", "https://a.example/privacy", "privacy policy") == tid
    assert capture(store, tid, "20200101000000", "D1") is True
    assert capture(store, tid, "20200101000000", "D1") is False
    assert store.query("SELECT count(*) FROM captures") == [(1,)]


def test_a_snapshot_settles_every_capture_sharing_its_digest(tmp_path):
    store = Store(tmp_path / "t.db")
    tid = store.upsert_target("Acme", "https://a.example/privacy", "privacy policy")
    capture(store, tid, "20200101000000", "D1")
    capture(store, tid, "20200201000000", "D1")
    snapshot(store, "D1", "20200101000000")
    capture(store, tid, "20200301000000", "D1")  # listed after the fetch: a duplicate at once
    states = store.query("SELECT timestamp, state FROM captures ORDER BY timestamp")
    assert states == [("20200101000000", "fetched"), ("20200201000000", "duplicate"), ("20200301000000", "duplicate")]
    body, codec = store.query("SELECT body, codec FROM snapshots")[0]
    assert codec == "zlib" and zlib.decompress(body) == b"<p>policy</p>"
    assert store.snapshot_body("D1")[0] == b"<p>policy</p>"


def test_redirects_sharing_a_body_keep_their_own_locations(tmp_path):
    store = Store(tmp_path / "t.db")
    tid = store.upsert_target("Acme", "https://a.example/privacy", "privacy policy")
    capture(store, tid, "20200101000000", "R", status="301")
    capture(store, tid, "20210101000000", "R", status="302")
    snapshot(store, "R", "20200101000000", b"moved", 301, redirect_to="https://a.example/legal")
    # same body, not yet fetched: still pending, because its Location may differ
    assert store.capture_state("web.archive.org", "https://a.example/privacy", "20210101000000", "R")[0] == "pending"
    snapshot(store, "R", "20210101000000", b"moved", 302, redirect_to="https://b.example/")
    reasons = store.query("SELECT reason FROM captures ORDER BY timestamp")
    assert reasons == [("redirect to https://a.example/legal",), ("redirect to https://b.example/",)]


def test_failures_count_attempts(tmp_path):
    store = Store(tmp_path / "t.db")
    tid = store.upsert_target("Acme", "https://a.example/privacy", "privacy policy")
    capture(store, tid, "20200101000000", "D1")
    for _ in range(2):
        store.mark_failed(
            archive="web.archive.org",
            url="https://a.example/privacy",
            timestamp="20200101000000",
            digest="D1",
            reason="timeout",
        )
    assert store.capture_state("web.archive.org", "https://a.example/privacy", "20200101000000", "D1") == ("failed", 2)
    snapshot(store, "D1", "20200101000000")
    assert store.query("SELECT state, reason FROM captures") == [("fetched", None)]


def test_retries_are_capped_per_body_not_per_capture(tmp_path):
    store = Store(tmp_path / "t.db")
    tid = store.upsert_target("Acme", "https://a.example/privacy", "privacy policy")
    for ts, status in (("20200101000000", "200"), ("20200201000000", "200"), ("20200301000000", "301")):
        capture(store, tid, ts, "D", status=status)
    for n in range(MAX_ATTEMPTS):  # whichever capture of the body each failed fetch went through
        ts = ("20200101000000", "20200201000000")[n % 2]
        store.mark_failed(
            archive="web.archive.org", url="https://a.example/privacy", timestamp=ts, digest="D", reason="x"
        )
    assert store.body_gave_up("web.archive.org", "D") and not store.body_gave_up("other.example", "D")
    states = store.query("SELECT timestamp, state, attempts FROM captures ORDER BY timestamp")
    assert states == [
        ("20200101000000", "failed", MAX_ATTEMPTS),
        ("20200201000000", "failed", MAX_ATTEMPTS),
        ("20200301000000", "pending", 0),  # a redirect is fetched for its own Location: its own count
    ]
    # a capture of the body listed later is given up at once: nothing left to retry but the redirect
    capture(store, tid, "20200401000000", "D")
    assert store.capture_state("web.archive.org", "https://a.example/privacy", "20200401000000", "D") == (
        "failed",
        MAX_ATTEMPTS,
    )
    assert [row[1] for row in store.unfinished_captures(tid, "web.archive.org")] == ["20200301000000"]
    (summary,) = store.work_summary()
    assert summary["gave_up"] == 3


def test_a_failing_write_rolls_back_whole(tmp_path):
    store = Store(tmp_path / "t.db")
    tid = store.upsert_target("Acme", "https://a.example/privacy", "privacy policy")
    try:
        with store.transaction():
            capture(store, tid, "20200101000000", "D1")
            raise RuntimeError("killed mid-way")
    except RuntimeError:
        pass
    assert store.query("SELECT count(*) FROM captures") == [(0,)]


# --------------------------------------------------------------------------- migrations and refusals


def test_migrations_are_numbered_files_and_set_the_schema_version(tmp_path):
    names = [name for name, _ in MIGRATIONS]
    assert names == sorted(names) and [int(n[:4]) for n in names] == list(range(1, len(names) + 1))
    Store(tmp_path / "t.db").close()
    conn = sqlite3.connect(tmp_path / "t.db")
    assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_a_migration_with_trigger_bodies_applies_and_a_failing_one_leaves_nothing(tmp_path):
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    steps = [
        (
            "0001_with_trigger",
            "CREATE TABLE a (x);\nCREATE TABLE log (x);\n"
            "CREATE TRIGGER a_ai AFTER INSERT ON a BEGIN\n  INSERT INTO log VALUES (new.x);\n"
            "  INSERT INTO log VALUES (new.x + 1);\nEND;\n",
        ),
        ("0002_broken", "CREATE TABLE b (y);\nINSERT INTO nowhere VALUES (1);\n"),
    ]
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, steps)
    conn.execute("INSERT INTO a VALUES (1)")
    assert conn.execute("SELECT x FROM log ORDER BY x").fetchall() == [(1,), (2,)]  # the whole trigger body ran
    assert conn.execute("SELECT name FROM _migrations").fetchall() == [("0001_with_trigger",)]
    assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'b'").fetchone() == (0,)  # rolled back whole


def test_a_database_from_a_newer_policytrail_is_refused_and_left_alone(tmp_path):
    Store(tmp_path / "t.db").close()
    conn = sqlite3.connect(tmp_path / "t.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    for opener in (Store, Store.open_readonly):
        with pytest.raises(DatabaseTooNew, match="newer policytrail") as err:
            opener(tmp_path / "t.db")
        assert err.value.exit_code == 2
    assert sqlite3.connect(tmp_path / "t.db").execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION + 1,)


def test_another_programs_database_is_refused_before_anything_is_written(tmp_path):
    db = tmp_path / "theirs.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    for opener in (Store, Store.open_readonly):
        with pytest.raises(NotAPolicytrailDatabase, match="another program") as err:
            opener(db)
        assert err.value.exit_code == 2
    assert db.read_bytes() == before  # no _migrations table, no WAL switch
    assert not Path(f"{db}-wal").exists()


def test_read_only_opening_never_creates_nor_migrates(tmp_path):
    with pytest.raises(DatabaseMissing):
        Store.open_readonly(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    migrate(conn, MIGRATIONS[:-1])  # a database made by the previous release
    conn.close()
    with pytest.raises(StorageError, match="policytrail reextract"):
        Store.open_readonly(tmp_path / "old.db")
    assert sqlite3.connect(tmp_path / "old.db").execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION - 1,)
    Store(tmp_path / "old.db").close()  # a writer upgrades it
    Store.open_readonly(tmp_path / "old.db").close()


@pytest.mark.parametrize(
    "message, error, code",
    [
        ("database is locked", DatabaseBusy, 75),
        ("attempt to write a readonly database", DatabaseReadOnly, 2),
        ("unable to open database file", DatabaseReadOnly, 2),
        ("file is not a database", NotAPolicytrailDatabase, 2),
    ],
)
def test_sqlite_failures_are_told_apart(message, error, code, tmp_path):
    told = classify(sqlite3.OperationalError(message), tmp_path / "t.db")
    assert isinstance(told, error) and told.exit_code == code and str(tmp_path / "t.db") in str(told)


def test_a_migration_may_not_end_its_own_transaction_and_must_keep_foreign_keys_whole(tmp_path):
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    with pytest.raises(RuntimeError, match="must not BEGIN or COMMIT"):
        migrate(conn, [("0001_commits", "CREATE TABLE a (x);\nCOMMIT;\nCREATE TABLE b (y);\n")])
    conn = sqlite3.connect(tmp_path / "fk.db", isolation_level=None)
    orphan = (
        "0001_orphan",
        "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p_id INTEGER REFERENCES p(id));\n"
        "INSERT INTO c VALUES (7);\n",
    )
    with pytest.raises(sqlite3.IntegrityError, match="without their parents"):
        migrate(conn, [orphan])
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('p', 'c')").fetchone() == (0,)


def test_captures_stored_without_a_digest_by_an_older_release_are_keyed_and_fetched_again(tmp_path):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    before = [m for m in MIGRATIONS if m[0] < "0008"]
    migrate(conn, before)  # the release that stored "-" digests as they came
    conn.execute("INSERT INTO documents (id, company, name) VALUES (1, 'Acme', 'privacy policy')")
    conn.execute("INSERT INTO targets VALUES (1, 1, 'Acme', 'https://a.example/p', '2020-01-01T00:00:00Z')")
    for n, state in enumerate(("fetched", "duplicate")):
        conn.execute(
            "INSERT INTO captures (target_id, archive, url, timestamp, statuscode, mimetype, digest, state,"
            " listed_at, updated_at) VALUES (1, 'web.archive.org', 'https://a.example/p', ?, '200', 'text/html',"
            " '-', ?, 'x', 'x')",
            (f"202{n}0101000000", state),
        )
    conn.execute(
        "INSERT INTO snapshots (digest, sha256, body, codec, length, headers, fetched_url, fetched_at)"
        " VALUES ('-', 's', x'00', 'raw', 1, '{}', 'u', 'x')"
    )
    conn.close()
    store = Store(db)  # a writer migrates
    rows = store.query("SELECT timestamp, digest, state FROM captures ORDER BY timestamp")
    assert rows == [
        ("20200101000000", capture_digest("-", "https://a.example/p", "20200101000000"), "pending"),
        ("20210101000000", capture_digest("-", "https://a.example/p", "20210101000000"), "pending"),
    ]
    assert store.query("SELECT count(*) FROM snapshots") == [(0,)]
    # the next listing of the same captures finds them, instead of adding a second row each
    assert capture(store, 1, "20200101000000", capture_digest("-", "https://a.example/p", "20200101000000"),
                   url="https://a.example/p") is False  # fmt: skip


# --------------------------------------------------------------------------- reading where nothing can be written

READERS = [
    ("status",),
    ("query", "SELECT count(*) AS n FROM versions"),
    ("search", "policy"),
    ("diff", "Acme"),
    ("report", "--out", "{out}/report"),
    ("export", "--format", "atom", "--out", "{out}/feed.atom"),
]


def _read_only(folder: Path, file_mode: int, folder_mode: int = 0o555) -> None:
    for db in folder.glob("*.db"):
        db.chmod(file_mode)
    folder.chmod(folder_mode)


@pytest.mark.parametrize("file_mode", [0o644, 0o444], ids=["writable file", "read-only file"])
@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_a_database_in_a_read_only_folder_is_read_by_every_read_command(hostile_db, tmp_path, command, file_mode):
    from .unprivileged import own, run_cli_unprivileged

    folder, out = tmp_path, tmp_path.parent / f"{tmp_path.name}-out"
    out.mkdir()
    own(folder, hostile_db, out)
    assert sorted(p.name for p in folder.iterdir()) == ["t.db"]  # a clean close left no -wal, no -shm
    _read_only(folder, file_mode)
    try:
        result = run_cli_unprivileged(*[part.format(out=out) for part in command], "--db", str(hostile_db))
    finally:
        _read_only(folder, 0o644, 0o755)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["t.db"]


def test_a_read_only_database_file_in_a_writable_folder_is_read(hostile_db, tmp_path):
    from .unprivileged import own, run_cli_unprivileged

    own(tmp_path, hostile_db)
    hostile_db.chmod(0o444)
    result = run_cli_unprivileged("query", "SELECT count(*) AS n FROM versions", "--db", str(hostile_db))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n"] > 0


def test_a_folder_someone_else_may_write_is_not_read_unsafely_and_the_message_says_why(hostile_db, tmp_path):
    """A writer (the folder's owner) could start while we read: reading the file as immutable would
    be unsafe, and SQLite cannot create the -shm it needs. Refuse, naming the folder and the cause."""
    from .unprivileged import own, run_cli_unprivileged

    own(tmp_path, hostile_db)
    os.chown(tmp_path, 12345, -1)  # the owner may write (0o755); the CLI's user, not the owner, may not
    tmp_path.chmod(0o755)
    try:
        result = run_cli_unprivileged("status", "--db", str(hostile_db))
    finally:
        os.chown(tmp_path, os.getuid(), -1)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert str(tmp_path) in line and "-shm" in line and "cannot create" in line and "copy" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.db"]


def test_a_database_being_written_is_read_through_its_shared_memory_file_from_a_read_only_folder(hostile_db, tmp_path):
    from .unprivileged import own, run_cli_unprivileged

    own(tmp_path, hostile_db)
    writer = Store(hostile_db)  # a crawl has it open: -wal and -shm exist
    try:
        writer.query("SELECT count(*) FROM versions")
        for sidecar in ("t.db-wal", "t.db-shm"):
            own(tmp_path / sidecar)
            (tmp_path / sidecar).chmod(0o444)
        tmp_path.chmod(0o555)
        result = run_cli_unprivileged("query", "SELECT count(*) AS n FROM versions", "--db", str(hostile_db))
    finally:
        tmp_path.chmod(0o755)
        writer.close()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n"] > 0


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_database_the_user_may_not_read_says_permission_denied(hostile_db, tmp_path, what):
    from .unprivileged import own, run_cli_unprivileged

    own(tmp_path, hostile_db)
    if what == "file":
        hostile_db.chmod(0o200)
    else:
        tmp_path.chmod(0o600)  # the folder can be listed, not entered
    try:
        result = run_cli_unprivileged("status", "--db", str(hostile_db))
    finally:
        tmp_path.chmod(0o755)
        hostile_db.chmod(0o644)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: cannot read {hostile_db}: Permission denied"), line
