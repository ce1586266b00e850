"""The spider's callbacks, offline, on real recorded Wayback Machine answers; and whole crawls of
the captures in tests/fixtures/spider, served by a real pywb."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.archive import CdxRecord
from crawler.crawl.items import CaptureItem, CaptureOutcome, SnapshotItem
from crawler.localarchive.pywb import LocalArchive
from crawler.localarchive.warc import read_manifest, write_warc
from crawler.store.store import MAX_ATTEMPTS, Store
from spiders.wayback import CDX_SLOT, MEMENTO_SLOT, WaybackSpider, politeness_slots

from .archive_shim import ArchiveShim, Fault
from .conftest import ROOT, crawl, rows, run_cli
from .recordings import Exchange, load

FIXTURES = Path(__file__).parent / "fixtures"
SPIDER = FIXTURES / "spider"
OTHER_COLLECTION = "ukgwa"


@pytest.fixture(scope="module")
def spider_archive(tmp_path_factory):
    """tests/fixtures/spider in a real pywb: in the ``web`` collection and in one named ``ukgwa``."""
    root = tmp_path_factory.mktemp("spider-pywb")
    warc = write_warc(read_manifest(SPIDER / "captures.csv"), root / "spider.warc.gz")
    LocalArchive(root, OTHER_COLLECTION).build([warc])
    archive = LocalArchive(root, "web")
    archive.build([warc])
    with archive:
        yield archive


def crawl_spider_fixture(archive_url: str, db: Path, company: str, *extra: str, dialect: str = "ia"):
    return crawl(archive_url, db, "--company", company, *extra, dialect=dialect, targets=SPIDER / "targets.csv")


@pytest.fixture
def spider(tmp_path):
    targets = tmp_path / "targets.csv"
    targets.write_text("company,url\nEPA,https://www.epa.gov/ghgreporting/san5779-factsheet\n")
    crawler = get_crawler(
        WaybackSpider, {"POLICYTRAIL_DB": str(tmp_path / "t.db"), "POLICYTRAIL_TARGETS": str(targets)}
    )
    crawler._apply_settings()
    spider = crawler._create_spider()
    crawler.spider = spider
    crawler.stats.open_spider()
    yield spider
    spider.store.close()


def memento_response(ex: Exchange, capture: CdxRecord, hops: int = 0, seen: tuple = ()) -> Response:
    request = Request(
        ex.uri,
        meta={"capture": capture, "target_id": 1, "hops": hops, "seen": seen + ((capture.timestamp, capture.url),)},
    )
    headers = {k: v for k, v in ex.headers.items() if k.lower() != "content-length"}
    return Response(ex.uri, status=ex.status, headers=headers, body=ex.body, request=request)


def record(ts: str, url: str, status: str = "200", digest: str = "D") -> CdxRecord:
    return CdxRecord("k", ts, url, "text/html", status, digest, 100)


def test_start_lists_each_target_through_the_cdx_slot(spider):
    import asyncio

    async def collect():
        return [r async for r in spider.start()]

    (request,) = asyncio.run(collect())
    assert request.url.startswith("https://web.archive.org/cdx/search/cdx?url=https%3A%2F%2Fwww.epa.gov")
    assert request.meta["download_slot"] == CDX_SLOT


def test_an_archived_redirect_is_stored_and_followed_inside_the_archive(spider):
    first, internal, final = load("test_get_memento_with_redirects")
    capture = record("20180808094144", "https://www.epa.gov/ghgreporting/san5779-factsheet", "301")
    out = list(spider.parse_memento(memento_response(first, capture)))
    snapshot, follow = out
    assert isinstance(snapshot, SnapshotItem) and snapshot.status == 301
    assert snapshot.redirect_to.endswith("addition-global-warming")
    assert isinstance(follow, Request) and follow.url == first.headers["Location"][0]
    assert follow.meta["download_slot"] == MEMENTO_SLOT
    # the archive's own redirect to the exact timestamp (no Memento-Datetime) is followed, not stored
    out = list(spider.parse_memento(memento_response(internal, capture, hops=1)))
    assert len(out) == 1 and out[0].url == internal.headers["Location"][0]
    # the final memento becomes a capture of its own, keyed by its payload digest
    capture_item, snap = spider.parse_memento(memento_response(final, capture, hops=2))
    assert isinstance(capture_item, CaptureItem) and capture_item.source == "redirect"
    assert capture_item.timestamp == "20180808104500" and capture_item.digest == snap.digest
    assert snap.status == 200 and snap.digest_ok


def test_a_redirect_loop_in_the_archive_ends_with_a_reason(spider):
    exchanges = load("test_get_memento_raises_for_mementos_that_redirect_in_a_loop")
    capture = record("20200925075402", "https://link.springer.com/article/10.1007/s00382-012-1331-2", "303")
    response = memento_response(exchanges[0], capture)
    items = []
    seen = response.meta["seen"]
    hops = 0
    for ex in exchanges[1:] + exchanges[:1]:
        out = list(spider.parse_memento(response))
        items += [o for o in out if not isinstance(o, Request)]
        follow = [o for o in out if isinstance(o, Request)]
        if not follow:
            break
        hops += 1
        seen = follow[0].meta["seen"]
        ex = next(e for e in exchanges if e.uri == follow[0].url)
        response = memento_response(ex, capture, hops=hops, seen=seen[:-1])
    outcome = items[-1]
    assert isinstance(outcome, CaptureOutcome) and outcome.reason == "redirect loop in the archive"


def test_a_recorded_429_page_is_an_archived_capture_not_a_rate_limit(spider):
    (ex,) = load("test_get_memento_works_on_archived_rate_limit_responses")[:1]
    capture = record("20150129034904", "http://www.reddit.com/r/PokemonGiveaway")
    (snapshot,) = spider.parse_memento(memento_response(ex, capture))
    assert isinstance(snapshot, SnapshotItem) and snapshot.status == 429


def test_no_memento_marks_the_capture_failed(spider):
    (ex,) = load("test_get_memento_raises_no_memento_error")[:1]
    capture = record("20170929002712", "https://this-is-not-real-url.whatever/")
    (outcome,) = spider.parse_memento(memento_response(ex, capture))
    assert outcome.state == "failed" and "no memento" in outcome.reason


def test_a_blocked_url_is_reported_and_lists_nothing(spider, caplog):
    (ex,) = load("test_search_raises_for_blocked_urls")
    request = Request(ex.uri, meta={"target_url": "https://nationalpost.com/health", "target_id": 1})
    response = Response(ex.uri, status=ex.status, body=ex.body, request=request)
    assert list(spider.parse_cdx(response)) == []
    assert "the archive blocks this URL" in caplog.text
    assert spider.crawler.stats.get_value("policytrail/cdx_failed") == 1


def test_politeness_slots_sit_at_80_percent_of_the_known_limits_unless_local_and_lifted():
    from scrapy.settings import Settings

    s = Settings()
    s.setmodule("crawler.settings")
    slots = politeness_slots(s)
    assert slots[CDX_SLOT]["delay"] == pytest.approx(60 / 24) and slots[CDX_SLOT]["concurrency"] == 1
    assert slots[MEMENTO_SLOT]["delay"] == pytest.approx(60 / 480)
    s.set("POLICYTRAIL_UNTHROTTLED", True)
    assert politeness_slots(s)[CDX_SLOT]["delay"] == pytest.approx(60 / 24)  # not for web.archive.org
    s.set("POLICYTRAIL_ARCHIVE", "http://127.0.0.1:8080")
    assert politeness_slots(s)[CDX_SLOT]["delay"] == 0


def test_a_2xx_without_memento_headers_is_still_the_memento(spider):
    (ex,) = load("test_get_memento_raises_no_memento_error")[:1]
    ex = Exchange(ex.uri, 200, {"Content-Type": ["text/html"]}, b"<p>privacy policy</p>")
    capture = record("20170929002712", "https://this-is-not-real-url.whatever/")
    (snapshot,) = spider.parse_memento(memento_response(ex, capture))
    assert isinstance(snapshot, SnapshotItem) and snapshot.status == 200


# --------------------------------------------------------------------------- whole crawls (real pywb)


def test_a_collection_not_named_web_is_crawled_and_cited(spider_archive, tmp_path):
    db = tmp_path / "t.db"
    with ArchiveShim(spider_archive.url, mode="pywb") as shim:
        result = crawl_spider_fixture(shim.url, db, "Gamma", "--collection", OTHER_COLLECTION, dialect="pywb")
        paths = [r.path for r in shim.requests()]
    assert result.returncode == 0, result.stderr
    assert paths and all(p.startswith(f"/{OTHER_COLLECTION}/") for p in paths), paths
    assert rows(db, "SELECT archive, state, count(*) FROM captures GROUP BY 1, 2") == [("local/ukgwa", "fetched", 2)]
    # the change cites the collection it was read from: Citation, and the Atom feed made from it
    from crawler.outputs.history import load_documents

    store = Store(db)
    ((change,),) = [d.changes for d in load_documents(store)]
    store.close()
    assert change.new.memento() == "/ukgwa/20190610000000id_/https://gamma.example/privacy"
    assert change.old.memento("") == "/ukgwa/20180301000000/https://gamma.example/privacy"
    feed = tmp_path / "feed.atom"
    exported = run_cli("export", "--format", "atom", "--out", str(feed), "--db", str(db))
    assert exported.returncode == 0, exported.stderr
    assert "/ukgwa/20190610000000/https://gamma.example/privacy" in feed.read_text()


def test_an_incremental_listing_starts_from_listed_captures_not_where_a_redirect_led(spider_archive, tmp_path):
    db = tmp_path / "t.db"
    with ArchiveShim(spider_archive.url, mode="ia") as shim:
        assert crawl_spider_fixture(shim.url, db, "Delta").returncode == 0
        # the 2015 redirect led to a capture made in 2022, seven years after anything listed
        assert rows(db, "SELECT timestamp, source FROM captures ORDER BY timestamp") == [
            ("20150101000000", "cdx"),
            ("20220101000000", "redirect"),
        ]
        n = len(shim.requests("/cdx/"))
        assert crawl_spider_fixture(shim.url, db, "Delta").returncode == 0
        (rerun,) = shim.requests("/cdx/")[n:]
    # newest listed capture 2015-01-01, minus 30 days of overlap
    assert "from=20141202000000" in rerun.path, rerun.path


def test_pywb_paging_lists_every_row_when_one_timestamp_fills_pages(spider_archive, tmp_path):
    db = tmp_path / "t.db"
    with ArchiveShim(spider_archive.url, mode="pywb") as shim:
        result = crawl_spider_fixture(shim.url, db, "Zeta", "--cdx-page-size", "2", dialect="pywb")
        pages = shim.requests("/web/cdx")
    assert result.returncode == 0, result.stderr
    assert len(pages) >= 3  # the page size was smaller than the rows of 2017-05-05
    listed = rows(db, "SELECT timestamp, statuscode FROM captures ORDER BY timestamp")
    assert listed == [
        ("20160101000000", "200"),
        ("20170505050505", "404"),
        ("20170505050505", "404"),
        ("20170505050505", "404"),
        ("20180101000000", "200"),
    ]
    # each row counted once, although pages starting at a timestamp repeat its rows
    ((figures,),) = rows(db, "SELECT figures FROM crawl_runs")
    assert json.loads(figures)["https://zeta.example/privacy"]["listed"] == 5


def test_a_body_one_memento_cannot_replay_is_fetched_through_another_of_its_captures(spider_archive, tmp_path):
    db = tmp_path / "t.db"
    with ArchiveShim(spider_archive.url, mode="ia") as shim:
        # only the earliest of Epsilon's three captures of one body fails to replay
        shim.faults.append(Fault("/web/20130301000000", 404, times=1000, body=b"no such memento"))
        codes = [crawl_spider_fixture(shim.url, db, "Epsilon").returncode for _ in range(3)]
        tries = [r.path.split("/")[2] for r in shim.requests("/web/2013")]
    # the retry goes through the next capture of the body, which replays: nothing is lost
    assert codes[0] == 1 and codes[-1] == 0, codes
    assert tries[:2] == ["20130301000000id_", "20130601000000id_"], tries
    assert rows(db, "SELECT count(*) FROM snapshots") == [(1,)]
    assert rows(db, "SELECT count(*) FROM captures WHERE state IN ('pending', 'failed')") == [(0,)]


def test_a_body_that_never_replays_is_given_up_after_max_attempts_in_all(spider_archive, tmp_path):
    db = tmp_path / "t.db"
    with ArchiveShim(spider_archive.url, mode="ia") as shim:
        # Epsilon's three captures share one body, which the archive never replays
        shim.faults.append(Fault("/web/2013", 404, times=1000, body=b"no such memento"))
        codes = [crawl_spider_fixture(shim.url, db, "Epsilon").returncode for _ in range(MAX_ATTEMPTS + 2)]
        tries = shim.requests("/web/2013")
    assert codes == [1] * MAX_ATTEMPTS + [0, 0]
    assert len(tries) == MAX_ATTEMPTS, [r.path for r in tries]
    # every capture of the body is given up, and `policytrail status` counts them
    assert rows(db, "SELECT state, attempts, count(*) FROM captures GROUP BY 1, 2") == [("failed", MAX_ATTEMPTS, 3)]
    store = Store(db)
    (summary,) = store.work_summary()
    store.close()
    assert summary["gave_up"] == 3


@pytest.mark.parametrize("value", ["nan", "inf", "0", "31"])
def test_scrapy_crawl_checks_the_rate_limits_too(tmp_path, value):
    """Under `scrapy crawl` or Scrapyd no `policytrail crawl` checks the settings: the spider does."""
    args = [sys.executable, "-m", "scrapy", "crawl", "wayback", "-s", f"POLICYTRAIL_DB={tmp_path / 't.db'}"]
    args += ["-s", f"POLICYTRAIL_TARGETS={SPIDER / 'targets.csv'}", "-s", "POLICYTRAIL_ARCHIVE=https://archive.example"]
    args += ["-s", f"POLICYTRAIL_CDX_PER_MINUTE={value}"]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "UsageError: POLICYTRAIL_CDX_PER_MINUTE" in result.stderr
    assert not (tmp_path / "t.db").exists()  # refused before anything was opened or asked
