"""Extraction keeps a policy's structure and drops page chrome; non-policies say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract import extract

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_headings_lists_tables_and_paragraphs_are_kept_as_structure():
    result = extract(load("structure.html"), "text/html")
    assert result.is_policy
    lines = result.text.split("\n\n")
    assert lines[0] == "# Privacy Policy"
    assert "## 1. What we collect" in lines
    assert "3. Your name" in lines and "4. Your e-mail address" in lines
    assert "- Cookies" in lines and "  - Analytics cookies" in lines
    assert "Data | Retention" in lines and "Logs | 30 days" in lines
    assert "Line one" in lines and "line two" in lines


def test_scripts_styles_forms_navigation_banners_and_footers_are_dropped():
    text = extract(load("structure.html"), "text/html").text
    for chrome in ("alert(1)", "color:red", "Brand", "Accept cookies", "Search", "2024"):
        assert chrome not in text


@pytest.mark.parametrize(
    "fixture,reason",
    [
        ("cloudflare.html", "bot challenge"),
        ("soft404.html", "soft 404"),
        ("homepage.html", "no privacy wording"),
    ],
)
def test_pages_that_are_not_a_policy_say_why(fixture, reason):
    result = extract(load(fixture), "text/html")
    assert result.verdict == "not_policy" and reason in result.reason and result.text == ""


def test_meta_charset_is_honoured_when_the_header_has_none():
    result = extract(load("cp1252.html"), "text/html")
    assert result.is_policy and "Café customers'" in result.text and "privacy - we never" in result.text


def test_broken_bytes_never_crash():
    body = load("structure.html").replace(b"personal", b"pers\xff\xfeonal")
    assert extract(body, "text/html; charset=utf-8").is_policy
    assert extract(b"\x00\x01\x02garbage", "text/html").verdict == "not_policy"


def test_same_text_in_two_page_designs_extracts_identically():
    a = extract((SAMPLE / "krop" / "privacy-2016-a.html").read_bytes(), "text/html")
    b = extract((SAMPLE / "krop" / "privacy-2016-b.html").read_bytes(), "text/html")
    assert a.is_policy and a.text == b.text


def test_pdf_is_stored_but_unsupported_for_now():
    result = extract((SAMPLE / "krop" / "privacy.pdf").read_bytes(), "application/pdf")
    assert result.verdict == "unsupported" and "application/pdf" in result.reason
