"""`policytrail reextract`: no network, and what changes only because of it is never a policy change."""

from __future__ import annotations

import json
import shutil

from crawler.extract import EXTRACTOR_VERSION
from crawler.store import Store

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
    assert any(e.startswith("html-3+") for e in extractors)
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
    assert [e.startswith("html-3+") for _, e in timeline] == ["/legal/" not in u for u, _ in timeline]
    assert len([u for u, _ in timeline if "/legal/" not in u]) == 1


def test_reextract_brings_an_html2_database_to_version_keys_from_words(tmp_path):
    # tests/fixtures/html2-noise.db: made by extractor html-2 (commit 67b9fd2) from the noise
    # fixtures -- a rotating sidebar made 3 versions of Acme's 2, a re-marked list 2 of Beta's 1
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "html2-noise.db", db)
    assert rows(db, "SELECT count(*) FROM changes") == [(4,)]
    # a person judged Acme's real edit substantive on the old database (its key names html-2's hashes)
    (old_key,) = rows(
        db,
        "SELECT c.key, f.text_hash, t.text_hash FROM changes c JOIN documents d ON d.id = c.document_id"
        " JOIN versions f ON f.id = c.from_version_id JOIN versions t ON t.id = c.to_version_id"
        " WHERE d.company = 'Acme' ORDER BY c.position DESC LIMIT 1",
    )
    store = Store(db)
    judgement = {"kind": "change", "company": "Acme", "document": "privacy policy", "change_key": old_key[0],
                 "from_hash": old_key[1], "to_hash": old_key[2]}  # fmt: skip
    store.add_annotations([{**judgement, "verdict": "substantive", "topics": "[]", "note": "", "author": "ann",
                            "at": "2026-01-01T00:00:00.000000Z"}], "test")  # fmt: skip
    store.close()
    result = run_cli("reextract", "--db", str(db), "--format", "json")
    assert result.returncode == 0, result.stderr
    summary = {s["company"]: s for s in json.loads(result.stdout)}
    assert (summary["Acme"]["versions_before"], summary["Acme"]["versions_after"]) == (3, 2)
    assert (summary["Beta"]["versions_before"], summary["Beta"]["versions_after"]) == (2, 1)
    # every capture moved to a version keyed by its words: recorded as re-derivations ...
    moved = rows(db, "SELECT sum(captures) FROM reextractions")
    assert moved == [(6,)]
    # ... and the timeline's changes are the policy's: Acme's one edit, nothing for Beta
    changes = rows(db, "SELECT d.company, count(*) FROM changes c JOIN documents d ON d.id = c.document_id GROUP BY 1")
    assert changes == [("Acme", 1)]
    # the judgement follows the change to its new key
    judged = rows(db, "SELECT change_key, judgement, judged_by FROM policy_changes WHERE company = 'Acme'")
    assert len(judged) == 1 and judged[0][0] != old_key[0] and judged[0][1:] == ("substantive", "ann")
    assert rows(db, "SELECT count(*) FROM cosmetic_layout_changes WHERE company = 'Beta'") == [(2,)]
    assert {e for (e,) in rows(db, "SELECT DISTINCT extractor FROM policy_timeline")} == {EXTRACTOR_VERSION}
def test_reextract_migrates_a_database_of_the_pre_issue_15_clause_model(tmp_path):
    """A database derived before issue 15 (sentence clauses over 300 characters; a split paragraph
    reported as "merged") is segmented and diffed again: the same changes of the policy, recorded as
    diffs computed again, and the split and the merge reported as such."""

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
