"""Trends across companies and the report's overview for 1,000 companies x 20 years (synthetic database).

The database comes from bench_research.build: one version a year from 2005 to 2025 per company
(21 versions, 20 changes, 3 clause changes each), in a month that varies by company and year, so
that every month has changes. Each version's length and grade are computed with the code derive
uses (its cost is reported too, and on real policies). Each command runs in its own process, three
times: the median seconds and the highest peak RSS (sampled every 20 ms). Baselines measured in
the same run: a plain SQL GROUP BY of changes per month (policytrail query), and the report
without its overview (index, strips and company pages).

    .venv/bin/python bench/bench_trends.py [--companies 1000 --years 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_research import build  # noqa: E402
from bench.common import git_rev, machine, run_measured, table, today  # noqa: E402
from crawler.diff import readability_id, readability_of  # noqa: E402
from crawler.store import Store  # noqa: E402

WITHOUT_OVERVIEW = """
import sys
from crawler.archive import utcnow
from crawler.outputs.destinations import Output
from crawler.outputs.history import load_documents
from crawler.outputs.reports import render_site
from crawler.store import Store
store = Store.open_readonly(sys.argv[1])
out = Output(sys.argv[2], database=store.path, folder=True, force=True).prepare()
render_site(load_documents(store), out, utcnow())
"""


def run(args: list[str], label: str, repeat: int = 3) -> dict:
    """Median seconds and peak RSS of ``repeat`` runs (the machine is shared: one run can be noisy)."""
    runs = []
    for _ in range(repeat):
        secs, rss, code = run_measured(args, ROOT)
        if code:
            raise SystemExit(f"{label} failed ({code})")
        runs.append((secs, rss))
    secs = sorted(s for s, _ in runs)[repeat // 2]
    return {"run": label, "seconds": f"{secs:.1f}", "peak RSS MB": f"{max(r for _, r in runs):.0f}"}


def policytrail(*args: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", *args]


def real_texts() -> list[str]:
    """The policy texts of the demo's real snapshots (HER, happn, Match), as extraction reads them."""
    from crawler.demo import SAMPLE_DIR
    from crawler.extract import extract

    texts = {}
    for page in sorted((SAMPLE_DIR / "realdata").glob("*/*.html")):
        extraction = extract(page.read_bytes(), "text/html")
        if extraction.is_policy:
            texts[extraction.text] = None
    return list(texts)


def readability_cost(texts: list[str]) -> float:
    """Seconds per text for length and grade (after one warm-up call: textstat's import)."""
    readability_of("Warm up.")
    t0 = time.perf_counter()
    for text in texts:
        readability_of(text)
    return (time.perf_counter() - t0) / len(texts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--companies", type=int, default=1000)
    ap.add_argument("--years", type=int, default=20)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pt-trends-"))
    db = tmp / "synthetic.db"
    build(
        db,
        args.companies,
        args.years + 1,
        clause_changes=3,
        when=lambda c, v: f"{2005 + v:04d}{1 + (c * 7 + v * 5) % 12:02d}{1 + c % 28:02d}000000",
    )
    store = Store(db)
    t0 = time.perf_counter()
    with store.transaction():
        for vid, text in store.query("SELECT id, text FROM versions"):
            figures = readability_of(text)
            store.set_readability(vid, figures.words, figures.sentences, figures.grade, readability_id())
    measured = time.perf_counter() - t0
    versions = store.query("SELECT count(*) FROM versions")[0][0]
    store.close()

    rows = [
        run(
            policytrail(
                "query",
                "SELECT substr(window_end, 1, 6) AS month, count(*) FROM policy_changes GROUP BY month",
                "--db",
                str(db),
                "--format",
                "csv",
            ),
            "baseline: changes per month, plain SQL GROUP BY (policytrail query)",
        ),
        run(
            policytrail("trends", "--by", "month", "--db", str(db), "--format", "csv"), "policytrail trends --by month"
        ),
        run(policytrail("trends", "--by", "year", "--db", str(db), "--format", "csv"), "policytrail trends --by year"),
        run(
            [sys.executable, "-c", WITHOUT_OVERVIEW, str(db), str(tmp / "plain")],
            "baseline: the report without its overview (index with strips, company pages)",
        ),
        run(
            policytrail("report", "--out", str(tmp / "site"), "--db", str(db), "--force"),
            "policytrail report (with overview)",
        ),
    ]
    overview = (tmp / "site" / "overview.html").stat().st_size / 2**10
    index = (tmp / "site" / "index.html").stat().st_size / 2**10
    plain_index = (tmp / "plain" / "index.html").stat().st_size / 2**10
    for row, output in zip(
        rows,
        [
            "one row per month",
            f"{args.years * 12 + 12} rows x 43 columns",
            f"{args.years + 1} rows x 43 columns",
            f"{args.companies + 1} pages (index {plain_index:.0f} KB)",
            f"{args.companies + 2} pages + 6 CSV (index with strips {index:.0f} KB, overview {overview:.0f} KB)",
        ],
    ):
        row["output"] = output
    print(f"### Trends and the overview ({today()}, commit {git_rev()})\n\nMachine: {machine()}\n")
    print(
        f"{args.companies:,} companies x {args.years} years ({versions:,} versions, one a year, "
        f"{args.companies * args.years:,} changes x 3 clause changes; synthetic). Length and grade of the "
        f"{versions:,} versions computed in {measured:.1f} s ({measured / versions * 1000:.2f} ms each).\n"
    )
    print(table(rows))
    real = real_texts()
    cost = readability_cost(real)  # first: textstat caches what it has counted
    words = sum(readability_of(t).words for t in real) / len(real)
    print(
        f"\nLength and grade of real policies (the {len(real)} distinct texts of the demo's real snapshots, "
        f"{words:,.0f} words on average): {cost * 1000:.1f} ms per version, once per text."
    )


if __name__ == "__main__":
    main()
