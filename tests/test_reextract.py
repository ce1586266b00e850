"""`policytrail reextract`: no network, and what changes only because of it is never a policy change."""

from __future__ import annotations

import json

from .conftest import FIXTURES, crawl, rows, run_cli

RULES = FIXTURES / "rules" / "acme-sharing.toml"


def acme(db, sql: str):
    return rows(db, sql.replace("{acme}", "(SELECT id FROM documents WHERE company = 'Acme')"))


def test_reextract_with_a_rule_rereads_stored_snapshots_without_the_network(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    assert crawl(ia_shim, db).returncode == 0
    requests = len(ia_shim.requests())
    changes_before = acme(db, "SELECT count(*) FROM changes WHERE document_id = {acme}")[0][0]
    assert changes_before >= 2  # A -> B -> A: section 3 and the date line change

    result = run_cli("reextract", "--rules", str(RULES), "--company", "Acme", "--db", str(db), "--format", "json")
    assert result.returncode == 0, result.stderr
    (summary,) = json.loads(result.stdout)
    assert len(ia_shim.requests()) == requests  # not one request
    # without section 3 and the date line, A and B are one text on the rule's URL
    moved = acme(db, "SELECT from_version_id, to_version_id, captures FROM reextractions WHERE document_id = {acme}")
    assert moved and summary["captures_reread"] == sum(m[2] for m in moved) >= 4
    assert summary["changes_after"] < summary["changes_before"] == changes_before
    # the re-read versions are made by the rule's extractor; the old ones no longer show in the timeline
    extractors = {e for (e,) in rows(db, "SELECT DISTINCT extractor FROM policy_timeline WHERE company = 'Acme'")}
    assert any(e.startswith("html-2+") for e in extractors)
    # no change of the policy is reported between an old reading and a new one
    for from_v, to_v in acme(db, "SELECT from_version_id, to_version_id FROM changes WHERE document_id = {acme}"):
        assert (from_v, to_v) not in {(m[0], m[1]) for m in moved}

    again = run_cli("reextract", "--rules", str(RULES), "--company", "Acme", "--db", str(db), "--format", "json")
    assert json.loads(again.stdout)[0]["captures_reread"] == 0 and json.loads(again.stdout)[0]["extracted"] == 0

    forced = run_cli("reextract", "--rules", str(RULES), "--force", "--db", str(db), "--format", "json")
    assert forced.returncode == 0 and all(r["captures_reread"] == 0 for r in json.loads(forced.stdout))
    assert all(r["extracted"] > 0 for r in json.loads(forced.stdout))

    back = run_cli("reextract", "--company", "Acme", "--db", str(db), "--format", "json")  # rule dropped
    assert json.loads(back.stdout)[0]["changes_after"] == changes_before


def test_a_broken_rules_file_exits_2_and_changes_nothing(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    assert crawl(ia_shim, db).returncode == 0
    before = db.read_bytes()
    result = run_cli("reextract", "--rules", str(FIXTURES / "rules" / "broken.toml"), "--db", str(db))
    assert result.returncode == 2 and "is not a CSS selector" in result.stderr and "Traceback" not in result.stderr
    assert db.read_bytes() == before
    asked = len(ia_shim.requests())
    crawled = crawl(ia_shim, tmp_path / "other.db", "--rules", str(FIXTURES / "rules" / "broken.toml"))
    assert crawled.returncode == 2 and "is not a CSS selector" in crawled.stderr
    assert len(ia_shim.requests()) == asked  # refused before any request


def test_reextract_waits_for_no_crawl_it_refuses_while_one_runs(ia_shim, tmp_path):
    from crawler.store.lock import DatabaseLock

    db = tmp_path / "t.db"
    assert crawl(ia_shim, db).returncode == 0
    with DatabaseLock(db):
        result = run_cli("reextract", "--db", str(db))
    assert result.returncode == 75 and "another policytrail run" in result.stderr


def test_a_crawl_with_rules_reads_captures_with_the_rule_of_their_time(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    assert crawl(ia_shim, db, "--rules", str(RULES)).returncode == 0
    assert acme(db, "SELECT count(*) FROM reextractions WHERE document_id = {acme}") == [(0,)]
    # on the rule's URL the 2018 and 2019 texts are one; the /legal/ URL is read generically
    timeline = rows(db, "SELECT first_url, extractor FROM policy_timeline WHERE company = 'Acme' ORDER BY position")
    assert [e.startswith("html-2+") for _, e in timeline] == ["/legal/" not in u for u, _ in timeline]
    assert len([u for u, _ in timeline if "/legal/" not in u]) == 1


def test_reextract_migrates_a_database_of_the_pre_issue_15_clause_model(tmp_path):
    """A database derived before issue 15 (sentence clauses over 300 characters; a split paragraph
    reported as "merged") is segmented and diffed again: the same changes of the policy, recorded as
    diffs computed again, and the split and the merge reported as such."""
    import shutil

    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "clauses" / "pre-issue-15.db", db)
    assert rows(db, "SELECT DISTINCT segmenter FROM version_clauses") == [("syntok-300",)]
    assert sorted(k for (k,) in rows(db, "SELECT kind FROM clause_changes")) == [
        "merged", "merged", "modified", "modified"
    ]  # fmt: skip
    windows = rows(db, "SELECT window_start, window_end FROM changes")

    result = run_cli("reextract", "--db", str(db), "--format", "json")
    assert result.returncode == 0, result.stderr
    (summary,) = json.loads(result.stdout)
    assert summary["diffs_recomputed"] == 1 and "1 clause diff(s) computed again" in result.stderr
    # no policy change: the same change between the same captures, and (should a newer extractor read
    # the snapshots differently) never a change between an old reading and a new one
    assert summary["versions_before"] == summary["versions_after"] == 2
    assert summary["changes_before"] == summary["changes_after"] == 1
    assert rows(db, "SELECT window_start, window_end FROM changes") == windows
    reread = set(rows(db, "SELECT from_version_id, to_version_id FROM reextractions"))
    assert not reread & set(rows(db, "SELECT from_version_id, to_version_id FROM changes"))
    # segmented and diffed again by the current model
    assert rows(db, "SELECT DISTINCT segmenter FROM version_clauses") == [("blocks-1",)]
    assert rows(db, "SELECT count(*) FROM version_clauses WHERE kind = 'sentence'") == [(0,)]
    assert rows(db, "SELECT differ FROM changes")[0][0].startswith("clause-2/blocks-1/")
    kinds = rows(db, "SELECT kind, significance, old_text FROM clause_changes ORDER BY position")
    assert [(k, s) for k, s, _ in kinds] == [
        ("split", "cosmetic"), ("merged", "cosmetic"), ("modified", "substantive"), ("modified", "cosmetic")
    ]  # fmt: skip
    # lineage: both parts of the split paragraph carry its lineage; the merge lists both parents
    old_v, new_v = (r[0] for r in rows(db, "SELECT version_id FROM spans ORDER BY position"))
    history = rows(
        db,
        "SELECT version_id, lineage, merged_from, text FROM clause_history WHERE company = 'Acme' ORDER BY position",
    )
    collect = {v: lin for v, lin, _, text in history if text.startswith("We collect the information")}
    cookies = next(lin for v, lin, _, text in history if v == new_v and text.startswith("We use cookies"))
    assert collect[old_v] == collect[new_v] == cookies
    (merged,) = [json.loads(m) for v, _, m, text in history if v == new_v and m]
    sharing = {lin for v, lin, _, text in history if v == old_v and text.startswith(("We share", "We do not sell"))}
    assert set(merged) == sharing and len(sharing) == 2

    again = run_cli("reextract", "--db", str(db), "--format", "json")
    assert json.loads(again.stdout)[0]["diffs_recomputed"] == 0
