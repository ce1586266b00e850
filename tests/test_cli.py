"""The command line: clean errors with documented exit codes, and every command documented."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import cli

from .conftest import FIXTURES, crawl, free_port, rows, run_cli

ROOT = Path(__file__).resolve().parent.parent


def test_bad_targets_file_exits_2_naming_the_line_and_crawls_nothing(tmp_path):
    db = tmp_path / "t.db"
    result = run_cli(
        "crawl", "--targets", str(FIXTURES / "targets" / "bad.csv"), "--db", str(db), "--archive", "http://127.0.0.1:9"
    )
    assert result.returncode == 2
    assert "line 3: url 'ftp://acme.example/privacy' is not an http(s) URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert not db.exists()


def test_unreachable_archive_exits_3_with_a_clear_message(tmp_path):
    result = crawl(f"http://127.0.0.1:{free_port()}", tmp_path / "t.db", "--company", "Acme")
    assert result.returncode == 3, result.stderr
    assert "could not be reached" in result.stderr and "Traceback" not in result.stderr
    as_json = crawl(f"http://127.0.0.1:{free_port()}", tmp_path / "t.db", "--company", "Acme", "--json")
    summary = json.loads(as_json.stdout)
    # the exit code comes from the error the crawl raised, named for job runners
    assert (summary["exit_code"], summary["error"]) == (3, "ArchiveUnreachable")


def test_limits_are_lifted_only_for_a_local_archive(tmp_path):
    result = run_cli(
        "crawl", "--targets", str(FIXTURES / "archive" / "targets.csv"), "--db", str(tmp_path / "t.db"), "--unthrottled"
    )
    assert result.returncode == 2
    assert "only allowed for an archive on this machine" in result.stderr


def test_a_host_name_that_merely_starts_with_127_is_not_local(tmp_path):
    db = tmp_path / "t.db"
    result = run_cli(
        "crawl",
        "--targets",
        str(FIXTURES / "archive" / "targets.csv"),
        "--db",
        str(db),
        "--archive",
        "http://127.attacker.example",
        "--unthrottled",
    )
    assert result.returncode == 2, result.stderr
    assert "only allowed for an archive on this machine" in result.stderr
    assert not db.exists()


def test_a_corrupt_database_is_refused_without_a_traceback(tmp_path):
    db = tmp_path / "t.db"
    db.write_bytes(b"this is not sqlite" * 100)
    result = run_cli(
        "crawl",
        "--targets",
        str(FIXTURES / "archive" / "targets.csv"),
        "--db",
        str(db),
        "--archive",
        "http://127.0.0.1:9",
    )
    assert result.returncode == 2 and "is not an SQLite database" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"^### `policytrail {command}", readme, re.M), f"README lacks a section on {command}"


def test_exit_codes_are_documented():
    readme = (ROOT / "README.md").read_text()
    for code in ("0", "1", "2", "3", "4", "75", "130"):
        assert re.search(rf"^\| {code} \|", readme, re.M)


def test_json_summary_gives_job_runners_the_exit_code_run_and_figures(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    result = crawl(ia_shim, db, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["exit_code"] == 0 and report["message"] == "Finished." and report["finish_reason"] == "finished"
    assert report["error"] is None
    assert rows(db, "SELECT id, status FROM crawl_runs") == [(report["run_id"], "finished")]
    assert {c["company"] for c in report["companies"]} == {"Acme", "Beta"}
    assert report["figures"]["snapshots"] > 0 and report["figures"]["versions"] > 0
    assert report["started"] < report["finished"]


def test_quiet_prints_nothing_on_success_and_the_reason_on_failure(ia_shim, tmp_path):
    ok = crawl(ia_shim, tmp_path / "ok.db", "--quiet")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    down = crawl(f"http://127.0.0.1:{free_port()}", tmp_path / "down.db", "--quiet")
    assert down.returncode == 3 and down.stdout == ""
    assert "could not be reached" in down.stderr and "Traceback" not in down.stderr


def test_log_file_keeps_the_whole_log_for_cron(ia_shim, tmp_path):
    log = tmp_path / "logs" / "crawl.log"
    log.parent.mkdir()
    result = crawl(ia_shim, tmp_path / "t.db", "--quiet", "--log-file", str(log))
    assert result.returncode == 0 and result.stderr == ""
    text = log.read_text()
    assert "Spider closed (finished)" in text and "derive:" in text


def test_the_log_file_cannot_be_the_database_under_any_name(hostile_db, tmp_path):
    link = tmp_path / "crawl.log"
    link.symlink_to(hostile_db)
    before = hostile_db.read_bytes()
    for log in (hostile_db, link, f"{hostile_db}-wal"):
        result = crawl(f"http://127.0.0.1:{free_port()}", hostile_db, "--log-file", str(log))
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        (line,) = result.stderr.splitlines()
        assert str(log) in line and "database" in line
    assert hostile_db.read_bytes() == before and not Path(f"{hostile_db}-wal").exists()


def test_a_log_file_the_user_cannot_write_is_one_line_and_nothing_is_crawled(tmp_path):
    from .unprivileged import own, run_cli_unprivileged

    logs = tmp_path / "logs"
    logs.mkdir()
    own(tmp_path, logs)
    logs.chmod(0o555)
    db = tmp_path / "t.db"
    try:
        result = run_cli_unprivileged(
            "crawl",
            "--targets",
            str(FIXTURES / "archive" / "targets.csv"),
            "--db",
            str(db),
            "--archive",
            f"http://127.0.0.1:{free_port()}",
            "--log-file",
            str(logs / "crawl.log"),
        )
    finally:
        logs.chmod(0o755)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ") and str(logs / "crawl.log") in line and "Permission denied" in line
    assert not db.exists()


def test_a_log_file_on_a_full_disk_is_one_line(tmp_path):
    result = crawl(f"http://127.0.0.1:{free_port()}", tmp_path / "t.db", "--log-file", "/dev/full")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.splitlines()
    assert "/dev/full" in line and "No space left on device" in line
    assert not (tmp_path / "t.db").exists()


@pytest.mark.parametrize("command", [("query", "SELECT 1 AS one"), ("diff", "Acme"), ("status",)], ids=lambda c: c[0])
def test_standard_output_on_a_full_disk_is_one_line_and_exit_1(hostile_db, command):
    import os
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", *command, "--db", str(hostile_db)],
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == ["Error: cannot write the output (standard output): No space left on device"]


def test_settings_are_overridden_with_dash_s_and_bad_pairs_are_refused(ia_shim, tmp_path):
    bad = crawl(ia_shim, tmp_path / "t.db", "-s", "download_timeout")
    assert bad.returncode == 2 and "-s expects NAME=VALUE" in bad.stderr
    ok = crawl(ia_shim, tmp_path / "t.db", "--json", "-s", "POLICYTRAIL_DERIVE_ON_CLOSE=False")
    assert ok.returncode == 0 and "versions" not in json.loads(ok.stdout)["figures"]


# --------------------------------------------------------------------------- the storage boundary


READ_COMMANDS = [
    ("status",),
    ("diff", "Acme"),
    ("diff", "Acme", "--format", "json"),
    ("report", "--out", "{out}/report"),
    ("export", "--format", "csv", "--out", "{out}/csv"),
    ("export", "--format", "atom", "--out", "{out}/feed.atom"),
    ("query", "SELECT count(*) FROM captures"),
    ("search", "personal"),
    ("trends", "--by", "month"),
    ("annotations",),
    ("annotations", "--format", "json"),
]


def _snapshot_of(db: Path) -> tuple:
    """The database's bytes and schema version, after folding the WAL in (readers may not write)."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    version = conn.execute("PRAGMA user_version").fetchone()
    conn.close()
    return db.read_bytes(), version


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:3]))
def test_read_commands_leave_the_database_byte_for_byte_as_it_was(ia_shim, tmp_path, command):
    db = tmp_path / "t.db"
    assert crawl(ia_shim, db, "--company", "Acme").returncode == 0
    before = _snapshot_of(db)
    result = run_cli(*[part.format(out=tmp_path) for part in command], "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert _snapshot_of(db) == before


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:3]))
def test_read_commands_refuse_another_programs_database_and_touch_nothing(tmp_path, command):
    db = tmp_path / "theirs.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    result = run_cli(*[part.format(out=tmp_path) for part in command], "--db", str(db))
    assert result.returncode == 2, result.stderr
    assert "not a policytrail database" in result.stderr and "Traceback" not in result.stderr
    assert db.read_bytes() == before and not Path(f"{db}-wal").exists()


