"""How a crawl run starts and ends, as a scheduler sees it: bad settings, signals, and the run's record."""

from __future__ import annotations

import pytest

from crawler.crawl.run import parse_overrides

from .conftest import FIXTURES, run_cli

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
