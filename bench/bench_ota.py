"""Extraction judged against Open Terms Archive's dating histories (bench/data/ota).

1. Builds a local archive (WARC + pywb) from the HTML snapshots of Bumble, Hily, happn, HER and
   Match, crawls it with ``policytrail crawl`` and judges each pair of consecutive captures
   against the versions OTA recorded (bench/ota.py): change recall and false-change rate per
   company and overall, with counts and 95% Wilson intervals. Generic extraction only.
2. Compares, on the same snapshots and in the same run, extractors and baselines: every
   distinct raw body is a version; plain tag-stripped text; selectolax (lexbor) with a drop
   list; readability-lxml; trafilatura; policytrail's extractor -- each with its throughput
   (extract + normalise + hash, one core).
3. Same text, same version: pairs of snapshots (any distance apart) whose OTA versions are
   byte-identical must get one version.

    .venv/bin/python bench/bench_ota.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from bench.common import git_rev, machine, table, today  # noqa: E402
from bench.ota import DATA, Score, judge, load, snapshots, wilson  # noqa: E402
from crawler.extract.normalize import normalize_text, text_hash  # noqa: E402
from crawler.extract.page import EXTRACTOR_VERSION, Page, decode_html, extract  # noqa: E402
from crawler.extract.page import judge as judge_page  # noqa: E402
from crawler.localarchive.pywb import LocalArchive  # noqa: E402
from crawler.localarchive.warc import CaptureSpec, write_warc  # noqa: E402

_WS = re.compile(r"\s+")


# -- methods: body -> version key (None: "not a policy") -------------------------------------
def raw_body(body: bytes) -> str | None:
    return hashlib.sha256(body).hexdigest()


def tag_stripped(body: bytes) -> str | None:
    root = lxml.html.document_fromstring(decode_html(body, "text/html"))
    return text_hash(_WS.sub(" ", root.text_content()))


def readability(body: bytes) -> str | None:
    from readability import Document

    summary = Document(decode_html(body, "text/html")).summary()
    return text_hash(_WS.sub(" ", lxml.html.document_fromstring(summary).text_content()))


def trafilatura(body: bytes) -> str | None:
    import trafilatura as t

    text = t.extract(decode_html(body, "text/html"), include_tables=True, favor_recall=True)
    return text_hash(text) if text else None


def selectolax(body: bytes) -> str | None:
    """Lexbor's parser with the same drop list as a rule set: what a selectolax port would start from."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(decode_html(body, "text/html"))
    tree.strip_tags(["script", "style", "noscript", "template", "svg", "iframe", "form", "nav", "header", "footer"])
    root = tree.css_first("main") or tree.body
    return text_hash(root.text(separator="\n")) if root is not None else None


def policytrail(body: bytes) -> str | None:
    result = extract(body, "text/html")
    return text_hash(result.text, normalized=True) if result.is_policy else None


METHODS = {
    "baseline: every distinct raw body": raw_body,
    "baseline: tag-stripped text": tag_stripped,
    f"selectolax {version('selectolax')} (drop list, <main>)": selectolax,
    f"readability-lxml {version('readability-lxml')}": readability,
    f"trafilatura {version('trafilatura')} (favor_recall, tables)": trafilatura,
    f"policytrail {EXTRACTOR_VERSION} (generic rules)": policytrail,
}


def measure(fn, bodies: dict, repeat: int) -> tuple[dict, float]:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        keys = {k: fn(b) for k, b in bodies.items()}
        best = min(best, time.perf_counter() - t0)
    return keys, len(bodies) / best


# -- the crawl -------------------------------------------------------------------------------
def crawl_keys(snaps: dict, work: Path) -> tuple[dict, float, dict]:
    """Crawl a pywb archive of the snapshots; version text hash per (company, timestamp)."""
    specs, targets = [], set()
    for company, ss in snaps.items():
        for s in ss:
            specs.append(CaptureSpec(s.url, s.timestamp, body=s.body()))
            targets.add((company, s.url))
    (work / "targets.csv").write_text("company,url\n" + "".join(f"{c},{u}\n" for c, u in sorted(targets)))
    local = LocalArchive(work / "pywb")
    local.build([write_warc(specs, work / "ota.warc.gz")])
    db = work / "ota.db"
    with local:
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--targets", str(work / "targets.csv"), "--db", str(db),
             "--archive", local.url, "--dialect", "pywb", "--unthrottled", "--format", "json"],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        secs = time.perf_counter() - t0
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT d.company, c.timestamp, v.text_hash, c.reason FROM captures c JOIN targets t ON t.id = c.target_id"
        " JOIN documents d ON d.id = t.document_id LEFT JOIN versions v ON v.id = c.version_id"
    ).fetchall()
    keys = {(company, ts): th for company, ts, th, _ in rows}
    skipped = {(company, ts): why for company, ts, th, why in rows if th is None}
    return keys, len(specs) / secs, skipped


