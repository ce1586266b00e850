"""The date a policy states for itself."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.extract.policydate import stated_date


@pytest.mark.parametrize(
    "text, expected",
    [
        ("This policy was last modified on March 24, 2016.", date(2016, 3, 24)),
        ("Effective: 29/04/2022", date(2022, 4, 29)),
        ("Last Updated: Jan. 5th, 2021", date(2021, 1, 5)),
        ("This Privacy Policy applies from 29/04/2022.", date(2022, 4, 29)),
        ("EFFECTIVE DATE: May 25, 2018", date(2018, 5, 25)),
        ("Effective Date:** 15 December, 2021", date(2021, 12, 15)),
        ("last updated on: 16th February 2024", date(2024, 2, 16)),
        ("Updated 2019-12-31", date(2019, 12, 31)),
        ("Stand: 01.03.2020", date(2020, 3, 1)),  # dotted dates are day-first
        ("Dernière mise à jour : 1er mai 2020", date(2020, 5, 1)),
        ("Zuletzt aktualisiert am 3. März 2021", date(2021, 3, 3)),
        ("Última actualización: 7 de junio de 2019", date(2019, 6, 7)),
        ("Last revised 3/4/16", date(2016, 3, 4)),  # ambiguous and alone: month first
        ("Effective 01/02/2026. The previous version applied from 13/12/2022.", date(2026, 2, 1)),  # day first
        ("_Effective January 1, 2023_", date(2023, 1, 1)),  # emphasis marks around the phrase
    ],
)
def test_stated_dates_are_read_in_their_words(text, expected):
    found = stated_date(text)
    assert found is not None and found.date == expected and found.phrase in " ".join(text.split())


@pytest.mark.parametrize(
    "text",
    [
        "We keep logs for 30 days. Our company was founded in 2016.",
        "Effective: 32/13/2020",
        "Updated: sometimes",
        "Ineffective March 2020 measures",  # a phrase inside another word
        "",
    ],
)
def test_no_stated_date_means_none(text):
    assert stated_date(text) is None


def test_dates_are_looked_for_near_the_top_and_the_bottom():
    middle = "x " * 5000
    assert stated_date("Intro. " + middle + " Last updated: 2 June 2020").date == date(2020, 6, 2)
    assert stated_date("Intro. " + middle + " Last updated: 2 June 2020 " + middle) is None
