"""Researcher access: documented schema, research questions, read-only queries, search, Datasette."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.outputs.research import QueryError, research_questions, run_query, schema_docs, search_clauses
from crawler.outputs.tables import render_table
from crawler.store.store import SCHEMA_VERSION, Store

from .conftest import ROOT, free_port, run_cli

QUESTIONS = research_questions()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    result = run_cli("demo", "--db", str(tmp / "demo.db"), "--workdir", str(tmp / "work"))
    assert result.returncode == 0, result.stderr
    return tmp / "demo.db"


def test_there_are_at_least_five_research_questions():
    assert len(QUESTIONS) >= 5


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.slug for q in QUESTIONS])
def test_research_question_output_matches_the_docs(demo_db, question):
    columns, rows = run_query(demo_db, question.sql)
    assert render_table([dict(zip(columns, r)) for r in rows]) == question.output


def test_the_worked_trend_questions_give_the_figures_of_policytrail_trends(demo_db):
    from crawler.outputs.trends import TrendData

    store = Store.open_readonly(demo_db)
    years = {r["period"]: r for r in TrendData(store).rows("year", ["sale", "children", "international_transfers"])}
    months = {r["period"]: r for r in TrendData(store).rows("month", [])}
    store.close()
    answers = {}
    for q in QUESTIONS:
        columns, rows = run_query(demo_db, q.sql)
        answers[q.title] = [dict(zip(columns, r)) for r in rows]
    changed = answers["How many policies changed each month, and how many changes were substantive?"]
    assert {r["month"]: (r["policies_changed"], r["changes"], r["substantive"], r["cosmetic"]) for r in changed} == {
        m: (r["changed"], r["changes"], r["substantive"], r["cosmetic"]) for m, r in months.items() if r["changes"]
    }
    length = answers["How long and how hard to read were the policies in force, year by year?"]
    assert {str(r["year"]): (r["policies"], r["median_words"], r["median_grade"]) for r in length} == {
        y: (r["policies"], r["words_median"], r["grade_median"]) for y, r in years.items()
    }
    (shares,) = [rows for title, rows in answers.items() if title.startswith("What share of the policies in force")]
    assert {str(r["year"]): (r["sale_pct"], r["children_pct"], r["transfers_pct"]) for r in shares} == {
        y: tuple(round(100 * r[f"share_{t}"], 1) for t in ("sale", "children", "international_transfers"))
        for y, r in years.items()
    }


def test_schema_docs_describe_every_table_view_and_column(demo_db):
    conn = sqlite3.connect(demo_db)
    live = {}
    for name, kind in conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"):
        if name.startswith("sqlite_") or any(name.endswith(f"_fts_{s}") for s in ("data", "idx", "config", "docsize")):
            continue
        live[name] = (kind, [r[1] for r in conn.execute(f"PRAGMA table_info({name})")])
    documented = schema_docs()
    assert set(documented) == set(live)
    for name, (kind, columns) in live.items():
        assert documented[name].kind == kind, name
        assert list(documented[name].columns) == columns, name
        assert all(documented[name].columns.values()), f"{name} has an undocumented column"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_query_cannot_write_attach_or_load_extensions(demo_db, tmp_path):
    for sql, message in [
        ("DELETE FROM clauses", "readonly"),
        ("CREATE TABLE x (a)", "readonly"),
        (f"ATTACH '{tmp_path / 'x.db'}' AS x", "not authorized"),
        ("SELECT load_extension('/nonexistent')", "not authorized"),
    ]:
        with pytest.raises(QueryError, match=message):
            run_query(demo_db, sql)
    assert not (tmp_path / "x.db").exists()
    assert run_query(demo_db, "SELECT count(*) FROM clauses")[1][0][0] > 100


def test_a_runaway_query_is_interrupted_even_while_a_writer_holds_the_wal(demo_db):
    writer = Store(demo_db)  # a crawl in progress: WAL mode, open for writing
    writer.conn.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(QueryError, match="interrupted after 0.5 s"):
            run_query(
                demo_db,
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
                time_limit=0.5,
            )
        assert time.monotonic() - started < 5
    finally:
        writer.conn.execute("ROLLBACK")
        writer.close()


def test_ctrl_c_stops_a_query_as_an_interruption_not_as_its_time_limit(demo_db):
    runaway = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "query", runaway, "--db", str(demo_db), "--time-limit", "60"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(3)  # the interpreter is up and the query running
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "interrupted" in err and "time-limit" not in err and "Traceback" not in err


def test_query_command_prints_tables_and_refuses_cleanly(demo_db):
    ok = run_cli(
        "query",
        "SELECT company FROM policy_timeline GROUP BY company ORDER BY company",
        "--db",
        str(demo_db),
        "--format",
        "csv",
    )
    assert ok.returncode == 0 and ok.stdout.splitlines()[:2] == ["company", "HER"]
    refused = run_cli("query", "DROP TABLE clauses", "--db", str(demo_db))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr


def test_search_lists_each_clause_with_the_ranges_it_was_in_force(demo_db):
    hits = search_clauses(demo_db, "information we collect", companies=("Krop",))
    assert hits and all(h.company == "Krop" for h in hits)
    heading = [h for h in hits if h.text == "## INFORMATION WE COLLECT"]
    assert len(heading) == 1 and heading[0].in_force_from == "20160415103000" and heading[0].in_force_to is None
    sold = search_clauses(demo_db, "we do not sell", since="2021", until="2021-12-31")
    assert {h.company for h in sold} >= {"Krop", "KR Online"}
    assert search_clauses(demo_db, "we do not sell", until="2015") == []


def test_search_refuses_since_later_than_until(demo_db):
    refused = run_cli("search", "we do not sell", "--since", "2022", "--until", "2021", "--db", str(demo_db))
    assert refused.returncode == 2 and "is later than --until" in refused.stderr and "Traceback" not in refused.stderr


def test_the_full_text_index_follows_derive(tmp_path):
    from crawler.derive import derive

    from .test_derive import A, B, build

    store = build(tmp_path, [("20180101000000", "A", A)])
    derive(store)
    assert search_clauses(tmp_path / "t.db", "advertising partners") == []
    from .test_storage import capture, snapshot

    tid = store.query("SELECT id FROM targets")[0][0]
    capture(store, tid, "20190101000000", "B")
    snapshot(store, "B", "20190101000000", B)
    derive(store)
    store.close()
    hits = search_clauses(tmp_path / "t.db", "advertising partners")
    assert [(h.in_force_from, h.in_force_to) for h in hits] == [("20190101000000", None)]


def test_browse_serves_datasette_on_loopback_with_docs_and_canned_queries(demo_db):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "browse", "--db", str(demo_db), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/metadata.json", timeout=5) as r:
                    metadata = json.load(r)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        db = metadata["databases"]["demo"]
        assert "policy_timeline" in db["tables"] and db["tables"]["policy_timeline"]["columns"]["in_force_from"]
        assert len(db["queries"]) == len(QUESTIONS)
        slug = QUESTIONS[0].slug
        with urllib.request.urlopen(f"{base}/demo/{slug}.json?_shape=array", timeout=10) as r:
            rows = json.load(r)
        assert rows and "company" in rows[0]
        listening = {
            c.laddr.ip for c in psutil.Process(proc.pid).net_connections("inet") if c.status == psutil.CONN_LISTEN
        }
        assert listening == {"127.0.0.1"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --------------------------------------------------------------------------- query output: every value, every column


def test_browse_on_a_taken_port_is_a_usage_error_in_one_line(demo_db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("browse", "--db", str(demo_db), "--port", str(port), timeout=60)
    assert result.returncode == 2 and f"127.0.0.1:{port} is taken" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table"])
def test_query_prints_blobs_as_base64_in_every_format(hostile_db, fmt):
    result = run_cli("query", "SELECT x'00ff10' AS raw, 'text' AS t", "--db", str(hostile_db), "--format", fmt)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "AP8Q" in result.stdout and "b'" not in result.stdout  # base64 of 00 ff 10
    if fmt == "json":
        assert json.loads(result.stdout) == [{"raw": "AP8Q", "t": "text"}]


def test_a_stored_body_comes_back_byte_for_byte_from_the_default_piped_output(hostile_db):
    import base64

    (body,) = sqlite3.connect(hostile_db).execute("SELECT body FROM snapshots ORDER BY digest LIMIT 1").fetchone()
    result = run_cli("query", "SELECT body FROM snapshots ORDER BY digest LIMIT 1", "--db", str(hostile_db))
    assert result.returncode == 0, result.stderr
    assert base64.b64decode(json.loads(result.stdout)["body"]) == body  # jsonl when piped


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table"])
def test_query_keeps_every_column_when_names_repeat(hostile_db, fmt):
    sql = "SELECT 1 AS a, 2 AS a, 3 AS a_2, 4 AS b, 5 AS a"
    result = run_cli("query", sql, "--db", str(hostile_db), "--format", fmt)
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        assert json.loads(result.stdout) == [{"a": 1, "a_3": 2, "a_2": 3, "b": 4, "a_4": 5}]
    else:
        for value in "12345":
            assert value in result.stdout


def test_query_json_stays_valid_json_for_infinite_numbers(hostile_db):
    result = run_cli("query", "SELECT 1e999 AS big, -1e999 AS small", "--db", str(hostile_db), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"{c} is not JSON")) == [
        {"big": "Infinity", "small": "-Infinity"}
    ]


def test_browse_serves_a_database_from_a_read_only_folder(hostile_db, tmp_path):
    from .unprivileged import own, popen_cli_unprivileged

    own(tmp_path, hostile_db)
    tmp_path.chmod(0o555)
    port = free_port()
    proc = popen_cli_unprivileged(
        "browse", "--db", str(hostile_db), "--port", str(port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                url = f"http://127.0.0.1:{port}/t/policy_timeline.json?_shape=array"
                with urllib.request.urlopen(url, timeout=5) as r:
                    rows = json.load(r)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline
                time.sleep(0.3)
        assert {r["company"] for r in rows} == {"Acme", "Evil <b>Corp</b>"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        tmp_path.chmod(0o755)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.db"]


@pytest.mark.parametrize("sql", ["", "   ", "\n", "-- only a comment", "/* nothing */", " ; "])
def test_a_query_without_a_statement_is_refused(hostile_db, sql):
    result = CliRunner().invoke(cli, ["query", "--db", str(hostile_db), "--", sql])
    assert result.exit_code == 2 and "no SQL statement" in result.output, result.output


def test_browse_leaves_no_temporary_files_behind(hostile_db, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    port = free_port()
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "browse", "--db", str(hostile_db), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/metadata.json", timeout=5) as r:
                    metadata = json.load(r)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(
                        proc.stderr.read().decode() if proc.poll() is not None else "no answer"
                    ) from None
                time.sleep(0.3)
        assert metadata["databases"]["t"]["tables"]["policy_timeline"]["columns"]  # the docs were read
        assert list(tmp.iterdir()) == []  # ... from a file with no name: nothing to clean up, however it ends
    finally:
        proc.kill()  # as a closed terminal or kill -9 would end it
        proc.wait(timeout=10)
    assert list(tmp.iterdir()) == []
