"""Extract + normalise + hash throughput over real HTML snapshots, with a profile.

Corpus: the real snapshots shipped in crawler/localarchive/sample/realdata and bench/data/ota (Open Terms
Archive's dating snapshots). Baseline measured in the same run: plain
tag-stripped text (lxml ``text_content()``) + the same hash.

    .venv/bin/python bench/bench_extract.py [--repeat 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from bench.common import git_rev, machine, table, today  # noqa: E402
from crawler.extract.normalize import text_hash  # noqa: E402
from crawler.extract.page import extract  # noqa: E402


def corpus() -> list[bytes]:
    """The real HTML snapshots shipped with the project: the demo's and Open Terms Archive's."""
    files = sorted((ROOT / "crawler" / "localarchive" / "sample" / "realdata").glob("*/*.html"))
    bodies = {f.name: f.read_bytes() for f in files}
    for f in sorted((ROOT / "bench" / "data" / "ota").glob("*/html/*.html.gz")):
        bodies.setdefault(f.name.removesuffix(".gz"), gzip.decompress(f.read_bytes()))
    return list(bodies.values())


def policytrail(body: bytes) -> str | None:
    result = extract(body, "text/html")
    return text_hash(result.text, normalized=True) if result.is_policy else None


def baseline(body: bytes) -> str:
    return text_hash(lxml.html.document_fromstring(body).text_content())


def measure(fn, bodies: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for body in bodies:
            fn(body)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    bodies = corpus()
    mb = sum(map(len, bodies)) / 2**20
    rows = []
    for label, fn in (
        ("baseline: lxml text_content + hash", baseline),
        ("policytrail extract + normalise + hash", policytrail),
    ):
        secs = measure(fn, bodies, args.repeat)
        rows.append(
            {
                "method": label,
                "snapshots": len(bodies),
                "MB": f"{mb:.1f}",
                f"seconds (best of {args.repeat})": f"{secs:.3f}",
                "snapshots/s": f"{len(bodies) / secs:.0f}",
                "MB/s": f"{mb / secs:.1f}",
            }
        )
    verdicts = [extract(b, "text/html").verdict for b in bodies]
    print(f"### Extract + normalise + hash ({today()}, commit {git_rev()})\n\nMachine: {machine()}\n")
    print(table(rows))
    print(f"\nVerdicts: {verdicts.count('policy')} policy, {verdicts.count('not_policy')} not a policy.")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for body in bodies:
            policytrail(body)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(14)
        print("\nProfile (cumulative, one pass):\n\n```")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[-2400:])
        print("```")


if __name__ == "__main__":
    main()
