"""Learning page furniture across captures (crawler/derive/chrome.py): time per pair of captures.

Derive learns furniture again from all of a target's policy readings on every run, so its cost is
paid per capture pair on every crawl. Synthetic readings: a policy of --blocks paragraphs
(about 280 characters each) and a sidebar region whose text changes in every capture, --captures
readings in time order. Measured in one run for this tree and for a baseline commit's
``learn`` (default: the commit before learning compared raw texts first), best of --repeat.

    .venv/bin/python bench/bench_chrome.py [--captures 2000] [--blocks 300] [--baseline 974cc5d] [--write]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import git_rev, machine, table, today  # noqa: E402
from crawler.derive import chrome  # noqa: E402
from crawler.store.store import Reading  # noqa: E402

SECTION = "## Learning furniture across captures (issue 13)"


def readings(n: int, blocks: int) -> list[Reading]:
    body = [f"Paragraph {i}: we use personal data to run the service, keep it secure and answer you. " * 3
            for i in range(blocks)]  # fmt: skip
    slots = ["html/body/div.side"] + [f"main:p@{'+' if i < blocks / 2 else '-'}{min(i, blocks - 1 - i)}/{blocks}"
                                      for i in range(blocks)]  # fmt: skip
    regions = json.dumps([[s, 1] for s in slots])
    return [
        Reading(k, 1, "u", f"{20000101000000 + k}", "fetched", True, "html-3", "policy", None, "h",
                "\n\n".join([f"Latest news: item {k} and item {k + 1}"] + body), None, f"d{k}", regions)
        for k in range(n)
    ]  # fmt: skip


def baseline_learn(rev: str):
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:crawler/derive/chrome.py"], capture_output=True,
                            text=True, check=True).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "chrome_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("chrome_baseline", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["chrome_baseline"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.learn


def best(fn, rs, repeat: int) -> tuple[float, dict]:
    times, out = [], {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(rs)
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--captures", type=int, default=2000)
    ap.add_argument("--blocks", type=int, default=300)
    ap.add_argument("--baseline", default="974cc5d")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    rs = readings(args.captures, args.blocks)
    size = sum(len(r.text) for r in rs) / len(rs) / 1000
    rows = []
    for label, fn in ((f"baseline {args.baseline}", baseline_learn(args.baseline)), (f"this tree {git_rev()}",
                                                                                      chrome.learn)):  # fmt: skip
        seconds, learnt = best(fn, rs, args.repeat)
        per_pair = seconds / (len(rs) - 1) * 1000
        rows.append({"learn": label, "readings": len(rs), "KB each": f"{size:.0f}", "seconds": f"{seconds:.2f}",
                     "ms per pair": f"{per_pair:.2f}", "learnt": ", ".join(sorted(learnt))})  # fmt: skip
    text = "\n".join([SECTION, "", f"### Time per pair of captures ({today()}, commit {git_rev()})", "",
                      f"Machine: {machine()}", "", f"bench/bench_chrome.py --captures {args.captures} --blocks "
                      f"{args.blocks}: best of {args.repeat}.", "", table(rows)])  # fmt: skip
    print(text)
    if args.write:
        from bench.bench_versions import write_section

        write_section(ROOT / "docs" / "benchmarks.md", text, SECTION)


if __name__ == "__main__":
    main()
