"""The command line: clean errors with documented exit codes, and every command documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import cli

from .conftest import FIXTURES, crawl, free_port, rows, run_cli

ROOT = Path(__file__).resolve().parent.parent


def test_bad_targets_file_exits_2_naming_the_line_and_crawls_nothing(tmp_path):
    db = tmp_path / "t.db"
    result = run_cli(
        "crawl", "--targets", str(FIXTURES / "targets" / "bad.csv"), "--db", str(db), "--archive", "http://127.0.0.1:9"
    )
    assert result.returncode == 2
    assert "line 3: url 'ftp://acme.example/privacy' is not an http(s) URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert not db.exists()


def test_unreachable_archive_exits_3_with_a_clear_message(tmp_path):
    result = crawl(f"http://127.0.0.1:{free_port()}", tmp_path / "t.db", "--company", "Acme")
    assert result.returncode == 3, result.stderr
    assert "could not be reached" in result.stderr and "Traceback" not in result.stderr


def test_limits_are_lifted_only_for_a_local_archive(tmp_path):
    result = run_cli(
        "crawl", "--targets", str(FIXTURES / "archive" / "targets.csv"), "--db", str(tmp_path / "t.db"), "--unthrottled"
    )
    assert result.returncode == 2
    assert "only allowed for an archive on this machine" in result.stderr


def test_a_host_name_that_merely_starts_with_127_is_not_local(tmp_path):
    db = tmp_path / "t.db"
    result = run_cli(
        "crawl",
        "--targets",
        str(FIXTURES / "archive" / "targets.csv"),
        "--db",
        str(db),
        "--archive",
        "http://127.attacker.example",
        "--unthrottled",
    )
    assert result.returncode == 2, result.stderr
    assert "only allowed for an archive on this machine" in result.stderr
    assert not db.exists()


def test_a_corrupt_database_is_refused_without_a_traceback(tmp_path):
    db = tmp_path / "t.db"
    db.write_bytes(b"this is not sqlite" * 100)
    result = run_cli(
        "crawl",
        "--targets",
        str(FIXTURES / "archive" / "targets.csv"),
        "--db",
        str(db),
        "--archive",
        "http://127.0.0.1:9",
    )
    assert result.returncode == 1 and "cannot open database" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"^### `policytrail {command}", readme, re.M), f"README lacks a section on {command}"


def test_exit_codes_are_documented():
    readme = (ROOT / "README.md").read_text()
    for code in ("0", "1", "2", "3", "75"):
        assert re.search(rf"^\| {code} \|", readme, re.M)


def test_json_summary_gives_job_runners_the_exit_code_run_and_figures(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    result = crawl(ia_shim, db, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["exit_code"] == 0 and report["message"] == "Finished." and report["finish_reason"] == "finished"
    assert rows(db, "SELECT id, status FROM crawl_runs") == [(report["run_id"], "finished")]
    assert {c["company"] for c in report["companies"]} == {"Acme", "Beta"}
    assert report["figures"]["snapshots"] > 0 and report["figures"]["versions"] > 0
    assert report["started"] < report["finished"]


def test_quiet_prints_nothing_on_success_and_the_reason_on_failure(ia_shim, tmp_path):
    ok = crawl(ia_shim, tmp_path / "ok.db", "--quiet")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    down = crawl(f"http://127.0.0.1:{free_port()}", tmp_path / "down.db", "--quiet")
    assert down.returncode == 3 and down.stdout == ""
    assert "could not be reached" in down.stderr and "Traceback" not in down.stderr


def test_log_file_keeps_the_whole_log_for_cron(ia_shim, tmp_path):
    log = tmp_path / "logs" / "crawl.log"
    log.parent.mkdir()
    result = crawl(ia_shim, tmp_path / "t.db", "--quiet", "--log-file", str(log))
    assert result.returncode == 0 and result.stderr == ""
    text = log.read_text()
    assert "Spider closed (finished)" in text and "derive:" in text


def test_settings_are_overridden_with_dash_s_and_bad_pairs_are_refused(ia_shim, tmp_path):
    bad = crawl(ia_shim, tmp_path / "t.db", "-s", "download_timeout")
    assert bad.returncode == 2 and "-s expects NAME=VALUE" in bad.stderr
    ok = crawl(ia_shim, tmp_path / "t.db", "--json", "-s", "POLICYTRAIL_DERIVE_ON_CLOSE=False")
    assert ok.returncode == 0 and "versions" not in json.loads(ok.stdout)["figures"]
