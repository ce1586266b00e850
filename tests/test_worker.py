"""``policytrail worker``: three workers share one queue and one budget; one killed with -9 mid-crawl
leaves its target to the others, and the merged shards equal a single-process crawl. With
``--brackets``, three workers search one document's captures together (one killed mid-search), and
the merged timeline equals a single-process ``crawl``'s."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from crawler.localarchive.pywb import LocalArchive
from crawler.localarchive.warc import CaptureSpec, write_warc
from crawler.scale.brackets import BracketBoard
from crawler.scale.queue import TargetQueue

from .archive_shim import ArchiveShim
from .conftest import FIXTURES, ROOT, content, crawl, rows, run_cli

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


# -- one document's change-point search shared by several workers (--brackets) -------------------
OMEGA = "https://www.omega.example/privacy"
OMEGA_DAYS = 360
# a small target beside it: below --brackets-from, searched by the worker that listed it
TINY = "https://www.tiny.example/privacy"
TINY_DAYS = 40
SHARE_FROM = 100
OMEGA_PARAS = [
    "We collect the information you give us when you create an account, such as your name and email address.",
    "We use your information to provide, maintain and improve our services and to communicate with you.",
    "We share information with service providers who process it on our behalf under written contracts.",
    "We keep personal information for as long as your account is active and for 30 days after it is closed.",
    "Children under 13 may not use our services and we do not knowingly collect their information.",
]
DELAY = 0.2  # seconds the archive takes to answer a memento
SALE = "We may sell aggregated information about your use of our services to advertising partners."


def omega_version(day: int) -> str:
    """A; B for four days, then reverted (a paragraph more: its record length gives it away); C and D:
    one-word edits of the same length (found by probes and bisection only); a soft 404 and an archived 404."""
    if day == 150:
        return "soft404"
    if day == 60:
        return "404"
    if 100 <= day <= 103:
        return "B"
    return "D" if day >= 290 else "C" if day >= 200 else "A"


def omega_page(name: str, day: int) -> bytes:
    paras = list(OMEGA_PARAS)
    if name == "B":
        paras.insert(3, SALE)
    if name in ("C", "D"):
        paras[3] = paras[3].replace("30 days", "90 days")
    if name == "D":
        paras[4] = paras[4].replace("under 13", "under 16")
    main = (
        "<h1>Page not found</h1><p>Sorry, we could not find that page.</p>"
        if name in ("soft404", "404")
        else "<h1>Omega Privacy Policy</h1>" + "".join(f"<p>{p}</p>" for p in paras)
    )
    noise = "x" * ((day * 7919) % 23)  # a tracking token whose length moves: record lengths jitter
    return (
        f'<html><head><title>Omega</title><meta name="request-id" content="r{day:05d}{noise}"></head><body>'
        f'<nav><a href="/">Home</a></nav><main>{main}</main><footer>Omega Inc.</footer></body></html>'
    ).encode()


@pytest.fixture(scope="module")
def omega(tmp_path_factory):
    """A local pywb holding one page captured daily for a year, each capture with its own digest, and a
    small page captured daily for 40 days (A, then C)."""
    root = tmp_path_factory.mktemp("omega")
    start = datetime(2021, 1, 1, 12, tzinfo=UTC)
    specs = []
    for day in range(OMEGA_DAYS):
        name = omega_version(day)
        ts = (start + timedelta(days=day)).strftime("%Y%m%d%H%M%S")
        specs.append(CaptureSpec(url=OMEGA, timestamp=ts, status=404 if name == "404" else 200,
                                 body=omega_page(name, day)))  # fmt: skip
    for day in range(TINY_DAYS):
        ts = (start + timedelta(days=day)).strftime("%Y%m%d%H%M%S")
        specs.append(CaptureSpec(url=TINY, timestamp=ts, body=omega_page("C" if day >= 20 else "A", day)))
    local = LocalArchive(root / "coll")
    local.build([write_warc(specs, root / "omega.warc.gz")])
    local.start()
    targets = root / "targets.csv"
    targets.write_text(f"company,url\nOmega,{OMEGA}\nTiny,{TINY}\n", encoding="utf-8")
    with ArchiveShim(local.url, mode="pywb") as shim:
        single = root / "single.db"
        result = crawl(shim, single, dialect="pywb", targets=targets)
        assert result.returncode == 0, result.stderr
        single_fetches = len(mementos(shim))
        yield shim, targets, single, single_fetches
    local.stop()


def mementos(shim) -> list[str]:
    return [r.path for r in shim.requests("/web/") if "id_/" in r.path]


def timeline(db) -> dict:
    """What readers get: versions, spans, changes and their windows, clause changes (not which captures were read)."""
    got = content(db)
    return {k: got[k] for k in ("versions", "spans", "changes", "clause_changes", "lineage")}


def bracket_workers(redis_url, shim, folder, n: int) -> list[subprocess.Popen]:
    # one memento at a time per worker (the shared budget's slots), the budget itself out of the way
    args = ["--brackets", "--brackets-from", str(SHARE_FROM), "--mementos-per-minute", "1200", "--cdx-per-minute",
            "120", "--budget-window", "5", "--lease", str(LEASE), "--batch", "1", "--format", "json"]  # fmt: skip
    return [
        subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "worker", "--redis", redis_url, "--db", str(folder / f"s{k}.db"),
             "--archive", shim.url, "--dialect", "pywb", *args],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        for k in range(n)
    ]


def finish(procs, timeout=120) -> list[dict]:
    reports = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=timeout)
            assert p.returncode == 0, err.decode()[-3000:]
            reports.append(json.loads(out)[0])
    finally:
        for p in procs:
            p.kill()
            p.wait(10)
    return reports


def fetched_in(shard, url: str) -> int:
    return rows(shard, "SELECT count(*) FROM captures WHERE url = ? AND state = 'fetched'", (url,))[0][0]


def merged(folder, main) -> None:
    shards = sorted(str(s) for s in folder.glob("s*.db"))
    result = run_cli("merge", *shards, "--db", str(main))
    assert result.returncode == 0, result.stderr


def test_workers_search_one_documents_brackets_together_and_merge_to_the_single_crawls_timeline(
    omega, redis_url, tmp_path
):
    shim, targets, single, single_fetches = omega
    assert run_cli("enqueue", "--targets", str(targets), "--redis", redis_url).returncode == 0
    shim.log.clear()
    shim.memento_delay = DELAY  # a distant archive: three workers fetching at once finish sooner
    try:
        reports = finish(bracket_workers(redis_url, shim, tmp_path, 3))
    finally:
        shim.memento_delay = 0.0
    fetched = Counter(mementos(shim))
    assert max(fetched.values()) == 1  # no capture fetched twice
    shared = [path for path in fetched if OMEGA.split("//")[1] in path]
    # a fraction of what `--strategy all` fetches (every capture's own body but the archived 404)
    assert len(shared) < (OMEGA_DAYS - 1) // 3, len(shared)
    board = BracketBoard(redis_url)
    assert board.counts() == {"queued": 0, "leased": 0, "done": len(shared), "failed": 0}
    assert sum(r["completed"] for r in reports) == 2 and sum(r["joined"] for r in reports) >= 1
    with_bodies = [s for s in tmp_path.glob("s*.db") if fetched_in(s, OMEGA)]
    assert len(with_bodies) >= 2, "the search was not shared"
    # the small target was searched alone by the worker that listed it: never shared in Redis
    holding = [s for s in tmp_path.glob("s*.db") if rows(s, "SELECT 1 FROM captures WHERE url = ?", (TINY,))]
    assert len(holding) == 1 and fetched_in(holding[0], TINY)
    assert board.redis.exists(f"{board.prefix}:listing:{OMEGA}") and not board.redis.exists(
        f"{board.prefix}:listing:{TINY}"
    )
    main = tmp_path / "main.db"
    merged(tmp_path, main)
    assert timeline(main) == timeline(single)
    spans = rows(main, "SELECT in_force_from FROM policy_timeline WHERE company = 'Omega' ORDER BY in_force_from")
    assert [s[0][:8] for s in spans] == ["20210101", "20210411", "20210415", "20210720", "20211018"]
    assert rows(main, "SELECT count(*) FROM captures WHERE state = 'pending'") == [(0,)]  # every capture resolved


def test_a_worker_killed_mid_search_leaves_its_leased_brackets_to_the_others(omega, redis_url, tmp_path):
    shim, targets, single, _ = omega
    assert run_cli("enqueue", "--targets", str(targets), "--redis", redis_url).returncode == 0
    board = BracketBoard(redis_url)
    shim.memento_delay = DELAY
    procs = bracket_workers(redis_url, shim, tmp_path, 3)
    try:
        deadline = time.monotonic() + 60
        victim = held = None
        while victim is None and time.monotonic() < deadline:
            holders = board.queue.holders()
            busy = {int(h.rpartition("/")[2]) for h in holders.values()}
            if len(busy) >= 2:  # the search is shared: kill one of the workers holding fetches
                victim = next(p for p in procs if p.pid in busy)
                held = {item for item, h in holders.items() if h.endswith(f"/{victim.pid}")}
                victim.send_signal(signal.SIGKILL)
            time.sleep(0.02)
        assert victim is not None, "two workers never held fetches at once"
        killed_at = time.monotonic()
        reports = finish([p for p in procs if p is not victim])
        waited = time.monotonic() - killed_at
    finally:
        shim.memento_delay = 0.0
        for p in procs:
            p.kill()
            p.wait(10)
    assert waited >= LEASE  # its fetches waited for their leases to expire
    done = {m.decode() for m in board.redis.smembers(board.queue.done)}
    assert held and held <= done  # taken again and completed by the others: nothing lost
    assert board.counts()["queued"] == board.counts()["leased"] == board.counts()["failed"] == 0
    assert TargetQueue(redis_url).counts() == {"queued": 0, "leased": 0, "done": 2, "failed": 0}
    assert sum(r["lost_leases"] for r in reports) == 0
    main = tmp_path / "main.db"
    merged(tmp_path, main)  # the killed worker's shard too: its disk survived the kill
    assert timeline(main) == timeline(single)
