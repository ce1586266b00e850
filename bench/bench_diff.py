"""Clause diffs on every consecutive version pair of the real policy histories.

Corpus: ../shared/realdata (text versions of 24 companies' policies) when it sits beside the
project, else the versions the demo derives from crawler/localarchive/sample. Measured in one run, per pair:
policytrail's clause diff (segmentation and topic tagging are done once per version and stored,
so they are timed separately), difflib's SequenceMatcher on the whole texts split into words, and
diff-match-patch on the whole texts with its default 1 s timeout (counting the pairs it
silently degrades to a whole-document replacement). Then a 10,000-word pair.

    .venv/bin/python bench/bench_diff.py
"""

from __future__ import annotations

import csv
import difflib
import re
import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diff_match_patch import diff_match_patch  # noqa: E402

from bench.common import git_rev, machine, table, today  # noqa: E402
from crawler.diff.align import diff_clauses  # noqa: E402
from crawler.diff.clauses import segment  # noqa: E402
from crawler.diff.taxonomy import tag_clauses  # noqa: E402

SHARED = ROOT.parent / "shared" / "realdata"


def histories() -> tuple[str, list[list[str]]]:
    if (SHARED / "manifest.csv").exists():
        by = defaultdict(list)
        for row in csv.DictReader(open(SHARED / "manifest.csv", encoding="utf-8")):
            if row["kind"] in ("version_md", "wayback_text", "official_archive_text"):
                by[row["company"]].append(row)
        out = []
        for rows in by.values():
            rows.sort(key=lambda r: r["timestamp"])
            out.append([(SHARED / r["file"]).read_text(encoding="utf-8") for r in rows])
        return "../shared/realdata text versions", out
    from crawler.extract.page import extract

    out = []
    for company in sorted((ROOT / "crawler" / "localarchive" / "sample" / "realdata").iterdir()):
        if company.is_dir():
            texts = [extract(p.read_bytes(), "text/html").text for p in sorted(company.glob("*.html"))]
            out.append([t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]])
    return "crawler/localarchive/sample/realdata extracted versions", out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def row(name: str, times: list[float], extra: str = "") -> dict:
    return {
        "method": name,
        "pairs": len(times),
        "pairs/s": f"{len(times) / sum(times):.0f}",
        "median ms": f"{statistics.median(times) * 1000:.1f}",
        "p95 ms": f"{pct(times, 0.95) * 1000:.1f}",
        "max ms": f"{max(times) * 1000:.0f}",
        "notes": extra,
    }


def main() -> None:
    source, docs = histories()
    pairs = [(a, b) for texts in docs for a, b in zip(texts, texts[1:])]
    seg_times, segs = [], {}
    for texts in docs:
        for t in texts:
            if t not in segs:
                t0 = time.perf_counter()
                segs[t] = tag_clauses(segment(t))
                seg_times.append(time.perf_counter() - t0)
    ours, fallbacks = [], 0
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for a, b in pairs:
        t0 = time.perf_counter()
        d = diff_clauses(segs[a], segs[b])
        ours.append(time.perf_counter() - t0)
        fallbacks += bool(d.fallbacks)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    words = re.compile(r"\S+")
    dl = []
    for a, b in pairs:
        t0 = time.perf_counter()
        difflib.SequenceMatcher(None, words.findall(a), words.findall(b), autojunk=False).get_opcodes()
        dl.append(time.perf_counter() - t0)
    dmp = diff_match_patch()
    dm, degraded = [], 0
    for a, b in pairs:
        t0 = time.perf_counter()
        diffs = dmp.diff_main(a, b)
        dm.append(time.perf_counter() - t0)
        equal = sum(len(t) for op, t in diffs if op == 0)
        if a != b and equal < 0.05 * min(len(a), len(b)):
            degraded += 1
    rows = [
        row(
            "policytrail clause diff (clauses stored)",
            ours,
            f"{fallbacks} pairs flagged a fallback; peak RSS {rss / 1024:.0f} MB (was {rss_before / 1024:.0f})",
        ),
        row("difflib SequenceMatcher, whole text as words", dl, "no clause structure"),
        row(
            "diff-match-patch, whole text, 1 s timeout",
            dm,
            f"{degraded} of {len(pairs)} pairs silently degraded to a whole-document replace",
        ),
    ]
    # a 10,000-word pair: a long real policy repeated, 2% of its paragraphs edited
    base = max((t for texts in docs for t in texts), key=len)
    paras = base.split("\n\n")
    big = []
    while sum(len(p.split()) for p in big) < 10_000:
        big += paras
    old = "\n\n".join(big)
    new = "\n\n".join(p + " This sentence was added." if i % 50 == 7 else p for i, p in enumerate(big))
    so, sn = tag_clauses(segment(old)), tag_clauses(segment(new))
    t0 = time.perf_counter()
    d = diff_clauses(so, sn)
    big_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    difflib.SequenceMatcher(None, words.findall(old), words.findall(new), autojunk=False).get_opcodes()
    big_dl = time.perf_counter() - t0
    print(f"### Clause diffs on real version pairs ({today()}, commit {git_rev()})\n\nMachine: {machine()}\n")
    print(
        f"Corpus: {source}: {len(docs)} histories, {len(pairs)} consecutive pairs, {len(segs)} distinct "
        f"versions. Segmentation and tagging, once per version: median {statistics.median(seg_times) * 1000:.1f} ms, "
        f"p95 {pct(seg_times, 0.95) * 1000:.1f} ms.\n"
    )
    print(table(rows))
    print(
        f"\n10,000-word pair ({len(old.split())} words, {d.change_count} clause changes, "
        f"fallbacks: {d.fallbacks or 'none'}): policytrail {big_ours * 1000:.1f} ms; "
        f"difflib on words {big_dl * 1000:.1f} ms."
    )


if __name__ == "__main__":
    main()
