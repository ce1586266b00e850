"""Crawl throughput with limits lifted, against a real local pywb.

Two archives: the demo's sample archive (crawler/localarchive/sample) and a synthetic one (many URLs, few
distinct bodies per URL, as real policy histories are). For each: policytrail's crawl
(Scrapy, dedup by digest, derive) beside a baseline measured in the same run -- a plain
sequential client (http.client, keep-alive, no redirects) that lists the same CDX and fetches every capture, no dedup.

    .venv/bin/python bench/bench_crawl.py [--synthetic-urls 250 --captures-per-url 20]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import git_rev, machine, table, today  # noqa: E402
from crawler.localarchive.pywb import LocalArchive  # noqa: E402
from crawler.localarchive.warc import CaptureSpec, read_manifest, write_warc  # noqa: E402

PARAGRAPHS = [
    "We collect the information you give us, such as your name, e-mail address and payment details.",
    "We use cookies and similar technologies to remember your preferences and measure how our services are used.",
    "We share personal information with service providers who process it on our behalf under contract.",
    "You may ask us for a copy of your personal data, or ask us to correct or delete it.",
    "We keep personal information only as long as we need it for the purposes described in this policy.",
    "Our services are not directed to children under 13 and we do not knowingly collect their data.",
]


def synthetic(n_urls: int, per_url: int, seed: int = 7) -> tuple[list[CaptureSpec], str]:
    """Each URL: a few policy versions, page chrome that changes more often, some exact repeats."""
    rng = random.Random(seed)
    specs, targets = [], ["company,url"]
    for u in range(n_urls):
        url = f"https://company{u:05d}.example/privacy"
        targets.append(f"Company {u:05d},{url}")
        version = 0
        for i in range(per_url):
            if rng.random() < 0.15:
                version += 1
            chrome = rng.randrange(3)
            ts = f"{2010 + i // 2:04d}{(i % 12) + 1:02d}15{u % 24:02d}0000"
            paras = PARAGRAPHS[: 3 + version % 4] + [f"This policy was last updated in version {version}."]
            body = (
                f"<html><head><title>Privacy</title></head><body><nav>menu {chrome}</nav><main>"
                f"<h1>Privacy Policy of Company {u}</h1>"
                + "".join(f"<p>{p}</p>" for p in paras)
                + f"</main><footer>&copy; {2010 + chrome}</footer></body></html>"
            ).encode()
            specs.append(CaptureSpec(url=url, timestamp=ts, body=body))
    return specs, "\n".join(targets) + "\n"


def memento_requests(access_log: Path) -> int:
    """Memento fetches the archive has answered so far, from pywb's access log."""
    return sum("id_/" in line for line in access_log.read_text().splitlines()) if access_log.exists() else 0


def run_policytrail(archive_url: str, targets: Path, db: Path, access_log: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    fetched_before = memento_requests(access_log)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "crawl",
            "--targets",
            str(targets),
            "--db",
            str(db),
            "--archive",
            archive_url,
            "--dialect",
            "pywb",
            "--unthrottled",
            "--format",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    conn = sqlite3.connect(db)
    captures = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
    fetches = memento_requests(access_log) - fetched_before
    versions = conn.execute("SELECT count(*) FROM versions WHERE capture_count > 0").fetchone()[0]
    conn.close()
    return {
        "captures": captures,
        "fetches": fetches,
        "versions": versions,
        "seconds": elapsed,
        "rss_mb": max(rss, before) / 1024,
    }


def run_baseline(archive_url: str, urls: list[str]) -> dict:
    """Sequential http.client on one keep-alive connection: list each URL's captures, fetch every
    one (no dedup, no storage). Redirects are never followed: pywb's point at the live web."""
    t0 = time.perf_counter()
    captures = fetches = 0
    parts = urlsplit(archive_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def get(path: str) -> bytes:
        conn.request("GET", path)
        return conn.getresponse().read()

    for url in urls:
        rows = [
            json.loads(line)
            for line in get(f"/web/cdx?url={quote(url, safe='')}&output=json").decode().splitlines()
            if line.strip()
        ]
        captures += len(rows)
        for row in rows:
            get(f"/web/{row['timestamp']}id_/{row['url']}")
            fetches += 1
    conn.close()
    return {
        "captures": captures,
        "fetches": fetches,
        "versions": "-",
        "seconds": time.perf_counter() - t0,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def bench(name: str, specs: list[CaptureSpec], targets_text: str, work: Path) -> list[dict]:
    work.mkdir(parents=True)
    warc = write_warc(specs, work / "a.warc.gz")
    targets = work / "targets.csv"
    targets.write_text(targets_text)
    urls = [row["url"] for row in csv.DictReader(io.StringIO(targets_text))]
    local = LocalArchive(work / "pywb")
    local.build([warc])
    rows = []
    with local:
        base = run_baseline(local.url, urls)
        first = run_policytrail(local.url, targets, work / "t.db", local.access_log)
        second = run_policytrail(local.url, targets, work / "t.db", local.access_log)
    for label, r in (
        ("baseline: sequential http.client, every capture", base),
        ("policytrail crawl (first run)", first),
        ("policytrail crawl (second run)", second),
    ):
        rows.append(
            {
                "archive": name,
                "run": label,
                "captures": r["captures"],
                "fetches": r["fetches"],
                "versions": r["versions"],
                "seconds": f"{r['seconds']:.2f}",
                "captures/s": f"{r['captures'] / r['seconds']:.0f}",
                "peak RSS MB": f"{r['rss_mb']:.0f}",
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic-urls", type=int, default=250)
    ap.add_argument("--captures-per-url", type=int, default=20)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pt-bench-"))
    sample = ROOT / "crawler" / "localarchive" / "sample"
    sample_specs = read_manifest(sample / "captures.csv")
    rows = bench(
        "sample (crawler/localarchive/sample)", sample_specs, (sample / "targets.csv").read_text(), tmp / "sample"
    )
    specs, targets = synthetic(args.synthetic_urls, args.captures_per_url)
    rows += bench(f"synthetic ({args.synthetic_urls} URLs x {args.captures_per_url})", specs, targets, tmp / "syn")
    print(f"### Crawl throughput, limits lifted ({today()}, commit {git_rev()})\n\nMachine: {machine()}\n")
    print(table(rows))


if __name__ == "__main__":
    main()
