"""``policytrail merge``: shards crawled apart fold into one database equal to a single crawl's."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess

import pytest

from crawler.store import DatabaseLock

from .archive_shim import ArchiveShim
from .conftest import FIXTURES, content, crawl, rows, run_cli

SHARDS = FIXTURES / "scale"
# facts with every column but the main database's own ids: what a re-merge must leave alone
FACTS = {
    "targets": "SELECT company, url, added_at FROM targets",
    "captures": "SELECT archive, url, timestamp, digest, state, reason, attempts, redirect_to, listed_at, updated_at,"
    " version_id IS NULL FROM captures",
    "snapshots": "SELECT digest, sha256, fetched_url, fetched_at FROM snapshots",
    "crawl_runs": "SELECT started_at, finished_at, status, arguments FROM crawl_runs",
    "annotations": "SELECT kind, company, verdict, author, at, source FROM annotations",
}


def facts(db) -> dict:
    return {name: sorted(rows(db, sql)) for name, sql in FACTS.items()}


@pytest.fixture(scope="module")
def crawled(pywb_archive, tmp_path_factory):
    """Two shards (their targets overlap: Beta in both, Acme's two URLs apart; Acme and Beta share a
    body) and one single-process crawl of every target, all from the same pywb."""
    tmp = tmp_path_factory.mktemp("merge")
    with ArchiveShim(pywb_archive.url, mode="pywb") as shim:
        for name in ("shard_a", "shard_b"):
            done = crawl(shim, tmp / f"{name}.db", dialect="pywb", targets=SHARDS / f"{name}.csv")
            assert done.returncode == 0, done.stderr
        done = crawl(shim, tmp / "single.db", dialect="pywb")
        assert done.returncode == 0, done.stderr
    return tmp


def merged(crawled, name: str, *shards: str) -> tuple[subprocess.CompletedProcess, object]:
    db = crawled / f"{name}.db"
    db.unlink(missing_ok=True)
    return run_cli("merge", *(str(crawled / f"{s}.db") for s in shards), "--db", str(db), "--format", "json"), db


def test_merged_shards_equal_a_single_crawl_whatever_the_order(crawled):
    done, db = merged(crawled, "main_ab", "shard_a", "shard_b")
    assert done.returncode == 0, done.stderr
    single = content(crawled / "single.db")
    assert single["versions"] and single["changes"]  # a history worth comparing
    assert content(db) == single
    # the shared body was fetched by both shards: one snapshot, one capture 'fetched', the others duplicates
    assert rows(db, "SELECT count(*) FROM snapshots") == rows(crawled / "single.db", "SELECT count(*) FROM snapshots")
    done, other = merged(crawled, "main_ba", "shard_b", "shard_a")
    assert done.returncode == 0, done.stderr
    assert content(other) == single


def test_merging_a_shard_again_changes_nothing(crawled):
    done, db = merged(crawled, "main_again", "shard_a", "shard_b")
    assert done.returncode == 0, done.stderr
    before, derived = facts(db), content(db)
    again = run_cli("merge", str(crawled / "shard_b.db"), "--db", str(db), "--format", "json")
    assert again.returncode == 0, again.stderr
    assert '"captures_added": 0' in again.stdout and '"captures_advanced": 0' in again.stdout
    assert '"snapshots_added": 0' in again.stdout and '"runs_added": 0' in again.stdout
    assert facts(db) == before and content(db) == derived


def test_judgements_travel_with_their_shard(crawled, tmp_path):
    shard = tmp_path / "judged.db"
    shard.write_bytes((crawled / "shard_a.db").read_bytes())
    conn = sqlite3.connect(shard)
    with conn:
        conn.execute(
            "INSERT INTO annotations (kind, company, document, archive, url, timestamp, digest, verdict, author, at,"
            " source) SELECT 'capture', 'Acme', 'privacy policy', archive, url, timestamp, digest, 'not_policy',"
            " 'ana', '2026-01-01T00:00:00Z', 'cli' FROM captures WHERE timestamp = '20180901000000'"
        )
    conn.close()
    db = tmp_path / "main.db"
    for _ in range(2):
        done = run_cli("merge", str(shard), "--db", str(db))
        assert done.returncode == 0, done.stderr
    judgements = rows(db, "SELECT company, verdict, author, source FROM annotations")
    assert judgements == [("Acme", "not_policy", "ana", "cli")]
    # derive applied it: the judged capture is no version
    judged = rows(db, "SELECT version_id FROM captures WHERE timestamp = '20180901000000'")
    assert judged == [(None,)]


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["foreign", "garbage", "main"])
def test_a_foreign_or_damaged_shard_is_refused_before_anything_is_touched(crawled, tmp_path, kind):
    db = tmp_path / "main.db"
    done = run_cli("merge", str(crawled / "shard_a.db"), "--db", str(db))
    assert done.returncode == 0, done.stderr
    before = _digest(db)
    bad = {"foreign": tmp_path / "other.db", "garbage": tmp_path / "garbage.db", "main": db}[kind]
    if kind == "foreign":
        conn = sqlite3.connect(bad)
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
        conn.close()
    elif kind == "garbage":
        bad.write_bytes((FIXTURES / "scale" / "garbage.db").read_bytes())
    done = run_cli("merge", str(crawled / "shard_b.db"), str(bad), "--db", str(db))
    assert done.returncode == 2, done.stderr
    assert "Error:" in done.stderr and str(bad.name) in done.stderr and "Traceback" not in done.stderr
    assert _digest(db) == before  # shard_b, listed first and sound, was not merged either


def test_a_damaged_shard_is_refused(crawled, tmp_path):
    """A shard whose pages were overwritten mid-file: SQLite opens it, the integrity check does not pass."""
    bad = tmp_path / "damaged.db"
    data = bytearray((crawled / "shard_a.db").read_bytes())
    assert len(data) > 8 * 4096
    page = 4096
    data[3 * page : 6 * page] = b"\xa5" * (3 * page)
    bad.write_bytes(bytes(data))
    db = tmp_path / "main.db"
    done = run_cli("merge", str(bad), "--db", str(db))
    assert done.returncode == 2, done.stderr
    assert "damaged" in done.stderr or "not" in done.stderr
    assert not db.exists() or rows(db, "SELECT count(*) FROM captures") == [(0,)]


def test_merge_takes_the_database_lock(crawled, tmp_path):
    db = tmp_path / "main.db"
    with DatabaseLock(db):
        done = run_cli("merge", str(crawled / "shard_a.db"), "--db", str(db))
    assert done.returncode == 75, done.stderr
    assert not db.exists() or rows(db, "SELECT count(*) FROM captures") == [(0,)]


def test_a_capture_one_shard_inferred_and_another_fetched_is_fetched_after_the_merge(tmp_path):
    """Workers sharing one document's search (worker --brackets) each infer what they did not fetch:
    a shard's ``inferred`` capture never beats another shard's fetch, in either order."""
    from crawler.derive import derive
    from crawler.store import Store

    from .test_derive import A
    from .test_storage import capture, snapshot

    listing = [("20180101000000", "A1"), ("20180601000000", "A2"), ("20190101000000", "A3")]
    for name, fetched in (("x", {"A1", "A3"}), ("y", {"A2"})):
        store = Store(tmp_path / f"{name}.db")
        tid = store.upsert_target("Acme", "https://a.example/privacy", "privacy policy")
        for ts, digest in listing:
            capture(store, tid, ts, digest)
            if digest in fetched:
                snapshot(store, digest, ts, A)
        derive(store)
        store.close()
    assert rows(tmp_path / "x.db", "SELECT state FROM captures WHERE digest = 'A2'") == [("inferred",)]
    results = []
    for order in (("x", "y"), ("y", "x")):
        main = tmp_path / f"main-{''.join(order)}.db"
        done = run_cli("merge", *(str(tmp_path / f"{s}.db") for s in order), "--db", str(main))
        assert done.returncode == 0, done.stderr
        assert rows(main, "SELECT digest, state FROM captures ORDER BY timestamp") == [
            ("A1", "fetched"), ("A2", "fetched"), ("A3", "fetched"),
        ]  # fmt: skip
        results.append(content(main))
    assert results[0] == results[1]
