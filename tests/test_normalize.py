"""What the text hash ignores, and what it keeps."""

from __future__ import annotations

import pytest

from crawler.extract.normalize import normalize_text, text_hash


@pytest.mark.parametrize(
    "a,b",
    [
        ("We don\u2019t sell \u201cdata\u201d", 'We don\'t sell "data"'),
        ("opt\u2013out \u2014 now", "opt-out - now"),
        ("zero\u200bwidth\u00adsoft", "zerowidthsoft"),
        ("nul\x00 byte", "nul byte"),
        ("spaced   out \t text  \n\n\n\nnext", "spaced out text\n\nnext"),
        ("  - nested   item ", "  - nested item"),
        ("\ufb01le", "file"),  # NFKC ligature
        ("a\r\nb", "a\nb"),
    ],
)
def test_invisible_and_typographic_differences_do_not_change_the_hash(a, b):
    assert normalize_text(a) == normalize_text(b)
    assert text_hash(a) == text_hash(b)


@pytest.mark.parametrize(
    "a,b",
    [
        ("last modified on March 24, 2016", "last modified on May 24, 2018"),
        ("We do not sell data", "We do sell data"),
        ("Retention: 30 days", "Retention: 90 days"),
        ("We Sell", "we sell"),
    ],
)
def test_words_dates_numbers_and_case_are_part_of_the_policy(a, b):
    assert text_hash(a) != text_hash(b)


def test_hash_is_sha256_hex_and_stable():
    assert text_hash("policy") == text_hash("policy")
    assert len(text_hash("policy")) == 64


def test_the_version_key_ignores_layout_but_not_words():
    from crawler.extract import key_text, version_key

    laid_out = "# Scope\n\n- We collect **data** | with consent\n\n  1. names\n\n2.\n\nAnd more"
    assert key_text(laid_out) == "Scope We collect **data** with consent names And more"
    assert version_key("## Scope\n\nWe collect data.") == version_key("Scope We collect data.")
    assert version_key("We collect data.") != version_key("We collect data!")
    assert version_key("Don\ufffdt sell") == version_key("Dont sell")  # replacement characters left out


def test_a_damaged_text_says_the_same_words_where_it_is_readable():
    from crawler.extract import same_words

    assert same_words("We don\ufffd\ufffd\ufffdt sell caf\ufffd data", "We don't sell café data")
    assert same_words("word\ufffdword", "word word")  # a broken no-break space
    assert not same_words("We don\ufffdt sell data", "We do not sell data")  # more than the bytes could be
    assert not same_words("We don\ufffdt sell data", "We don't share data")
