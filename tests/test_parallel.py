"""``reextract --jobs N``: extraction and clause diffs on N processes give the database one process gives."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from crawler.extract import Rules
from crawler.scale.parallel import diffs_parallel, extract_parallel
from crawler.store import Store

from .conftest import content, crawl, rows, run_cli

READINGS = "SELECT digest, extractor, verdict, coalesce(reason, ''), text_hash FROM extractions"


@pytest.fixture(scope="module")
def crawled(pywb_archive, tmp_path_factory):
    """The fixture archive crawled once; its clause diffs then made by an 'older differ' (as after
    an upgrade of the clause model), so that a reextract computes every one again."""
    from .archive_shim import ArchiveShim

    db = tmp_path_factory.mktemp("parallel") / "crawled.db"
    with ArchiveShim(pywb_archive.url, mode="pywb") as shim:
        done = crawl(shim, db, dialect="pywb")
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE changes SET differ = 'an older differ'")
    conn.close()
    return db


def copy(src, dst):
    shutil.copy(src, dst)
    return dst


def test_reextract_with_jobs_gives_the_database_one_process_gives(crawled, tmp_path):
    one, many = copy(crawled, tmp_path / "one.db"), copy(crawled, tmp_path / "many.db")
    a = run_cli("reextract", "--force", "--db", str(one), "--format", "json")
    b = run_cli("reextract", "--force", "--jobs", "3", "--db", str(many), "--format", "json")
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert json.loads(a.stdout) == json.loads(b.stdout)  # the same report, company by company
    assert sum(r["diffs_recomputed"] for r in json.loads(b.stdout)) > 0  # every diff was made again
    assert content(many) == content(one)
    assert sorted(rows(many, READINGS)) == sorted(rows(one, READINGS))


def test_the_workers_make_the_diffs_and_the_readings(crawled, tmp_path):
    db = copy(crawled, tmp_path / "t.db")
    store = Store(db)
    try:
        store.conn.execute("DELETE FROM extractions")
        read = extract_parallel(store, Rules(), 2)
        assert read == rows(db, "SELECT count(*) FROM snapshots WHERE status BETWEEN 200 AND 299")[0][0] > 0
        assert rows(db, "SELECT count(*) FROM extractions")[0][0] == read
        before = rows(db, "SELECT count(*), group_concat(differ) FROM changes")
        answer = diffs_parallel(store, (), Rules(), 2)
        # the pairs were found by a derive that was rolled back: nothing it wrote stayed
        assert rows(db, "SELECT count(*), group_concat(differ) FROM changes") == before
        assert answer.computed == before[0][0] > 0
    finally:
        store.close()


def test_jobs_must_be_a_positive_number(crawled):
    done = run_cli("reextract", "--jobs", "0", "--db", str(crawled))
    assert done.returncode == 2 and "--jobs" in done.stderr
