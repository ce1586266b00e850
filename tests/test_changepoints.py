"""Change-point crawling end to end, against a real pywb behind the IA shim.

One page captured daily for 90 days, each capture with its own digest (a request id in the page's
head), holding A, then B for two days (reverted), A again, then C (a one-word edit); a soft 404 and
an archived 404 in between. `--strategy changes` must give the same timeline as `--strategy all`
for a fraction of the fetches, resume after kill -9, fetch nothing on a rerun, and search new
captures against the newest fetched one.
"""

from __future__ import annotations

import json
import signal
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from crawler.localarchive.pywb import LocalArchive
from crawler.localarchive.warc import CaptureSpec, write_warc

from .archive_shim import ArchiveShim
from .conftest import content, crawl, rows

URL = "https://www.zeta.example/privacy"
DAYS = 90
PARAS = [
    "We collect the information you give us when you create an account, such as your name and email address.",
    "We use your information to provide, maintain and improve our services and to communicate with you.",
    "We share information with service providers who process it on our behalf under written contracts.",
    "We keep personal information for as long as your account is active and for 30 days after it is closed.",
    "You may access, correct or delete your personal information at any time from your account settings.",
    "We protect your information with encryption in transit and at rest, and we limit access to it.",
    "Children under 13 may not use our services and we do not knowingly collect their information.",
    "We will notify you of material changes to this policy by email before they take effect.",
]
SALE = "We may sell aggregated information about your use of our services to advertising partners."


def version(day: int) -> str | None:
    """What the page held on ``day``: A, B (days 40-41, then reverted), C (a one-word edit from day 70)."""
    if day == 55:
        return "soft404"
    if day == 25:
        return "404"
    if day in (10, 11, 12):  # the page answered with a redirect for three days
        return "301"
    if day in (40, 41):
        return "B"
    return "C" if day >= 70 else "A"


def page(name: str, k: int) -> bytes:
    paras = list(PARAS)
    if name == "B":
        paras.insert(3, SALE)
    if name == "C":
        paras[3] = paras[3].replace("30 days", "90 days")
    if name in ("soft404", "404"):
        main = "<h1>Page not found</h1><p>Sorry, we could not find that page.</p>"
    else:
        main = "<h1>Zeta Privacy Policy</h1>" + "".join(f"<p>{p}</p>" for p in paras)
    return (
        f'<html><head><title>Zeta</title><meta name="request-id" content="r{k:05d}"></head><body>'
        f'<nav><a href="/">Home</a> <a href="/about">About</a></nav><main>{main}</main>'
        f"<footer>Zeta Inc.</footer></body></html>"
    ).encode()


def timestamp(day: int) -> str:
    return (datetime(2020, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)).strftime("%Y%m%d%H%M%S")


def specs(days: int) -> list[CaptureSpec]:
    out = []
    for day in range(days):
        name = version(day)
        if name == "301":
            out.append(CaptureSpec(url=URL, timestamp=timestamp(day), status=301, location=URL + "-old"))
            continue
        status = 404 if name == "404" else 200
        out.append(CaptureSpec(url=URL, timestamp=timestamp(day), status=status, body=page(name, day)))
    return out


def archive(tmp_path_factory, days: int):
    root = tmp_path_factory.mktemp(f"zeta{days}")
    warc = write_warc(specs(days), root / "zeta.warc.gz")
    local = LocalArchive(root / "coll")
    local.build([warc])
    local.start()
    return local


@pytest.fixture(scope="module")
def zeta(tmp_path_factory):
    local = archive(tmp_path_factory, DAYS)
    yield local
    local.stop()


@pytest.fixture
def shim(zeta):
    with ArchiveShim(zeta.url, mode="ia") as s:
        yield s


