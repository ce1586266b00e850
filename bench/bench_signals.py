"""Each furniture signal of the extractor, measured: version boundaries with one signal turned off.

The same archive-like histories as bench/bench_versions.py (its --quick sizes unless --full):
tuned and held-out template families scored apart, per capture (``extract`` alone) and with the
full derive (which adds what is learnt across captures). One row per signal turned off
(``crawler.extract.blocks.SIGNALS``), one without redesigns kept as one version, one with learning
across captures turned off (redesigns too), and the extractor with everything on, all in the same
run.

    .venv/bin/python bench/bench_signals.py [--full] [--write]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_versions as bv  # noqa: E402
from bench.common import git_rev, machine, table, today  # noqa: E402
from crawler.derive import timeline  # noqa: E402
from crawler.extract import blocks  # noqa: E402

SECTION = "## Version identity: each furniture signal measured (issue 13)"
WHAT = {
    "position": "the main block (and what lies beside it)",
    "scoring": "paragraph scoring when prose stands beside the policy",
    "link-density": "link density (beside the policy; link strips inside it)",
    "link-lists": "lists of links, breadcrumbs, tables of contents",
    "page-links": "links within the page (back to top, permalinks)",
    "controls": "interface elements and ARIA roles",
    "hints": "class and id words",
    "hidden": "hidden elements",
    "layout-tables": "layout tables read as blocks",
    "copyright": "copyright notices",
    "sponsored": "advertisements (links marked sponsored)",
}


def score(sites, work: Path) -> tuple[bv.Score, bv.Score]:
    per_capture, derived = bv.Score(), bv.Score()
    keys_by_body = {}
    for s in sites:
        for c in s.captures:
            digest = bv.payload_digest(c.body)
            if digest not in keys_by_body:
                keys_by_body[digest] = bv.policytrail_key(c.body)
        per_capture.add_site(s, {c.timestamp: keys_by_body[bv.payload_digest(c.body)] for c in s.captures})
        keys, _ = bv.derive_keys(s, work)
        derived.add_site(s, keys)
    return per_capture, derived


def cell(sc: bv.Score) -> str:
    rate = sc.false / sc.reported if sc.reported else 0.0
    return f"{rate:.3f} ({sc.false}/{sc.reported}), recall {sc.found / sc.true_boundaries:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="the full corpus of bench_versions (slow)")
    ap.add_argument("--write", action="store_true", help="write the section into docs/benchmarks.md")
    args = ap.parse_args()
    from bench import heldout_templates, more_templates, more_templates_3

    histories = bv.load_histories()
    n_tuned, n_tuned2, n_held, per_version = (
        (2 * len(histories), len(histories), len(histories), 6.0) if args.full else (8, 5, 6, 3.0)
    )
    families = {
        "tuned": bv.build_sites(histories, n_tuned, bv.TUNED_SEED, bv.TEMPLATES, "tuned", per_version),
        "tuned-2": more_templates.sites(histories, n_tuned2, per_version),
        "tuned-3": more_templates_3.sites(histories, n_tuned2, per_version),
        "held-out": heldout_templates.sites(histories, n_held, per_version),
    }
    learn, redesigns = timeline.learn, timeline.redesigns
    runs = [("everything on", blocks.ALL_SIGNALS, "all")]
    runs += [(f"without {WHAT[s]}", blocks.ALL_SIGNALS - {s}, "all") for s in WHAT]
    runs += [("without redesigns kept as one version", blocks.ALL_SIGNALS, "no redesigns")]
    runs += [("without learning across captures (nor redesigns)", blocks.ALL_SIGNALS, "none")]
    rows = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pt-signals-") as tmp:
        for i, (label, signals, across) in enumerate(runs):
            blocks.SIGNALS = signals
            timeline.learn = learn if across != "none" else (lambda readings: {})
            timeline.redesigns = redesigns if across == "all" else (lambda *args: [])
            row = {"extractor": label}
            for fam, sites in families.items():
                work = Path(tmp) / f"{i}-{fam}"
                work.mkdir()
                per_capture, derived = score(sites, work)
                row[f"{fam}: per capture"] = cell(per_capture)
                row[f"{fam}: full derive"] = cell(derived)
            rows.append(row)
            print(f"{label}: {row}", file=sys.stderr)
    blocks.SIGNALS, timeline.learn, timeline.redesigns = blocks.ALL_SIGNALS, learn, redesigns
    sizes = ", ".join(
        f"{fam} {len(sites)} sites / {sum(len(x.captures) for x in sites)} captures" for fam, sites in families.items()
    )
    text = "\n".join(
        [
            SECTION,
            "",
            f"### Ablation ({today()}, commit {git_rev()}, {time.perf_counter() - t0:.0f} s)",
            "",
            f"Machine: {machine()}",
            "",
            f"bench/bench_signals.py{' --full' if args.full else ''}: {sizes}. Each cell: false boundaries as a "
            "share of the boundaries reported (false/reported), and change recall. A signal whose row is no worse "
            "than everything on is not needed by these histories (it may be by others: the real histories of "
            "bench_ota.py, the tests' fixtures).",
            "",
            table(rows),
        ]
    )
    print(text)
    if args.write:
        bv.write_section(ROOT / "docs" / "benchmarks.md", text, SECTION)


if __name__ == "__main__":
    main()
