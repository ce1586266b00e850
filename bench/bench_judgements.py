"""Derive with researchers' judgements applied, against none -- and against the code before judgements.

Corpus: the synthetic database of ``bench_derive.py`` (real policy histories served as simple
pages, three captures per version, --copies companies per history). Measured in one run, each
in its own process on its own database:

* baseline (default: the last commit before judgements, f365053): a fresh derive, then a derive
  with nothing new -- what every derive costs without the feature;
* this tree, no judgements: the same two figures (the cost of the feature when nobody judged);
* this tree, N judgements: after the fresh derive, every change judged (cycling through
  accepted, false, cosmetic, substantive; --per-change judgements each, by different people,
  so that most are superseded) and two captures per document (one judged not the policy, one
  the policy), then the derive that applies them, and a derive with nothing new while they are
  in force.

Derives with nothing new are timed best of three (the machine may be shared).

    .venv/bin/python bench/bench_judgements.py [--copies 2] [--per-change 3] [--baseline f365053]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r"""
import json, sys, time
spec = json.load(open(sys.argv[1]))
from crawler.store import Store
from crawler.derive import derive
store = Store(spec["db"])
targets = {}
for company, url, ts, digest, body in spec["captures"]:
    tid = targets.get(url) or targets.setdefault(url, store.upsert_target(company, url, "privacy policy"))
    store.record_capture(target_id=tid, archive="web.archive.org", url=url, timestamp=ts, statuscode="200",
                         mimetype="text/html", digest=digest, length=len(body))
    if not store.has_snapshot(digest):
        store.store_snapshot(digest=digest, body=body.encode("latin-1"), headers={"Content-Type": ["text/html"]},
                             status=200, mimetype="text/html", fetched_url=f"{url}@{ts}", sha256="-", digest_ok=None,
                             archive="web.archive.org", url=url, timestamp=ts)
out = {}

def best_of_3():
    times = []
    for _ in range(3):
        t = time.perf_counter(); derive(store); times.append(time.perf_counter() - t)
    return min(times)

t = time.perf_counter(); derive(store); out["fresh"] = time.perf_counter() - t
out["nothing new"] = best_of_3()
out["changes"] = store.query("SELECT count(*) FROM changes")[0][0]
out["spans"] = store.query("SELECT count(*) FROM spans")[0][0]
if spec["judge"]:
    verdicts = ["accepted", "false", "cosmetic", "substantive"]
    rows = []
    changes = store.query(
        "SELECT d.company, d.name, ch.key, fv.text_hash, tv.text_hash FROM changes ch"
        " JOIN documents d ON d.id = ch.document_id JOIN versions fv ON fv.id = ch.from_version_id"
        " JOIN versions tv ON tv.id = ch.to_version_id ORDER BY d.company, ch.position")
    for n, (company, document, key, old, new) in enumerate(changes):
        for k in range(spec["per_change"]):  # the last one (latest) is in force
            rows.append({"kind": "change", "company": company, "document": document, "change_key": key,
                         "from_hash": old, "to_hash": new, "verdict": verdicts[(n + k) % 4], "topics": "[]",
                         "note": "bench", "author": f"person {k}", "at": f"2026-01-01T00:00:{k:02d}.000000Z"})
    for company, archive, url, ts, digest, rank in store.query(
        "SELECT d.company, c.archive, c.url, c.timestamp, c.digest, row_number() OVER"
        " (PARTITION BY d.id ORDER BY c.timestamp) FROM captures c JOIN targets t ON t.id = c.target_id"
        " JOIN documents d ON d.id = t.document_id"):
        if rank in (2, 5):
            rows.append({"kind": "capture", "company": company, "document": "privacy policy", "archive": archive,
                         "url": url, "timestamp": ts, "digest": digest,
                         "verdict": "not_policy" if rank == 2 else "policy", "topics": "[]", "note": "bench",
                         "author": "person 0", "at": "2026-01-01T00:00:00.000000Z"})
    t = time.perf_counter(); store.add_annotations(rows, "import"); out["import"] = time.perf_counter() - t
    out["judgements"] = len(rows)
    out["in force"] = len(changes) + sum(1 for r in rows if r["kind"] == "capture")
    t = time.perf_counter(); derive(store); out["applying"] = time.perf_counter() - t
    out["judged nothing new"] = best_of_3()
    out["judged spans"] = store.query("SELECT count(*) FROM judged_spans")[0][0]
    out["overridden"] = store.query("SELECT count(*) FROM changes WHERE review_state = 'overridden'")[0][0]
print(json.dumps(out))
"""


def measure(tree: Path, spec: dict, tmp: Path, label: str) -> dict:
    spec_path = tmp / f"{label}.json"
    spec_path.write_text(json.dumps(spec))
    worker = tmp / f"{label}.worker.py"
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
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--per-change", type=int, default=3)
    parser.add_argument("--baseline", default="f365053")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.bench_derive import build_spec, histories
    from bench.common import git_rev, machine, table, today

    corpus, texts = histories()
    rev = git_rev()
    with tempfile.TemporaryDirectory(prefix="bench-judgements-") as tmp:
        tmp = Path(tmp)
        baseline = tmp / "baseline"
        baseline.mkdir()
        # the baseline's files, without registering a worktree (git archive | tar)
        archive = subprocess.run(["git", "archive", args.baseline], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
        runs = [
            (f"baseline {args.baseline} (no judgements)", baseline, False),
            (f"this tree {rev}, no judgements", ROOT, False),
            (f"this tree {rev}, judgements", ROOT, True),
        ]
        rows = []
        for n, (label, tree, judge) in enumerate(runs):
            spec = build_spec(texts, args.copies, tmp / f"run{n}.db")
            spec.update(judge=judge, per_change=args.per_change)
            del spec["late"]
            r = measure(tree, spec, tmp, f"run{n}")
            rows.append(
                {
                    "code": label,
                    "documents": len({c[1] for c in spec["captures"]}),
                    "captures": len(spec["captures"]),
                    "changes": r["changes"],
                    "fresh derive s": f"{r['fresh']:.2f}",
                    "nothing new s": f"{r['nothing new']:.2f}",
                    "judgements (in force)": f"{r['judgements']} ({r['in force']})" if judge else "-",
                    "import s": f"{r['import']:.2f}" if judge else "-",
                    "derive applying them s": f"{r['applying']:.2f}" if judge else "-",
                    "nothing new, judged s": f"{r['judged nothing new']:.2f}" if judge else "-",
                    "timeline spans": f"{r['spans']} -> {r['judged spans']}" if judge else str(r["spans"]),
                }
            )
    print(f"### Derive with judgements ({today()}, commit {rev})\n")
    print(f"Machine: {machine()}\n")
    print(
        f"Corpus: {corpus}, {args.copies} copies; three captures per version. Judgements: every change judged "
        f"{args.per_change} times by different people (the latest in force), and two captures per document.\n"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
