"""End-to-end crawls through the CLI against a real pywb (IA behaviour through the shim)."""

from __future__ import annotations

import json

import pytest

from .conftest import crawl, rows, run_cli, table_counts

ACME = "https://www.acme.example/privacy"
ACME_LEGAL = "https://www.acme.example/legal/privacy"


def captures(db, url):
    return {
        ts: (state, reason, version)
        for ts, state, reason, version in rows(
            db, "SELECT timestamp, state, reason, version_id FROM captures WHERE url = ? ORDER BY timestamp", (url,)
        )
    }


@pytest.fixture
def crawled(ia_shim, tmp_path):
    db = tmp_path / "t.db"
    result = crawl(ia_shim, db)
    assert result.returncode == 0, result.stderr
    return db, ia_shim, result


def test_each_digest_is_fetched_once_and_revisits_are_not_fetched(crawled):
    db, shim, _ = crawled
    fetched = [r.path for r in shim.requests("/web/") if "id_/" + ACME in r.path]
    # 20190901 repeats 20180301's bytes and 20191001 is a revisit of them: neither is fetched
    assert not any("20190901000000" in p or "20191001000000" in p for p in fetched)
    assert len(fetched) == len(set(fetched))
    by_ts = captures(db, ACME)
    assert by_ts["20190901000000"][0] == "duplicate"
    assert by_ts["20191001000000"][0] == "duplicate"
    digests = rows(db, "SELECT digest, count(*) FROM snapshots GROUP BY digest HAVING count(*) > 1")
    assert digests == []


def test_same_text_in_different_html_is_one_version(crawled):
    db, _, _ = crawled
    by_ts = captures(db, ACME)
    assert by_ts["20180301000000"][2] == by_ts["20180901000000"][2] is not None


def test_text_edit_gives_a_new_version_and_a_b_a_gives_three_spans(crawled):
    db, _, _ = crawled
    by_ts = captures(db, ACME)
    a, b = by_ts["20180301000000"][2], by_ts["20190610000000"][2]
    assert a != b and by_ts["20190901000000"][2] == a
    spans = rows(
        db,
        """SELECT s.version_id, s.start_ts, s.end_ts FROM spans s JOIN documents d ON d.id = s.document_id
                        WHERE d.company = 'Acme' ORDER BY position""",
    )
    assert [s[0] for s in spans[:3]] == [a, b, a]
    assert spans[0][1:] == ("20180301000000", "20180901000000")


def test_two_urls_of_one_company_make_one_timeline(crawled):
    db, _, _ = crawled
    docs = rows(db, "SELECT count(DISTINCT document_id) FROM targets WHERE company = 'Acme'")
    assert docs == [(1,)]
    spans = rows(
        db,
        """SELECT v.text FROM spans s JOIN versions v ON v.id = s.version_id
                        JOIN documents d ON d.id = s.document_id WHERE d.company = 'Acme' ORDER BY position""",
    )
    assert len(spans) == 4 and "as long as your account is open" in spans[-1][0]


def test_archived_redirect_is_followed_inside_the_archive(crawled):
    db, shim, _ = crawled
    by_ts = captures(db, ACME)
    state, reason, version = by_ts["20200101000000"]
    assert state == "skipped" and reason == f"redirect to {ACME_LEGAL}" and version is None
    assert any(f"id_/{ACME_LEGAL}" in r.path for r in shim.requests("/web/"))
    assert captures(db, ACME_LEGAL)["20200101000002"][2] is not None


def test_404_and_a_pdf_stub_make_no_version_and_say_why(crawled):
    db, _, _ = crawled
    assert captures(db, ACME)["20200601000000"] == ("skipped", "archived HTTP 404", None)
    state, reason, version = captures(db, ACME_LEGAL)["20210101000000"]
    # the PDF is read (a one-line "printable version" stub): not a policy, and said why
    assert state == "skipped" and reason.startswith("not a policy: near-empty page") and version is None
    # the PDF itself is stored, so a later extractor can read it again without the network
    assert rows(db, "SELECT count(*) FROM snapshots WHERE mimetype = 'application/pdf'") == [(1,)]


def test_summary_per_company(crawled):
    _, _, result = crawled
    summary = {row["company"]: row for row in json.loads(result.stdout)}
    acme = summary["Acme"]
    assert acme["captures"] == 9 and acme["versions"] == 3
    assert acme["fetched"] + acme["duplicate"] + acme["skipped"] + acme["failed"] == acme["captures"]
    assert acme["failed"] == 0 and acme["pending"] == 0


def test_second_run_adds_no_rows_and_fetches_nothing(crawled, ia_shim):
    db, shim, _ = crawled
    before = table_counts(db)
    state_before = rows(db, "SELECT * FROM captures ORDER BY id")
    n = len(shim.requests())
    again = crawl(ia_shim, db)
    assert again.returncode == 0, again.stderr
    assert table_counts(db) == before
    assert rows(db, "SELECT * FROM captures ORDER BY id") == state_before
    new = shim.requests()[n:]
    assert new and all(r.path.startswith("/cdx/") for r in new)


