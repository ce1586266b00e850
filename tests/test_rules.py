"""Per-target extraction rules: checked on load, chosen per capture by URL and time window."""

from __future__ import annotations

import pytest

from crawler.errors import UsageError
from crawler.extract.page import extract
from crawler.extract.rules import Rule, Rules, load_rules

from .conftest import FIXTURES

PAGE = b"""<html><head><title>Privacy</title></head><body><div class="wrap">
<div class="legal"><h1>Privacy policy</h1><p>We collect personal data, share it with third parties, keep it for a year,
use cookies, protect it with security measures and honour your rights to delete it; see our consent page.</p>
<p>We use your data to run the service, to send the orders you place and to answer your questions. We keep order records
for as long as tax law requires and delete the rest when you close your account. Write to us to see what we hold.</p>
<div class="promo">Download our app today and save 10% on your first order!</div></div>
<p>Other text of the page that is not the policy at all, about our shop and its products.</p></div></body></html>"""


def write(tmp_path, text: str):
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


def test_select_and_remove_read_only_the_policy():
    rule = Rule(company="Acme", select=(".legal",), remove=(".promo",))
    text = extract(PAGE, "text/html", rule).text
    assert text.startswith("# Privacy policy") and "Download our app" not in text and "shop" not in text
    generic = extract(PAGE, "text/html").text  # generic rules drop the promo (its class says so), keep the rest
    assert "Download our app" not in generic and "shop" in generic


def test_a_rule_that_selects_nothing_says_the_layout_may_have_changed():
    result = extract(PAGE, "text/html", Rule(company="Acme", select=(".policy-v2",)))
    assert result.verdict == "not_policy" and "selected nothing" in result.reason


def test_windows_choose_the_rule_of_the_capture_time(tmp_path):
    rules = load_rules(
        write(
            tmp_path,
            """
[[rule]]
company = "Acme"
until = 2019-12-31
select = [".old-layout"]

[[rule]]
company = "Acme"
from = 2020-01-01
select = [".new-layout"]

[[rule]]
company = "Acme"
url = "https://acme.example/legal/"
from = "2021"
select = ["#legal"]
""",
        )
    )
    old, new, legal = rules.rules
    assert old.end == "20191231235959" and new.start == "20200101000000" and legal.start == "20210000000000"
    assert rules.for_capture("Acme", "https://acme.example/privacy", "20191231235959") is old
    assert rules.for_capture("Acme", "https://acme.example/privacy", "20200101000000") is new
    assert rules.for_capture("Acme", "https://acme.example/legal/privacy", "20220101000000") is legal  # longest URL
    assert rules.for_capture("Beta", "https://acme.example/privacy", "20200101000000") is None
    assert rules.extractor_id("html-2", new) == f"html-2+{new.id}" and rules.extractor_id("html-2", None) == "html-2"


def test_a_rule_id_changes_when_what_it_does_changes_and_not_with_its_note():
    a = Rule(company="Acme", select=(".legal",), note="one")
    assert a.id == Rule(company="Acme", select=(".legal",), note="two").id
    assert a.id != Rule(company="Acme", select=(".legal", ".more")).id


@pytest.mark.parametrize(
    "text, message",
    [
        ("[[rule]]\nselect = ['main']\n", "rule 1: company is required"),
        ("[[rule]]\ncompany = 'Acme'\n", "rule 1: give select, remove or both"),
        ("[[rule]]\ncompany = 'Acme'\nselects = ['main']\n", "unknown field(s) selects"),
        ("[[rule]]\ncompany = 'Acme'\nselect = ['main >> p']\n", "'main >> p' is not a CSS selector"),
        ("[[rule]]\ncompany = 'Acme'\nselect = ['main']\nfrom = 'last year'\n", "from = 'last year' is not a date"),
        ("[[rule]]\ncompany = 'Acme'\nselect = ['main']\nfrom = 2021-01-01\nuntil = 2020-01-01\n", "from is after"),
        ("[[rule]\n", "is not valid TOML"),
    ],
)
def test_broken_rules_files_are_refused_naming_the_rule_and_field(tmp_path, text, message):
    with pytest.raises(UsageError, match=None) as err:
        load_rules(write(tmp_path, text))
    assert message in str(err.value) and err.value.exit_code == 2


def test_the_example_rules_file_loads():
    rules = load_rules(FIXTURES.parent.parent / "data" / "rules.example.toml")
    old, new = rules.rules
    assert rules.for_capture("Example Corp", "https://www.example.com/legal/privacy", "20200101000000") is old
    assert rules.for_capture("Example Corp", "https://www.example.com/legal/privacy", "20220101000000") is new


def test_no_rules_file_means_no_rules(tmp_path):
    assert not load_rules(None) and load_rules(FIXTURES / "rules" / "acme-sharing.toml")
    with pytest.raises(UsageError, match="does not exist"):
        load_rules(tmp_path / "missing.toml")
    assert Rules().for_capture("Acme", "https://a", "2020") is None


# --------------------------------------------------------------------------- skip rules


@pytest.mark.parametrize(
    "text, message",
    [
        ('[[skip]]\ncompany = "Acme"\n', "skip rule 1: give select, text or both"),
        ('[[skip]]\ncompany = "Acme"\nselect = ["div >> p"]\n', "is not a CSS selector"),
        ('[[skip]]\ncompany = "Acme"\ntext = [""]\n', "text must be a string or a list of non-empty strings"),
        ('[[skip]]\ncompany = "Acme"\ntext = "x"\nwhen = 1\n', r"unknown field\(s\) when"),
        ('[[skips]]\ncompany = "Acme"\n', r"unknown table\(s\) skips"),
    ],
)
def test_a_bad_skip_rule_is_refused_naming_it(tmp_path, text, message):
    with pytest.raises(UsageError, match=message):
        load_rules(write(tmp_path, text))


def test_a_skip_rule_matches_selectors_on_the_page_as_archived_and_texts_on_its_visible_text():
    from crawler.extract import SkipRule, skip_match

    def match(**kw):
        return skip_match(SkipRule(company="Acme", **kw), PAGE, "text/html")

    assert match(select=(".promo",)) == "selector '.promo'"  # chrome the extractor would drop is still seen
    assert match(select=("form",)) is None
    assert match(text=("DOWNLOAD our   app",)) == "text 'DOWNLOAD our   app'"
    assert match(text=("Privacy</title>",)) is None  # markup is not text
    assert skip_match(SkipRule(company="Acme", text=("join",)), b"Please join us", "text/plain") == "text 'join'"
    assert skip_match(SkipRule(company="Acme", text=("x",)), b"\x89PNG", "image/png") is None


def test_a_skip_rule_id_changes_with_what_it_does_and_the_example_file_has_one(tmp_path):
    from crawler.extract import SkipRule

    one = SkipRule(company="Acme", select=("form",), note="a", number=1)
    assert one.id == SkipRule(company="Acme", select=("form",), note="b", number=2).id
    assert one.id != SkipRule(company="Acme", select=("form",), end="20200101000000").id
    assert one.id.startswith("skip-") and one.label == "skip rule 1 (a)"
    rules = load_rules(FIXTURES.parent.parent / "data" / "rules.example.toml")
    assert rules.skips and rules.skips_for(rules.skips[0].company, rules.skips[0].url, "20210401000000")
