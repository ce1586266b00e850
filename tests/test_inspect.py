"""``policytrail inspect`` and ``policytrail diff --captures``: why a capture is (not) a new version."""

from __future__ import annotations

import json

from .conftest import run_cli
from .test_chrome import history


def db_of(tmp_path, *names: str) -> str:
    store = history(tmp_path, *names)
    store.close()
    return str(tmp_path / "t.db")


def test_inspect_prints_the_text_and_every_block_left_out_with_why(tmp_path):
    db = db_of(tmp_path, "sidebar-1.html")
    result = run_cli("inspect", "Acme", "20200101000000", "--db", db)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    text, left = out.split("Left out (")
    assert "# Privacy Policy" in text and "Lisbon" not in text
    assert "link-dense block outside the policy text" in left and "New office opens in Lisbon" in left


def test_inspect_names_furniture_learnt_from_other_captures_with_its_evidence(tmp_path):
    db = db_of(tmp_path, "promo-1.html", "promo-2.html", "promo-3.html")
    result = run_cli("inspect", "Acme", "2020-03-01", "--db", db, "--format", "json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert "Try it on the web" not in got["text"] and got["version_id"] is not None
    learnt = [x for x in got["left_out"] if x["reason"].startswith("changes on its own")]
    assert len(learnt) == 1 and "Try it on the web" in learnt[0]["text"]
    assert "20200101000000 -> 20200201000000" in learnt[0]["reason"]


def test_diff_captures_of_one_version_shows_what_the_key_ignored(tmp_path):
    db = db_of(tmp_path, "list-1.html", "list-2.html")
    result = run_cli("diff", "Acme", "--captures", "20200101", "20200201", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "same version" in result.stdout
    assert "-- Access your data" in result.stdout and "+Access your data" in result.stdout


def test_diff_captures_of_two_versions_says_the_words_differ(tmp_path):
    db = db_of(tmp_path, "sidebar-1.html", "sidebar-3.html")
    result = run_cli("diff", "Acme", "--captures", "20200101", "20200201", "--db", db, "--format", "json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert not got["same_version"] and not got["same_words"]
    assert got["text_diff"] == ["+We now also collect your precise location when you allow it."]
    assert {x["text"] for x in got["left_out_only_before"]} and got["left_out_only_after"]  # the headlines rotated


def test_diff_captures_across_a_redesign_says_one_version_and_shows_the_template_s_lines(tmp_path):
    db = db_of(tmp_path, "redesign-1.html", "redesign-2.html")
    result = run_cli("diff", "Acme", "--captures", "20200101", "20200201", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "same version" in result.stdout and "redesign" in result.stdout
    assert "+Last updated on January 28, 2020" in result.stdout


def test_a_timestamp_naming_no_capture_is_a_usage_error_with_the_nearest(tmp_path):
    db = db_of(tmp_path, "tabs-1.html", "tabs-2.html")
    result = run_cli("inspect", "Acme", "2019", "--db", db)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no capture" in result.stderr and "20200101000000" in result.stderr
    result = run_cli("inspect", "Acme", "2020", "--db", db)
    assert result.returncode == 2 and "2 captures of Acme match 2020" in result.stderr
    result = run_cli("inspect", "Nobody", "2020", "--db", db)
    assert result.returncode == 2 and "Acme" in result.stderr


def test_archived_text_cannot_drive_the_terminal(tmp_path):
    db = db_of(tmp_path, "escape.html")
    result = run_cli("inspect", "Acme", "20200101000000", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "raises" in result.stdout
