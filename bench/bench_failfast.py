"""How long `policytrail crawl` takes to say the archive cannot be reached -- this tree against a baseline.

The archive is a closed port on 127.0.0.1 (nothing listens: every connection is refused at once),
the rates are the defaults, the targets file is the shipped one (`data/targets.csv`). The baseline
(default: 6da5767, before early detection) tries every URL before it reports, so it is run on the
first --baseline-targets targets only and its figure extrapolated per target. Each tree runs in its own
process from its own worktree; stderr lines are counted under `--quiet` (a cron job's mail).

    .venv/bin/python bench/bench_failfast.py [--baseline 6da5767] [--baseline-targets 6]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: connections are refused


def run(tree: Path, targets: Path, db: Path) -> tuple[float, int, int]:
    args = [sys.executable, "-m", "crawler.cli", "crawl", "--targets", str(targets), "--db", str(db)]
    args += ["--archive", f"http://127.0.0.1:{closed_port()}", "--quiet"]
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=3600)  # fmt: skip
    return time.perf_counter() - t0, proc.returncode, len(proc.stderr.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="6da5767")
    parser.add_argument("--baseline-targets", type=int, default=6)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.common import git_rev, machine, table, today

    rev = git_rev()
    shipped = ROOT / "data" / "targets.csv"
    lines = [ln for ln in shipped.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    header, rows_ = lines[0], lines[1:]
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-failfast-") as tmp:
        tmp = Path(tmp)
        baseline = tmp / "baseline"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(baseline), args.baseline], cwd=ROOT, check=True)
        try:
            few = tmp / "few.csv"
            few.write_text("\n".join([header, *rows_[: args.baseline_targets]]) + "\n")
            cases = [
                (f"baseline {args.baseline}", baseline, few, args.baseline_targets),
                (f"this tree {rev}", ROOT, few, args.baseline_targets),
                (f"this tree {rev}", ROOT, shipped, len(rows_)),
            ]
            for label, tree, targets, n in cases:
                seconds, code, stderr_lines = run(tree, targets, tmp / f"{len(out)}.db")
                out.append(
                    {
                        "code": label,
                        "targets": n,
                        "seconds": f"{seconds:.1f}",
                        "s per target": f"{seconds / n:.2f}",
                        # the baseline tries every URL: its time grows with the targets; this tree stops early
                        f"baseline extrapolated to {len(rows_)} targets, s": (
                            f"{seconds / n * len(rows_):.0f}" if tree == baseline else "-"
                        ),
                        "exit": code,
                        "stderr lines (-q)": stderr_lines,
                    }
                )
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, check=False)
    print(f"### An unreachable archive ({today()}, commit {rev})\n")
    print(f"Machine: {machine()}\n")
    print(table(out))


if __name__ == "__main__":
    main()