def test_reextract_waits_for_the_lock_before_it_migrates_anything(tmp_path):
    from crawler.store import MIGRATIONS, DatabaseLock
    from crawler.store.database import migrate

    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, MIGRATIONS[:-1])  # made by the previous release: opening it for writing migrates it
    conn.close()
    with DatabaseLock(db):  # a crawl is running
        result = run_cli("reextract", "--db", str(db))
    assert result.returncode == 75, result.stderr
    assert rows(db, "PRAGMA user_version") == [(len(MIGRATIONS) - 1,)]
    assert run_cli("reextract", "--db", str(db)).returncode == 0
    assert rows(db, "PRAGMA user_version") == [(len(MIGRATIONS),)]


def test_reextract_never_creates_a_database(tmp_path):
    result = run_cli("reextract", "--db", str(tmp_path / "typo.db"))
    assert result.returncode == 2 and "no database at" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_diff_shows_the_stored_clause_diff_that_reports_show(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    assert crawl(ia_shim, db, "--company", "Acme").returncode == 0
    conn = sqlite3.connect(db)
    (change_id,) = conn.execute("SELECT id FROM changes ORDER BY position DESC LIMIT 1").fetchone()
    # mark the stored rows: if `diff` recomputed instead of reading them, the mark would not show
    conn.execute("UPDATE clause_changes SET section = 'STORED-MARK' WHERE change_id = ?", (change_id,))
    conn.commit()
    conn.close()
    result = run_cli("diff", "Acme", "--format", "json", "--db", str(db))
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["changes"] and {c["section"] for c in shown["changes"]} == {"STORED-MARK"}


# --------------------------------------------------------------------------- --company


COMPANY_COMMANDS = {
    "search": ("search", "policy"),
    "report": ("report", "--out", "{out}/report"),
    "export": ("export", "--format", "csv", "--out", "{out}/csv"),
    "reextract": ("reextract",),
    "annotations": ("annotations",),
    "diff": ("diff",),  # the company is diff's argument
    "review": ("review",),  # ... and review's
}


@pytest.mark.parametrize("command", sorted(COMPANY_COMMANDS))
def test_an_unknown_company_is_refused_naming_the_known_ones(hostile_db, tmp_path, command):
    args = [part.format(out=tmp_path) for part in COMPANY_COMMANDS[command]]
    args += ["Nobody"] if command in ("diff", "review") else ["--company", "acme", "--company", "Nobody"]
    before = hostile_db.read_bytes()
    result = CliRunner().invoke(cli, [*args, "--db", str(hostile_db)])
    assert result.exit_code == 2, result.output
    assert f"no company 'Nobody' in {hostile_db}; known: 'Acme', 'Evil <b>Corp</b>'" in result.output
    assert hostile_db.read_bytes() == before and not (tmp_path / "report").exists() and not (tmp_path / "csv").exists()


def test_crawl_names_the_known_companies_of_the_targets_file_too(tmp_path):
    targets = FIXTURES / "archive" / "targets.csv"
    result = CliRunner().invoke(
        cli, ["crawl", "--targets", str(targets), "--db", str(tmp_path / "t.db"), "--company", "Nobody"]
    )
    assert result.exit_code == 2, result.output
    assert f"no company 'Nobody' in {targets}; known: 'Acme', 'Beta'" in result.output
    assert not (tmp_path / "t.db").exists()


# --------------------------------------------------------------------------- found by a hostile-user pass


def test_a_damaged_database_is_one_line_in_every_command(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    assert crawl(ia_shim, db, "--company", "Acme").returncode == 0
    data = bytearray(db.read_bytes())
    for at in range(8192, len(data), 8192):  # damage every page after the first two
        data[at + 100 : at + 1100] = bytes(1000)
    db.write_bytes(bytes(data))
    for command in (("status",), ("report", "--out", str(tmp_path / "r")), ("reextract",)):
        result = run_cli(*command, "--db", str(db))
        assert result.returncode == 2 and "Traceback" not in result.stderr, (command, result.stderr)
        (line,) = result.stderr.strip().splitlines()
        assert str(db) in line, line


def test_a_foreign_file_with_an_empty_migrations_table_is_refused_untouched(tmp_path):
    db = tmp_path / "theirs.db"
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT);"
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users VALUES (1, 'a@example.org');"
    )
    conn.close()
    before = db.read_bytes()
    result = run_cli("crawl", "--targets", str(FIXTURES / "archive" / "targets.csv"), "--db", str(db),
                     "--archive", f"http://127.0.0.1:{free_port()}")  # fmt: skip
    assert result.returncode == 2 and "another program" in result.stderr, result.stderr
    assert db.read_bytes() == before


