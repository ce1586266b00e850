"""Research queries and full-text search on a synthetic database of 5,000 companies x 30 versions.

The database is built directly through storage (no crawl): each company's policy has 12
clauses, and each new version edits one clause and sometimes adds one, as real histories do.
Every research question of docs/research.md and a full-text search are timed on it (best of 3,
after one warm-up), beside a baseline measured in the same run: the same phrase found with
LIKE on the versions' full texts instead of the FTS5 index.

    .venv/bin/python bench/bench_research.py [--companies 5000 --versions 30]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import git_rev, machine, table, today  # noqa: E402
from crawler.diff.clauses import SEGMENTER_VERSION, clause_hash  # noqa: E402
from crawler.outputs.research import research_questions, run_query, search_clauses  # noqa: E402
from crawler.store.store import Store  # noqa: E402

TOPICS = [
    "collection",
    "sharing",
    "sale",
    "advertising",
    "retention",
    "security",
    "children",
    "user_rights",
    "california",
    "gdpr",
    "contact",
    "policy_changes",
]
PHRASES = {
    "collection": "We collect your name, e-mail address and device identifiers when you use the service",
    "sharing": "We share personal information with service providers and partners under contract",
    "sale": "We do not sell personal information to third parties for money",
    "advertising": "We use cookies and similar technologies to show interest-based advertising",
    "retention": "We retain account data for as long as your account is open",
    "security": "We protect your data with encryption in transit and at rest",
    "children": "Our services are not directed to children under 13",
    "user_rights": "You may request access to or deletion of your personal information",
    "california": "California residents have additional rights under the CCPA",
    "gdpr": "If you are in the EEA you may complain to a supervisory authority",
    "contact": "Contact us at privacy@example.com with any question",
    "policy_changes": "We may update this policy and will post the new effective date",
}


def build(path: Path, companies: int, versions: int, seed: int = 11, clause_changes: int = 1, when=None) -> None:
    """``when(company, version)``: the 14-digit time of a version (default: two versions a year from 2005)."""
    rng = random.Random(seed)
    store = Store(path)
    conn = store.conn
    clause_ids: dict[str, int] = {}

    def clause(text: str, tags: list[str]) -> int:
        cid = clause_ids.get(text)
        if cid is None:
            cur = conn.execute(
                "INSERT INTO clauses (hash, text, tags) VALUES (?, ?, ?)", (clause_hash(text), text, json.dumps(tags))
            )
            cid = clause_ids[text] = cur.lastrowid
        return cid

    conn.execute("BEGIN")
    for c in range(companies):
        name = f"Company {c:05d}"
        doc = conn.execute("INSERT INTO documents (company, name) VALUES (?, 'privacy policy')", (name,)).lastrowid
        tid = conn.execute(
            "INSERT INTO targets (document_id, company, url, added_at) VALUES (?,?,?,?)",
            (doc, name, f"https://c{c}.example/privacy", "2026-01-01T00:00:00Z"),
        ).lastrowid
        current = [(t, f"{PHRASES[t]} ({name}, rev 0).") for t in rng.sample(TOPICS, 10)] + [
            ("", f"This policy applies to {name}."),
            ("policy_changes", "Last updated: 2005."),
        ]
        prev_vid = prev_span = prev_ts = None
        for v in range(versions):
            if v:
                k = rng.randrange(len(current))
                topic = current[k][0]
                current[k] = (topic, f"{PHRASES.get(topic, 'This policy applies to')} ({name}, rev {v}).")
                if rng.random() < 0.3:
                    t = rng.choice(TOPICS)
                    current.insert(rng.randrange(len(current)), (t, f"{PHRASES[t]} ({name}, added {v})."))
            ts = when(c, v) if when else f"{2005 + v // 2:04d}{(v % 2) * 6 + 1:02d}01000000"
            text = "\n\n".join(t for _, t in current)
            th = clause_hash(text)
            cap = conn.execute(
                "INSERT INTO captures (target_id, archive, url, timestamp, statuscode, mimetype, digest, state,"
                " listed_at, updated_at) VALUES (?, 'web.archive.org', ?, ?, '200', 'text/html', ?, 'fetched',"
                " '', '')",
                (tid, f"https://c{c}.example/privacy", ts, th[:32]),
            ).lastrowid
            vid = conn.execute(
                "INSERT INTO versions (document_id, target_id, text_hash, text, first_seen, last_seen, capture_count,"
                " extractor) VALUES (?,?,?,?,?,?,1,'html-1')",
                (doc, tid, th, text, ts, ts),
            ).lastrowid
            conn.execute("UPDATE captures SET version_id = ? WHERE id = ?", (vid, cap))
            conn.execute(
                "INSERT INTO spans (document_id, position, version_id, first_capture_id, last_capture_id, start_ts,"
                " end_ts, capture_count) VALUES (?,?,?,?,?,?,?,1)",
                (doc, v, vid, cap, cap, ts, ts),
            )
            if v:
                conn.execute(
                    "UPDATE spans SET next_start_ts = ?, days = julianday(?) - julianday(?)"
                    " WHERE document_id = ? AND position = ?",
                    (ts, f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}", f"{prev_ts[:4]}-{prev_ts[4:6]}-{prev_ts[6:8]}", doc, v - 1),
                )
            conn.executemany(
                "INSERT INTO version_clauses (version_id, position, clause_id, kind, section, sep, lineage,"
                " segmenter) VALUES (?,?,?,'paragraph','',?,?,?)",
                [
                    (vid, p, clause(t, [topic] if topic else []), "\n\n", f"{doc}:{p}", SEGMENTER_VERSION)
                    for p, (topic, t) in enumerate(current)
                ],
            )
            if prev_vid is not None:
                ch = conn.execute(
                    "INSERT INTO changes (document_id, position, from_version_id, to_version_id, window_start,"
                    " window_end, window_start_capture_id, window_end_capture_id, added, removed, modified, moved,"
                    " split, merged, substantive, cosmetic, tags, differ) VALUES (?,?,?,?,?,?,?,?,0,0,1,0,0,0,1,0,"
                    "?, 'clause-1')",
                    (doc, v - 1, prev_vid, vid, prev_ts, ts, prev_span, cap, json.dumps([topic] if topic else [])),
                ).lastrowid
                kinds = ["modified", "added", "removed", "moved"]
                conn.executemany(
                    "INSERT INTO clause_changes (change_id, position, kind, old_positions, new_positions, old_text,"
                    " new_text, section, word_diff, significance, tags) VALUES (?, ?, ?, '[]', '[]', ?, ?,"
                    " '2. Sharing', ?, 'substantive', ?)",
                    [
                        (
                            ch,
                            k,
                            rng.choice(kinds),
                            current[k][1],
                            current[k][1] + " Amended.",
                            json.dumps([["=", current[k][1]], ["+", " Amended."]]),
                            json.dumps([current[k][0]] if current[k][0] else []),
                        )
                        for k in range(clause_changes)
                    ],
                )
            prev_vid, prev_span, prev_ts = vid, cap, ts
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    store.close()


def timed(fn, repeat: int = 3) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--companies", type=int, default=5000)
    ap.add_argument("--versions", type=int, default=30)
    args = ap.parse_args()
    path = Path(tempfile.mkdtemp(prefix="pt-research-")) / "synthetic.db"
    t0 = time.perf_counter()
    build(path, args.companies, args.versions)
    built = time.perf_counter() - t0
    size = path.stat().st_size + sum(p.stat().st_size for p in path.parent.glob("synthetic.db-*"))
    n_versions = args.companies * args.versions
    rows = []
    for q in research_questions():
        secs = timed(lambda q=q: run_query(path, q.sql))
        rows.append({"query": q.title, "ms": f"{secs * 1000:.0f}", "under 200 ms": "yes" if secs < 0.2 else "NO"})
    secs = timed(lambda: search_clauses(path, "do not sell personal information"))
    rows.append(
        {
            "query": 'policytrail search "do not sell personal information" (FTS5)',
            "ms": f"{secs * 1000:.0f}",
            "under 200 ms": "yes" if secs < 0.2 else "NO",
        }
    )
    secs = timed(
        lambda: run_query(path, "SELECT count(*) FROM versions WHERE text LIKE '%do not sell personal%'"), repeat=1
    )
    rows.append(
        {
            "query": "baseline: LIKE over every version's text",
            "ms": f"{secs * 1000:.0f}",
            "under 200 ms": "yes" if secs < 0.2 else "NO",
        }
    )
    print(f"### Research queries on a synthetic database ({today()}, commit {git_rev()})\n\nMachine: {machine()}\n")
    print(
        f"{args.companies:,} companies x {args.versions} versions = {n_versions:,} versions; built in "
        f"{built:.0f} s; {size / 2**20:.0f} MB on disk ({size / n_versions / 1024:.1f} KB per version, "
        f"including clauses, changes and both full-text indexes).\n"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
