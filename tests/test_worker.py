"""``policytrail worker``: three workers share one queue and one budget; one killed with -9 mid-crawl
leaves its target to the others, and the merged shards equal a single-process crawl."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from crawler.scale.queue import TargetQueue

from .archive_shim import ArchiveShim
from .conftest import FIXTURES, ROOT, content, crawl, run_cli

LEASE = 3


def start_worker(redis_url, shim, db) -> subprocess.Popen:
    args = [
        "worker", "--redis", redis_url, "--db", str(db), "--archive", shim.url, "--dialect", "pywb",
        "--lease", str(LEASE), "--batch", "1", "--budget-window", "5", "--cdx-per-minute", "60",
        "--mementos-per-minute", "60", "--format", "json",
    ]  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_worker_killed_mid_crawl_leaves_its_target_to_the_others(pywb_archive, redis_url, tmp_path):
    queue = TargetQueue(redis_url)
    targets = FIXTURES / "archive" / "targets.csv"
    assert run_cli("enqueue", "--targets", str(targets), "--redis", redis_url).returncode == 0
    with ArchiveShim(pywb_archive.url, mode="pywb") as shim:
        procs = [start_worker(redis_url, shim, tmp_path / f"shard{k}.db") for k in range(3)]
        try:
            deadline = time.monotonic() + 60
            while (queue.counts()["leased"] < 3 or not shim.requests("/web/")) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert queue.counts()["leased"] == 3, "the three workers never held a target each"
            procs[0].send_signal(signal.SIGKILL)  # a machine lost mid-crawl: no goodbye, no lease given back
            killed_at = time.monotonic()
            outs = [p.communicate(timeout=240) for p in procs[1:]]
            waited = time.monotonic() - killed_at
        finally:
            for p in procs:
                p.kill()
                p.wait(10)
        for p, (_, err) in zip(procs[1:], outs):
            assert p.returncode == 0, err.decode()[-3000:]
        reports = [json.loads(out) for out, _ in outs]
        single = tmp_path / "single.db"
        assert crawl(shim, single, dialect="pywb").returncode == 0
    assert waited >= LEASE  # the killed worker's target waited for its lease to expire
    # nothing lost, nothing done twice to completion: three targets, three completions, none left
    assert sum(r[0]["completed"] for r in reports) == 3 and sum(r[0]["lost_leases"] for r in reports) == 0
    assert queue.counts() == {"queued": 0, "leased": 0, "done": 3, "failed": 0}
    main = tmp_path / "main.db"
    shards = [str(tmp_path / f"shard{k}.db") for k in range(3) if (tmp_path / f"shard{k}.db").exists()]
    merged = run_cli("merge", *shards, "--db", str(main))
    assert merged.returncode == 0, merged.stderr
    assert content(main) == content(single)
