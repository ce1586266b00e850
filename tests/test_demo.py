"""`policytrail demo`: the sample archive, crawled into its own database, twice."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import psutil

from .conftest import ROOT, rows, run_cli, table_counts


def test_demo_crawls_the_sample_into_its_own_database_and_reruns_cleanly(tmp_path):
    db, workdir = tmp_path / "demo.db", tmp_path / "work"
    first = run_cli("demo", "--db", str(db), "--workdir", str(workdir), "--format", "json")
    assert first.returncode == 0, first.stderr
    summary = {r["company"]: r for r in json.loads(first.stdout.split("\nDemo database")[0])}
    assert set(summary) == {"Krop", "KR Online", "HER", "happn", "Match"}
    krop = summary["Krop"]
    assert (krop["captures"], krop["versions"], krop["failed"], krop["pending"]) == (11, 4, 0, 0)
    assert summary["KR Online"]["versions"] == 2
    assert "Try next" in first.stdout
    # the 2017-03-27 capture the project started from is in force from that date
    assert rows(db, "SELECT count(*) FROM captures WHERE timestamp = '20170327070820' AND version_id IS NOT NULL") == [
        (1,)
    ]
    _the_report_shows_the_overview(db, tmp_path / "site")
    before = table_counts(db)
    second = run_cli("demo", "--db", str(db), "--workdir", str(workdir), "--format", "json")
    assert second.returncode == 0, second.stderr
    assert table_counts(db) == before
    log = (workdir / "pywb" / "access.log").read_text().splitlines()
    second_run = log[len(log) - 6 :]
    assert all("/cdx?" in line for line in second_run)  # six targets listed, no memento fetched


def _the_report_shows_the_overview(db, site) -> None:
    """The demo's report links an overview whose charts count what the demo database holds."""
    report = run_cli("report", "--db", str(db), "--out", str(site))
    assert report.returncode == 0, report.stderr
    assert 'href="overview.html"' in (site / "index.html").read_text()
    overview = (site / "overview.html").read_text()
    assert overview.count('<svg class="chart"') == 6 and overview.count('<div class="numbers">') == 6
    with open(site / "overview-changes-per-month.csv", newline="") as fh:
        months = list(csv.DictReader(fh))
    assert (months[0]["month"], months[-1]["month"]) == ("2016-04", "2026-05")  # Krop's first, happn's last
    # 20 since html-3: HER's 2024-05-24 -> 05-28 added only call-to-action links, and its 2025-03 -> 04
    # re-nested every list with each word the same (a cosmetic layout change, not a version)
    assert sum(int(m["changes"]) for m in months) == rows(db, "SELECT count(*) FROM policy_changes")[0][0] == 20
    assert max(int(m["companies observed"]) for m in months) == 3


def _pywb_children(pid: int) -> list[psutil.Process]:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if any("pywb_server.py" in part for part in child.cmdline()):
                found.append(child)
        except psutil.Error:
            pass
    return found


def _gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE  # dead, waiting for its new parent to reap it
    except psutil.NoSuchProcess:
        return True


def test_pywb_dies_with_a_demo_killed_by_sigkill(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    demo = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "demo", "--db", str(tmp_path / "demo.db"), "--workdir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pywb: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while not pywb and demo.poll() is None and time.monotonic() < deadline:
            pywb = _pywb_children(demo.pid)
            time.sleep(0.02)
        assert pywb, "the demo never started pywb"
        log = tmp_path / "pywb" / "access.log"  # killed mid-crawl, when pywb has long answered its start-up
        while demo.poll() is None and time.monotonic() < deadline and not (log.exists() and log.read_text()):
            time.sleep(0.02)
        assert demo.poll() is None, "the demo finished before it could be killed"
        os.kill(demo.pid, signal.SIGKILL)  # no handler runs: the demo cannot stop pywb itself
        demo.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not _gone(pywb[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(pywb[0]), "pywb kept running after the demo was killed"
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(timeout=10)
        for proc in pywb:  # the one we saw, by its PID, whatever the outcome
            if not _gone(proc):
                proc.kill()
