"""``policytrail worker``: take targets from the shared queue until none is left, crawling each into
this worker's own shard database.

Targets are taken a few at a time (``--batch``, each with its own lease) and crawled by the
project's spider in one child process (``scrapy crawl wayback``, as Scrapyd runs it: Scrapy's
reactor runs once per process), with the shared budget of ``crawler.scale.limiter`` when a Redis
URL is given; the leases are renewed while the child runs. The
child dies with its worker (``PR_SET_PDEATHSIG`` on Linux), so a worker killed with -9 leaves
nothing running: its lease expires and another worker takes the target again. A target is
completed when its crawl finished; otherwise it goes back to the queue (set aside after
``queue.MAX_ATTEMPTS``).

With ``brackets`` (``--brackets``), a target's change-point search is shared
(``crawler/scale/brackets.py``): the worker that lists a target shares its listing, and every
worker takes the fetches its open brackets want; a worker with no target to take joins the open
searches (a child with no targets of its own). It exits once no target is queued or leased and no
fetch is queued or leased.
"""

from __future__ import annotations

import csv
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from crawler.crawl.targets import Target
from crawler.errors import CrawlFailures, PolicytrailError, UsageError
from crawler.scale.queue import MAX_ATTEMPTS, TargetQueue, decode
from crawler.store import Store

POLL_SECONDS = 1.0
# targets crawled by one child process: a child costs about a second to start (Scrapy, the project)
BATCH = 8


def _die_with_parent() -> None:  # in the child, before exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class WorkerReport:
    completed: int = 0
    released: int = 0
    lost_leases: int = 0
    joined: int = 0  # child crawls that only took shared fetches (--brackets)

    def row(self) -> dict:
        return {
            "completed": self.completed,
            "released": self.released,
            "lost_leases": self.lost_leases,
            "joined": self.joined,
        }


def _targets_file(targets: list[Target], folder: Path) -> Path:
    path = folder / "targets.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["company", "url", "document", "valid_from", "valid_to"])
        for t in targets:
            out.writerow([t.company, t.url, t.document, t.valid_from or "", t.valid_to or ""])
    return path


def _last_run(db: Path) -> str | None:
    """How the shard's latest crawl run ended (None: no run, or no readable shard)."""
    try:
        store = Store.open_readonly(db)
    except PolicytrailError:
        return None
    try:
        runs = store.recent_runs(1)
    finally:
        store.close()
    return runs[0][3] if runs else None


def crawl_batch(targets: list[Target], db: Path, settings: dict, renew, lease_seconds: float, log) -> bool:
    """Crawl targets into ``db`` in one child process, renewing their leases; True when it finished."""
    with tempfile.TemporaryDirectory(prefix="policytrail-worker-") as tmp:
        args = [sys.executable, "-m", "scrapy", "crawl", "wayback"]
        for key, value in {
            **settings,
            "POLICYTRAIL_DB": db,
            # none: a child joining the searches other workers shared (--brackets)
            "POLICYTRAIL_TARGETS": _targets_file(targets, Path(tmp)) if targets else "",
        }.items():
            if value is not None:
                args += ["-s", f"{key}={value}"]
        env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
        child = subprocess.Popen(
            args, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=log, preexec_fn=_die_with_parent
        )
        while True:
            try:
                child.wait(timeout=max(lease_seconds / 3, 0.2))
                break
            except subprocess.TimeoutExpired:
                renew()
    return child.returncode == 0 and _last_run(db) == "finished"


def run_worker(
    redis_url: str,
    db: str | Path,
    settings: dict,
    queue_name: str = "default",
    lease_seconds: float | None = None,
    log=None,
    batch: int = BATCH,
    brackets: bool = False,
) -> WorkerReport:
    """Take targets (up to ``batch`` at a time, each with its own lease, crawled by one child
    process) until the queue is empty and no other worker holds a lease that could expire; with
    ``brackets``, share each target's search and join the others' until every search is over."""
    holder = f"{socket.gethostname()}/{os.getpid()}"  # named in each lease token: who holds what
    lease = {"lease_seconds": lease_seconds} if lease_seconds else {}
    queue = TargetQueue(redis_url, queue_name, holder=holder, **lease)
    db = Path(db).resolve()
    report = WorkerReport()
    settings = {**settings, "POLICYTRAIL_REDIS_URL": settings.get("POLICYTRAIL_REDIS_URL", redis_url)}
    board = None
    if brackets:
        from crawler.scale.brackets import BracketBoard

        board = BracketBoard(redis_url, queue_name, holder=holder, **lease)
        settings.update(POLICYTRAIL_BRACKETS=queue_name, POLICYTRAIL_LEASE_SECONDS=queue.lease)
        settings.update(POLICYTRAIL_WORKER_ID=holder)
    import redis

    try:
        return _work(queue, board, db, settings, report, batch, log or sys.stderr)
    except redis.RedisError as exc:  # Redis lost mid-run: this worker's leases expire, the others take its work
        raise UsageError(
            f"lost Redis at {redis_url} ({exc}); what this worker held goes back to the queue when its leases "
            f"expire: run it again once Redis is back"
        ) from None


def _work(queue: TargetQueue, board, db: Path, settings: dict, report: WorkerReport, batch: int, log) -> WorkerReport:
    failed_joins = 0
    while True:
        items = []
        while len(items) < batch and (item := queue.take()) is not None:
            items.append(item)
        if not items and board is not None and board.open():
            if crawl_batch([], db, settings, lambda: None, queue.lease, log):
                report.joined += 1
                failed_joins = 0
                continue
            failed_joins += 1  # its fetches' leases expire and go to the others
            if failed_joins >= MAX_ATTEMPTS:
                raise CrawlFailures(
                    f"{failed_joins} crawls joining the shared searches failed in a row (see the log above); "
                    f"the fetches they held go back to the other workers once their leases expire"
                )
            time.sleep(POLL_SECONDS)
            continue
        if not items:
            if not queue.counts()["leased"]:
                return report
            time.sleep(POLL_SECONDS)  # another worker's lease: finished soon, or expiring if it died
            continue

        def renew(items=items):
            for item in items:
                queue.renew(item)

        if crawl_batch([decode(i) for i in items], db, settings, renew, queue.lease, log):
            for item in items:
                if queue.complete(item):
                    report.completed += 1
                else:
                    report.lost_leases += 1  # held too long: another worker has it (its shard merges the same)
        else:
            for item in items:
                queue.release(item)
                report.released += 1
