"""Every topic of the taxonomy matches an example clause, and only what it should."""

from __future__ import annotations

import pytest

from crawler.diff.taxonomy import load_taxonomy

EXAMPLES = {
    "collection": "We collect your name and e-mail address when you register.",
    "sharing": "We may disclose your information to third parties.",
    "sale": "We do not sell your personal information.",
    "advertising": "We use cookies to show you interest-based ads.",
    "retention": "We retain account data for two years.",
    "security": "All data is encrypted in transit.",
    "children": "Our services are not directed to children under 13.",
    "user_rights": "You have the right to erasure of your data.",
    "international_transfers": "Data may be transferred outside the EEA under standard contractual clauses.",
    "legal_basis": "We rely on our legitimate interests as the legal basis.",
    "california": "California residents have additional rights under the CCPA.",
    "gdpr": "Under the GDPR you may complain to a supervisory authority.",
    "contact": "Contact us at privacy@example.com.",
    "policy_changes": "We may update this policy from time to time; see the effective date above.",
}


def test_every_topic_has_an_example():
    assert {t.id for t in load_taxonomy().topics} == set(EXAMPLES)


@pytest.mark.parametrize("topic,text", sorted(EXAMPLES.items()))
def test_topic_matches_its_example(topic, text):
    assert topic in load_taxonomy().match(text)


def test_words_inside_other_words_do_not_match():
    tx = load_taxonomy()
    assert "sale" not in tx.match("The wholesale price is listed.")
    assert "children" not in tx.match("Schildren is not a word.")
    assert tx.match("The weather is nice today.") == []
