"""`policytrail trends`: figures per period across companies, checked against hand-written SQL on real histories."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import statistics
from collections import defaultdict

import pytest

from crawler.outputs.trends import COUNTING, TrendData, period_label, periods_between, quartiles, trends
from crawler.store import Store

from .conftest import run_cli
from .realhistory import build_real_histories

TOPICS = ["sale", "children", "international_transfers", "gdpr", "california", "sharing"]


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    return build_real_histories(tmp_path_factory.mktemp("real") / "real.db")


@pytest.fixture(scope="module")
def data(real_db):
    store = Store.open_readonly(real_db)
    yield TrendData(store)
    store.close()


def sql(db, query: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def by_period(rows: list[dict]) -> dict[str, dict]:
    return {r["period"]: r for r in rows}


# Months from the first capture of a policy text to the last, written out by hand.
MONTHS = """
WITH RECURSIVE months(m) AS (
    SELECT (SELECT min(substr(in_force_from, 1, 6)) FROM policy_timeline)
    UNION ALL
    SELECT CASE WHEN substr(m, 5, 2) = '12' THEN printf('%04d01', substr(m, 1, 4) + 1)
                ELSE printf('%s%02d', substr(m, 1, 4), substr(m, 5, 2) + 1) END
    FROM months WHERE m < (SELECT max(substr(last_seen, 1, 6)) FROM policy_timeline)
),
policies AS (
    SELECT company, document, min(in_force_from) AS first, max(last_seen) AS last
    FROM policy_timeline GROUP BY company, document
)
"""

# Each policy's version in force at the end of each year it is observed in (or at its last capture).
IN_FORCE_AT_YEAR_END = """
WITH RECURSIVE years(y) AS (
    SELECT (SELECT CAST(min(substr(in_force_from, 1, 4)) AS INTEGER) FROM policy_readability)
    UNION ALL
    SELECT y + 1 FROM years WHERE y < (SELECT CAST(max(substr(last_seen, 1, 4)) AS INTEGER) FROM policy_readability)
),
policies AS (
    SELECT company, document, min(in_force_from) AS first, max(last_seen) AS last
    FROM policy_readability GROUP BY company, document
)
SELECT y, r.company, r.version_id, r.words, r.reading_grade
FROM years
JOIN policies p ON substr(p.first, 1, 4) <= CAST(y AS TEXT) AND substr(p.last, 1, 4) >= CAST(y AS TEXT)
JOIN policy_readability r ON r.company = p.company AND r.document = p.document
 AND r.in_force_from <= min(y || '1231235959', p.last)
 AND (r.in_force_to IS NULL OR r.in_force_to > min(y || '1231235959', p.last))
