"""Targets files: valid rows load; every bad row is reported with its line number."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.crawl.targets import load_targets
from crawler.errors import TargetsError, UsageError

TARGETS = Path(__file__).parent / "fixtures" / "targets"
ROOT = Path(__file__).resolve().parent.parent


def test_good_file_loads_with_documents_defaulted():
    targets = load_targets(TARGETS / "good.csv")
    assert [(t.company, t.line) for t in targets] == [("Krop", 3), ("Krop", 4), ("Acme, Inc.", 6)]
    assert targets[2].document == "privacy policy"


def test_company_filter_is_case_insensitive_and_unknown_companies_are_errors():
    assert len(load_targets(TARGETS / "good.csv", ["krop"])) == 2
    with pytest.raises(UsageError, match=r"no company 'nobody' in .*good.csv; known: 'Acme, Inc.', 'Krop'"):
        load_targets(TARGETS / "good.csv", ["nobody"])


def test_every_bad_row_is_reported_with_its_line():
    with pytest.raises(TargetsError) as err:
        load_targets(TARGETS / "bad.csv")
    problems = err.value.problems
    assert problems == [
        "line 3: url 'ftp://acme.example/privacy' is not an http(s) URL",
        "line 4: missing company",
        "line 5: duplicate url https://www.krop.com/privacy (first on line 2)",
        "line 6: missing url",
    ]


def test_header_must_name_company_and_url():
    with pytest.raises(TargetsError, match="line 1: header"):
        load_targets(TARGETS / "bad_header.csv")


def test_missing_and_undecodable_files_are_clear_errors(tmp_path):
    with pytest.raises(TargetsError, match="file not found"):
        load_targets(tmp_path / "nope.csv")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(b"company,url\nCaf\xe9,https://cafe.example/privacy\n")
    with pytest.raises(TargetsError, match="line 2: not valid UTF-8"):
        load_targets(bad)


def test_a_folder_or_an_endless_device_is_a_clear_error_not_a_hang(tmp_path):
    with pytest.raises(TargetsError, match="Is a directory"):
        load_targets(tmp_path)
    with pytest.raises(TargetsError, match="larger than 64 MiB"):
        load_targets("/dev/zero")


def test_shipped_starter_list_is_valid_and_has_krop():
    targets = load_targets(ROOT / "data" / "targets.csv")
    assert len({t.company for t in targets}) >= 25
    assert any(t.url == "https://www.krop.com/privacy" for t in targets)


@pytest.mark.parametrize(
    "cell, where",
    [
        ("Ac\x00me,https://acme.example/privacy", "company"),
        ("Acme,https://acme.example/pri\x00vacy", "url"),
        ("Acme,https://acme.example/privacy,terms\x00", "document"),
        ("Acme\x1b[31m,https://acme.example/privacy", "company"),
        ('"Acme\nInc",https://acme.example/privacy', "company"),
        ("Acme,https://acme.example/privacy\x7f", "url"),
        ("Ac\x85me,https://acme.example/privacy", "company"),
    ],
    ids=["nul-company", "nul-url", "nul-document", "escape", "newline-in-quotes", "delete", "c1-next-line"],
)
def test_control_characters_are_refused_with_the_line_and_the_column(tmp_path, cell, where):
    path = tmp_path / "targets.csv"
    path.write_text(f"company,url,document\n# a comment\n{cell}\n", encoding="utf-8")
    with pytest.raises(TargetsError) as err:
        load_targets(path)
    (problem,) = err.value.problems
    assert re.match(rf"line [34]: control character U\+00[0-9A-F]{{2}} in {where}$", problem), problem


@pytest.mark.parametrize(
    "again",
    [
        "https://www.krop.com/privacy/",
        "HTTPS://WWW.KROP.COM/privacy",
        "https://www.Krop.com:443/privacy",
        "http://www.krop.com/privacy",
        "https://www.krop.com/privacy#top",
    ],
)
def test_the_same_page_written_differently_is_a_duplicate_and_keeps_how_it_was_written(tmp_path, again):
    path = tmp_path / "targets.csv"
    path.write_text(f"company,url\nKrop,https://www.krop.com/privacy\nKrop,{again}\n", encoding="utf-8")
    with pytest.raises(TargetsError) as err:
        load_targets(path)
    assert err.value.problems == [
        f"line 3: duplicate url {again} (the same page as https://www.krop.com/privacy on line 2)"
    ]
    path.write_text(f"company,url\nKrop,{again}\n", encoding="utf-8")
    assert [t.url for t in load_targets(path)] == [again]


@pytest.mark.parametrize(
    "other",
    ["https://www.krop.com/Privacy", "https://www.krop.com/privacy?lang=de", "https://www.krop.com:8443/privacy"],
)
def test_different_pages_of_one_site_are_not_duplicates(tmp_path, other):
    path = tmp_path / "targets.csv"
    path.write_text(f"company,url\nKrop,https://www.krop.com/privacy\nKrop,{other}\n", encoding="utf-8")
    assert len(load_targets(path)) == 2


@pytest.mark.parametrize("port", ["99999", "abc", "-1"])
def test_a_url_with_an_impossible_port_is_refused_with_its_line(tmp_path, port):
    path = tmp_path / "targets.csv"
    path.write_text(f"company,url\nKrop,https://www.krop.com:{port}/privacy\n", encoding="utf-8")
    with pytest.raises(TargetsError) as err:
        load_targets(path)
    assert err.value.problems == [f"line 2: url 'https://www.krop.com:{port}/privacy' has an invalid port"]
