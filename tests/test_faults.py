"""Faults the archive throws at a crawl: each ends with a clear outcome and nothing lost."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

from crawler.localarchive.pywb import LocalArchive
from crawler.localarchive.warc import CaptureSpec, write_warc

from .archive_shim import ArchiveShim, Fault
from .conftest import FIXTURES, ROOT, content, crawl, free_port, rows, run_cli


def test_a_503_is_retried_and_the_crawl_completes(ia_shim, tmp_path):
    ia_shim.faults.append(Fault("/web/", 503, times=2, body=b"Service Unavailable"))
    db = tmp_path / "t.db"
    result = crawl(ia_shim, db, "--company", "Acme")
    assert result.returncode == 0, result.stderr
    assert len([r for r in ia_shim.requests("/web/") if r.status == 503]) == 2
    assert rows(db, "SELECT count(*) FROM captures WHERE state IN ('pending', 'failed')") == [(0,)]


def test_a_truncated_body_fails_the_capture_and_the_next_run_fetches_it(ia_shim, tmp_path):
    ia_shim.faults.append(Fault("/web/20180301000000id_/", 200, times=10, truncate=True))
    db = tmp_path / "t.db"
    result = crawl(ia_shim, db, "--company", "Acme")
    assert result.returncode == 1, result.stderr
    ((state, reason, attempts),) = rows(
        db, "SELECT state, reason, attempts FROM captures WHERE timestamp = '20180301000000'"
    )
    assert state == "failed" and attempts == 1 and "fetch failed" in reason
    assert rows(db, "SELECT count(*) FROM snapshots WHERE fetched_url LIKE '%20180301000000id_%'") == [(0,)]
    ia_shim.faults.clear()
    again = crawl(ia_shim, db, "--company", "Acme")
    assert again.returncode == 0, again.stderr
    assert rows(db, "SELECT state FROM captures WHERE timestamp = '20180301000000'") == [("fetched",)]


def test_malformed_cdx_is_reported_and_other_targets_go_on(ia_shim, tmp_path):
    bad = (FIXTURES / "malformed_cdx.txt").read_bytes()
    ia_shim.faults.append(Fault("/cdx/search/cdx?url=https%3A%2F%2Fbeta.example", 200, times=5, body=bad))
    db = tmp_path / "t.db"
    result = crawl(ia_shim, db)
    assert result.returncode == 1 and "malformed CDX" in result.stderr and "Traceback" not in result.stderr
    summary = {r["company"]: r for r in json.loads(result.stdout)}
    assert summary["Acme"]["captures"] == 9 and summary["Beta"]["captures"] == 0


def test_targets_take_turns_so_a_big_history_does_not_starve_a_small_one(tmp_path):
    specs = [
        CaptureSpec(
            "https://big.example/privacy",
            f"2010{(i % 12) + 1:02d}{i % 28 + 1:02d}000000".replace("2010", str(2000 + i // 12)),
            body=f"<p>big {i}</p>".encode(),
        )
        for i in range(60)
    ]
    specs += [
        CaptureSpec("https://small.example/privacy", f"2015010{i}000000", body=f"<p>small {i}</p>".encode())
        for i in range(1, 4)
    ]
    targets = tmp_path / "targets.csv"
    targets.write_text("company,url\nBig,https://big.example/privacy\nSmall,https://small.example/privacy\n")
    local = LocalArchive(tmp_path / "coll")
    local.build([write_warc(specs, tmp_path / "a.warc.gz")])
    with local, ArchiveShim(local.url) as shim:
        result = crawl(
            shim,
            tmp_path / "t.db",
            "--cdx-per-minute",
            "600",
            "--mementos-per-minute",
            "600",
            throttled=True,
            targets=targets,
        )
        assert result.returncode == 0, result.stderr
        fetches = [r.path for r in shim.requests("/web/")]
    small = [i for i, p in enumerate(fetches) if "small.example" in p]
    assert len(small) == 3 and max(small) < 10, small


def test_kill_9_at_random_moments_then_rerun_equals_an_uninterrupted_crawl(ia_shim, tmp_path):
    reference = tmp_path / "reference.db"
    assert crawl(ia_shim, reference, "--mementos-per-minute", "600", throttled=True).returncode == 0
    expected = content(reference)
    rng = random.Random(20261122)
    db = tmp_path / "killed.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    args = [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        "--targets",
        str(FIXTURES / "archive" / "targets.csv"),
        "--db",
        str(db),
        "--archive",
        ia_shim.url,
        "--mementos-per-minute",
        "600",
        "--format",
        "json",
    ]
    kills = 0
    for _ in range(4):
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.6, 2.5))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1
    final = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert content(db) == expected


def test_connection_resets_are_retried_and_the_crawl_completes(ia_shim, tmp_path):
    ia_shim.faults.append(Fault("/web/", 0, times=3, reset=True))
    db = tmp_path / "t.db"
    result = crawl(ia_shim, db, "--company", "Acme")
    assert result.returncode == 0, result.stderr
    assert len([r for r in ia_shim.requests("/web/") if r.status == 0]) == 3
    assert rows(db, "SELECT count(*) FROM captures WHERE state IN ('pending', 'failed')") == [(0,)]
    assert rows(db, "SELECT count(*) FROM snapshots WHERE NOT digest_ok") == [(0,)]


def test_a_silent_archive_times_out_and_is_retried(ia_shim, tmp_path):
    ia_shim.faults.append(Fault("/cdx/", 0, times=1, hang=3))
    ia_shim.faults.append(Fault("/web/", 0, times=2, hang=3))
    db = tmp_path / "t.db"
    result = crawl(ia_shim, db, "--company", "Acme", "-s", "DOWNLOAD_TIMEOUT=1")
    assert result.returncode == 0, result.stderr
    silent = ia_shim.requests("/cdx/")[0]
    again = [r for r in ia_shim.requests("/cdx/") if r.path == silent.path]
    assert [r.status for r in again] == [0, 200] and again[1].at - silent.at >= 0.9  # timed out, then asked again
    assert rows(db, "SELECT count(*) FROM captures WHERE state IN ('pending', 'failed')") == [(0,)]


def test_a_capture_that_keeps_timing_out_fails_with_a_reason_and_is_retried_next_run(ia_shim, tmp_path):
    ia_shim.faults.append(Fault("/web/20180301000000id_/", 0, times=4, hang=2))  # RETRY_TIMES=3: four tries
    db = tmp_path / "t.db"
    result = crawl(ia_shim, db, "--company", "Acme", "-s", "DOWNLOAD_TIMEOUT=1")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    ((state, reason),) = rows(db, "SELECT state, reason FROM captures WHERE timestamp = '20180301000000'")
    assert state == "failed" and "Timeout" in reason
    again = crawl(ia_shim, db, "--company", "Acme")
    assert again.returncode == 0, again.stderr
    assert rows(db, "SELECT state FROM captures WHERE timestamp = '20180301000000'") == [("fetched",)]


def test_kill_9_at_seeded_points_inside_the_crawl_then_rerun_equals_an_uninterrupted_crawl(ia_shim, tmp_path):
    reference = tmp_path / "reference.db"
    assert crawl(ia_shim, reference).returncode == 0
    expected = content(reference)
    rng = random.Random(20261122)
    points = [
        ("response", rng.randint(2, 10)),  # a body downloaded, not yet stored
        ("item", rng.randint(2, 15)),  # between two stored items
        ("write", rng.randint(5, 40)),  # inside a transaction, between two statements
        ("derive", rng.randint(1, 30)),  # inside derive: versions, spans, clauses, changes
    ]
    for event, n in points:
        db = tmp_path / f"{event}.db"
        killer = ("-s", 'EXTENSIONS={"tests.killpoints.KillAt": 0}', "-s", f"POLICYTRAIL_TEST_KILL_AT={event}:{n}")
        killed = crawl(ia_shim, db, *killer)
        assert killed.returncode == -signal.SIGKILL, (event, n, killed.stderr)
        assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)
        resumed = crawl(ia_shim, db)
        assert resumed.returncode == 0, (event, n, resumed.stderr)
        assert content(db) == expected, (event, n)
        # the killed run is recorded as interrupted by the next one (which holds the lock)
        assert rows(db, "SELECT status FROM crawl_runs ORDER BY id") == [("interrupted",), ("finished",)]


def test_an_archive_down_at_start_loses_nothing_and_the_next_run_completes(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    down = crawl(f"http://127.0.0.1:{free_port()}", db)
    assert down.returncode == 3 and "could not be reached" in down.stderr
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    up = crawl(ia_shim, db)
    assert up.returncode == 0, up.stderr
    reference = tmp_path / "reference.db"
    assert crawl(ia_shim, reference).returncode == 0
    assert content(db) == content(reference)


def test_an_unreachable_archive_stops_the_shipped_targets_within_seconds_with_one_line(tmp_path):
    # the shipped 46 targets at the default rate limits: trying each would take minutes (459 s, 92 error lines)
    db = tmp_path / "t.db"
    began = time.monotonic()
    result = run_cli(
        "crawl",
        "--targets",
        str(ROOT / "data" / "targets.csv"),
        "--db",
        str(db),
        "--archive",
        f"http://127.0.0.1:{free_port()}",
        "--quiet",
        timeout=60,
    )
    assert result.returncode == 3, result.stderr
    assert time.monotonic() - began < 20
    (line,) = result.stderr.splitlines()
    assert "could not be reached" in line and "run the same command again" in line
    assert rows(db, "SELECT status FROM crawl_runs") == [("archive_unreachable",)]