ORDER BY y, r.company
"""


def test_changes_per_month_agree_with_sql(real_db, data):
    rows = by_period(data.rows("month", TOPICS))
    expected = sql(
        real_db,
        """SELECT substr(window_end, 1, 4) || '-' || substr(window_end, 5, 2) AS month, count(*),
                  count(DISTINCT company || '/' || document), sum(substantive > 0), sum(substantive = 0)
           FROM policy_changes GROUP BY month ORDER BY month""",
    )
    assert len(expected) == 15 and sum(r[1] for r in expected) == 17  # Match 9, HER 5 (one cosmetic), happn 3
    assert ("2024-07", 2, 1, 2, 0) in expected  # two changes of one policy in a month
    assert ("2025-12", 1, 1, 0, 1) in expected  # a cosmetic one
    for month, changes, changed, substantive, cosmetic in expected:
        got = rows[month]
        assert (got["changes"], got["changed"], got["substantive"], got["cosmetic"]) == (
            changes,
            changed,
            substantive,
            cosmetic,
        ), month
    quiet = {m for m, r in rows.items() if r["changes"] == 0}
    assert quiet == set(rows) - {r[0] for r in expected}


def test_changes_per_topic_agree_with_sql(real_db, data):
    rows = by_period(data.rows("year", TOPICS))
    for topic in TOPICS:
        expected = dict(
            sql(
                real_db,
                """SELECT substr(window_end, 1, 4), count(DISTINCT company || document || window_end)
                   FROM clause_change_details
                   WHERE significance = 'substantive' AND EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)
                   GROUP BY 1""",
                (topic,),
            )
        )
        assert {y: r[f"changes_{topic}"] for y, r in rows.items() if r[f"changes_{topic}"]} == expected, topic
    assert sum(r["changes_sharing"] for r in rows.values()) >= 5


def test_companies_observed_and_captured_per_month_agree_with_sql(real_db, data):
    rows = by_period(data.rows("month", []))
    expected = sql(
        real_db,
        MONTHS
        + """
        SELECT m, count(DISTINCT p.company),
               count(DISTINCT CASE WHEN EXISTS (
                   SELECT 1 FROM capture_log c WHERE c.company = p.company AND c.document = p.document
                   AND c.version_id IS NOT NULL AND substr(c.timestamp, 1, 6) = m) THEN p.company END)
        FROM months LEFT JOIN policies p ON substr(p.first, 1, 6) <= m AND substr(p.last, 1, 6) >= m
        GROUP BY m ORDER BY m""",
    )
    assert [f"{m[:4]}-{m[4:]}" for m, _, _ in expected] == list(rows)  # 2022-01 ... 2026-05, none missing
    for month, companies, captured in expected:
        got = rows[f"{month[:4]}-{month[4:]}"]
        assert (got["companies"], got["captured"], got["carried"]) == (companies, captured, companies - captured)
    assert sum(r["carried"] for r in rows.values()) > 40  # most months hold no capture of a given company


def test_a_company_not_captured_in_a_year_counts_with_the_version_its_spans_give(real_db, data):
    # happn: captured in 2022-09, then not before 2025-04: 2023 and 2024 are carried by its first version
    years = by_period(data.rows("year", ["sale"]))
    assert [(years[y]["companies"], years[y]["captured"], years[y]["carried"]) for y in ("2023", "2024")] == [
        (3, 2, 1),
        (3, 2, 1),
    ]
    (words,) = sql(real_db, "SELECT words FROM policy_readability WHERE company = 'happn' AND position = 0")[0]
    in_force = sql(real_db, IN_FORCE_AT_YEAR_END)
    assert [w for y, company, _, w, _ in in_force if company == "happn" and y in (2023, 2024)] == [words, words]
    # after its last capture (HER: 2025-12) a company is no longer counted
    assert years["2026"]["companies"] == 2


def test_length_and_grade_quartiles_per_year_agree_with_sql(real_db, data):
    rows = by_period(data.rows("year", []))
    per_year: dict[str, list] = defaultdict(list)
    for year, _, _, words, grade in sql(real_db, IN_FORCE_AT_YEAR_END):
        per_year[str(year)].append((words, grade))
    assert list(per_year) == list(rows) == ["2022", "2023", "2024", "2025", "2026"]
    for year, versions in per_year.items():
        got = rows[year]
        assert got["policies"] == len(versions)
        words = [w for w, _ in versions]
        grades = [g for _, g in versions]
        assert got["words_median"] == round(statistics.median(words), 1)
        if len(words) > 1:
            q1, _, q3 = statistics.quantiles(words, n=4, method="inclusive")
            assert (got["words_q1"], got["words_q3"]) == (round(q1, 1), round(q3, 1))
        assert got["grade_median"] == round(statistics.median(grades), 2)
    assert rows["2023"]["words_median"] == 4714.0  # HER 4693, Match 4714, happn 6883


def test_topic_shares_agree_with_sql(real_db, data):
    rows = by_period(data.rows("year", TOPICS))
    for topic in TOPICS:
        expected = sql(
            real_db,
            f"""SELECT y, avg(EXISTS (SELECT 1 FROM clause_history h, json_each(h.tags) t
                                     WHERE h.version_id = v.version_id AND t.value = ?))
               FROM ({IN_FORCE_AT_YEAR_END}) v GROUP BY y""",
            (topic,),
        )
        assert {str(y): round(share, 3) for y, share in expected} == {
            y: r[f"share_{topic}"] for y, r in rows.items()
        }, topic
    # HER's policy mentions selling from 2023, the others never in these years
    assert [rows[y]["share_sale"] for y in ("2022", "2023", "2026")] == [0.0, 0.333, 0.0]


def test_quarters_and_years_add_up_the_months(data):
    months, quarters, years = (data.rows(by, []) for by in ("month", "quarter", "year"))
    for coarse, by in ((quarters, "quarter"), (years, "year")):
        sums: dict[str, int] = defaultdict(int)
        for m in months:
            sums[period_label(m["period"].replace("-", "") + "01000000", by)] += m["changes"]
        assert {r["period"]: r["changes"] for r in coarse} == dict(sums)
    assert [q["period"] for q in quarters][:3] == ["2022-Q1", "2022-Q2", "2022-Q3"]


def test_since_and_until_pick_the_periods_holding_them(data):
    rows = data.rows("month", [], since="20180515000000", until="20220331235959")
    assert rows[0]["period"] == "2018-05" and rows[-1]["period"] == "2022-03" and len(rows) == 47
    assert all(r["companies"] == 0 and r["words_median"] is None for r in rows[:44])
    assert rows[-1]["companies"] == 1  # Match, from 2022-01
    assert data.rows("year", [], since="20300101000000") == []


def test_periods_and_quartiles():
    assert [p.label for p in periods_between("20191115000000", "20200201000000", "month")] == [
        "2019-11",
        "2019-12",
        "2020-01",
        "2020-02",
    ]
    (feb,) = periods_between("20240210000000", "20240210000000", "month")
    assert (feb.start, feb.end) == ("20240201000000", "20240229235959")
    q = periods_between("20240510000000", "20240510000000", "quarter")[0]
    assert (q.label, q.start, q.end) == ("2024-Q2", "20240401000000", "20240630235959")
    assert quartiles([]) == (None, None, None) and quartiles([7]) == (7.0, 7.0, 7.0)
    assert quartiles([1, 2, 3, 4]) == (1.75, 2.5, 3.25)


# --------------------------------------------------------------------------- the command


def test_trends_prints_every_format_and_says_how_periods_count(real_db):
    result = run_cli("trends", "--db", str(real_db), "--by", "year", "--topic", "sale", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["period"] for r in rows] == ["2022", "2023", "2024", "2025", "2026"]
    assert list(rows[0])[-2:] == ["changes_sale", "share_sale"] and "share_children" not in rows[0]
    assert COUNTING in result.stderr
    as_json = json.loads(run_cli("trends", "--db", str(real_db), "--format", "json").stdout)
    assert as_json[1]["carried"] == 1 and len([k for k in as_json[0] if k.startswith("share_")]) == 14


def test_trends_of_one_company_any_case(real_db):
    store = Store.open_readonly(real_db)
    rows = trends(store, "year", companies=("HAPPN",)).rows
    store.close()
    assert [(r["period"], r["companies"], r["captured"], r["changes"]) for r in rows] == [
        ("2022", 1, 1, 0),
        ("2023", 1, 0, 0),
        ("2024", 1, 0, 0),
        ("2025", 1, 1, 1),
        ("2026", 1, 1, 2),
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (("--topic", "piracy"), "no topic 'piracy' in the taxonomy; topics: collection, sharing"),
        (("--company", "Nobody"), "no company 'Nobody'"),
        (("--since", "2024", "--until", "2023"), "is later than --until"),
        (("--since", "2019-13"), "is not a valid time"),
        (("--by", "week"), "Invalid value for '--by'"),
    ],
)
def test_trends_refuses_what_it_cannot_count_with_exit_2(real_db, args, message):
    result = run_cli("trends", "--db", str(real_db), *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert message in result.stderr


def test_an_empty_database_has_no_trends_yet(tmp_path):
    Store(tmp_path / "t.db").close()
    result = run_cli("trends", "--db", str(tmp_path / "t.db"), "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout) == []
    assert "No policy versions yet" in result.stderr


def test_versions_derived_before_the_figures_existed_are_named_not_guessed(real_db, tmp_path):
    old = tmp_path / "old.db"
    old.write_bytes(real_db.read_bytes())
    conn = sqlite3.connect(old)
    conn.execute("UPDATE versions SET words = NULL, reading_grade = NULL WHERE id IN (SELECT min(id) FROM versions)")
    conn.commit()
    conn.close()
    result = run_cli("trends", "--db", str(old), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "1 version(s) have no length or grade yet" in result.stderr and "policytrail reextract" in result.stderr
