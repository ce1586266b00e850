"""One run at a time: a second crawl of the same database exits 75 at once and changes nothing."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from crawler.store.lock import DatabaseLock, LockHeld

from .conftest import FIXTURES, ROOT, crawl


def test_a_second_holder_is_refused_and_the_first_release_frees_it(tmp_path):
    db = tmp_path / "t.db"
    with DatabaseLock(db):
        with pytest.raises(LockHeld) as err:
            DatabaseLock(db).acquire()
        assert err.value.exit_code == 75
    DatabaseLock(db).acquire().release()


def test_the_lock_dies_with_its_process(tmp_path):
    db = tmp_path / "t.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from crawler.store.lock import DatabaseLock; DatabaseLock({str(db)!r}).acquire(); "
            "import time; time.sleep(60)",
        ],
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                DatabaseLock(db).acquire().release()
            except LockHeld:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        holder.kill()  # like kill -9: no clean-up runs
        holder.wait()
    DatabaseLock(db).acquire().release()


def test_a_crawl_while_another_holds_the_database_exits_75(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    with DatabaseLock(db):
        started = time.monotonic()
        result = crawl(ia_shim, db)
    assert result.returncode == 75, result.stderr
    assert "another policytrail run" in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 30
    assert ia_shim.requests() == [] and not db.exists()


def test_dash_s_cannot_switch_the_lock_off(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    with DatabaseLock(db):
        result = crawl(ia_shim, db, "-s", "POLICYTRAIL_LOCK_HELD=True")
    assert result.returncode in (2, 75), result.stderr
    assert "Traceback" not in result.stderr
    assert ia_shim.requests() == [] and not db.exists()


def test_scrapy_crawl_cannot_switch_the_lock_off_either(ia_shim, tmp_path):
    """Under ``scrapy crawl`` (and Scrapyd, which runs it) settings come from the user alone: none
    of them may tell the spider that someone else holds the lock."""
    db = tmp_path / "t.db"
    settings = {
        "POLICYTRAIL_DB": db,
        "POLICYTRAIL_TARGETS": FIXTURES / "archive" / "targets.csv",
        "POLICYTRAIL_ARCHIVE": ia_shim.url,
        "POLICYTRAIL_LOCK_HELD": True,
        "LOG_LEVEL": "INFO",
    }
    args = [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]
    with DatabaseLock(db):
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "wayback", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert "another policytrail run" in result.stderr, result.stderr[-2000:]
    assert ia_shim.requests() == [] and not db.exists()
