"""Researchers' judgements: stored apart, keyed by content, applied by derive, never lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.annotate import (
    JudgementError,
    capture_judgement,
    change_judgement,
    export_row,
    find_change,
    listing,
    read_judgements,
)
from crawler.derive import derive
from crawler.derive.judgements import review_state
from crawler.derive.reextract import reextract
from crawler.extract import load_rules
from crawler.store import Store

from .test_derive import HISTORY, A, B, C, arrive, build, derived_state, open_two_url_document

FIXTURES = Path(__file__).parent / "fixtures"
RULES = FIXTURES / "rules"
HOMEPAGE = (FIXTURES / "extract" / "homepage.html").read_bytes()

A_B_C = [("20180101000000", "A", A), ("20190101000000", "B", B), ("20200101000000", "C", C)]


def timeline(store: Store) -> list[tuple]:
    return store.query(
        "SELECT in_force_from, in_force_to, capture_count, joined_changes FROM policy_timeline ORDER BY position"
    )


def changes(store: Store) -> list[tuple]:
    return store.query(
        "SELECT change_key, review_state, judgement, significance, in_timeline FROM policy_changes ORDER BY position"
    )


def judge_capture(store: Store, ts: str, verdict: str, author: str = "alice", note: str = "") -> dict:
    row = capture_judgement(store, "Acme", ts, verdict, note, author)
    store.add_annotations([row], "cli")
    return row


def judge_change(store: Store, position: int, verdict: str, author: str = "alice", note: str = "", topics=()):
    (change_id,) = store.query("SELECT id FROM changes WHERE position = ?", (position,))[0]
    row = change_judgement(find_change(store, str(change_id)), verdict, list(topics), note, author)
    store.add_annotations([row], "cli")
    return row


# --------------------------------------------------------------------------- captures


def test_a_capture_judged_not_the_policy_gets_no_version_and_its_reason_names_who_said_so(tmp_path):
    store = build(tmp_path, A_B_C)
    derive(store)
    judge_capture(store, "20190101000000", "not_policy", note="a login wall")
    derive(store)
    state, reason, version = store.query("SELECT state, reason, version_id FROM captures WHERE digest = 'B'")[0]
    assert (state, version) == ("skipped", None)
    assert reason.startswith("not a policy: judged so by alice on ") and reason.endswith("(a login wall)")
    assert len(timeline(store)) == 2  # A -> C: B's change is gone with its capture
    # the move is recorded as a re-reading, never as a change of the policy
    assert store.query("SELECT captures, extractor FROM reextractions") == [(1, "judgement by alice")]


def test_a_capture_judged_the_policy_is_read_as_one_whatever_the_extractor_says(tmp_path):
    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "H", HOMEPAGE)])
    derive(store)
    assert store.query("SELECT reason LIKE 'not a policy%' FROM captures WHERE digest = 'H'") == [(1,)]
    judge_capture(store, "2019", "policy", note="their policy was one line on the homepage")
    derive(store)
    state, version = store.query("SELECT state, version_id FROM captures WHERE digest = 'H'")[0]
    assert state == "fetched" and version is not None
    assert len(timeline(store)) == 2
    # and back: the latest judgement is in force
    judge_capture(store, "20190101000000", "not_policy", author="bob")
    derive(store)
    assert store.query("SELECT version_id FROM captures WHERE digest = 'H'") == [(None,)]


def test_the_latest_judgement_is_in_force_whatever_order_they_were_stored_in(tmp_path):
    (tmp_path / "one").mkdir()
    one = build(tmp_path / "one", A_B_C)
    derive(one)
    early = capture_judgement(one, "Acme", "20190101000000", "not_policy", "", "alice")
    late = dict(early, verdict="policy", author="bob", at="2100-01-01T00:00:00.000000Z")
    (tmp_path / "two").mkdir()
    two = build(tmp_path / "two", A_B_C)
    derive(two)
    one.add_annotations([early, late], "import")
    two.add_annotations([late, early], "import")
    for store in (one, two):
        derive(store)
        assert store.query("SELECT version_id IS NOT NULL FROM captures WHERE digest = 'B'") == [(1,)]
        assert [a["status"] for a in store.annotations()] == ["superseded", "applied"]


# --------------------------------------------------------------------------- changes


def test_a_change_judged_false_joins_its_two_spans_but_stays_visible_as_overridden(tmp_path):
    store = build(tmp_path, A_B_C)
    derive(store)
    before = changes(store)
    assert [c[1:] for c in before] == [("unreviewed", None, "substantive", 1)] * 2
    row = judge_change(store, 0, "false", note="a banner read as policy text")
    derive(store)
    after = changes(store)
    assert [c[0] for c in after] == [c[0] for c in before]  # the same changes, by the same keys
    assert after[0][1:] == ("overridden", "false", "false", 0) and after[1][1:] == (
        "unreviewed",
        None,
        "substantive",
        1,
    )
    assert timeline(store) == [
        ("20180101000000", "20200101000000", 2, json.dumps([row["change_key"]])),
        ("20200101000000", None, 1, "[]"),
    ]
    # the next change still cites the capture where the old text was last seen
    assert store.query("SELECT window_start, window_end FROM changes WHERE position = 1") == [
        ("20190101000000", "20200101000000")
    ]
    assert store.query("SELECT entry_change_key, entry_review_state FROM policy_timeline WHERE position = 1") == [
        (before[1][0], "unreviewed")
    ]


def test_cosmetic_substantive_and_accepted_mark_the_change_and_leave_the_timeline(tmp_path):
    store = build(tmp_path, A_B_C)
    derive(store)
    judge_change(store, 0, "cosmetic", note="reworded")
    judge_change(store, 1, "substantive", topics=["sale"])
    derive(store)
    assert [c[1:4] for c in changes(store)] == [
        ("overridden", "cosmetic", "cosmetic"),
        ("reviewed", "substantive", "substantive"),
    ]
    assert store.query("SELECT judgement_topics FROM changes WHERE position = 1") == [('["sale"]',)]
    assert len(timeline(store)) == 3
    details = store.query("SELECT DISTINCT change_key, review_state, change_significance FROM clause_change_details")
    assert {d[1:] for d in details} == {("overridden", "cosmetic"), ("reviewed", "substantive")}


@pytest.mark.parametrize(
    "verdict, substantive, state",
    [
        (None, 3, "unreviewed"),
        ("accepted", 0, "reviewed"),
        ("accepted", 3, "reviewed"),
        ("false", 3, "overridden"),
        ("cosmetic", 0, "reviewed"),
        ("cosmetic", 3, "overridden"),
        ("substantive", 3, "reviewed"),
        ("substantive", 0, "overridden"),
    ],
)
def test_review_state_says_whether_a_person_agreed_with_the_clause_diff(verdict, substantive, state):
    assert review_state(verdict, substantive) == state


def test_a_b_a_with_both_changes_judged_false_is_one_span(tmp_path):
    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "B", B), ("20200101000000", "A", A)])
    derive(store)
    judge_change(store, 0, "false")
    judge_change(store, 1, "false")
    derive(store)
    assert [t[:3] for t in timeline(store)] == [("20180101000000", None, 3)]
    assert [c[4] for c in changes(store)] == [0, 0]


# --------------------------------------------------------------------------- surviving re-derives


def test_every_kind_of_judgement_survives_reextract_force(tmp_path):
    store = build(tmp_path, [*A_B_C, ("20210101000000", "H", HOMEPAGE)])
    derive(store)
    judge_capture(store, "20210101000000", "policy")
    derive(store)
    judge_change(store, 0, "false", note="artefact")
    judge_change(store, 1, "substantive", topics=["sale"])
    judge_change(store, 2, "cosmetic")
    derive(store)
    judged = (timeline(store), changes(store), store.query("SELECT digest, state, reason FROM captures"))
    rows, _ = reextract(store, force=True)
    assert rows[0]["extracted"] > 0
    assert (timeline(store), changes(store), store.query("SELECT digest, state, reason FROM captures")) == judged


def test_a_judgement_whose_subject_is_gone_is_reported_not_dropped(tmp_path):
    store = build(tmp_path, A_B_C)
    derive(store)
    row = judge_change(store, 0, "false")
    # the capture that made B turns out to be a login page: A -> B and B -> C are gone
    judge_capture(store, "20190101000000", "not_policy")
    derive(store)
    rows = listing(store)
    assert [(r["kind"], r["status"]) for r in rows] == [("change", "orphaned"), ("capture", "applied")]
    assert rows[0]["change_key"] == row["change_key"]
    assert listing(store, status="orphaned") == [rows[0]]
    # and once the capture is the policy again, the judgement on its change applies again
    judge_capture(store, "20190101000000", "policy", author="bob")
    derive(store)
    assert changes(store)[0][2] == "false"


# --------------------------------------------------------------------------- finding what a person means


def test_a_capture_is_named_by_its_timestamp_or_a_shorter_time_that_names_one(tmp_path):
    store = build(tmp_path, [*A_B_C, ("20190601000000", "B", B)])
    derive(store)
    row = capture_judgement(store, "acme", "2019-01-01", "not_policy", "", "a")
    assert (row["company"], row["timestamp"], row["digest"]) == ("Acme", "20190101000000", "B")
    with pytest.raises(JudgementError, match=r"no capture at 20190102 .*the nearest: 20190101000000, 20190601000000"):
        capture_judgement(store, "Acme", "20190102", "not_policy", "", "a")
    with pytest.raises(JudgementError, match="2 captures of Acme match 2019: 20190101000000 https"):
        capture_judgement(store, "Acme", "2019", "not_policy", "", "a")


def test_a_change_is_named_by_its_number_or_by_the_reports_id(tmp_path):
    store = build(tmp_path, A_B_C)
    derive(store)
    (change_id, key) = store.query("SELECT id, key FROM changes WHERE position = 1")[0]
    assert find_change(store, str(change_id))[5] == key
    assert find_change(store, f"acme-{key}")[0] == change_id
    for bad in ("999", "acme-nothing", "zzz"):
        with pytest.raises(JudgementError, match="no change"):
            find_change(store, bad)


# --------------------------------------------------------------------------- the shared file


def test_an_exported_file_imports_into_another_database_and_twice_adds_nothing(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one = build(tmp_path / "one", A_B_C)
    derive(one)
    judge_capture(one, "20200101000000", "not_policy", note='tab\tand "quotes"')
    judge_change(one, 0, "cosmetic", topics=["sharing", "sale"])
    shared = tmp_path / "judgements.jsonl"
    shared.write_text("".join(json.dumps(export_row(a)) + "\n" for a in one.annotations()))
    two = build(tmp_path / "two", A_B_C)
    rows = read_judgements(shared)
    assert two.add_annotations(rows, "import") == 2 and two.add_annotations(rows, "import") == 0
    derive(one)
    derive(two)
    assert (timeline(two), changes(two)) == (timeline(one), changes(one))
    assert [export_row(a) for a in two.annotations()] == [export_row(a) for a in one.annotations()]


@pytest.mark.parametrize(
    "line, message",
    [
        ("not json", "line 1: not JSON"),
        ('{"kind": "page"}', "line 1: kind must be 'capture' or 'change'"),
        ('{"kind": "capture", "company": "Acme"}', "line 1: missing or empty document, verdict, author, at"),
        (
            '{"kind": "capture", "company": "A", "document": "d", "verdict": "false", "author": "a",'
            ' "at": "2020-01-01", "archive": "x", "url": "u", "timestamp": "20200101000000", "digest": "D"}',
            "a capture is judged not_policy, policy, not 'false'",
        ),
        (
            '{"kind": "capture", "company": "A", "document": "d", "verdict": "policy", "author": "a",'
            ' "at": "2020-01-01", "archive": "x", "url": "u", "timestamp": "20201301000000", "digest": "D"}',
            "is no real time",
        ),
        (
            '{"kind": "change", "company": "A", "document": "d", "verdict": "false", "author": "a", "at": "yesterday",'
            ' "change_key": "k", "from_hash": "f", "to_hash": "t"}',
            "at = 'yesterday' is not an ISO 8601 time",
        ),
    ],
)
def test_a_bad_line_in_an_import_file_is_named(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(JudgementError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_judgements(path)


# --------------------------------------------------------------------------- skip rules


def write_rules(tmp_path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


def test_a_skip_rule_marks_the_captures_it_matches_in_its_window_not_the_policy(tmp_path):
    store = build(
        tmp_path,
        [
            ("20180101000000", "A", A),
            ("20190101000000", "B", B),
            ("20200101000000", "A", A),
            ("20210101000000", "B2", B),
        ],
    )
    rules = load_rules(
        write_rules(
            tmp_path,
            '[[skip]]\ncompany = "Acme"\nuntil = 2020-06-30\nselect = ["div.cookie-banner"]\nnote = "banner pages"\n',
        )
    )
    report = derive(store, rules=rules)
    reasons = dict(store.query("SELECT timestamp, reason FROM captures"))
    assert reasons["20190101000000"] == (
        "not a policy: skip rule 1 (banner pages) of the rules file matched (selector 'div.cookie-banner')"
    )
    assert reasons["20210101000000"] is None  # outside the rule's window
    assert [t[:2] for t in timeline(store)] == [("20180101000000", "20210101000000"), ("20210101000000", None)]
    (status,) = report.skip_rules
    assert (status.status, status.matched, status.captures) == ("stopped matching", 1, 3)
    assert "last matched the capture of 20190101000000" in status.message
    # a person's judgement beats the rule
    judge_capture(store, "20190101000000", "policy")
    derive(store, rules=rules)
    assert len(timeline(store)) == 4


def test_a_skip_rule_by_text_reads_visible_text_only_and_one_that_matches_nothing_is_reported(tmp_path):
    store = build(tmp_path, A_B_C)
    rules = load_rules(
        write_rules(
            tmp_path,
            '[[skip]]\ncompany = "Acme"\ntext = ["ADVERTISING   partners"]\n\n'
            '[[skip]]\ncompany = "Acme"\ntext = ["var t=2019"]\nnote = "script text is not page text"\n',
        )
    )
    report = derive(store, rules=rules)
    assert (
        "matched (text 'ADVERTISING   partners')" in store.query("SELECT reason FROM captures WHERE digest = 'B'")[0][0]
    )
    assert [s.status for s in report.skip_rules] == ["stopped matching", "matches nothing"]
    assert report.skip_rules[1].message.startswith("skip rule 2 (script text is not page text) for Acme matches none")


# --------------------------------------------------------------------------- arrival order


def _hash(body: bytes) -> str:
    from crawler.extract import extract, text_hash

    return text_hash(extract(body, "text/html").text, normalized=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=HISTORY, data=st.data())
def test_judgements_give_one_result_whatever_the_arrival_order_and_the_derives_between(tmp_path_factory, history, data):
    from crawler.derive.changes import change_key

    captures = [(url, f"{year}0101000000", digest) for year, url, digest in history]
    order = data.draw(st.permutations(captures), label="arrival order")
    derive_after = data.draw(st.sets(st.integers(0, len(order) - 1)), label="derive after these arrivals")
    judged = data.draw(st.sampled_from(captures), label="capture judged not the policy")
    work = tmp_path_factory.mktemp("judged-arrival")
    judgements = [
        {
            "kind": "capture",
            "company": "Acme",
            "document": "privacy policy",
            "archive": "web.archive.org",
            "url": judged[0],
            "timestamp": judged[1],
            "digest": judged[2],
            "verdict": "not_policy",
            "topics": "[]",
            "note": "",
            "author": "alice",
            "at": "2026-01-01T00:00:00.000000Z",
        },
        *(
            {
                "kind": "change",
                "company": "Acme",
                "document": "privacy policy",
                "change_key": change_key(_hash(old), _hash(new), 1),
                "from_hash": _hash(old),
                "to_hash": _hash(new),
                "verdict": verdict,
                "topics": "[]",
                "note": "",
                "author": "bob",
                "at": "2026-01-02T00:00:00.000000Z",
            }
            for old, new, verdict in ((A, B, "false"), (B, C, "cosmetic"), (C, A, "false"))
        ),
    ]

    store, targets = open_two_url_document(work / "incremental.db")
    store.add_annotations(judgements[:2], "import")  # some judgements before anything arrives ...
    for n, (url, ts, digest) in enumerate(order):
        arrive(store, targets, url, ts, digest)
        if n in derive_after:
            derive(store)
        if n == len(order) // 2:
            store.add_annotations(judgements[2:], "import")  # ... the others half-way
    derive(store)

    fresh, fresh_targets = open_two_url_document(work / "fresh.db")
    for url, ts, digest in sorted(captures, key=lambda c: (c[1], c[0])):
        arrive(fresh, fresh_targets, url, ts, digest)
    fresh.add_annotations(judgements, "import")
    derive(fresh)

    judged_rows = {
        "timeline": "SELECT position, text_hash, in_force_from, in_force_to, in_force_days, capture_count,"
        " joined_changes, entry_change_key, entry_review_state FROM policy_timeline",
        "changes": "SELECT change_key, review_state, judgement, significance, in_timeline FROM policy_changes",
        "reasons": "SELECT url, timestamp, coalesce(reason, '') FROM captures",
    }
    for name, sql in judged_rows.items():
        assert sorted(store.query(sql), key=repr) == sorted(fresh.query(sql), key=repr), name
    assert derived_state(store) == derived_state(fresh)
