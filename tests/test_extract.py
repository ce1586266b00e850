"""Extraction keeps a policy's structure and drops page chrome; non-policies say why."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from crawler.extract.page import extract, skeleton

from .pdfgen import text_pdf

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
SAMPLE = Path(__file__).resolve().parent.parent / "crawler" / "localarchive" / "sample"


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
        ("cloudflare.html", "bot challenge (Cloudflare)"),
        ("imperva.html", "bot challenge (Imperva)"),
        ("akamai.html", "bot challenge (Akamai)"),
        ("soft404.html", "soft 404"),
        ("cookie-wall.html", "cookie wall"),
        ("login.html", "login page"),
        ("homepage.html", "no privacy wording"),
        ("empty.html", "near-empty page (0 characters"),
        ("moved.html", "page moved stub"),
    ],
)
def test_pages_that_are_not_a_policy_say_why(fixture, reason):
    result = extract(load(fixture), "text/html")
    assert result.verdict == "not_policy" and reason in result.reason and result.text == ""


def test_a_short_real_policy_that_mentions_accepting_all_cookies_is_a_policy():
    result = extract(load("wolfram-2012.md"), "text/plain")
    assert result.is_policy, result.reason


def test_a_homepage_served_at_the_policy_url_is_not_a_policy_even_when_long():
    """Match served its dating homepage at the policy URL for weeks in 2024 (real snapshot)."""
    result = extract((SAMPLE / "realdata" / "match" / "20240424003259.html").read_bytes(), "text/html")
    assert result.verdict == "not_policy" and "privacy wording" in result.reason


def test_page_noise_does_not_change_the_text():
    """Menus, language pickers, cookie banners, copyright years, CSRF tokens, nonces, cache-busting
    and session-id links, Cloudflare e-mail obfuscation (a new key on each fetch), typographic
    quotes and zero-width characters differ between the two pages; the policy does not."""
    a, b = extract(load("noise-a.html"), "text/html"), extract(load("noise-b.html"), "text/html")
    assert a.is_policy and a.text == b.text
    assert "privacy@example.com" in a.text and "[email" not in a.text
    for chrome in ("2023", "2024", "Français", "Deutsch", "Subscribe", "We use cookies", "Home", "Start"):
        assert chrome not in a.text


@pytest.mark.parametrize(
    "old, new",
    [
        ('<a href="/blog">Blog</a></nav>', '<a href="/blog">Blog</a> <a href="/jobs">Jobs</a></nav>'),  # menu
        ('<a href="?hl=fr">Français</a>', '<a href="?hl=fr">Français</a> <a href="?hl=nl">Nederlands</a>'),  # languages
        ("We use cookies. <button>OK</button>", "Cookies help us. <button>Fine</button>"),  # cookie banner
        ("\u00a9 2023 Example Inc. All rights reserved.", "\u00a9 2024 Example Inc. All rights reserved."),  # copyright
        ('value="a1b2c3d4e5f6"', 'value="0f9e8d7c6b5a"'),  # CSRF token
        ('nonce="r4nd0m1"', 'nonce="x9y8z7"'),  # script nonce and state
        ('href="/terms?v=123"', 'href="/terms?v=124&amp;cb=99"'),  # cache-busting query string
        ("jsessionid=ABCDEF0123", "jsessionid=QWERTY9876"),  # session id in a link
        ('data-cfemail="3c4c4e554a5d5f457c59445d514c5059125f5351"',
         'data-cfemail="7707051e0116140e37120f161a071b125914181a"'),  # Cloudflare e-mail key
        ("apps\u2019s", "apps's"),  # typographic quote
        ("policy explains", "policy\u200b explains"),  # zero-width space
        ("<h2>2. How", "\n\n   <h2>2. How"),  # whitespace
    ],
    ids=["menu", "language-picker", "cookie-banner", "copyright-year", "csrf-token", "nonce", "cache-busting",
         "session-id", "email-obfuscation", "quotes", "zero-width", "whitespace"],
)  # fmt: skip
def test_each_noise_source_alone_leaves_the_text_unchanged(old, new):
    page = load("noise-a.html").decode("utf-8")
    assert old in page
    changed = page.replace(old, new).encode("utf-8")
    assert extract(changed, "text/html").text == extract(page.encode("utf-8"), "text/html").text


@pytest.mark.parametrize(
    "broken_tag", ['<a\ufffd href="#rights">', '<a \ufffdhref="#rights">', '<a href="#ri\ufffdghts">']
)
def test_a_tag_broken_by_a_replacement_character_is_read_as_its_tag(broken_tag):
    # a link to a section standing alone is left out; broken bytes in its tag must not make it text
    clean = load("noise-a.html").decode("utf-8").replace("</h1>", '</h1><p><a href="#rights">YOUR RIGHTS</a></p>', 1)
    broken = clean.replace('<a href="#rights">', broken_tag)
    assert "YOUR RIGHTS" not in extract(clean.encode("utf-8"), "text/html").text
    assert extract(broken.encode("utf-8"), "text/html").text == extract(clean.encode("utf-8"), "text/html").text


def test_a_date_only_edit_is_a_new_text():
    page = load("noise-a.html")
    edited = page.replace(b"March 24, 2016", b"March 25, 2016")
    assert extract(edited, "text/html").text != extract(page, "text/html").text


@pytest.mark.parametrize(
    "fixture,content_type,expected",
    [
        ("cp1252-undeclared.html", "text/html", "Café République"),  # no charset anywhere: detected
        ("utf16-bom.html", "text/html", "Café République"),  # a byte-order mark
        ("shift-jis.html", "text/html", "プライバシーポリシー"),  # <meta charset>
        ("cp1252.html", "text/html; charset=windows-1252", "Café customers'"),  # the header
    ],
)
def test_encodings_from_header_bom_meta_or_detection(fixture, content_type, expected):
    result = extract(load(fixture), content_type)
    assert result.is_policy and expected in result.text and "\ufffd" not in result.text


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


def test_pdf_policies_are_extracted_as_paragraphs():
    html = extract((SAMPLE / "kronline" / "privacy-v1-2019.html").read_bytes(), "text/html")
    paragraphs = [p.lstrip("#- ") for p in html.text.split("\n\n")]
    result = extract(text_pdf(paragraphs), "application/pdf")
    assert result.is_policy and result.title == "Privacy Policy"
    assert result.text.split("\n\n")[1] == paragraphs[1]  # wrapped lines re-joined
    assert result.text.split() == " ".join(paragraphs).split()


def test_pdf_lines_broken_at_a_hyphen_keep_the_compound_word():
    from crawler.extract.page import pdf_to_page

    paragraph = "We share it with third-party providers and opt-out partners of ours, always in writing."
    assert "with third-" in textwrap.wrap(paragraph, 15)  # a line ends after the hyphen
    assert pdf_to_page(text_pdf([paragraph], width=15)).text == paragraph


def test_pdf_is_sniffed_whatever_the_archived_content_type():
    body = text_pdf([p.lstrip("#- ") for p in extract(load("structure.html"), "text/html").text.split("\n\n")])
    assert extract(body, "application/octet-stream").is_policy


def test_unreadable_or_textless_pdfs_say_so():
    for body in (b"%PDF-1.4 truncated", text_pdf([])):
        result = extract(body, "application/pdf")
        assert result.verdict == "not_policy" and "PDF without a text layer" in result.reason


def test_the_demo_pdf_stub_is_not_a_policy():
    result = extract((SAMPLE / "krop" / "privacy.pdf").read_bytes(), "application/pdf")
    assert result.verdict == "not_policy" and "near-empty" in result.reason


def test_a_page_s_frame_is_its_containers_not_its_words():
    noise = Path(__file__).parent / "fixtures" / "noise"
    names = ("sidebar-1.html", "sidebar-3.html", "redesign-2.html")
    first, rotated, redesigned = (skeleton((noise / name).read_bytes(), "text/html") for name in names)
    assert first == rotated  # other headlines, another paragraph: the same frame
    assert "/body/header.site-header/nav.primary-nav" in redesigned
    assert first & redesigned == {"/body"}  # a redesign shares little of it
    assert skeleton(b"%PDF-1.4 ...", "application/pdf") == frozenset()


def test_a_copyright_notice_ending_a_paragraph_leaves_the_same_words_with_or_without_a_line_break():
    from crawler.extract import key_text

    words = "Site Map | Search Tips Visit the Example Store online or at retail locations. 1-800-MY-EXAMPLE Contact Us"
    notice = "Copyright \u00a9 2002 Example Computer, Inc. All rights reserved."
    page = load("noise-a.html").decode("utf-8")
    texts = [
        extract(page.replace("<h2>2. How", f"<p>{words}{sep}{notice}</p><h2>2. How").encode(), "text/html").text
        for sep in (" ", "<br>\n")
    ]
    assert key_text(texts[0]) == key_text(texts[1])
    assert "1-800-MY-EXAMPLE Contact Us" in texts[0] and "2002" not in texts[0]
