"""The command line: clean errors with documented exit codes, and every command documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import cli

from .conftest import FIXTURES, crawl, free_port, run_cli

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
