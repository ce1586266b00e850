"""Numeric options: one validated number type, finite and within documented bounds, for every command."""

from __future__ import annotations

import math
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.cli import cli
from crawler.errors import UsageError

from .conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
TARGETS = FIXTURES / "archive" / "targets.csv"
LOCAL = "http://127.0.0.1:9"
EXIT_CODES = {0, 1, 2, 3, 75}


@pytest.fixture
def stubbed(monkeypatch):
    """Commands get past validation without a network or a reactor: what they were given is recorded."""
    import os

    import crawler.crawl.run as run
    import crawler.crawl.save as save

    seen: list = []

    def fake_run_crawl(settings):
        seen.append(settings)
        return run.CrawlResult(0, "stub")

    monkeypatch.setattr(run, "run_crawl", fake_run_crawl)
    monkeypatch.setattr(save, "_save_one", lambda url, archive, user_agent: f"{archive.base}/web/20260101000000/{url}")
    monkeypatch.setattr(os, "execv", lambda *args: seen.append(args))
    import crawler.derive
    import crawler.scale.worker as worker
    from crawler.derive import DeriveReport

    monkeypatch.setattr(crawler.derive, "reextract", lambda *args: seen.append(args) or ([], DeriveReport()))
    monkeypatch.setattr(worker, "run_worker", lambda *args, **kw: seen.append(args) or worker.WorkerReport())
    return seen


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


# --------------------------------------------------------------------------- the cases of issue 12


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e9", "1e-9", "0.5", "0", "-1", "31", "abc", "", "1e999"])
def test_crawl_refuses_a_cdx_rate_that_is_not_finite_or_beyond_the_archive_s_limit(stubbed, tmp_path, value):
    result = invoke("crawl", "--targets", str(TARGETS), "--db", str(tmp_path / "t.db"), "--cdx-per-minute", value)
    assert result.exit_code == 2, result.output
    assert "--cdx-per-minute" in result.output and "Traceback" not in result.output
    assert stubbed == []  # nothing crawled


@pytest.mark.parametrize("value", ["nan", "inf", "1e9", "601", "0"])
def test_crawl_refuses_a_memento_rate_that_is_not_finite_or_beyond_the_archive_s_limit(stubbed, tmp_path, value):
    result = invoke("crawl", "--targets", str(TARGETS), "--db", str(tmp_path / "t.db"), "--mementos-per-minute", value)
    assert result.exit_code == 2 and "--mementos-per-minute" in result.output
    assert stubbed == []


@pytest.mark.parametrize("setting", ["POLICYTRAIL_CDX_PER_MINUTE", "POLICYTRAIL_MEMENTOS_PER_MINUTE"])
@pytest.mark.parametrize("value", ["nan", "inf", "1e9", "1e-9", "abc"])
def test_crawl_refuses_the_same_rates_given_as_settings(stubbed, tmp_path, setting, value):
    result = invoke("crawl", "--targets", str(TARGETS), "--db", str(tmp_path / "t.db"), "-s", f"{setting}={value}")
    assert result.exit_code == 2 and setting in result.output, result.output
    assert stubbed == []


@pytest.mark.parametrize(
    "setting, value",
    [("POLICYTRAIL_OVERLAP_DAYS", "1e300"), ("DOWNLOAD_TIMEOUT", "0"), ("DNS_TIMEOUT", "nan"),
     ("POLICYTRAIL_MAX_REDIRECT_HOPS", "2.5"), ("POLICYTRAIL_PLAN_BATCH", "0"), ("POLICYTRAIL_LEASE_SECONDS", "-1")],
)  # fmt: skip
def test_crawl_refuses_numeric_settings_out_of_bounds_in_one_line(stubbed, tmp_path, setting, value):
    result = invoke("crawl", "--targets", str(TARGETS), "--db", str(tmp_path / "t.db"), "-s", f"{setting}={value}")
    assert result.exit_code == 2 and setting in result.output and "Traceback" not in result.output, result.output
    assert stubbed == []


def test_numeric_settings_within_bounds_are_taken(stubbed, tmp_path):
    args = ("crawl", "--targets", str(TARGETS), "--db", str(tmp_path / "t.db"))
    assert invoke(*args, "-s", "DOWNLOAD_TIMEOUT=2.5", "-s", "POLICYTRAIL_OVERLAP_DAYS=7").exit_code == 0
    assert stubbed[0].getfloat("DOWNLOAD_TIMEOUT") == 2.5 and stubbed[0].getfloat("POLICYTRAIL_OVERLAP_DAYS") == 7


def test_an_archive_on_this_machine_may_be_asked_faster_but_not_absurdly_fast(stubbed, tmp_path):
    args = ("crawl", "--targets", str(TARGETS), "--db", str(tmp_path / "t.db"), "--archive", LOCAL)
    assert invoke(*args, "--cdx-per-minute", "600", "--mementos-per-minute", "6000").exit_code == 0
    assert stubbed[0].getfloat("POLICYTRAIL_CDX_PER_MINUTE") == 600.0
    assert invoke(*args, "--cdx-per-minute", "1e9").exit_code == 2
    assert invoke(*args, "--mementos-per-minute", "nan").exit_code == 2


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1", "13", "1e-9"])
def test_save_refuses_a_rate_that_is_not_finite_or_above_the_cap(stubbed, value):
    result = invoke("save", "--targets", str(TARGETS), "--company", "Acme", "--per-minute", value)
    assert result.exit_code == 2 and "--per-minute" in result.output, result.output


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1", "1e9"])
def test_query_refuses_a_time_limit_that_would_disable_the_runaway_guard(hostile_db, value):
    result = invoke("query", "SELECT 1", "--db", str(hostile_db), "--time-limit", value)
    assert result.exit_code == 2 and "--time-limit" in result.output, result.output


