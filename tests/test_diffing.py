"""Clause diffs: hand-built cases, properties (hypothesis), budgets and pathological inputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.diff.align import apply, diff_clauses, word_diff
from crawler.diff.clauses import segment

CASES = Path(__file__).parent / "fixtures" / "diff"


def case(name: str):
    before = (CASES / f"{name}.before").read_text()
    after = (CASES / f"{name}.after").read_text()
    old, new = segment(before), segment(after)
    return old, new, diff_clauses(old, new), after


@pytest.mark.parametrize(
    "name,kinds,significance",
    [
        ("insert", ["added"], ["substantive"]),
        ("delete", ["removed"], ["substantive"]),
        ("modify", ["modified"], ["substantive"]),
        ("move", ["moved"], ["cosmetic"]),
        ("split", ["split"], ["substantive"]),  # words were repeated: more than punctuation changed
        ("merge", ["merged"], ["substantive"]),
        ("reordered_list", ["moved"], ["cosmetic"]),
        ("renamed_heading", ["modified"], ["substantive"]),
        ("whitespace_only", ["modified"], ["cosmetic"]),
        ("date_only", ["modified"], ["cosmetic"]),
        # issue 15: what a reader sees, whatever a paragraph's length (each over or under 300 characters)
        ("split_long", ["split"], ["cosmetic"]),  # 383 characters -> two paragraphs under 300
        ("merge_long", ["merged"], ["cosmetic"]),  # two paragraphs -> one of 330 characters
        ("split_edited", ["split"], ["substantive"]),
        ("moved_edited_long", ["moved"], ["substantive"]),  # to another section, a word changed
        ("sentence_added_long", ["modified"], ["substantive"]),
        ("renamed_headings", ["modified", "modified"], ["substantive", "substantive"]),  # two in a row
    ],
)
def test_hand_built_cases(name, kinds, significance):
    old, new, diff, after = case(name)
    assert [c.kind for c in diff.changes] == kinds
    assert [c.significance for c in diff.changes] == significance
    assert apply(old, diff) == after
    assert diff.fallbacks == []


def test_insert_is_tagged_by_topic_and_placed_in_its_section():
    _, _, diff, _ = case("insert")
    (change,) = diff.changes
    assert "sale" in change.tags and change.section == "Example Privacy Policy › 3. Sharing"


def test_modified_clause_has_a_word_diff():
    _, _, diff, _ = case("modify")
    assert diff.changes[0].word_diff == [
        ("=", "We share personal information with service providers"),
        ("+", " and advertising partners"),
        ("=", "."),
    ]


def test_split_and_merge_name_every_part():
    _, _, split, _ = case("split")
    assert len(split.changes[0].old_positions) == 1 and len(split.changes[0].new_positions) == 2
    _, _, merge, _ = case("merge")
    assert len(merge.changes[0].old_positions) == 2 and len(merge.changes[0].new_positions) == 1


def test_a_sentence_added_to_a_long_paragraph_is_the_only_thing_its_word_diff_marks():
    _, _, diff, _ = case("sentence_added_long")
    (change,) = diff.changes
    assert [t for op, t in change.word_diff if op != "="] == [
        "We may also receive information about you from our partners. "
    ]  # fmt: skip


def test_split_and_merged_paragraphs_name_their_parts_in_order():
    old, new, diff, _ = case("split_long")
    (split,) = diff.changes
    assert len(split.old_positions) == 1 and split.new_positions == [split.new_positions[0], split.new_positions[0] + 1]
    assert new[split.new_positions[1]].text.startswith("We use cookies")
    _, _, diff, _ = case("merge_long")
    (merged,) = diff.changes
    assert merged.old_positions == [merged.old_positions[0], merged.old_positions[0] + 1]
    assert merged.old_text.startswith("We share") and merged.old_text.endswith("visit our websites.")


def test_renamed_headings_keep_their_sections_and_only_the_headings_change():
    _, new, diff, _ = case("renamed_headings")
    assert all(new[c.new_positions[0]].kind == "heading" for c in diff.changes)
    assert [c.old_text for c in diff.changes] == ["## 3. Sharing", "### 3.1 Service providers"]


@pytest.mark.parametrize("length", [120, 290, 299, 301, 310, 600, 1500])
def test_a_split_is_a_split_and_a_merge_a_merge_whatever_the_paragraph_length(length):
    """No length threshold: the same re-paragraphing reads the same at every length."""
    words = "we keep records of the requests you send us and answer each within thirty days of receipt".split()
    sentences, k = [], 0
    while sum(len(x) + 1 for x in sentences) < length:
        n = 6 + k % 5
        sentences.append(" ".join(words[(k + i) % len(words)] for i in range(n)).capitalize() + f" {k}.")
        k += 1
    half = len(sentences) // 2 or 1
    whole = " ".join(sentences)
    parts = " ".join(sentences[:half]) + "\n\n" + " ".join(sentences[half:])
    before = f"# Policy\n\nIntro paragraph about this policy.\n\n{whole}\n\nClosing words of the policy.\n"
    after = before.replace(whole, parts)
    for a, b, kind in ((before, after, "split"), (after, before, "merged")):
        diff = diff_clauses(segment(a), segment(b))
        assert [(c.kind, c.significance) for c in diff.changes] == [(kind, "cosmetic")], (length, kind)
        assert apply(segment(a), diff) == b


def test_a_renamed_heading_over_an_edited_paragraph_is_no_split_of_the_paragraph():
    """A heading is part of a split only when its words stand in the old paragraph (a bold lead-in
    made a heading), not because some of them appear there."""
    old = (
        "# Policy\n\nIntro to this policy.\n\n## 5. Sharing\n\nSince our goal is to help you connect, we share how "
        "you use the data with partners and vendors who help us.\n\nClosing words.\n"
    )
    new = old.replace("## 5. Sharing", "## 5. How we share data")
    new = new.replace("how you use the data", "the data you give us")
    diff = diff_clauses(segment(old), segment(new))
    assert [(c.kind, c.old_text[:10]) for c in diff.changes] == [("modified", "## 5. Shar"), ("modified", "Since our ")]
    lead_in = old.replace("## 5. Sharing\n\nSince", "**How we share:** Since")
    diff = diff_clauses(segment(lead_in), segment(old.replace("## 5. Sharing", "## How we share")))
    assert [c.kind for c in diff.changes] == ["split"]


def test_a_unique_paragraph_moved_past_a_table_of_contents_is_one_move():
    """Section titles repeated in a table of contents (as in Amazon's notice) are not unique: the
    alignment must not anchor on the moved paragraph and report every title as moved instead."""
    toc = ["Information we collect", "How we use it", "Sharing", "Your rights", "Contact"]
    intro = "This notice describes how Example handles the personal information of its customers."
    body = "\n\n".join(f"{t}\n\nWhat we say about {t.lower()}, in a paragraph of its own." for t in toc)
    before = "\n\n".join([intro, *toc, body]) + "\n"
    after = "\n\n".join([*toc, intro, body]) + "\n"
    diff = diff_clauses(segment(before), segment(after))
    assert [(c.kind, c.old_text) for c in diff.changes] == [("moved", intro)]


def test_renumbered_sections_are_cosmetic_and_the_new_section_is_added():
    old, new, diff, after = case("renumbered_sections")
    kinds = sorted(c.kind for c in diff.changes)
    assert kinds == ["added", "added", "modified", "modified", "modified", "modified"]
    assert all(c.significance == "cosmetic" for c in diff.changes if c.kind == "modified")
    assert apply(old, diff) == after


def test_date_only_change_is_cosmetic_and_tagged_as_a_policy_change():
    _, _, diff, _ = case("date_only")
    assert diff.changes[0].tags == ["policy_changes"]


# --------------------------------------------------------------------------- properties

words = st.sampled_from(
    "we collect share sell data cookies your name e-mail partners 2019 March never "
    "service providers retain delete children security".split()
)
sentence = st.lists(words, min_size=1, max_size=12).map(lambda ws: " ".join(ws).capitalize() + ".")
line = st.one_of(
    sentence,
    sentence.map(lambda s: "## " + s[:-1]),
    sentence.map(lambda s: "- " + s),
    st.lists(sentence, min_size=4, max_size=9).map(" ".join),
)
document = st.lists(line, min_size=0, max_size=25).map(lambda ls: "\n\n".join(ls))


@settings(max_examples=150, deadline=None)
@given(document, document)
def test_applying_a_diff_to_the_old_version_rebuilds_the_new_text_exactly(a, b):
    old, new = segment(a), segment(b)
    assert apply(old, diff_clauses(old, new)) == b


@settings(max_examples=100, deadline=None)
@given(document)
def test_a_version_diffed_with_itself_is_empty(a):
    assert diff_clauses(segment(a), segment(a)).changes == []


@settings(max_examples=100, deadline=None)
@given(document, document)
def test_added_and_removed_swap_when_the_arguments_do(a, b):
    forward = diff_clauses(segment(a), segment(b))
    backward = diff_clauses(segment(b), segment(a))
    assert sorted(c.new_text for c in forward.changes if c.kind == "added") == sorted(
        c.old_text for c in backward.changes if c.kind == "removed"
    )
    assert sorted(c.old_text for c in forward.changes if c.kind == "removed") == sorted(
        c.new_text for c in backward.changes if c.kind == "added"
    )


@settings(max_examples=150, deadline=None)
@given(sentence, sentence)
def test_word_diffs_never_cut_a_word_and_rebuild_both_sides(a, b):
    ops = word_diff(a, b)
    assert "".join(t for op, t in ops if op != "+") == a
    assert "".join(t for op, t in ops if op != "-") == b
    for side in ("+", "-"):  # on each side, pieces meet at word boundaries
        pieces = [t for op, t in ops if op != side]
        for left, right in zip(pieces, pieces[1:]):
            assert not (re.search(r"\w$", left) and re.match(r"\w", right)), ops


# --------------------------------------------------------------------------- budgets


def test_every_line_changed_in_a_huge_text_ends_within_budget_and_says_so():
    old = "\n\n".join(
        f"Clause number {i} says we keep data for {i} days and share it with partner {i}." for i in range(20000)
    )
    new = "\n\n".join(
        f"Paragraph {i} now states that records stay {i * 7} weeks with vendor {i * 3}." for i in range(20000)
    )
    assert len(old) > 1_000_000
    diff = diff_clauses(segment(old), segment(new), budget_seconds=0.5, max_pair_comparisons=10_000)
    assert diff.fallbacks  # the flag, not the time
    assert apply(segment(old), diff) == new


def test_a_small_word_budget_falls_back_with_a_flag():
    old, new = segment((CASES / "modify.before").read_text()), segment((CASES / "modify.after").read_text())
    diff = diff_clauses(old, new, budget_seconds=0.0)
    assert any("budget" in f for f in diff.fallbacks)
    assert diff.changes[0].word_diff[0][0] == "-"


def test_a_word_diff_time_budget_note_is_given_once_however_many_clauses_hit_it(monkeypatch):
    import crawler.diff.align as align

    def slow_word_diff(old, new, dmp):  # as on a loaded machine: every clause hits the budget
        return [("-", old), ("+", new)], True

    monkeypatch.setattr(align, "_word_diff", slow_word_diff)
    old = segment("One clause about data.\n\nTwo clause about cookies.\n\nThree clause about sharing.")
    new = segment("One clause about your data.\n\nTwo clause about our cookies.\n\nThree clause about any sharing.")
    diff = diff_clauses(old, new)
    assert sum(c.kind == "modified" for c in diff.changes) == 3
    assert diff.fallbacks == [align.WORD_DIFF_TIMED_OUT]