@pytest.fixture
def targets(tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text(f"company,url\nZeta,{URL}\n", encoding="utf-8")
    return path


def timeline(db) -> list[tuple]:
    """The spans (start, end) and the changes' windows: what a reader gets."""
    spans = rows(db, "SELECT in_force_from FROM policy_timeline ORDER BY in_force_from")
    windows = rows(db, "SELECT window_start, window_end, window_unread FROM changes ORDER BY position")
    return [spans, windows]


REDIRECTS = {timestamp(day) for day in (10, 11, 12)}


def mementos(shim) -> list[str]:
    """The captures' mementos asked for (not where their archived redirects led)."""
    return [r.path for r in shim.requests("/web/") if "id_/" in r.path and not r.path.endswith("-old")]


@pytest.fixture
def every_digest(shim, targets, tmp_path):
    db = tmp_path / "all.db"
    result = crawl(shim, db, "--strategy", "all", targets=targets)
    assert result.returncode == 0, result.stderr
    fetched = len(mementos(shim))
    shim.log.clear()
    return db, fetched


def test_changes_find_the_timeline_every_digest_finds_for_a_fraction_of_the_fetches(
    shim, targets, tmp_path, every_digest
):
    all_db, all_fetches = every_digest
    assert all_fetches == DAYS - 1  # every capture but the archived 404, each redirect for itself
    db = tmp_path / "changes.db"
    result = crawl(shim, db, targets=targets)
    assert result.returncode == 0, result.stderr
    fetched = len(mementos(shim))
    assert fetched <= DAYS // 2, fetched
    # the same versions, spans and exact change windows: A -> B -> A -> C
    assert timeline(db) == timeline(all_db)
    spans, windows = timeline(db)
    assert [s[0][:8] for s in spans] == ["20200101", "20200210", "20200212", "20200311"]
    assert all(unread == 0 for *_, unread in windows)
    states = dict(rows(db, "SELECT state, count(*) FROM captures GROUP BY state"))
    assert states["inferred"] >= DAYS // 2 and "pending" not in states
    not_policy = rows(db, "SELECT count(*) FROM captures WHERE reason LIKE 'not a policy%'")[0][0]
    assert states["fetched"] + not_policy + 1 == fetched  # each fetch was one capture's body (+ the redirect)
    # the soft 404, if fetched, is not a version and not a change: skipped over, its reason kept
    assert rows(
        db, "SELECT state, reason LIKE 'not a policy%' FROM captures WHERE timestamp = ?", (timestamp(55),)
    ) in (
        [("skipped", 1)],
        [("inferred", None)],
    )
    (summary,) = json.loads(result.stdout)
    assert summary["inferred"] == states["inferred"] and summary["pending"] == 0


def test_a_rerun_fetches_nothing(shim, targets, tmp_path):
    db = tmp_path / "t.db"
    assert crawl(shim, db, targets=targets).returncode == 0
    before = timeline(db)
    shim.log.clear()
    assert crawl(shim, db, targets=targets).returncode == 0
    assert mementos(shim) == []
    assert timeline(db) == before


def test_a_crawl_killed_mid_search_resumes_where_it_stopped(shim, targets, tmp_path, every_digest):
    all_db, _ = every_digest
    db = tmp_path / "killed.db"
    killer = ("-s", 'EXTENSIONS={"tests.killpoints.KillAt": 0}', "-s", "POLICYTRAIL_TEST_KILL_AT=response:12")
    killed = crawl(shim, db, *killer, targets=targets)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    first = set(mementos(shim))
    shim.log.clear()
    resumed = crawl(shim, db, targets=targets)
    assert resumed.returncode == 0, resumed.stderr
    assert timeline(db) == timeline(all_db)
    # what the killed run stored is not fetched again (at most the responses in flight when it died)
    again = first & set(mementos(shim))
    assert len(again) <= 4, again
    assert rows(db, "SELECT count(*) FROM captures WHERE state = 'pending'") == [(0,)]


def test_new_captures_are_searched_against_the_newest_fetched_one(tmp_path_factory, targets, tmp_path, every_digest):
    all_db, _ = every_digest
    db = tmp_path / "grow.db"
    early = archive(tmp_path_factory, 65)  # the archive as it was on day 65: A, B, A
    try:
        with ArchiveShim(early.url, mode="ia") as s:
            assert crawl(s, db, targets=targets).returncode == 0
    finally:
        early.stop()
    newest = rows(db, "SELECT max(timestamp) FROM captures WHERE state = 'fetched'")[0][0]
    assert newest == timestamp(64)
    return_db_first = timeline(db)
    assert len(return_db_first[0]) == 3
    later = archive(tmp_path_factory, DAYS)
    try:
        with ArchiveShim(later.url, mode="ia") as s:
            assert crawl(s, db, targets=targets).returncode == 0
            fetched = [p.split("/")[2][:14] for p in mementos(s)]
    finally:
        later.stop()
    assert fetched and all(ts > newest for ts in fetched), fetched
    assert timeline(db) == timeline(all_db)


def test_estimate_lists_only_and_says_what_each_strategy_costs(shim, targets, tmp_path):
    db = tmp_path / "t.db"
    result = crawl(shim, db, "--estimate", targets=targets, throttled=True)
    assert result.returncode == 0, result.stderr
    assert mementos(shim) == []
    (row,) = json.loads(result.stdout)
    assert (row["company"], row["captures"], row["digests"]) == ("Zeta", DAYS, DAYS - 4)  # no 404, no 301
    assert row["fetch_all"] == DAYS - 1  # each redirect for itself
    assert 0 < row["fetch_changes"] < row["fetch_all"]
    assert row["time_all"].endswith("min") and row["time_changes"].endswith("min")
    assert rows(db, "SELECT count(*) FROM captures WHERE state = 'pending'") == [(DAYS - 1,)]  # the 404 skipped
    assert rows(db, "SELECT count(*) FROM snapshots") == [(0,)]


def test_every_digest_is_fed_to_the_scheduler_in_small_batches_and_nothing_is_lost(
    shim, targets, tmp_path, every_digest
):
    all_db, all_fetches = every_digest
    db = tmp_path / "batched.db"
    result = crawl(shim, db, "--strategy", "all", "-s", "POLICYTRAIL_PLAN_BATCH=7", targets=targets)
    assert result.returncode == 0, result.stderr
    assert len(mementos(shim)) == all_fetches
    assert content(db) == content(all_db)


def test_refine_spends_more_fetches_on_a_crawled_database_and_keeps_its_timeline(shim, targets, tmp_path):
    db = tmp_path / "t.db"
    assert crawl(shim, db, targets=targets).returncode == 0
    before, first = timeline(db), len(mementos(shim))
    shim.log.clear()
    assert crawl(shim, db, "--refine", targets=targets).returncode == 0
    refined = len(mementos(shim))
    assert 0 < refined < DAYS - first  # denser probes where the fetched captures agree, not everything
    assert timeline(db) == before
    shim.log.clear()
    assert crawl(shim, db, "--refine", targets=targets).returncode == 0
    assert mementos(shim) == []  # refined once, nothing left to refine
