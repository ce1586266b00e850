"""A crawl of 50,000 captures from a synthetic local archive, limits lifted.

Measures throughput, peak RSS and whether memory grows with the number of captures (the same
crawl at 10,000 and 50,000 captures), and the time a kill -9 halfway through costs (kill,
then rerun to completion, against an uninterrupted run). Captures are spread over many URLs
(pywb reads every index line of a URL on each replay).

    .venv/bin/python bench/bench_scale.py [--urls 2500 --per-url 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_crawl import synthetic  # noqa: E402
from bench.common import git_rev, machine, run_measured, table, today  # noqa: E402
from crawler.localarchive.pywb import LocalArchive  # noqa: E402
from crawler.localarchive.warc import write_warc  # noqa: E402


def crawl(archive: str, targets: Path, db: Path, kill_after: float | None = None) -> tuple[float, float, int]:
    """Seconds, peak RSS (MB) and exit code of one crawl (killed with SIGKILL after kill_after s)."""
    args = [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        "--targets",
        str(targets),
        "--db",
        str(db),
        "--archive",
        archive,
        "--dialect",
        "pywb",
        "--unthrottled",
        "--strategy",
        "all",  # every distinct body: the most work a crawl of this archive can do
        "--format",
        "json",
    ]
    return run_measured(args, ROOT, kill_after)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--urls", type=int, default=2500)
    ap.add_argument("--per-url", type=int, default=20)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pt-scale-"))
    rows = []
    sizes = [(args.urls // 5, "small"), (args.urls, "full")]
    for n_urls, label in sizes:
        specs, targets_text = synthetic(n_urls, args.per_url)
        work = tmp / label
        work.mkdir()
        targets = work / "targets.csv"
        targets.write_text(targets_text)
        local = LocalArchive(work / "pywb")
        local.build([write_warc(specs, work / "a.warc.gz")])
        with local:
            secs, rss, code = crawl(local.url, targets, work / "t.db")
            assert code == 0, code
            rows.append(
                {
                    "run": f"{len(specs):,} captures, uninterrupted",
                    "seconds": f"{secs:.1f}",
                    "captures/s": f"{len(specs) / secs:.0f}",
                    "peak RSS MB": f"{rss:.0f}",
                }
            )
            if label == "full":
                killed_secs, rss1, _ = crawl(local.url, targets, work / "k.db", kill_after=secs / 2)
                rest_secs, rss2, code = crawl(local.url, targets, work / "k.db")
                assert code == 0, code
                total = killed_secs + rest_secs
                rows.append(
                    {
                        "run": f"{len(specs):,} captures, kill -9 at {secs / 2:.0f} s then rerun",
                        "seconds": f"{total:.1f} ({killed_secs:.1f} + {rest_secs:.1f})",
                        "captures/s": f"{len(specs) / total:.0f}",
                        "peak RSS MB": f"{max(rss1, rss2):.0f}",
                    }
                )
    print(f"### Crawl at scale ({today()}, commit {git_rev()})\n\nMachine: {machine()}\n")
    print(
        f"Synthetic archive: {args.urls // 5:,} and {args.urls:,} URLs x {args.per_url} captures, ~43% distinct "
        f"bodies, limits lifted, pywb dialect.\n"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
