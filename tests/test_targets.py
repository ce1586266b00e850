"""Targets files: valid rows load; every bad row is reported with its line number."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.crawl.targets import load_targets
from crawler.errors import TargetsError

TARGETS = Path(__file__).parent / "fixtures" / "targets"
ROOT = Path(__file__).resolve().parent.parent


def test_good_file_loads_with_documents_defaulted():
    targets = load_targets(TARGETS / "good.csv")
    assert [(t.company, t.line) for t in targets] == [("Krop", 3), ("Krop", 4), ("Acme, Inc.", 6)]
    assert targets[2].document == "privacy policy"


def test_company_filter_is_case_insensitive_and_unknown_companies_are_errors():
    assert len(load_targets(TARGETS / "good.csv", ["krop"])) == 2
    with pytest.raises(TargetsError, match="no target for company 'nobody'"):
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


def test_shipped_starter_list_is_valid_and_has_krop():
    targets = load_targets(ROOT / "data" / "targets.csv")
    assert len({t.company for t in targets}) >= 25
    assert any(t.url == "https://www.krop.com/privacy" for t in targets)
