"""Change-point crawling against reference strategies, on generated archive-like histories.

The planner (``crawler.crawl.strategy``) is pure: here every strategy runs in-process against the
generated truth (a fetch answers the version the capture holds, or "not a policy"), at about 5,000
and about 60,000 captures (with giants of 20,000). Reference strategies in the same run: every
distinct digest (``--strategy all``), two captures a year, plain bisection between the ends,
bisection with a 30-day probe grid.

    .venv/bin/python bench/bench_changepoints.py [--quick] [--write]

``--quick`` runs the small size only; ``--write`` replaces the section in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.changepoint_histories import Site, make_corpus  # noqa: E402
from bench.common import git_rev, machine, table, today  # noqa: E402
from crawler.crawl.strategy import (  # noqa: E402
    NOT_POLICY,
    PLAIN_BISECTION,
    Listing,
    Settings,
    infer,
    is_candidate,
    run_search,
)

RATE = 480  # mementos per minute: the default limit
SECTION = "## Change-point crawling (issue 14)"


def every_digest(site: Site, fetch) -> tuple[dict, int]:
    """Today's ``--strategy all``: each distinct digest once, each archived redirect once."""
    outcomes = {}
    redirects = 0
    for i, c in enumerate(site.captures):
        if c.statuscode.startswith("3"):
            redirects += 1
        elif is_candidate(c) and c.digest not in outcomes:
            outcomes[c.digest] = fetch(i)
    return outcomes, redirects


def two_a_year(site: Site, listing: Listing, fetch) -> dict:
    """The Princeton-Leuven sample: the first capture holding the policy in each half year."""
    outcomes: dict[str, str] = {}
    taken = set()
    for i in listing.candidates:
        c = site.captures[i]
        half = (c.timestamp[:4], c.timestamp[4:6] <= "06")
        if half in taken:
            continue
        if c.digest not in outcomes:
            outcomes[c.digest] = fetch(i)
        if outcomes[c.digest] != NOT_POLICY:
            taken.add(half)
    return outcomes


def score(site: Site, listing: Listing, outcomes: dict) -> dict:
    """Truth against what a strategy found (its fetched outcomes, windows between them)."""
    truth = site.truth
    policy = [i for i, v in enumerate(truth) if v is not None]
    true_changes = {(a, b) for a, b in zip(policy, policy[1:]) if truth[a] != truth[b]}
    seen_versions = {v for v in truth if v is not None}
    result = infer(listing, outcomes)
    found, exact, false = set(), 0, 0
    into: set[int] = set()
    for w in result.windows:
        ka, kb = result.keys[w.before], result.keys[w.after]
        hits = [(a, b) for a, b in true_changes if w.before <= a and b <= w.after]
        match = [(a, b) for a, b in hits if str(truth[a]) == ka and str(truth[b]) == kb]
        if not hits:
            false += 1
        for ch in match:
            found.add(ch)
            into.add(truth[ch[1]])
            exact += ch == (w.before, w.after)
    # a version counts as found when a change into it was found
    reverted = site.reverted & seen_versions
    short = site.short_lived & seen_versions
    wrong_inferred = sum(
        1
        for i, h in enumerate(result.how)
        if h == "inferred" and truth[i] is not None and str(truth[i]) != result.keys[i]
    )
    return {
        "changes": len(true_changes),
        "found": len(found),
        "exact": exact,
        "false": false,
        "windows": len(result.windows),
        "reverted": len(reverted),
        "reverted_found": len(reverted & into),
        "short": len(short),
        "short_found": len(short & into),
        "inferred_wrong": wrong_inferred,
        "unresolved": sum(h == "unresolved" for h in result.how),
    }


def run(sites: list[Site]) -> list[dict]:
    strategies = {
        "every distinct digest (--strategy all)": None,
        "two captures a year": "sample",
        "plain bisection": PLAIN_BISECTION,
        "bisection + 30-day grid": Settings(grid_days=30, lengths=False),
        "change-point search (--strategy changes)": Settings(),
        "change-point search --refine": Settings().refined(),
    }
    total = sum(len(s.captures) for s in sites)
    rows = []
    for name, how in strategies.items():
        t0 = time.perf_counter()
        agg: dict[str, int] = {}
        fetched = 0
        for site in sites:
            calls = [0]

            def fetch(i, site=site, calls=calls):
                calls[0] += 1
                v = site.truth[i]
                return NOT_POLICY if v is None else str(v)

            listing = Listing(site.captures, how if isinstance(how, Settings) else Settings())
            extra = 0
            if how is None:
                outcomes, extra = every_digest(site, fetch)
            elif how == "sample":
                outcomes = two_a_year(site, listing, fetch)
            else:
                outcomes = run_search(listing, fetch)
            fetched += calls[0] + extra
            for k, v in score(site, listing, outcomes).items():
                agg[k] = agg.get(k, 0) + v
        seconds = time.perf_counter() - t0
        found = max(agg["found"], 1)
        rows.append(
            {
                "strategy": name,
                "fetched": f"{fetched:,} ({100 * fetched / total:.1f}%)",
                "changes found": f"{agg['found']}/{agg['changes']} ({100 * agg['found'] / agg['changes']:.1f}%)",
                "reverts found": f"{agg['reverted_found']}/{agg['reverted']}"
                f" ({100 * agg['reverted_found'] / max(agg['reverted'], 1):.0f}%)",
                "short-lived found": f"{agg['short_found']}/{agg['short']}"
                f" ({100 * agg['short_found'] / max(agg['short'], 1):.0f}%)",
                "exact location": f"{100 * agg['exact'] / found:.0f}%",
                "false boundaries": f"{agg['false']} ({100 * agg['false'] / max(agg['windows'], 1):.1f}%)",
                "wrongly inferred": agg["inferred_wrong"],
                "planning time": f"{seconds:.1f} s",
                "at 480/min": _duration(fetched / RATE),
            }
        )
    return rows


def _duration(minutes: float) -> str:
    return f"{minutes / 60:.1f} h" if minutes >= 90 else f"{minutes:.0f} min"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the ~5,000-capture size only")
    ap.add_argument("--write", action="store_true", help="write the figures to docs/benchmarks.md")
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    sizes = [(5_000, 0)] if args.quick else [(5_000, 0), (60_000, 2)]
    out = [
        SECTION,
        "",
        f"{today()} · {machine()} · commit {git_rev()} · `bench/bench_changepoints.py` (seed {args.seed})",
        "",
    ]
    for total, giants in sizes:
        sites = make_corpus(total, giants, seed=args.seed)
        n = sum(len(s.captures) for s in sites)
        t0 = time.perf_counter()
        rows = run(sites)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        head = (
            f"### {n:,} captures, {len(sites)} sites ({giants} giants of 20,000), "
            f"{time.perf_counter() - t0:.0f} s wall, peak RSS {peak:.0f} MB"
        )
        print(head)
        print(table(rows))
        out += [head, "", table(rows), ""]
    if args.write:
        path = ROOT / "docs" / "benchmarks.md"
        text = path.read_text(encoding="utf-8")
        block = "\n".join(out)
        pattern = re.compile(re.escape(SECTION) + r".*?(?=\n## |\Z)", re.S)
        text = pattern.sub(lambda _: block, text) if SECTION in text else text.rstrip() + "\n\n" + block + "\n"
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
