"""Change-point crawling against reference strategies, on generated archive-like histories.

The planner (``crawler.crawl.strategy``) is pure: here every strategy runs in-process against the
generated truth (a fetch answers the version the capture holds, or "not a policy"), at about 5,000
and about 60,000 captures (with giants of 20,000). Reference strategies in the same run: every
distinct digest (``--strategy all``), two captures a year, plain bisection between the ends,
bisection with a 30-day probe grid.

    .venv/bin/python bench/bench_changepoints.py [--quick] [--e2e] [--write]

``--quick`` runs the small size only; ``--e2e`` also crawls the small size end to end from a real
pywb (HTML bodies of about 11 KB written into a WARC, `policytrail crawl --strategy changes` against
`--strategy all`, with real extraction and derive: recall and false boundaries of the whole
pipeline, wall time and peak RSS); ``--write`` replaces the section in docs/benchmarks.md.
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
            if how is not None:  # --strategy changes fetches each archived redirect's body once
                extra = len({c.digest for c in site.captures if c.statuscode.startswith("3")})
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


WORDS = (
    "information personal data account services partners cookies advertising security retention rights access "
    "delete correct processing purposes legal basis consent transfer countries children contact email notice "
    "update policy collect share use provide improve communicate protect store limit request law"
).split()


def _text(site: str, version: int) -> list[str]:
    """The policy's paragraphs for a version: about 11 KB of HTML; each version edits the text of the
    one before it in a way of its own (a word, a sentence or a paragraph), so versions differ."""
    import random

    base = random.Random(f"{site}-base")
    paras = [" ".join(base.choice(WORDS) for _ in range(rng_len)) + "." for rng_len in [55] * 28]
    for v in range(1, version + 1):
        r = random.Random(f"{site}-{v}")
        k = r.randrange(len(paras))
        kind = r.random()
        if kind < 0.4:  # a word
            words = paras[k].split()
            words[r.randrange(len(words))] = f"{r.choice(WORDS)}{v}"
            paras[k] = " ".join(words)
        elif kind < 0.8:  # a sentence
            paras[k] += " " + " ".join(r.choice(WORDS) for _ in range(12)) + f" v{v}."
        else:  # a paragraph
            paras.insert(k, " ".join(r.choice(WORDS) for _ in range(60)) + f" (section {v}).")
    return paras


def _html(site: str, version: int | None, request_id: str) -> bytes:
    if version is None:
        main = "<h1>Page not found</h1><p>Sorry, the page you requested could not be found.</p>"
    else:
        main = f"<h1>{site} privacy policy</h1>" + "".join(f"<p>{p}</p>" for p in _text(site, version))
    return (
        f'<html><head><title>{site}</title><meta name="request-id" content="{request_id}"></head><body>'
        f'<nav><a href="/">Home</a> <a href="/help">Help</a></nav><main>{main}</main>'
        f"<footer>{site} Inc.</footer></body></html>"
    ).encode()


def capture_specs(site: Site) -> tuple[str, list]:
    """A generated site as WARC capture specs: (its URL, the specs)."""
    from crawler.localarchive.warc import CaptureSpec

    url = f"https://{site.name}.example/privacy"
    specs = []
    # a version id of the generator is a text: the same id (a revert) gives the same words
    for c, v in zip(site.captures, site.truth):
        # the page's request id is the generator's digest: captures sharing it share a body
        if c.statuscode.startswith("3"):
            spec = CaptureSpec(url=url, timestamp=c.timestamp, status=301, location=url + "-moved")
        elif c.mimetype == "warc/revisit":
            spec = CaptureSpec(url=url, timestamp=c.timestamp, body=_html(site.name, v, c.digest), revisit=True)
        elif c.statuscode != "200":
            spec = CaptureSpec(
                url=url, timestamp=c.timestamp, status=int(c.statuscode), body=_html(site.name, None, c.digest)
            )
        else:
            spec = CaptureSpec(url=url, timestamp=c.timestamp, body=_html(site.name, v, c.digest))
        specs.append(spec)
    return url, specs


def end_to_end(sites: list[Site], strategies: tuple[str, ...] = ("all", "changes")) -> list[dict]:
    """The strategies crawled from a real pywb: fetches, timeline agreement, wall time, peak RSS."""
    import sqlite3
    import tempfile

    from bench.common import run_measured
    from crawler.localarchive.pywb import LocalArchive
    from crawler.localarchive.warc import write_warc

    work = Path(tempfile.mkdtemp(prefix="pt-changepoints-"))
    specs, targets = [], ["company,url"]
    for site in sites:
        url, site_specs = capture_specs(site)
        targets.append(f"{site.name},{url}")
        specs.extend(site_specs)
    (work / "targets.csv").write_text("\n".join(targets) + "\n")
    local = LocalArchive(work / "pywb")
    local.build([write_warc(sorted(specs, key=lambda s: (s.url, s.timestamp)), work / "a.warc.gz")])
    rows, timelines = [], {}
    with local:
        for strategy in strategies:
            db = work / f"{strategy}.db"
            before = sum("id_/" in ln for ln in local.access_log.read_text().splitlines())
            args = [sys.executable, "-m", "crawler.cli", "crawl", "--targets", str(work / "targets.csv")]
            args += ["--db", str(db), "--archive", local.url, "--dialect", "pywb", "--unthrottled", "-q"]
            args += ["--strategy", strategy]
            secs, rss, code = run_measured(args, ROOT)
            fetched = sum("id_/" in ln for ln in local.access_log.read_text().splitlines()) - before
            conn = sqlite3.connect(db)
            timelines[strategy] = conn.execute(
                "SELECT company, in_force_from, text_hash FROM policy_timeline ORDER BY 1, 2"
            ).fetchall()
            windows = conn.execute("SELECT sum(window_unread = 0), count(*) FROM changes").fetchone()
            inferred = conn.execute("SELECT count(*) FROM captures WHERE state = 'inferred'").fetchone()[0]
            conn.close()
            rows.append(
                {
                    "strategy": strategy,
                    "exit": code,
                    "mementos fetched": f"{fetched:,} ({100 * fetched / len(specs):.1f}%)",
                    "inferred": f"{inferred:,}",
                    "changes": windows[1],
                    "exact windows": f"{windows[0] or 0}/{windows[1]}",
                    "wall": f"{secs:.0f} s",
                    "peak RSS": f"{rss:.0f} MB",
                    "at 480/min": _duration(fetched / RATE),
                }
            )
    if "all" in timelines and "changes" in timelines:
        truth = set(timelines["all"])
        got = set(timelines["changes"])
        rows[1]["spans as with all"] = f"{len(truth & got)}/{len(truth)}; {len(got - truth)} not in all"
        rows[0]["spans as with all"] = "reference"
    return rows


def _duration(minutes: float) -> str:
    return f"{minutes / 60:.1f} h" if minutes >= 90 else f"{minutes:.0f} min"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the ~5,000-capture size only")
    ap.add_argument("--write", action="store_true", help="write the figures to docs/benchmarks.md")
    ap.add_argument("--e2e", action="store_true", help="also crawl the small size from a real pywb, both strategies")
    ap.add_argument(
        "--scale",
        type=int,
        default=0,
        help="also crawl this many captures end to end with --strategy changes (sites of 2,400 captures: "
        "stock pywb replays in time linear in a URL's captures), for wall time and peak RSS",
    )
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    sizes = [(5_000, 0)] if args.quick else [(5_000, 0), (60_000, 2)]
    out = [
        SECTION,
        "",
        f"{today()} · {machine()} · commit {git_rev()} · `bench/bench_changepoints.py` (seed {args.seed})",
        "",
        "Generated archive-like histories (`bench/changepoint_histories.py`): per site, capture density varying",
        "by orders of magnitude with gaps of months; 70% of pages with dynamic furniture (every capture its own",
        "digest, a record length that jitters by 3-120 bytes), the rest static (digest runs, revisits); changes",
        "of every size from one word to a rewrite, 15% of them reverted within 2-60 days and 15% replaced within",
        "a month; 10% of captures not the policy (redirects, archived errors, challenges and soft 404s, bodies",
        "the extractor cannot read). In the tables of simulated fetches a fetch answers the version the capture",
        "holds, so a false boundary could only come from the search itself (a non-policy capture taken for a",
        "version); the end-to-end rows crawl the same histories from pywb, with extraction and derive, and",
        "compare the spans with those of `--strategy all`. *Fetched* counts mementos, archived redirects",
        "included (each for itself with `all`, once per URL, status and body otherwise); *wrongly inferred*:",
        "captures inferred to hold a version they did not (inside a missed short-lived version); *at 480/min*:",
        "the fetches at the default memento limit (CDX listing, about one request per 5,000 captures, aside).",
        "Peak RSS in the",
        "headings is this benchmark process's; the end-to-end rows give the crawl's own.",
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
            f"{time.perf_counter() - t0:.0f} s wall, peak RSS {peak:.0f} MB (this process)"
        )
        print(head)
        print(table(rows))
        out += [head, "", table(rows), ""]
        if args.e2e and total == sizes[0][0]:
            e2e = end_to_end(sites)
            head = f"### End to end from pywb: the {n:,} captures above as WARC records, HTML bodies of ~11 KB"
            print(head)
            print(table(e2e))
            out += [head, "", table(e2e), ""]
    if args.scale:
        import random

        from bench.changepoint_histories import make_site

        rng = random.Random(args.seed)
        sites = [make_site(rng, f"site{k}", 2_400) for k in range(max(1, args.scale // 2_400))]
        n = sum(len(s.captures) for s in sites)
        rows = end_to_end(sites, ("changes",))
        head = (
            f"### End to end at scale: {n:,} captures, {len(sites)} sites of 2,400 (stock pywb replays in time "
            f"linear in a URL's captures), `--strategy changes`"
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
