"""Rendering the static HTML report for 1,000 companies x 20 changes (synthetic database).

The database comes from bench_research.build (3 clause changes per change, with word diffs).
Baseline measured in the same run: writing the same data as CSV (policytrail export), which
reads the same rows without templating.

    .venv/bin/python bench/bench_report.py [--companies 1000 --changes 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_research import build  # noqa: E402
from bench.common import git_rev, machine, run_measured, table, today  # noqa: E402


def run(args: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one policytrail command."""
    secs, rss, code = run_measured([sys.executable, "-m", "crawler.cli", *args], ROOT)
    if code:
        raise SystemExit(f"{args[0]} failed ({code})")
    return secs, rss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--companies", type=int, default=1000)
    ap.add_argument("--changes", type=int, default=20)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pt-report-"))
    db = tmp / "synthetic.db"
    build(db, args.companies, args.changes + 1, clause_changes=3)
    csv_secs, csv_rss = run(["export", "--format", "csv", "--out", str(tmp / "csv"), "--db", str(db)])
    html_secs, html_rss = run(["report", "--out", str(tmp / "site"), "--db", str(db)])
    pages = list((tmp / "site").glob("*.html"))
    size = sum(p.stat().st_size for p in pages) / 2**20
    rows = [
        {
            "run": "baseline: policytrail export --format csv",
            "seconds": f"{csv_secs:.1f}",
            "peak RSS MB": f"{csv_rss:.0f}",
            "output": "3 CSV files",
        },
        {
            "run": "policytrail report (HTML site)",
            "seconds": f"{html_secs:.1f}",
            "peak RSS MB": f"{html_rss:.0f}",
            "output": f"{len(pages)} pages, {size:.0f} MB",
        },
    ]
    print(f"### Report rendering ({today()}, commit {git_rev()})\n\nMachine: {machine()}\n")
    print(
        f"{args.companies:,} companies x {args.changes} changes x 3 clause changes (synthetic). Target: under 60 s.\n"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
