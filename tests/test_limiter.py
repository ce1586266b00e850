"""One budget for every worker: tokens from a limiter in a real Redis, and a 429 that pauses them all.

Checked from the archive's side: the shim's request log, across three worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from crawler.scale.limiter import SharedBudget

from .archive_shim import ArchiveShim, Fault
from .conftest import FIXTURES, ROOT, rows

# small budgets counted over 5 s, so that three workers are held back within ~30 s
WINDOW = 5
CDX_PER_MINUTE, MEMENTOS_PER_MINUTE = 24, 60  # 2 CDX and 5 mementos a window; 1 per 3 s and 1 per 1 s
# between a token (or the end of a pause) in Redis and the request's arrival at the archive
JITTER = 0.15
# how long after a 429 a request already sent by another worker may still arrive
IN_FLIGHT = 0.3


def most_in_any(times: list[float], seconds: float) -> int:
    """The most requests that arrived within any ``seconds`` of one another, at the archive."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_tokens_are_shared_between_budgets_of_the_same_archive(redis_url):
    a = SharedBudget(redis_url, "http://127.0.0.1:1", {"cdx": 12}, window=WINDOW)
    b = SharedBudget(redis_url, "http://127.0.0.1:1", {"cdx": 12}, window=WINDOW)
    other = SharedBudget(redis_url, "http://127.0.0.2:1", {"cdx": 12}, window=WINDOW)
    assert a.take("cdx") == 0  # 12 a minute: 1 per 5 s
    wait = b.take("cdx")
    assert 4 < wait <= 6  # the other worker's token counts (over the window and its margin)
    assert other.take("cdx") == 0  # another archive, another budget


def test_a_pause_set_by_one_worker_holds_every_worker(redis_url):
    a = SharedBudget(redis_url, "http://127.0.0.1:1", {"mementos": 600}, window=WINDOW)
    b = SharedBudget(redis_url, "http://127.0.0.1:1", {"mementos": 600}, window=WINDOW)
    a.pause(2)
    assert 1.5 < b.take("mementos") <= 2
    b.pause(1)  # a shorter pause does not shorten it
    assert b.paused_for() > 1.5
    time.sleep(2.05)
    assert b.take("mementos") == 0


def workers(shim, redis_url, tmp_path, n: int = 3, rates=(CDX_PER_MINUTE, MEMENTOS_PER_MINUTE)) -> list:
    procs = []
    for k in range(n):
        settings = {
            "POLICYTRAIL_DB": tmp_path / f"shard{k}.db",
            "POLICYTRAIL_TARGETS": FIXTURES / "archive" / "targets.csv",
            "POLICYTRAIL_ARCHIVE": shim.url,
            "POLICYTRAIL_CDX_PER_MINUTE": rates[0],
            "POLICYTRAIL_MEMENTOS_PER_MINUTE": rates[1],
            "POLICYTRAIL_REDIS_URL": redis_url,
            "POLICYTRAIL_BUDGET_WINDOW": WINDOW,
            "POLICYTRAIL_RETRY_AFTER_DEFAULT": 3,
            "LOG_LEVEL": "INFO",
        }
        args = [sys.executable, "-m", "scrapy", "crawl", "wayback"]
        for key, value in settings.items():
            args += ["-s", f"{key}={value}"]
        procs.append(
            subprocess.Popen(
                args,
                cwd=ROOT,
                env=dict(os.environ, PYTHONPATH=str(ROOT)),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
    return procs


def finish(procs) -> list[bytes]:
    errs = []
    for proc in procs:
        try:
            errs.append(proc.communicate(timeout=180)[1])
        finally:
            proc.kill()
    return errs


def test_three_workers_never_exceed_the_configured_rate_together(pywb_archive, redis_url, tmp_path):
    with ArchiveShim(pywb_archive.url, mode="ia") as shim:
        errs = finish(workers(shim, redis_url, tmp_path))
        for k, err in enumerate(errs):
            assert rows(tmp_path / f"shard{k}.db", "SELECT status FROM crawl_runs") == [("finished",)], err[-3000:]
        cdx = [r.at for r in shim.requests("/cdx/")]
        mementos = [r.at for r in shim.requests("/web/")]
    assert len(cdx) >= 6 and len(mementos) >= 15  # three workers' worth of requests
    assert most_in_any(cdx, WINDOW) <= CDX_PER_MINUTE * WINDOW // 60
    assert most_in_any(mementos, WINDOW) <= MEMENTOS_PER_MINUTE * WINDOW // 60
    assert most_in_any(cdx, 60) <= CDX_PER_MINUTE and most_in_any(mementos, 60) <= MEMENTOS_PER_MINUTE
    # spread, never a window's budget at once: 1 CDX in 3 s, 1 memento a second (give or take the jitter
    # between a token and its request's arrival: the spread has no margin, unlike the window)
    assert most_in_any(cdx, 3 - JITTER) == 1 and most_in_any(mementos, 1 - JITTER) == 1


def test_a_429_seen_by_one_worker_pauses_them_all(pywb_archive, redis_url, tmp_path):
    with ArchiveShim(pywb_archive.url, mode="ia") as shim:
        shim.faults.append(Fault("/web/", 429, times=1, retry_after="4"))
        errs = finish(workers(shim, redis_url, tmp_path, rates=(120, 600)))  # the rates are not what is tested
        for k, err in enumerate(errs):
            assert rows(tmp_path / f"shard{k}.db", "SELECT status FROM crawl_runs") == [("finished",)], err[-3000:]
        log = sorted(shim.log, key=lambda r: r.at)
    (hit,) = [r for r in log if r.status == 429]
    # a request another worker sent before the pause was set may still arrive (IN_FLIGHT); after that,
    # no worker asks anything until Retry-After has passed, and then they go on
    during = [r.at for r in log if hit.answered + IN_FLIGHT < r.at < hit.answered + 4 - JITTER]
    assert during == []
    assert len([r for r in log if r.at >= hit.answered + 4 - JITTER]) > 3


def test_save_page_now_is_one_budget_for_every_saving_worker(ia_shim, redis_url):
    """Two workers saving at 30 a minute each: together still one save every 2 s at the archive."""
    import threading

    from crawler.archive import Archive
    from crawler.crawl.save import save_targets

    results = []

    def worker():
        budget = SharedBudget(redis_url, ia_shim.url, {"save": 30}, window=2)
        results.append(
            save_targets(
                targets=str(FIXTURES / "archive" / "targets.csv"),
                archive=Archive(ia_shim.url, "ia"),
                per_minute=30,
                budget=budget,
            )
        )

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r.exit_code for r in results] == [0, 0]
    saves = [r.at for r in ia_shim.requests("/save/")]
    assert len(saves) == 6
    assert most_in_any(saves, 2) == 1
