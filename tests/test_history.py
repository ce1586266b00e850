"""`policytrail diff`: the versions in force at given times, as text, JSON and escaped HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.archive import Archive
from crawler.cli import cli
from crawler.derive import derive
from crawler.errors import UsageError
from crawler.outputs.history import Citation, pair_to_compare
from crawler.store.store import Store

from .test_derive import A, B, build
from .test_storage import capture, snapshot

EVIL = (Path(__file__).parent / "fixtures" / "extract" / "hostile.html").read_bytes()


@pytest.fixture
def db(tmp_path):
    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "B", B), ("20200101000000", "A", A)])
    derive(store)
    store.close()
    return tmp_path / "t.db"


def test_default_is_the_latest_change(db):
    pair = pair_to_compare(Store(db), "acme")
    assert (pair.old.start_ts, pair.new.start_ts) == ("20190101000000", "20200101000000")


def test_times_pick_the_versions_in_force_then(db):
    pair = pair_to_compare(Store(db), "Acme", "2018-06-01", "20190615")
    assert (pair.old.start_ts, pair.new.start_ts) == ("20180101000000", "20190101000000")
    with pytest.raises(UsageError, match="before the first known version"):
        pair_to_compare(Store(db), "Acme", "2010")


def test_text_output_marks_words_without_colour_off_a_terminal(db):
    result = CliRunner().invoke(cli, ["diff", "Acme", "--db", str(db), "--from", "2018", "--to", "2019"])
    assert result.exit_code == 0, result.output
    assert "[modified] substantive" in result.output and "{+" in result.output and "[-" in result.output
    assert "\x1b[" not in result.output


def test_json_output_follows_the_schema(db):
    result = CliRunner().invoke(cli, ["diff", "Acme", "--db", str(db), "--format", "json"])
    data = json.loads(result.output)
    assert set(data) == {"company", "document", "from", "to", "counts", "fallbacks", "changes"}
    change = data["changes"][0]
    assert set(change) == {
        "kind",
        "old_positions",
        "new_positions",
        "old_text",
        "new_text",
        "word_diff",
        "significance",
        "tags",
        "section",
    }
    assert all(op in ("=", "-", "+") for op, _ in change["word_diff"])


def test_html_output_escapes_archived_content(tmp_path):
    store = Store(tmp_path / "t.db")
    tid = store.upsert_target("Evil", "https://evil.example/privacy", "privacy policy")
    capture(store, tid, "20180101000000", "A", url="https://evil.example/privacy")
    snapshot(store, "A", "20180101000000", A, url="https://evil.example/privacy")
    capture(store, tid, "20190101000000", "E", url="https://evil.example/privacy")
    snapshot(store, "E", "20190101000000", EVIL, url="https://evil.example/privacy")
    derive(store)
    store.close()
    result = CliRunner().invoke(cli, ["diff", "Evil", "--db", str(tmp_path / "t.db"), "--format", "html"])
    assert result.exit_code == 0, result.output
    html = result.output
    assert "&lt;script&gt;alert" in html and "&lt;img src=x onerror" in html
    assert "<script" not in html and "<img" not in html and "</textarea>" not in html
    assert "javascript:" not in html or 'href="javascript:' not in html


def test_unknown_company_and_missing_database_are_clean_errors(db, tmp_path):
    result = CliRunner().invoke(cli, ["diff", "Nobody", "--db", str(db)])
    assert result.exit_code == 2 and "no company 'Nobody'" in result.output
    result = CliRunner().invoke(cli, ["diff", "Acme", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no database" in result.output
    assert not (tmp_path / "none.db").exists()


def test_a_citation_names_the_archive_and_collection_crawled():
    ts, url = "20190610000000", "https://gamma.example/privacy"
    assert Citation("web.archive.org", url, ts, None).memento() == f"https://web.archive.org/web/{ts}id_/{url}"
    other = Archive("https://archive.example/wayback", "pywb", "ukgwa")
    cited = Citation(other.key, url, ts, None)
    assert cited.base == "https://archive.example/wayback"
    assert cited.memento() == other.memento_url(ts, url) == f"https://archive.example/wayback/ukgwa/{ts}id_/{url}"
    assert cited.memento("") == f"https://archive.example/wayback/ukgwa/{ts}/{url}"
    assert Citation("local/ukgwa", url, ts, None).memento() == f"/ukgwa/{ts}id_/{url}"


# --------------------------------------------------------------------------- file names from company names

LONG = "Very Long Holdings " + "International " * 20 + "L"  # 300 characters


@pytest.fixture
def long_named(tmp_path):
    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "B", B)])
    for company in (LONG, LONG + " Europe"):  # the same first 200 characters
        tid = store.upsert_target(company, f"https://{len(company)}.example/privacy", "privacy policy")
        capture(store, tid, "20180101000000", "A", url=f"https://{len(company)}.example/privacy")
        capture(store, tid, "20190101000000", "B", url=f"https://{len(company)}.example/privacy")
    derive(store)
    store.close()
    return tmp_path / "t.db"


def test_slugs_are_bounded_distinct_and_stable():
    from crawler.outputs.history import MAX_SLUG, slugify

    assert len(LONG) == 300
    long, longer = slugify(LONG), slugify(LONG + " Europe")
    assert len(long) <= MAX_SLUG and len(longer) <= MAX_SLUG and long != longer
    assert long.startswith("very-long-holdings-international-") and slugify(LONG) == long
    assert slugify("Evil <b>Corp</b>") == "evil-b-corp-b"  # short names keep their slug (anchors, feed ids)


def test_a_name_without_latin_letters_gets_a_slug_of_its_own_whatever_the_other_companies():
    from crawler.outputs.history import slugify

    tokyo, seoul = slugify("東京電力"), slugify("서울")
    assert tokyo.startswith("document-") and seoul.startswith("document-") and tokyo != seoul
    assert slugify("東京電力") == tokyo and "-x" not in tokyo


@pytest.mark.parametrize("command", [("report",), ("export", "--format", "markdown")])
def test_a_300_character_company_name_gives_short_file_names_stable_across_runs(long_named, tmp_path, command):
    names = []
    for run in ("one", "two"):
        out = tmp_path / run
        result = CliRunner().invoke(cli, [*command, "--db", str(long_named), "--out", str(out)])
        assert result.exit_code == 0, result.output
        names.append(sorted(p.name for p in out.iterdir()))
    assert names[0] == names[1] and len(names[0]) >= 3
    assert all(len(name.encode()) <= 100 for name in names[0])


@pytest.mark.parametrize("from_ts, to_ts", [("2020", "2019"), ("2019-06-01", "2019-05-31"), ("2019", "2019-06")])
def test_a_from_later_than_to_is_refused_rather_than_shown_reversed(db, from_ts, to_ts):
    with pytest.raises(UsageError, match=f"--from {from_ts} .* is later than --to {to_ts}"):
        pair_to_compare(Store(db), "Acme", from_ts, to_ts)
    result = CliRunner().invoke(cli, ["diff", "Acme", "--db", str(db), "--from", from_ts, "--to", to_ts])
    assert result.exit_code == 2 and "is later than --to" in result.output, result.output


def test_the_same_time_twice_is_allowed(db):
    pair = pair_to_compare(Store(db), "Acme", "2019", "2019")
    assert pair.old == pair.new
