"""Derive at scale: fresh, again with nothing new, and after late captures -- this tree against a baseline.

Corpus: real policy histories (../shared/realdata text versions when it sits beside the
project, else the versions the demo's sample snapshots hold). Each history becomes one document
whose versions are served as simple HTML pages, three captures per version (two share a body),
repeated over --copies companies. Measured in one run, for this tree and for a baseline commit
(default: the last commit before the stage subpackages, 6da5767), each in its own process:

* fresh derive: extraction, versions, spans, clauses and clause diffs from stored snapshots;
* a derive with nothing new (what every crawl of an unchanged archive pays);
* a derive after one late capture per document lands inside a change window (the baseline
  keeps the stale window there: the figure shows what refreshing it costs).

    .venv/bin/python bench/bench_derive.py [--copies 4] [--baseline 6da5767]
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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
            texts = [(SHARED / r["file"]).read_text(encoding="utf-8") for r in rows]
            out.append([t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]][:25])
        return "../shared/realdata text versions (at most 25 per company)", out
    sys.path.insert(0, str(ROOT))
    from crawler.extract import extract

    out = []
    for company in sorted((ROOT / "crawler" / "localarchive" / "sample" / "realdata").iterdir()):
        if company.is_dir():
            texts = [extract(p.read_bytes(), "text/html").text for p in sorted(company.glob("*.html"))]
            out.append([t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]])
    return "the demo's real snapshots, extracted", out


def page(text: str) -> bytes:
    """A version as a plain policy page: headings and paragraphs, as the extractor reads them."""
    blocks = []
    for block in text.split("\n\n"):
        block = block.strip()
        if not block:
            continue
        if block.startswith("#"):
            blocks.append(f"<h2>{html.escape(block.lstrip('#').strip())}</h2>")
        else:
            blocks.append(f"<p>{html.escape(block)}</p>")
    body = "".join(blocks)
    return f"<html><head><title>Privacy Policy</title></head><body><main>{body}</main></body></html>".encode()


# --------------------------------------------------------------------------- worker (runs inside one tree)

WORKER = r"""
import json, sys, time
spec = json.load(open(sys.argv[1]))
try:  # this tree's API
    from crawler.store import Store
    from crawler.derive import derive
except ImportError:  # the baseline's
    from crawler.storage import Store
    from crawler.derive import derive
store = Store(spec["db"])
targets = {}

def arrive(company, url, ts, digest, body):
    tid = targets.get(url) or targets.setdefault(url, store.upsert_target(company, url, "privacy policy"))
    store.record_capture(target_id=tid, archive="web.archive.org", url=url, timestamp=ts, statuscode="200",
                         mimetype="text/html", digest=digest, length=len(body))
    if not store.has_snapshot(digest):
        store.store_snapshot(digest=digest, body=body.encode("latin-1"), headers={"Content-Type": ["text/html"]},
                             status=200, mimetype="text/html", fetched_url=f"{url}@{ts}", sha256="-", digest_ok=None,
                             archive="web.archive.org", url=url, timestamp=ts)

for c in spec["captures"]:
    arrive(*c)
out = {}
t = time.perf_counter(); derive(store); out["fresh"] = time.perf_counter() - t
t = time.perf_counter(); derive(store); out["nothing new"] = time.perf_counter() - t
for c in spec["late"]:
    arrive(*c)
t = time.perf_counter(); derive(store); out["late captures"] = time.perf_counter() - t
q = store.query if hasattr(store, "query") else None
out["changes"] = q("SELECT count(*) FROM changes")[0][0]
out["stale windows"] = q(
    "SELECT count(*) FROM changes ch JOIN spans s ON s.document_id = ch.document_id AND s.position = ch.position + 1"
    " WHERE ch.window_end != s.start_ts")[0][0]
print(json.dumps(out))
"""


def build_spec(texts_by_company: list[list[str]], copies: int, db: Path) -> dict:
    captures, late = [], []
    for copy in range(copies):
        for n, versions in enumerate(texts_by_company):
            if len(versions) < 2:
                continue
            company = f"Company {copy:02d}-{n:02d}"
            url = f"https://c{copy}-{n}.example/privacy"
            for v, text in enumerate(versions):
                body = page(text).decode("latin-1")
                digest = f"D{copy}-{n}-{v}"
                year, month = 2000 + v // 2, 1 + 6 * (v % 2)
                captures.append((company, url, f"{year:04d}{month:02d}01000000", digest, body))
                captures.append((company, url, f"{year:04d}{month:02d}15000000", digest, body))
                captures.append((company, url, f"{year:04d}{month + 2:02d}01000000", digest + "b", body + " "))
            # a capture of the second version the archive indexed late, inside the first change's window
            second = page(versions[1]).decode("latin-1")
            late.append((company, url, "20000601000000", f"D{copy}-{n}-1", second))
    return {"db": str(db), "captures": captures, "late": late}


def measure(tree: Path, spec_path: Path) -> dict:
    worker = spec_path.with_suffix(".worker.py")
    worker.write_text(WORKER)
    proc = subprocess.run(
        [sys.executable, str(worker), str(spec_path)],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise SystemExit(f"worker failed in {tree}:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--baseline", default="6da5767")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.common import git_rev, machine, table, today

    corpus, texts, rev = *histories(), git_rev()
    with tempfile.TemporaryDirectory(prefix="bench-derive-") as tmp:
        tmp = Path(tmp)
        baseline = tmp / "baseline"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(baseline), args.baseline], cwd=ROOT, check=True)
        try:
            rows = []
            for label, tree in ((f"baseline {args.baseline}", baseline), (f"this tree {rev}", ROOT)):
                spec = build_spec(texts, args.copies, tmp / f"{tree.name}.db")
                spec_path = tmp / f"{tree.name}.json"
                spec_path.write_text(json.dumps(spec))
                r = measure(tree, spec_path)
                rows.append(
                    {
                        "code": label,
                        "documents": len({c[1] for c in spec["captures"]}),
                        "captures": len(spec["captures"]),
                        "changes": r["changes"],
                        "fresh derive s": f"{r['fresh']:.2f}",
                        "nothing new s": f"{r['nothing new']:.2f}",
                        "after late captures s": f"{r['late captures']:.2f}",
                        "stale windows left": r["stale windows"],
                    }
                )
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, check=False)
    print(f"### Derive at scale ({today()}, commit {rev})\n")
    print(f"Machine: {machine()}\n")
    print(f"Corpus: {corpus}, {args.copies} copies; three captures per version, one late capture per document.\n")
    print(table(rows))


if __name__ == "__main__":
    main()
