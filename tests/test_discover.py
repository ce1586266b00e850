"""`policytrail discover`: from a domain to its privacy policy URLs over the years, against a real pywb.

The archive (tests/fixtures/discover/captures.csv) holds synthetic sites: homepages across three
redesigns whose footers change language, a policy that moves twice (and whose first URL is later
reused for a blog post), a PDF policy, a cookie policy beside the privacy policy, a homepage that links
nowhere (and a privacy FAQ whose URL says privacy), a homepage and a policy link that reach the policy
through archived redirects, a policy URL reused for a blog post after it redirected, a homepage that
stops linking its policy while the index shows another page taking over, a link whose archived
redirect only adds a trailing slash, a site with no policy at all.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from crawler.crawl.targets import append_rows, parse_targets
from crawler.discover.links import page_links
from crawler.discover.words import COOKIES, PRIVACY, TERMS, read_text, read_url
from crawler.errors import TargetsError
from crawler.localarchive.pywb import LocalArchive
from crawler.localarchive.warc import read_manifest, write_warc

from .archive_shim import ArchiveShim, Fault
from .conftest import FIXTURES, crawl, rows, run_cli

SITES = ["movingco.example", "pdfco.example", "cookieco.example", "nolinks.example", "redirectco.example"]

# company, url, document, valid_from, valid_to
EXPECTED = [
    tuple(line.split(","))
    for line in """\
movingco.example,https://www.movingco.example/privacy.html,privacy policy,20160301000000,20180110000000
movingco.example,https://www.movingco.example/legal/privacy,privacy policy,20180502000000,20190901000000
movingco.example,https://privacy.movingco.example/policy,privacy policy,20200302000000,
pdfco.example,https://pdfco.example/docs/privacy-notice.pdf,privacy policy,20190302000000,
cookieco.example,https://www.cookieco.example/privacy-policy,privacy policy,20190402000000,
nolinks.example,https://nolinks.example/en/privacy-statement,privacy policy,20180301000000,
redirectco.example,https://legal.redirectco.example/privacidad,privacy policy,20190501130010,""".splitlines()
]


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """The synthetic sites, written to a WARC with warcio and served by a real pywb subprocess."""
    root = tmp_path_factory.mktemp("discover")
    warc = write_warc(read_manifest(FIXTURES / "discover" / "captures.csv"), root / "sites.warc.gz")
    archive = LocalArchive(root / "coll")
    archive.build([warc])
    archive.start()
    yield archive
    archive.stop()


@pytest.fixture
def pywb_log(sites):
    with ArchiveShim(sites.url, mode="pywb") as shim:
        yield shim


@pytest.fixture
def ia(sites):
    with ArchiveShim(sites.url, mode="ia") as shim:
        yield shim


def discover(archive_url: str, *args: str, dialect: str = "pywb"):
    return run_cli("discover", *args, "--archive", archive_url, "--dialect", dialect, "--unthrottled")


def csv_rows(stdout: str) -> list[tuple]:
    return [
        (r["company"], r["url"], r["document"], r["valid_from"], r["valid_to"])
        for r in csv.DictReader(io.StringIO(stdout))
    ]


# --------------------------------------------------------------------------- against the archive


@pytest.mark.parametrize("dialect", ["pywb", "ia"])
def test_rows_follow_each_policy_across_moves_redesigns_languages_pdfs_and_redirects(pywb_log, ia, dialect):
    archive = pywb_log if dialect == "pywb" else ia
    result = discover(archive.url, *SITES, "--format", "csv", dialect=dialect)
    assert result.returncode == 0, result.stderr
    assert csv_rows(result.stdout) == EXPECTED
    assert "Traceback" not in result.stderr
    evidence = {r["url"]: r["evidence"] for r in csv.DictReader(io.StringIO(result.stdout))}
    assert "'Datenschutzerklärung' in the footer" in evidence["https://privacy.movingco.example/policy"]
    assert "index only" in evidence["https://nolinks.example/en/privacy-statement"]
    assert (
        "archived redirect(s) from https://www.redirectco.example/privacidad, "
        "https://www.redirectco.example/es/legal/privacidad" in evidence["https://legal.redirectco.example/privacidad"]
    )
    # every request stayed inside the archive, and each domain cost a handful
    assert "movingco.example: 3 row(s), 2 CDX request(s), 6 memento(s)" in result.stderr