def test_pywb_dialect_gives_the_same_timeline_as_ia(pywb_shim, ia_shim, tmp_path):
    ia_db, pywb_db = tmp_path / "ia.db", tmp_path / "pywb.db"
    assert crawl(ia_shim, ia_db).returncode == 0
    result = crawl(pywb_shim, pywb_db, dialect="pywb")
    assert result.returncode == 0, result.stderr
    query = """SELECT d.company, v.text_hash, s.start_ts, s.end_ts FROM spans s JOIN versions v ON v.id = s.version_id
               JOIN documents d ON d.id = s.document_id ORDER BY d.company, s.position"""
    assert rows(ia_db, query) == rows(pywb_db, query)


def test_no_request_ever_leaves_the_archive(pywb_shim, decoy, tmp_path):
    """Beta's archived 302 points at a live URL (the decoy): it is looked up in the archive only."""
    db = tmp_path / "t.db"
    result = crawl(pywb_shim, db, "--company", "Beta", dialect="pywb")
    assert result.returncode == 0, result.stderr
    assert decoy.hits == []
    followed = [r.path for r in pywb_shim.requests("/web/") if "beta-moved" in r.path]
    assert followed and all("id_/" in p for p in followed)
    reason = rows(db, "SELECT reason FROM captures WHERE statuscode = '302'")[0][0]
    assert reason == f"redirect to {decoy.url}/beta-moved"


def test_a_rerun_lists_only_what_is_new_with_an_overlap_and_full_lists_everything(crawled, ia_shim):
    from urllib.parse import parse_qs, urlsplit

    db, shim, _ = crawled
    n = len(shim.requests("/cdx/"))
    assert crawl(ia_shim, db).returncode == 0
    cdx = [parse_qs(urlsplit(r.path).query) for r in shim.requests("/cdx/")[n:]]
    since = {q["url"][0]: q.get("from", [None])[0] for q in cdx}
    # newest capture of /privacy is 2020-06-01; 30 days of overlap
    assert since[ACME] == "20200502000000"
    n = len(shim.requests("/cdx/"))
    assert crawl(ia_shim, db, "--full").returncode == 0
    assert all("from" not in parse_qs(urlsplit(r.path).query) for r in shim.requests("/cdx/")[n:])


def test_each_run_is_recorded_with_per_target_figures(crawled):
    db, _, _ = crawled
    ((status, arguments, figures),) = rows(db, "SELECT status, arguments, figures FROM crawl_runs")
    assert status == "finished" and json.loads(arguments)["dialect"] == "ia"
    acme = json.loads(figures)[ACME]
    assert (acme["listed"], acme["new"], acme["failed"]) == (7, 7, 0) and acme["fetched"] >= 4


@pytest.mark.parametrize("dialect", ["ia", "pywb"])
def test_every_page_of_a_cdx_listing_is_followed(ia_shim, pywb_shim, tmp_path, dialect):
    shim = ia_shim if dialect == "ia" else pywb_shim
    db = tmp_path / "t.db"
    result = crawl(shim, db, "--company", "Acme", "--cdx-page-size", "2", dialect=dialect)
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT count(*) FROM captures") == [(9,)]
    pages = [r.path for r in shim.requests("/cdx/" if dialect == "ia" else "/web/cdx")]
    assert len(pages) >= 4
    if dialect == "ia":
        assert sum("resumeKey=" in p for p in pages) >= 3


def test_the_policy_s_stated_date_is_read_into_its_version(crawled):
    db, _, _ = crawled
    stated = rows(
        db, "SELECT in_force_from, stated_date, stated_date_text FROM policy_timeline WHERE company = 'Acme'"
        " ORDER BY position",
    )  # fmt: skip
    assert stated[0] == ("20180301000000", "2018-03-01", "last updated on March 1, 2018")
    assert stated[1][1:] == ("2019-06-05", "last updated on June 5, 2019")
    shown = json.loads(run_cli("diff", "Acme", "--db", str(db), "--format", "json", "--to", "2019-07").stdout)
    assert (shown["from"]["stated_date"], shown["to"]["stated_date"]) == ("2018-03-01", "2019-06-05")
    text = run_cli("diff", "Acme", "--db", str(db), "--to", "2019-07", "--no-color").stdout
    assert "it says 'last updated on June 5, 2019'" in text


def test_captures_without_a_digest_are_each_fetched_and_make_the_same_timeline(ia_shim, tmp_path):
    reference = tmp_path / "reference.db"
    assert crawl(ia_shim, reference, "--company", "Acme").returncode == 0
    ia_shim.digestless.add(ACME)  # the archive lists this URL's captures with digest "-"
    db = tmp_path / "t.db"
    result = crawl(ia_shim, db, "--company", "Acme")
    assert result.returncode == 0, result.stderr
    # each 200 capture of the URL was fetched for itself: none taken for another's duplicate
    states = rows(db, "SELECT state, count(*) FROM captures WHERE url = ? AND statuscode = '200' GROUP BY 1", (ACME,))
    assert states == [("fetched", 4)]
    # no digest to check their bodies against: digest_ok says "unknown", never "mismatch"
    checked = "SELECT s.digest_ok FROM snapshots s JOIN captures c ON c.digest = s.digest WHERE c.url = ?"
    assert {r[0] for r in rows(db, checked, (ACME,))} == {None}
    timeline = "SELECT position, text_hash, in_force_from, in_force_to FROM policy_timeline ORDER BY position"
    assert rows(db, timeline) == rows(reference, timeline)
