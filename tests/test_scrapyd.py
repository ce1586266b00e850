"""The Scrapyd deploy target: build the egg with scrapyd-deploy, run the spider under a real scrapyd.

The crawl itself does the post-crawl work (lock, run record, derive), so a Scrapyd job ends with
the same database as ``policytrail crawl``.
"""

from __future__ import annotations

import configparser
import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from crawler.store.lock import DatabaseLock

from .conftest import FIXTURES, ROOT, content, crawl, free_port, rows

BIN = Path(sys.executable).parent
PROJECT_FILES = ("crawler", "spiders", "scrapy.cfg", "pyproject.toml", "README.md", "LICENSE")


def _api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=30) as resp:
        return json.loads(resp.read())


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    """A scrapyd on 127.0.0.1 with this project deployed through its scrapy.cfg [deploy] target."""
    work = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (work / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\npoll_interval = 0.5\nmax_proc = 1\n"
        f"eggs_dir = {work / 'eggs'}\nlogs_dir = {work / 'logs'}\ndbs_dir = {work / 'dbs'}\nitems_dir =\n"
    )
    log = open(work / "scrapyd.out", "wb")
    proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=work, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _api(base, "daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (work / "scrapyd.out").read_text()
                time.sleep(0.2)
        # deploy from a copy of the project (scrapyd-deploy writes build files next to scrapy.cfg)
        project = work / "project"
        project.mkdir()
        for name in PROJECT_FILES:
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, project / name)
        cfg = configparser.ConfigParser()
        cfg.read(project / "scrapy.cfg")
        cfg["deploy"]["url"] = base + "/"  # the repository's target, pointed at this server
        with open(project / "scrapy.cfg", "w") as fh:
            cfg.write(fh)
        egg = work / "policytrail.egg"
        built = subprocess.run(
            [str(BIN / "scrapyd-deploy"), f"--build-egg={egg}"], cwd=project, capture_output=True, text=True
        )
        assert built.returncode == 0 and egg.stat().st_size > 0, built.stderr
        deployed = subprocess.run(
            [str(BIN / "scrapyd-deploy"), "--version", "1"], cwd=project, capture_output=True, text=True
        )  # fmt: skip
        assert deployed.returncode == 0 and '"status": "ok"' in deployed.stdout, deployed.stdout + deployed.stderr
        yield base, work
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _run_job(base: str, work: Path, settings: dict) -> str:
    data = [("project", "policytrail"), ("spider", "wayback")] + [("setting", f"{k}={v}") for k, v in settings.items()]
    job = _api(base, "schedule.json", data)["jobid"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(j["id"] == job for j in _api(base, "listjobs.json?project=policytrail")["finished"]):
            return (work / "logs" / "policytrail" / "wayback" / f"{job}.log").read_text()
        time.sleep(0.5)
    raise AssertionError(f"scrapyd job {job} did not finish in 120 s")


def _crawl_settings(db: Path, shim) -> dict:
    """The job's settings: the fixture targets, from the IA shim, limits lifted (loopback)."""
    return {
        "POLICYTRAIL_DB": db,
        "POLICYTRAIL_TARGETS": FIXTURES / "archive" / "targets.csv",
        "POLICYTRAIL_ARCHIVE": shim.url,
        "POLICYTRAIL_UNTHROTTLED": "True",
    }


def test_the_egg_holds_the_spider_and_the_package_data(scrapyd):
    base, _ = scrapyd
    assert _api(base, "listspiders.json?project=policytrail")["spiders"] == ["wayback"]


def test_a_scrapyd_job_ends_with_the_same_database_as_the_cli(scrapyd, ia_shim, tmp_path):
    base, work = scrapyd
    db = tmp_path / "scrapyd.db"
    log = _run_job(base, work, _crawl_settings(db, ia_shim))
    assert "Spider closed (finished)" in log and "derive:" in log, log[-3000:]
    ((status, figures),) = rows(db, "SELECT status, figures FROM crawl_runs")
    assert status == "finished" and json.loads(figures)
    reference = tmp_path / "cli.db"
    assert crawl(ia_shim, reference).returncode == 0
    assert content(db) == content(reference)
    DatabaseLock(db).acquire().release()  # the job released its lock


def test_a_scrapyd_job_leaves_a_locked_database_alone(scrapyd, ia_shim, tmp_path):
    base, work = scrapyd
    db = tmp_path / "locked.db"
    with DatabaseLock(db):
        log = _run_job(base, work, _crawl_settings(db, ia_shim))
    assert "another policytrail run" in log.lower() or "locked" in log.lower(), log[-3000:]
    assert not ia_shim.requests(), "a locked database must stop the job before any request"