def test_json_gives_each_row_its_evidence_fields(pywb_log):
    result = discover(pywb_log.url, "movingco.example", "--company", "MovingCo", "--format", "json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert [(r["company"], r["url"], r["valid_from"], r["valid_to"]) for r in found] == [
        ("MovingCo", "https://www.movingco.example/privacy.html", "20160301000000", "20180110000000"),
        ("MovingCo", "https://www.movingco.example/legal/privacy", "20180502000000", "20190901000000"),
        ("MovingCo", "https://privacy.movingco.example/policy", "20200302000000", None),
    ]
    assert [r["periods"] for r in found] == [["2016", "2017"], ["2018", "2019"], ["2020", "2021"]]
    assert [r["link_texts"] for r in found] == [["Privacy Policy"], ["Privacy"], ["Datenschutzerklärung"]]
    assert found[1]["source"] == "homepage+index" and found[1]["captures"] == 3


def test_a_cookie_policy_beside_the_privacy_policy_is_not_a_row(pywb_log):
    result = discover(pywb_log.url, "cookieco.example", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert [r[1] for r in csv_rows(result.stdout)] == ["https://www.cookieco.example/privacy-policy"]


def test_a_site_without_a_policy_or_without_captures_says_so_and_exits_4(pywb_log):
    result = discover(pywb_log.url, "emptyco.example", "never-archived.example", "pdfco.example", "--format", "csv")
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr
    assert "emptyco.example: no privacy policy found (1 homepage capture(s) read" in result.stderr
    assert "never-archived.example: the archive holds no capture of this site" in result.stderr
    assert [r[1] for r in csv_rows(result.stdout)] == ["https://pdfco.example/docs/privacy-notice.pdf"]  # still given


def test_a_url_that_says_privacy_but_holds_no_policy_is_read_and_passed_over(pywb_log):
    result = discover(pywb_log.url, "nolinks.example", "--format", "csv")
    assert result.returncode == 0, result.stderr
    # /help/privacy-faq has more captures than the statement, so it is read first: a FAQ, not a policy
    assert csv_rows(result.stdout) == [
        ("nolinks.example", "https://nolinks.example/en/privacy-statement", "privacy policy", "20180301000000", "")
    ]
    assert "nolinks.example: 1 row(s), 2 CDX request(s), 4 memento(s)" in result.stderr


def test_a_url_reused_after_a_redirect_keeps_only_its_policy_years(pywb_log):
    result = discover(pywb_log.url, "reuseco.example", "--format", "csv")
    assert result.returncode == 0, result.stderr
    # the 2022 capture answered 200 with a blog post, after the URL had redirected in 2020
    assert csv_rows(result.stdout) == [
        ("reuseco.example", "https://reuseco.example/privacy", "privacy policy", "20180301000000", "20190301000000")
    ]


def test_a_page_the_index_knows_takes_over_when_the_homepage_stops_linking_the_policy(pywb_log):
    result = discover(pywb_log.url, "handoverco.example", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert [r[1:] for r in csv_rows(result.stdout)] == [
        ("https://handoverco.example/privacy", "privacy policy", "20180301000000", "20190301000000"),
        ("https://handoverco.example/en/data-protection", "privacy policy", "20200301000000", ""),
    ]


def test_a_redirect_to_the_same_page_with_a_trailing_slash_leads_to_that_page(pywb_log):
    result = discover(pywb_log.url, "slashco.example", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert [r[1:] for r in csv_rows(result.stdout)] == [
        ("https://slashco.example/privacy/", "privacy policy", "20180101000000", ""),
    ]


def test_since_leaves_out_what_came_before(pywb_log):
    result = discover(pywb_log.url, "movingco.example", "--since", "2019", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert [r[1:] for r in csv_rows(result.stdout)] == [
        ("https://www.movingco.example/legal/privacy", "privacy policy", "20190101000000", "20190901000000"),
        ("https://privacy.movingco.example/policy", "privacy policy", "20200302000000", ""),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "not a domain",
        "https://movingco.example/privacy",
        "localhost",
        "bad-.example",
        "ftp://movingco.example",
        "1.2.3.4",
    ],
)
def test_a_bad_domain_exits_2_before_any_request(pywb_log, bad):
    result = discover(pywb_log.url, "movingco.example", bad)
    assert result.returncode == 2
    assert "is not a domain name" in result.stderr and "Traceback" not in result.stderr
    assert pywb_log.requests() == []


def test_a_429_waits_for_retry_after_and_repeated_429s_stop_with_exit_3(ia):
    ia.faults.append(Fault("/cdx/search/cdx", 429, times=1, retry_after="1"))
    first = run_cli("discover", "pdfco.example", "--archive", ia.url, "--format", "csv")  # rate-limited, as for IA
    assert first.returncode == 0, first.stderr
    assert [r[1] for r in csv_rows(first.stdout)] == ["https://pdfco.example/docs/privacy-notice.pdf"]
    log = ia.requests("/cdx/search/cdx")
    assert log[0].status == 429 and log[1].at - log[0].at >= 1.0  # Retry-After honoured
    assert [r.status for r in log[1:]] == [200, 200]
    assert log[2].at - log[1].at >= 60 / 24 * 0.95  # the crawl's CDX limit: 24 a minute
    ia.log.clear()
    ia.faults.append(Fault("/cdx/search/cdx", 429, times=5, retry_after="0"))
    stopped = run_cli("discover", "pdfco.example", "--archive", ia.url, "--unthrottled")
    assert stopped.returncode == 3
    assert "429" in stopped.stderr and "Traceback" not in stopped.stderr
    assert len(ia.requests("/cdx/search/cdx")) == 3


def test_an_unreachable_archive_exits_3_in_one_line():
    from .conftest import free_port

    result = run_cli("discover", "pdfco.example", "--archive", f"http://127.0.0.1:{free_port()}", "--unthrottled")
    assert result.returncode == 3
    assert "could not be reached" in result.stderr and "Traceback" not in result.stderr


def test_the_estimate_asks_nothing(pywb_log):
    result = run_cli("discover", *SITES, "--since", "2016", "--estimate", "--archive", pywb_log.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Estimate: 5 domain(s): at most about ")
    assert "minute(s) at the rate limits" in result.stdout
    assert pywb_log.requests() == []


def test_discover_then_crawl_builds_one_timeline_across_the_moves(pywb_log, tmp_path):
    targets = tmp_path / "targets.csv"
    targets.write_text("company,url\nPdfCo,https://pdfco.example/docs/privacy-notice.pdf\n")
    found = discover(pywb_log.url, "movingco.example", "--company", "MovingCo", "--append", str(targets))
    assert found.returncode == 0, found.stderr
    assert f"{targets}: 3 row(s) added." in found.stderr
    again = discover(pywb_log.url, "movingco.example", "--company", "MovingCo", "--append", str(targets))
    assert f"{targets}: 0 row(s) added, 3 already there." in again.stderr
    assert targets.read_text().splitlines() == [
        "company,url,document,valid_from,valid_to",
        "PdfCo,https://pdfco.example/docs/privacy-notice.pdf",
        "MovingCo,https://www.movingco.example/privacy.html,privacy policy,20160301000000,20180110000000",
        "MovingCo,https://www.movingco.example/legal/privacy,privacy policy,20180502000000,20190901000000",
        "MovingCo,https://privacy.movingco.example/policy,privacy policy,20200302000000,",
    ]
    db = tmp_path / "t.db"
    crawled = crawl(pywb_log, db, "--company", "MovingCo", dialect="pywb", targets=targets)
    assert crawled.returncode == 0, crawled.stderr
    timeline = rows(
        db,
        "SELECT in_force_from, in_force_to FROM policy_timeline WHERE company = 'MovingCo' ORDER BY in_force_from",
    )
    assert [t[0][:8] for t in timeline] == ["20160301", "20180502", "20200302"]
    # the first URL's later reuse (a blog post, 2021) is outside its window: never listed, never fetched
    assert rows(db, "SELECT count(*) FROM captures WHERE timestamp = '20210101000000'") == [(0,)]
    assert rows(db, "SELECT count(*) FROM captures WHERE url LIKE '%movingco%'") == [(8,)]


def _converse(conversation, answer_for):
    """Run a discovery conversation with ``answer_for(ask) -> Answer``: no Scrapy, no network."""
    asks = []
    try:
        ask = next(conversation)
        while True:
            asks.append(ask)
            ask = conversation.send(answer_for(ask))
    except StopIteration as done:
        return done.value, asks


def test_an_ia_redirect_that_only_adds_a_trailing_slash_is_read_as_the_same_page():
    from urllib.parse import parse_qs, urlsplit

    from crawler.archive import Archive
    from crawler.discover import Answer, discover_domain

    archive = Archive("https://web.archive.org")
    fields = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
    index = [
        ["example,slash)/privacy", "20180101000000", "https://slash.example/privacy/", "text/html", "200", "A", "9"],
        ["example,slash)/privacy", "20190601130000", "https://slash.example/privacy", "text/html", "301", "R", "9"],
        ["example,slash)/privacy", "20200101000000", "https://slash.example/privacy/", "text/html", "200", "A", "9"],
    ]
    home = [["example,slash)/", "20190601120000", "https://slash.example/", "text/html", "200", "H", "9"]]
    page = b'<html><body><footer><a href="/privacy">Privacy notice</a></footer></body></html>'

    def answer_for(ask):
        if ask.kind == "cdx":
            query = parse_qs(urlsplit(ask.url).query)
            found = index if query.get("matchType") == ["domain"] else home
            return Answer(200, {}, json.dumps([fields, *found]).encode(), ask.url)
        if ask.url.endswith("id_/https://slash.example/"):
            return Answer(200, {"memento-datetime": "Sat, 01 Jun 2019 12:00:00 GMT"}, page, ask.url)
        assert ask.url == "https://web.archive.org/web/20190601130000id_/https://slash.example/privacy"
        moved = "https://web.archive.org/web/20190601130000/https://slash.example/privacy/"
        return Answer(301, {"location": moved, "memento-datetime": "Sat, 01 Jun 2019 13:00:00 GMT"}, b"", ask.url)

    result, asks = _converse(discover_domain(archive, "slash.example"), answer_for)
    assert [(r.url, r.valid_from, r.valid_to) for r in result.rows] == [
        ("https://slash.example/privacy/", "20180101000000", None)
    ]
    assert [a.kind for a in asks] == ["cdx", "cdx", "memento", "memento"]
    assert all(a.url.startswith("https://web.archive.org/") for a in asks)


# --------------------------------------------------------------------------- the targets file


def test_targets_rows_carry_validity_windows_in_any_time_format():
    text = (
        "company,url,valid_from,valid_to\n"
        "A,https://a.example/privacy,2016,2018-01\n"
        "A,https://a.example/legal/privacy,20180201000000,\n"
        "A,https://a.example/privacy,2021-06-01,\n"  # the first URL again, after a move back
    )
    targets = parse_targets(text)
    assert [(t.url, t.valid_from, t.valid_to) for t in targets] == [
        ("https://a.example/privacy", "20160101000000", "20180131235959"),
        ("https://a.example/legal/privacy", "20180201000000", None),
        ("https://a.example/privacy", "20210601000000", None),
    ]
    assert targets[0].in_window("20171231000000") and not targets[0].in_window("20180201000000")


@pytest.mark.parametrize(
    "text, problem",
    [
        ("company,url,valid_from\nA,https://a.example/p,2019-13\n", "line 2: valid_from/valid_to:"),
        ("company,url,valid_from,valid_to\nA,https://a.example/p,2020,2019\n", "line 2: valid_from 2020 is after"),
        (
            "company,url,valid_from,valid_to\nA,https://a.example/p,2016,2019\nA,https://a.example/p,2018,\n",
            "line 3: duplicate url https://a.example/p with an overlapping validity window",
        ),
        ("company,url,valid_to\nA,https://a.example/p,2016\nA,https://a.example/p,\n", "line 3: duplicate url"),
    ],
)
def test_bad_or_overlapping_windows_are_refused_with_their_line(text, problem):
    with pytest.raises(TargetsError) as caught:
        parse_targets(text)
    assert problem in str(caught.value)


def test_appending_adds_the_missing_columns_and_never_writes_a_bad_file(tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text("company,url,document\n# a comment\nA,https://a.example/privacy,privacy policy\n")
    row = {"company": "B", "url": "https://b.example/p", "document": "privacy policy", "valid_from": "20190101000000"}
    assert append_rows(path, [row, row]) == (1, 1)
    assert path.read_text().splitlines() == [
        "company,url,document,valid_from,valid_to",
        "# a comment",
        "A,https://a.example/privacy,privacy policy",
        "B,https://b.example/p,privacy policy,20190101000000,",
    ]
    before = path.read_text()
    with pytest.raises(TargetsError, match="duplicate url https://a.example/privacy"):
        append_rows(path, [{"company": "C", "url": "https://a.example/privacy/", "document": "privacy policy"}])
    assert path.read_text() == before
    fresh = tmp_path / "new" / "targets.csv"
    assert append_rows(fresh, [row]) == (1, 0)
    assert fresh.read_text().startswith("company,url,document,valid_from,valid_to\n")


# --------------------------------------------------------------------------- reading links and URLs


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Privacy Policy", PRIVACY),
        ("Datenschutzerklärung", PRIVACY),
        ("Datenschutz", PRIVACY),
        ("Politique de confidentialité", PRIVACY),
        ("Política de privacidad", PRIVACY),
        ("Informativa sulla privacy", PRIVACY),
        ("Privacybeleid", PRIVACY),
        ("Integritetspolicy", PRIVACY),
        ("Polityka prywatności", PRIVACY),
        ("プライバシーポリシー", PRIVACY),
        ("隐私政策", PRIVACY),
        ("개인정보처리방침", PRIVACY),
        ("Политика конфиденциальности", PRIVACY),
        ("Privacy & Cookies", PRIVACY),
        ("Cookie Policy", COOKIES),
        ("Cookie-Richtlinie", COOKIES),
        ("Terms of Service", TERMS),
        ("Impressum", TERMS),
        ("Privacy settings", None),
        ("Do Not Sell My Personal Information", None),
        ("Photos", None),
    ],
)
def test_link_texts_are_read_in_many_languages(text, kind):
    assert read_text(text).kind == kind


@pytest.mark.parametrize(
    "url, kind",
    [
        ("https://x.example/privacy", PRIVACY),
        ("https://x.example/de/datenschutzerklaerung.html", PRIVACY),
        ("https://x.example/fr/confidentialite", PRIVACY),
        ("https://x.example/%E3%83%97%E3%83%A9%E3%82%A4%E3%83%90%E3%82%B7%E3%83%BC", PRIVACY),
        ("https://privacy.x.example/", PRIVACY),
        ("https://x.example/cookie-policy", COOKIES),
        ("https://x.example/privacy-settings", None),
        ("https://x.example/img/privacy.png", None),
        ("https://x.example/photos", None),
    ],
)
def test_urls_are_read_by_their_path_and_host(url, kind):
    assert read_url(url).kind == kind


def test_footer_links_outrank_a_mention_in_the_body():
    html = (
        b'<html><body><main><p><a href="/blog/privacy-day">Privacy</a> day was fun.</p></main>'
        b'<footer><a href="/legal/privacy#top">Privacy Policy</a></footer></body></html>'
    )
    links = [link for link in page_links(html, "text/html", "https://x.example/") if link.kind == PRIVACY]
    best = max(links, key=lambda link: (link.score, link.order))
    assert (best.url, best.region) == ("https://x.example/legal/privacy", "footer")


def test_the_demo_discovers_the_moving_company_then_crawls_one_timeline_across_its_moves(tmp_path):
    db = tmp_path / "demo.db"
    result = run_cli("demo", "--discover", "--db", str(db), "--workdir", str(tmp_path / "work"), "--format", "json")
    assert result.returncode == 0, result.stderr
    added = (tmp_path / "work" / "targets.csv").read_text().splitlines()[-3:]
    assert added == [
        "Pebble,https://pebble.example/privacy,privacy policy,20150302120000,20171120120000",
        "Pebble,https://www.pebble.example/legal/privacy-policy,privacy policy,20180525090000,20200902090000",
        "Pebble,https://privacy.pebble.example/policy,privacy policy,20210201100000,",
    ]
    spans = rows(
        db,
        "SELECT in_force_from, in_force_to FROM policy_timeline WHERE company = 'Pebble' ORDER BY in_force_from",
    )
    assert spans == [
        ("20150302120000", "20180525090000"),
        ("20180525090000", "20210201100000"),
        ("20210201100000", None),
    ]
    # the old URL's reuse for a blog post (2023) never reached the database
    assert rows(db, "SELECT count(*) FROM captures WHERE timestamp = '20230301120000'") == [(0,)]
