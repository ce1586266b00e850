"""`policytrail annotate` and `policytrail annotations`: judgements that survive re-extraction and re-crawls."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from crawler.cli import cli

from .conftest import FIXTURES, crawl, rows, run_cli

SKIP_BANNER = FIXTURES / "rules" / "acme-skip-banner.toml"
JUDGEMENTS = FIXTURES / "judgements"


def judged_state(db) -> dict:
    """What judgements change, by content-derived keys only (no local ids): comparable across databases."""
    return {
        "timeline": rows(
            db,
            "SELECT company, position, text_hash, in_force_from, in_force_to, capture_count, joined_changes,"
            " entry_change_key, entry_review_state FROM policy_timeline ORDER BY company, position",
        ),
        "changes": rows(
            db,
            "SELECT company, change_key, window_start, window_end, review_state, judgement, judged_by, judgement_note,"
            " judgement_topics, significance, in_timeline FROM policy_changes ORDER BY company, position",
        ),
        "clause_changes": rows(
            db,
            "SELECT change_key, kind, review_state, judgement, change_significance FROM clause_change_details"
            " ORDER BY change_key, clause_change_id",
        ),
        "captures": rows(
            db, "SELECT url, timestamp, state, coalesce(reason, ''), version_id IS NULL FROM captures ORDER BY 1, 2"
        ),
        "judgements": rows(db, "SELECT kind, verdict, author, note, topics, at FROM annotations ORDER BY at"),
    }


def annotate(db, *args: str):
    result = run_cli("annotate", *args, "--db", str(db), "--rules", str(SKIP_BANNER), "--format", "json")
    assert result.returncode == 0, result.stderr
    return result


def test_every_kind_of_judgement_survives_reextract_force_and_a_recrawl_into_a_fresh_database(ia_shim, tmp_path):
    db = tmp_path / "one.db"
    assert crawl(ia_shim, db, "--company", "Acme", "--rules", str(SKIP_BANNER)).returncode == 0
    skipped = rows(db, "SELECT reason FROM captures WHERE timestamp = '20190610000000'")[0][0]
    assert skipped.startswith("not a policy: skip rule 1 (pages with a cookie banner) of the rules file")

    # a person overrides the rule: the bannered page is the policy; the PDF of 2021 is not
    annotate(db, "capture", "Acme", "20190610000000", "--policy", "--author", "alice", "--note", "banner is chrome")
    made = annotate(db, "capture", "acme", "2021", "--not-policy", "--author", "bob", "--note", "a PDF summary")
    assert json.loads(made.stdout)[0]["timestamp"] == "20210101000000" and "Acme derived again" in made.stderr
    keys = [k for (k,) in rows(db, "SELECT change_key FROM policy_changes ORDER BY position")]
    ids = [i for (i,) in rows(db, "SELECT change_id FROM policy_changes ORDER BY position")]
    assert len(keys) == 3  # A -> B -> A -> C
    annotate(db, "change", str(ids[0]), "--false", "--author", "alice", "--note", "A/B flapping")
    annotate(db, "change", f"acme-{keys[1]}", "--cosmetic", "--author", "bob")
    annotate(db, "change", f"acme-{keys[2]}", "--substantive", "--topic", "sale", "--author", "alice")

    judged = judged_state(db)
    assert [(t[1], t[6]) for t in judged["timeline"]] == [(0, json.dumps([keys[0]])), (1, "[]"), (2, "[]")]
    assert [c[4:7] for c in judged["changes"]] == [
        ("overridden", "false", "alice"),
        ("overridden", "cosmetic", "bob"),
        ("reviewed", "substantive", "alice"),
    ]
    assert judged["changes"][2][8] == '["sale"]' and [c[10] for c in judged["changes"]] == [0, 1, 1]
    pdf = [c for c in judged["captures"] if c[1] == "20210101000000"][0]
    assert pdf[2:] == ("skipped", "not a policy: judged so by bob on " + pdf[3][34:44] + " (a PDF summary)", 1)

    forced = run_cli("reextract", "--force", "--rules", str(SKIP_BANNER), "--db", str(db), "--format", "json")
    assert forced.returncode == 0 and json.loads(forced.stdout)[0]["extracted"] > 0, forced.stderr
    assert judged_state(db) == judged

    exported = run_cli("annotations", "--db", str(db), "--format", "jsonl")
    assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 5
    shared = tmp_path / "judgements.jsonl"
    shared.write_text(exported.stdout)

    fresh = tmp_path / "two.db"
    assert crawl(ia_shim, fresh, "--company", "Acme", "--rules", str(SKIP_BANNER)).returncode == 0
    assert judged_state(fresh) != judged
    imported = run_cli("annotate", "--import", str(shared), "--rules", str(SKIP_BANNER), "--db", str(fresh))
    assert imported.returncode == 0 and "Imported 5 judgement(s)" in imported.stderr, imported.stderr
    assert judged_state(fresh) == judged
    again = run_cli("annotate", "--import", str(shared), "--rules", str(SKIP_BANNER), "--db", str(fresh))
    assert "Imported 0 judgement(s)" in again.stderr and "5 were already here" in again.stderr
    assert judged_state(fresh) == judged


def test_the_rules_file_skip_rules_are_listed_with_what_they_match(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    assert crawl(ia_shim, db, "--company", "Acme", "--rules", str(SKIP_BANNER)).returncode == 0
    listed = run_cli("annotations", "--rules", str(SKIP_BANNER), "--db", str(db), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    (rule,) = json.loads(listed.stdout)
    # the 2018 redesign and the 2019 text show the banner; the captures of late 2019 do not
    assert (rule["captures"], rule["matched"], rule["first_match"], rule["last_match"], rule["status"]) == (
        5,
        2,
        "20180901000000",
        "20190610000000",
        "stopped matching",
    )
    forced = run_cli("reextract", "--rules", str(SKIP_BANNER), "--db", str(db))
    assert "Warning: skip rule 1 (pages with a cookie banner) for Acme last matched" in forced.stderr


def test_an_import_keeps_and_reports_judgements_whose_subject_is_not_here(hostile_db):
    result = CliRunner().invoke(cli, ["annotate", "--import", str(JUDGEMENTS / "acme.jsonl"), "--db", str(hostile_db)])
    assert result.exit_code == 0, result.output
    assert "Imported 3 judgement(s)" in result.output
    assert "Note: 2 judgement(s) apply to no capture or change of this database" in result.output
    listed = CliRunner().invoke(cli, ["annotations", "--db", str(hostile_db), "--format", "json"])
    assert [(j["company"], j["status"]) for j in json.loads(listed.output)] == [
        ("Acme", "applied"),
        ("Acme", "orphaned"),
        ("Gone Corp", "orphaned"),
    ]
    gone = CliRunner().invoke(
        cli, ["annotations", "--company", "gone corp", "--db", str(hostile_db), "--format", "csv"]
    )
    assert gone.exit_code == 0 and gone.output.splitlines()[1].startswith("capture,Gone Corp,")
    assert rows(hostile_db, "SELECT reason FROM captures WHERE digest = 'B' AND url LIKE '%a.example%'") == [
        ("not a policy: judged so by carol on 2026-03-01 (a login wall)",)
    ]


def test_a_terminal_table_of_judgements_is_a_summary(hostile_db):
    CliRunner().invoke(cli, ["annotate", "--import", str(JUDGEMENTS / "acme.jsonl"), "--db", str(hostile_db)])
    table = CliRunner().invoke(
        cli, ["annotations", "--status", "applied", "--db", str(hostile_db), "--format", "table"]
    )
    header, _, line = table.output.splitlines()
    assert header.split() == ["kind", "company", "subject", "verdict", "topics", "author", "at", "status", "note"]
    assert "20190101000000 https://a.example/privacy" in line and "a login wall" in line


# --------------------------------------------------------------------------- bad input: exit 2, nothing changed


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["capture", "Nobody", "2019", "--not-policy"],
            "no company 'Nobody' in {db}; known: 'Acme', 'Evil <b>Corp</b>'",
        ),
        (["capture", "Acme", "20190230", "--not-policy"], "'20190230' is not a valid time: there is no such date"),
        (["capture", "Acme", "201901011", "--not-policy"], "an archive timestamp has 4, 6, 8, 10, 12 or 14 digits"),
        (["capture", "Acme", "last tuesday", "--policy"], "cannot read 'last tuesday' as a time"),
        (["capture", "Acme", "20170101", "--not-policy"], "Acme has no capture at 20170101"),
        (["capture", "Acme", "2019"], "say --not-policy or --policy"),
        (["change", "999", "--false"], "no change '999' in {db}"),
        (["change", "acme-0000-1111", "--false"], "no change 'acme-0000-1111'"),
        (["change", "1", "--false", "--substantive"], "say one of --accept, --false, --cosmetic, --substantive"),
        (["change", "1", "--false", "--topic", "Sales"], "unknown topic(s) 'Sales'; known: collection, sharing"),
        (["change", "1", "--false", "--author", " "], "--author must be a name"),
        (["--import", str(JUDGEMENTS / "bad-line.jsonl")], "bad-line.jsonl, line 2: from_hash is not a SHA-256"),
        (["--import", str(JUDGEMENTS / "missing.jsonl")], "no file"),
        (["--import", str(JUDGEMENTS / "acme.jsonl"), "change", "1", "--false"], "--import takes no subcommand"),
        ([], "give a subcommand (capture, change) or --import FILE"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message_and_changes_nothing(hostile_db, args, message):
    before = hostile_db.read_bytes()
    result = CliRunner().invoke(cli, ["annotate", "--db", str(hostile_db), *args])
    assert result.exit_code == 2, result.output
    assert message.format(db=hostile_db) in result.output and "Traceback" not in result.output
    assert hostile_db.read_bytes() == before
    assert rows(hostile_db, "SELECT count(*) FROM annotations") == [(0,)]


def test_annotate_never_creates_a_database_and_waits_for_no_crawl(hostile_db, tmp_path):
    from crawler.store.lock import DatabaseLock

    missing = run_cli("annotate", "capture", "Acme", "2019", "--not-policy", "--db", str(tmp_path / "typo.db"))
    assert missing.returncode == 2 and "no database at" in missing.stderr
    assert not (tmp_path / "typo.db").exists() and not (tmp_path / "typo.db.lock").exists()
    with DatabaseLock(hostile_db):
        locked = run_cli("annotate", "capture", "Acme", "2019", "--not-policy", "--db", str(hostile_db))
    assert locked.returncode == 75 and "another policytrail run" in locked.stderr
