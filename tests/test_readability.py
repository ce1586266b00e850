"""Length and readability of a policy text: textstat's counts and formula on the text read as prose."""

from __future__ import annotations

import socket

import pytest
import textstat

from crawler.demo import SAMPLE_DIR
from crawler.diff.readability import Readability, prose, readability_id, readability_of
from crawler.extract import extract

HER = SAMPLE_DIR / "realdata" / "her" / "20230122123239.html"


def real_text() -> str:
    extraction = extract(HER.read_bytes(), "text/html")
    assert extraction.is_policy
    return extraction.text


def test_a_heading_an_item_or_a_row_without_end_punctuation_ends_its_own_sentence():
    text = "## 3. Information we collect\n\n- your name\n- your e-mail address.\n\nName | Purpose\n\n* * *\n\nWe ask."
    assert prose(text) == "Information we collect. your name. your e-mail address. Name, Purpose. We ask."


def test_the_grade_is_the_coleman_liau_index_counted_by_hand():
    # 30 letters, 8 words, 2 sentences: 0.058 * 375 - 0.296 * 25 - 15.8 = -1.45, stored to one decimal
    text = "We collect your name. We never sell it!"
    assert textstat.coleman_liau_index(prose(text)) == pytest.approx(-1.45)
    figures = readability_of(text)
    assert (figures.words, figures.sentences) == (8, 2) and figures.grade == pytest.approx(-1.45, abs=0.051)


def test_a_real_policys_figures_are_textstats_own_on_the_prepared_prose():
    text = real_text()
    running = prose(text)
    figures = readability_of(text)
    assert figures == Readability(
        textstat.lexicon_count(running),
        textstat.sentence_count(running),
        round(textstat.coleman_liau_index(running), 1),
    )
    assert 4000 < figures.words < 5000 and 150 < figures.sentences < 300 and 8 < figures.grade < 16
    # without the preparation, headings and items would run into the sentences after them
    assert textstat.sentence_count(text) < figures.sentences


def test_computing_the_figures_downloads_nothing(monkeypatch):
    import nltk

    def refuse(*args, **kwargs):
        raise AssertionError("readability must not reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(nltk, "download", refuse)
    assert readability_of(real_text() + "\n\nSupercalifragilistic antidisestablishmentarianism.").words > 4000


@pytest.mark.parametrize("text", ["", "* * *", "\n\n---\n"])
def test_a_text_without_words_has_no_grade(text):
    assert readability_of(text) == Readability(0, 0, None)


def test_the_figures_name_the_formula_the_library_version_and_the_preparation():
    from importlib.metadata import version

    assert readability_id() == f"coleman-liau/textstat-{version('textstat')}/prose-1"
