"""`policytrail demo`: the sample archive, crawled into its own database, twice."""

from __future__ import annotations

import json

from .conftest import rows, run_cli, table_counts


def test_demo_crawls_the_sample_into_its_own_database_and_reruns_cleanly(tmp_path):
    db, workdir = tmp_path / "demo.db", tmp_path / "work"
    first = run_cli("demo", "--db", str(db), "--workdir", str(workdir), "--format", "json")
    assert first.returncode == 0, first.stderr
    summary = {r["company"]: r for r in json.loads(first.stdout.split("\nDemo database")[0])}
    assert set(summary) == {"Krop", "KR Online", "HER", "happn", "Match"}
    krop = summary["Krop"]
    assert (krop["captures"], krop["versions"], krop["failed"], krop["pending"]) == (11, 4, 0, 0)
    assert summary["KR Online"]["versions"] == 2
    assert "Try next" in first.stdout
    # the 2017-03-27 capture the project started from is in force from that date
    assert rows(db, "SELECT count(*) FROM captures WHERE timestamp = '20170327070820' AND version_id IS NOT NULL") == [
        (1,)
    ]
    before = table_counts(db)
    second = run_cli("demo", "--db", str(db), "--workdir", str(workdir), "--format", "json")
    assert second.returncode == 0, second.stderr
    assert table_counts(db) == before
    log = (workdir / "pywb" / "access.log").read_text().splitlines()
    second_run = log[len(log) - 6 :]
    assert all("/cdx?" in line for line in second_run)  # six targets listed, no memento fetched