def same_text_pairs(snaps: dict) -> list[tuple]:
    """Pairs of snapshots whose OTA versions are byte-identical while their HTML differs."""
    out = []
    for company, ss in snaps.items():
        for a, b in combinations(ss, 2):
            if a.version and b.version and a.body() != b.body():
                va, vb = DATA / company / f"{a.version}.md.gz", DATA / company / f"{b.version}.md.gz"
                if a.version == b.version or (va.exists() and vb.exists() and va.read_bytes() == vb.read_bytes()):
                    out.append((company, a.timestamp, b.timestamp))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    pairs = load()
    snaps = snapshots(pairs)
    bodies = {(s.company, s.timestamp): s.body() for ss in snaps.values() for s in ss}
    n_pairs = sum(len(p) for p in pairs.values())

    with tempfile.TemporaryDirectory(prefix="pt-ota-") as tmp:
        keys, crawl_rate, skipped = crawl_keys(snaps, Path(tmp))
    scores = judge(pairs, keys)
    print(f"### Extraction judged against Open Terms Archive ({today()}, commit {git_rev()})\n")
    print(f"Machine: {machine()}\n")
    print(
        f"{len(bodies)} HTML snapshots, {n_pairs} consecutive pairs, crawled from a local pywb archive "
        f"({crawl_rate:.0f} snapshots/s end to end: listing, fetching, extraction, versions, clauses, diffs). "
        f"Generic extraction, no per-target rules. Counts in parentheses; 95% Wilson intervals in brackets.\n"
    )
    print(table([{"company": c, **s.cells()} for c, s in scores.items()]))
    if skipped:
        print("\nCaptures the crawl judged not a policy:\n")
        print(table([{"company": c, "timestamp": ts, "reason": why} for (c, ts), why in sorted(skipped.items())]))

    rows = []
    for name, fn in METHODS.items():
        method_keys, rate = measure(fn, bodies, args.repeat)
        s: Score = judge(pairs, method_keys)["overall"]
        refused = sum(k is None for k in method_keys.values())
        rows.append({"method": name, **s.cells(), "refused": refused, "snapshots/s": f"{rate:.0f}"})
        if name.startswith("policytrail"):
            mismatch = [k for k in bodies if method_keys[k] != keys.get(k)]
            assert not mismatch, f"in-process and crawled versions differ: {mismatch[:3]}"
    print(f"\n#### Extractors and baselines, same snapshots, same run (best of {args.repeat})\n")
    print(table(rows))

    versions = sorted(DATA.glob("*/*.md.gz"))
    refused = [
        f"{v.parent.name}/{v.name}"
        for v in versions
        if not judge_page(Page(text=normalize_text(gzip.decompress(v.read_bytes()).decode("utf-8")))).is_policy
    ]
    print(
        f"\nOTA's own version texts (Markdown) judged a policy by the not-a-policy rules: "
        f"{len(versions) - len(refused)}/{len(versions)}" + (f" (refused: {', '.join(refused)})" if refused else "")
    )

    same = same_text_pairs(snaps)
    rows = []
    for name, fn in (("baseline: tag-stripped text", tag_stripped), (f"policytrail {EXTRACTOR_VERSION}", policytrail)):
        method_keys = {k: fn(b) for k, b in bodies.items()}
        split = sum(
            1
            for c, a, b in same
            if method_keys[(c, a)] is not None and method_keys[(c, b)] is not None
            and method_keys[(c, a)] != method_keys[(c, b)]
        )  # fmt: skip
        lo, hi = wilson(split, len(same))
        rows.append({"method": name, "same OTA text, different versions": f"{split}/{len(same)} [{lo:.2f}, {hi:.2f}]"})
    print("\n#### Same text, same version (pairs of snapshots any distance apart, identical OTA text)\n")
    print(table(rows))


if __name__ == "__main__":
    main()
