"""The storage pipeline's record of a run, however the crawl ends (here under ``scrapy crawl``, as under
Scrapyd: no ``policytrail`` command around it, Scrapy's own signal handlers)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from .archive_shim import Fault
from .conftest import FIXTURES, ROOT, rows


def test_a_forced_stop_under_scrapy_crawl_finishes_the_run_as_interrupted_and_frees_the_lock(ia_shim, tmp_path):
    from crawler.store import DatabaseLock

    ia_shim.faults.append(Fault("/web/", 0, times=1000, hang=10))  # every memento stalls
    db = tmp_path / "t.db"
    settings = {
        "POLICYTRAIL_DB": db,
        "POLICYTRAIL_TARGETS": FIXTURES / "archive" / "targets.csv",
        "POLICYTRAIL_ARCHIVE": ia_shim.url,
        "POLICYTRAIL_UNTHROTTLED": "True",
        "LOG_LEVEL": "INFO",
    }
    args = [sys.executable, "-m", "scrapy", "crawl", "wayback"]
    for key, value in settings.items():
        args += ["-s", f"{key}={value}"]
    proc = subprocess.Popen(
        args, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not ia_shim.requests("/web/") and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None and ia_shim.requests("/web/"), "the crawl never asked for a memento"
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)  # Scrapy's handler: stop gracefully (it would wait 60 s) ...
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)  # ... then at once: the spider never closes
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait(10)
    assert b"forcing unclean shutdown" in err, err[-2000:]
    ((status, finished_at),) = rows(db, "SELECT status, finished_at FROM crawl_runs")
    assert (status, finished_at is not None) == ("interrupted", True)
    DatabaseLock(db).acquire().release()


def test_a_disk_that_fills_up_during_a_crawl_stops_it_with_a_failure_and_loses_nothing(ia_shim, tmp_path):
    from .conftest import content, crawl

    db = tmp_path / "t.db"
    full = ("-s", 'EXTENSIONS={"tests.killpoints.DiskFull": 0}', "-s", "POLICYTRAIL_TEST_DISK_FULL=3", "--json")
    result = crawl(ia_shim, db, *full)
    summary = json.loads(result.stdout)
    # not "Finished.": the exit code comes from the storage error the pipeline met
    assert result.returncode == 1 and summary["error"] == "StorageError", result.stderr
    assert "full" in summary["message"] and "Traceback" not in result.stderr
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT status FROM crawl_runs") == [("storage_error",)]
    # with room again, the next run completes the work: the same database as a crawl that had room
    assert crawl(ia_shim, db).returncode == 0
    reference = tmp_path / "reference.db"
    assert crawl(ia_shim, reference).returncode == 0
    assert content(db) == content(reference)
