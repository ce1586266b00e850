"""One run at a time: a second crawl of the same database exits 75 at once and changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from crawler.store.lock import DatabaseLock, LockHeld

from .conftest import FIXTURES, ROOT, crawl, run_cli
from .unprivileged import own, run_cli_unprivileged


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


def test_a_crawl_refused_by_the_lock_still_prints_its_json_summary(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    with DatabaseLock(db):
        result = crawl(ia_shim, db, "--json")
    assert result.returncode == 75
    summary = json.loads(result.stdout)
    assert summary["exit_code"] == 75 and summary["error"] == "LockHeld"
    assert "another policytrail run" in summary["message"] and summary["run_id"] is None


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


# --------------------------------------------------------------------------- one database, several names


def _database(path):
    from crawler.store import Store

    path.parent.mkdir(parents=True, exist_ok=True)
    Store(path).close()
    return path


def test_a_symlink_to_the_database_takes_the_same_lock(tmp_path):
    db = _database(tmp_path / "data" / "t.db")
    link = tmp_path / "elsewhere" / "link.db"
    link.parent.mkdir()
    link.symlink_to(db)
    with DatabaseLock(db):
        with pytest.raises(LockHeld):
            DatabaseLock(link).acquire()
    with DatabaseLock(link):
        with pytest.raises(LockHeld):
            DatabaseLock(db).acquire()
    assert not (link.parent / "link.db.lock").exists()  # the lock lives beside the file itself


def test_a_writer_through_a_symlink_waits_for_the_run_on_the_real_file(tmp_path):
    db = _database(tmp_path / "data" / "t.db")
    link = tmp_path / "link.db"
    link.symlink_to(db)
    with DatabaseLock(db):
        result = run_cli("reextract", "--db", str(link))
    assert result.returncode == 75, result.stderr
    assert "another policytrail run" in result.stderr and "Traceback" not in result.stderr


def test_a_hard_link_to_an_existing_database_takes_the_same_lock(tmp_path):
    db = _database(tmp_path / "data" / "t.db")
    hard = tmp_path / "elsewhere" / "hard.db"
    hard.parent.mkdir()
    os.link(db, hard)
    with DatabaseLock(db):
        with pytest.raises(LockHeld) as err:
            DatabaseLock(hard).acquire()
        assert "hard link" in str(err.value)
    with DatabaseLock(hard):
        with pytest.raises(LockHeld):
            DatabaseLock(db).acquire()
    DatabaseLock(hard).acquire().release()


# --------------------------------------------------------------------------- a lock file that cannot be opened


def test_a_lock_file_the_user_cannot_write_is_one_line_naming_it_and_the_cause(tmp_path):
    db = _database(tmp_path / "data" / "t.db")
    lock = tmp_path / "data" / "t.db.lock"
    lock.write_text("")
    own(db.parent, db)
    lock.chmod(0o444)
    result = run_cli_unprivileged("reextract", "--db", str(db))
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: cannot open the lock file {lock}: Permission denied")


def test_a_database_in_a_read_only_folder_cannot_be_locked_and_says_so(tmp_path):
    db = _database(tmp_path / "data" / "t.db")
    own(db.parent, db)
    db.parent.chmod(0o555)
    try:
        result = run_cli_unprivileged("reextract", "--db", str(db))
    finally:
        db.parent.chmod(0o755)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: cannot open the lock file {db}.lock: Permission denied")
    assert not (db.parent / "t.db.lock").exists()
