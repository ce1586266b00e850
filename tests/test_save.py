"""`policytrail save` asks Save Page Now (through waybackpy), politely, 429-aware."""

from __future__ import annotations

import json

from crawler.archive import Archive
from crawler.crawl.save import save_targets

from .archive_shim import Fault
from .conftest import FIXTURES, free_port, run_cli

TARGETS = FIXTURES / "archive" / "targets.csv"


def test_save_requests_one_capture_per_url_and_reports_where(ia_shim):
    result = run_cli(
        "save",
        "--targets",
        str(TARGETS),
        "--company",
        "Acme",
        "--archive",
        ia_shim.url,
        "--per-minute",
        "120",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    saved = json.loads(result.stdout)
    assert [r["url"] for r in saved] == ["https://www.acme.example/privacy", "https://www.acme.example/legal/privacy"]
    assert all(r["status"] == "saved" and r["capture"].startswith(ia_shim.url + "/web/") for r in saved)
    assert ia_shim.saved == [r["url"] for r in saved]
    times = [r.at for r in ia_shim.requests("/save/")]
    assert times[1] - times[0] >= 0.5 * 0.95  # 120 a minute


def test_a_429_waits_for_retry_after_then_a_second_stops_with_exit_3(ia_shim):
    waits = []
    ia_shim.faults.append(Fault("/save/", 429, times=1, retry_after="7"))
    ok = save_targets(
        targets=str(TARGETS), archive=Archive(ia_shim.url), companies=["Beta"], per_minute=60, sleep=waits.append
    )
    assert ok.exit_code == 0 and 7.0 in waits
    ia_shim.faults.append(Fault("/save/", 429, times=2, retry_after="7"))
    stopped = save_targets(
        targets=str(TARGETS), archive=Archive(ia_shim.url), companies=["Beta"], per_minute=60, sleep=waits.append
    )
    assert stopped.exit_code == 3 and "429" in stopped.message


def test_save_refuses_impolite_rates_for_the_wayback_machine():
    result = run_cli("save", "--targets", str(TARGETS), "--per-minute", "30")
    assert result.returncode == 2 and "--per-minute" in result.stderr


def test_save_without_a_network_stops_at_the_first_page_with_exit_3_in_one_line():
    archive = f"http://127.0.0.1:{free_port()}"
    result = run_cli("save", "--targets", str(TARGETS), "--archive", archive, "--per-minute", "60", "--format", "json")
    assert result.returncode == 3, result.stderr
    (line,) = result.stderr.splitlines()
    assert f"The archive at {archive} could not be reached (Connection refused)" in line, line
    assert "0 of 3 pages saved" in line and "run the same command again" in line
    assert "HTTPConnectionPool" not in result.stdout + line
    (row,) = json.loads(result.stdout)  # the pages after it are not tried: they would fail the same way
    assert row["status"] == "unreachable" and row["url"] == "https://www.acme.example/privacy"


def test_save_skips_urls_whose_validity_window_has_ended(ia_shim, tmp_path):
    targets = tmp_path / "targets.csv"
    targets.write_text(
        "company,url,valid_from,valid_to\n"
        "Acme,https://www.acme.example/privacy,2016,2019\n"  # moved away: no longer the policy
        "Acme,https://www.acme.example/legal/privacy,2019,\n"
        "Acme,https://www.acme.example/privacy,2030,\n"  # ... and back, later: still saved once
    )
    result = save_targets(
        targets=str(targets), archive=Archive(ia_shim.url, "ia"), per_minute=600, sleep=lambda s: None
    )
    assert result.exit_code == 0, result.message
    assert ia_shim.saved == ["https://www.acme.example/legal/privacy", "https://www.acme.example/privacy"]


def test_an_archive_that_accepts_and_never_answers_stops_save_with_exit_3(ia_shim, monkeypatch):
    from crawler.crawl import save

    monkeypatch.setattr(save, "SAVE_TIMEOUT", (5.0, 1.0))
    ia_shim.faults.append(Fault("/save/", 200, times=1, hang=5.0))
    stopped = save_targets(targets=str(TARGETS), archive=Archive(ia_shim.url), companies=["Beta"], per_minute=60)
    assert stopped.exit_code == 3 and "did not answer within 1 s" in stopped.message
    assert stopped.rows[0]["status"] == "unreachable"