@pytest.mark.parametrize("value", ["-1", "1.5", "nan", "1e99"])
def test_search_refuses_a_negative_or_fractional_limit(hostile_db, value):
    result = invoke("search", "personal", "--db", str(hostile_db), "--limit", value)
    assert result.exit_code == 2 and "--limit" in result.output, result.output


@pytest.mark.parametrize("value", ["0", "-1", "65536", "nan"])
def test_browse_refuses_a_port_that_does_not_exist(stubbed, hostile_db, value):
    result = invoke("browse", "--db", str(hostile_db), "--port", value)
    assert result.exit_code == 2 and "--port" in result.output, result.output
    assert stubbed == []


def test_the_api_refuses_the_same_values_as_the_options(hostile_db):
    from crawler.archive import Archive
    from crawler.crawl.save import save_targets
    from crawler.outputs.research import run_query, search_clauses

    with pytest.raises(UsageError, match="time limit"):
        run_query(hostile_db, "SELECT 1", time_limit=math.nan)
    with pytest.raises(UsageError, match="limit"):
        search_clauses(hostile_db, "personal", limit=-1)
    with pytest.raises(UsageError, match="per-minute"):
        save_targets(targets=str(TARGETS), archive=Archive("https://web.archive.org"), per_minute=math.inf)


# --------------------------------------------------------------------------- every numeric option


def numeric_options() -> list[tuple[str, click.Option]]:
    from crawler.options import Number

    return [
        (name, param)
        for name, command in sorted(cli.commands.items())
        for param in command.params
        if isinstance(param, click.Option) and isinstance(param.type, Number)
    ]


def test_every_numeric_option_of_every_command_uses_the_validated_number_type():
    loose = [
        f"{name} {param.opts[0]}"
        for name, command in cli.commands.items()
        for param in command.params
        if isinstance(param.type, click.types._NumberParamTypeBase)
    ]
    assert loose == []
    assert {(name, p.opts[0]) for name, p in numeric_options()} >= {
        ("crawl", "--cdx-per-minute"),
        ("crawl", "--mementos-per-minute"),
        ("crawl", "--cdx-page-size"),
        ("save", "--per-minute"),
        ("query", "--time-limit"),
        ("search", "--limit"),
        ("browse", "--port"),
        ("review", "--clauses"),
    }


def test_the_readme_documents_the_bounds_of_every_numeric_option():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Numeric options") :]
    for name, param in numeric_options():
        row = re.search(rf"^\| `{name}` \| `{param.opts[0]}` \|(.*)$", section, re.M)
        assert row, f"README lacks the bounds of {name} {param.opts[0]}"
        assert param.type.describe() in row.group(1)


# values as a careless or hostile user types them: floats of every kind, ints, any text
_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers().map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(lambda i: f"{i}e{i % 40}"),
    st.text(max_size=20),
    st.sampled_from(["nan", "NaN", "inf", "-Infinity", "1e9", "1e-9", "0", "-0", "-1", "", " 7 ", "1_000", "0x10"]),
    # near and at the bounds, where most of the answers should be yes
    st.floats(min_value=-1, max_value=70_000).map(str),
    st.integers(min_value=-1, max_value=160_000).map(str),
    st.sampled_from(["0.09", "0.1", "0.99", "1", "12", "12.01", "30", "30.5", "600", "601", "3600", "65535", "150000"]),
)


def _base_args(tmp_path: Path, db: Path) -> dict[str, tuple[str, ...]]:
    """Per command, arguments that take it as far as using its numbers (a new numeric command needs a row)."""
    return {
        "crawl": ("--targets", str(TARGETS), "--db", str(tmp_path / "new.db")),  # the Internet Archive
        "crawl@local": ("--targets", str(TARGETS), "--db", str(tmp_path / "new.db"), "--archive", LOCAL),
        "save": ("--targets", str(TARGETS), "--company", "Beta"),
        "save@local": ("--targets", str(TARGETS), "--company", "Beta", "--archive", LOCAL),
        "query": ("SELECT company FROM documents", "--db", str(db)),
        "search": ("policy", "--db", str(db)),
        "browse": ("--db", str(db)),
        "review": ("Acme", "--db", str(db)),  # no key to read: it shows the first change and ends
        "reextract": ("--db", str(db)),
        "worker": ("--redis", "redis://127.0.0.1:9/0", "--db", str(tmp_path / "shard.db")),
        "worker@local": ("--redis", "redis://127.0.0.1:9/0", "--db", str(tmp_path / "shard.db"), "--archive", LOCAL),
    }


def _number(text: str) -> float | None:
    try:
        return float(text.strip()) if text.strip().isascii() else None
    except ValueError:
        return None


def test_random_values_for_every_numeric_option_give_a_documented_exit_code_and_no_traceback(
    stubbed, hostile_db, tmp_path
):
    base = _base_args(tmp_path, hostile_db)
    cases = [(variant, param) for name, param in numeric_options() for variant in base if variant.split("@")[0] == name]
    assert {p.opts[0] for _, p in cases} == {p.opts[0] for _, p in numeric_options()}, "a command lacks base args"

    @settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(cases), _VALUES)
    def check(case, value):
        variant, param = case
        result = CliRunner().invoke(cli, [variant.split("@")[0], *base[variant], param.opts[0], value])
        assert isinstance(result.exception, SystemExit | None), result.exception
        assert result.exit_code in EXIT_CODES, result.output
        assert "Traceback" not in result.output
        number = _number(value)
        if number is None or not math.isfinite(number) or not param.type.low <= number <= param.type.high:
            assert result.exit_code == 2, (value, result.output)
        if result.exit_code == 0:  # accepted: a finite number within the documented bounds
            assert number is not None and param.type.low <= number <= param.type.high

    check()
