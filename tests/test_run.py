"""How a crawl run starts and ends, as a scheduler sees it: bad settings, signals, and the run's record."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from crawler.crawl.run import crawl_error, parse_overrides
from crawler.errors import CrawlFailures, Interrupted, RateLimited

from .archive_shim import Fault
from .conftest import FIXTURES, ROOT, crawl, rows, run_cli

TARGETS = FIXTURES / "archive" / "targets.csv"


# --------------------------------------------------------------------------- -s NAME=VALUE


@pytest.mark.parametrize(
    "pair",
    [
        "DOWNLOAD_TIMEOUT=abc",
        "POLICYTRAIL_CDX_PER_MINUTE=abc",
        "POLICYTRAIL_MEMENTOS_PER_MINUTE=nan",
        "RETRY_TIMES=2.5",
        "POLICYTRAIL_FULL=maybe",
        'EXTENSIONS={"tests.killpoints.KillAt": ',
    ],
)
def test_a_setting_its_reader_cannot_parse_exits_2_in_one_line_before_anything_starts(tmp_path, pair):
    db = tmp_path / "t.db"
    result = run_cli("crawl", "--targets", str(TARGETS), "--db", str(db), "--archive", "http://127.0.0.1:9", "-s", pair)
    name, _, value = pair.partition("=")
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert name in result.stderr and value in result.stderr and "Traceback" not in result.stderr
    assert not db.exists()


def test_settings_that_their_readers_parse_are_passed_through_as_given():
    pairs = (
        "DOWNLOAD_TIMEOUT=0.5",  # a whole-number default, read as a float
        "RETRY_TIMES=5",
        "POLICYTRAIL_FULL=true",
        'EXTENSIONS={"tests.killpoints.KillAt": 0}',
        "POLICYTRAIL_TEST_KILL_AT=item:3",  # not a known setting: passed on unchecked
        "LOG_FORMAT=%(message)s",
    )
    assert parse_overrides(pairs) == dict(p.split("=", 1) for p in pairs)


# --------------------------------------------------------------------------- signals


def start_crawl(shim, db: Path, tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, Path]:
    """``policytrail crawl --quiet`` in the background; its stderr goes to a file (read once it ended)."""
    err = tmp_path / "stderr.txt"
    args = [sys.executable, "-m", "crawler.cli", "crawl", "--targets", str(TARGETS), "--db", str(db)]
    args += ["--archive", shim.url, "--unthrottled", "--quiet", *extra]
    with err.open("w") as stderr:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL, stderr=stderr
        )
    return proc, err


def stalled_crawl(shim, tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, Path, Path]:
    """A crawl whose memento fetches all hang: it has listed, recorded its run, and waits on the archive."""
    shim.faults.append(Fault("/web/", 0, times=1000, hang=10))
    db = tmp_path / "t.db"
    proc, err = start_crawl(shim, db, tmp_path, *extra)
    deadline = time.monotonic() + 60
    while not shim.requests("/web/") and proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait(10)
            pytest.fail("the crawl never asked for a memento")
        time.sleep(0.05)
    assert proc.poll() is None, err.read_text()
    time.sleep(0.3)  # the stalled requests are in flight
    return proc, err, db


def ended(proc: subprocess.Popen, timeout: float) -> int:
    """The exit code, waiting at most ``timeout`` seconds (then the process is killed and the test fails)."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        pytest.fail(f"the crawl was still running {timeout} s after the signal")


def test_a_double_ctrl_c_on_a_stalled_crawl_exits_130_and_finishes_its_run_as_interrupted(ia_shim, tmp_path):
    proc, err, db = stalled_crawl(ia_shim, tmp_path)  # DOWNLOAD_TIMEOUT 60: a graceful stop would wait
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    began = time.monotonic()
    assert ended(proc, timeout=30) == 130
    assert time.monotonic() - began < 8  # at once, not after the stalled requests time out
    lines = err.read_text().splitlines()
    assert len(lines) == 1 and "Interrupted" in lines[0] and "run the same command again" in lines[0], lines
    ((status, finished_at),) = rows(db, "SELECT status, finished_at FROM crawl_runs")
    assert status == "interrupted" and finished_at is not None
    ia_shim.faults.clear()
    again = crawl(ia_shim, db)
    assert again.returncode == 0, again.stderr
    assert rows(db, "SELECT status FROM crawl_runs ORDER BY id") == [("interrupted",), ("finished",)]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_one_signal_stops_a_stalled_crawl_gracefully_with_exit_130_and_the_run_recorded_as_shutdown(
    ia_shim, tmp_path, signum
):
    proc, err, db = stalled_crawl(ia_shim, tmp_path, "-s", "DOWNLOAD_TIMEOUT=2")
    proc.send_signal(signum)
    assert ended(proc, timeout=30) == 130
    lines = err.read_text().splitlines()
    assert len(lines) == 1 and "Interrupted" in lines[0] and signal.Signals(signum).name in lines[0], lines
    assert rows(db, "SELECT status FROM crawl_runs WHERE finished_at IS NOT NULL") == [("shutdown",)]


def ran(outcome=None, bootstrap_failed=False, spider=True):
    """A crawler and a process as ``run_crawl`` sees them afterwards; the spider's outcome is ``outcome``
    for Scrapy's ``finished`` reason, RateLimited for ``rate_limited``, else CrawlFailures (as WaybackSpider's)."""

    def judge(reason):
        if reason == "rate_limited":
            return RateLimited("stopped on 429s")
        return outcome if reason == "finished" else CrawlFailures(f"ended early ({reason})")

    crawler = SimpleNamespace(spider=SimpleNamespace(outcome=judge) if spider else None)
    return crawler, SimpleNamespace(bootstrap_failed=bootstrap_failed)


def test_success_needs_a_clean_finish_no_signal_and_nothing_the_spider_holds_against_the_run():
    assert crawl_error(*ran(), "finished", []) is None
    assert isinstance(crawl_error(*ran(), "shutdown", []), CrawlFailures)
    assert isinstance(crawl_error(*ran(), None, []), CrawlFailures)
    assert isinstance(crawl_error(*ran(CrawlFailures("2 fetches failed")), "finished", []), CrawlFailures)
    assert isinstance(crawl_error(*ran(bootstrap_failed=True, spider=False), None, []), CrawlFailures)
    # a signal: never success, even if the crawl reached its end while it was being handled
    for reason in ("finished", "shutdown", None):
        error = crawl_error(*ran(), reason, [signal.SIGINT])
        assert isinstance(error, Interrupted) and error.exit_code == 130
    assert "SIGTERM twice" in str(crawl_error(*ran(), None, [signal.SIGTERM, signal.SIGTERM]))
    # a crawl that had stopped for a reason of its own keeps it (exit 3: resume later)
    assert isinstance(crawl_error(*ran(), "rate_limited", [signal.SIGINT]), RateLimited)