@pytest.mark.parametrize("setting", ["POLICYTRAIL_DB=x.db", "LOG_FILE=x.log", "LOG_LEVEL=BOGUS"])
def test_settings_with_an_option_of_their_own_are_refused_in_dash_s(tmp_path, setting):
    result = run_cli("crawl", "--targets", str(FIXTURES / "archive" / "targets.csv"), "--db", str(tmp_path / "t.db"),
                     "--archive", f"http://127.0.0.1:{free_port()}", "-s", setting)  # fmt: skip
    assert result.returncode == 2 and "not with -s" in result.stderr, result.stderr
    assert not (tmp_path / "t.db").exists()


@pytest.mark.parametrize("archive", ["http://127.0.0.1:99999", "http://127.0.0.1:0", "http://127.0.0.1:9/x?y#z"])
def test_an_archive_url_with_an_impossible_port_or_a_query_is_refused(tmp_path, archive):
    result = run_cli("crawl", "--targets", str(FIXTURES / "archive" / "targets.csv"), "--db", str(tmp_path / "t.db"),
                     "--archive", archive)  # fmt: skip
    assert result.returncode == 2 and "--archive must be" in result.stderr, result.stderr


def test_a_database_that_cannot_be_written_is_refused_when_the_crawl_starts(ia_shim, tmp_path):
    from .unprivileged import own, run_cli_unprivileged

    db = tmp_path / "t.db"
    assert crawl(ia_shim, db, "--company", "Acme").returncode == 0
    own(tmp_path, db)
    db.chmod(0o444)
    try:
        result = run_cli_unprivileged(
            "crawl", "--targets", str(FIXTURES / "archive" / "targets.csv"), "--db", str(db), "--archive",
            ia_shim.url, "--unthrottled", "-q",
        )  # fmt: skip
    finally:
        db.chmod(0o644)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert str(db) in line and "cannot write" in line, line
