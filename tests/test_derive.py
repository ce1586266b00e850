"""Derive: versions keyed by text, the timeline as spans, idempotent re-runs."""

from __future__ import annotations

import json
from pathlib import Path

from crawler.derive import derive
from crawler.store.store import Store

from .test_storage import capture, snapshot

EXTRACT = Path(__file__).parent / "fixtures" / "extract"
ARCHIVE = Path(__file__).parent / "fixtures" / "archive"


def build(tmp_path, timeline: list[tuple[str, str, bytes]]) -> Store:
    """One company whose captures (timestamp, digest, body) are all fetched."""
    store = Store(tmp_path / "t.db")
    tid = store.upsert_target("Acme", "https://a.example/privacy", "privacy policy")
    for ts, digest, body in timeline:
        capture(store, tid, ts, digest)
        if not store.has_snapshot(digest):
            snapshot(store, digest, ts, body)
    return store


A = (ARCHIVE / "acme-a-1.html").read_bytes()
A2 = (ARCHIVE / "acme-a-2.html").read_bytes()
B = (ARCHIVE / "acme-b.html").read_bytes()


# A in two page designs, then B, then A again
A_B_A = [
    ("20180101000000", "A", A),
    ("20180601000000", "A2", A2),
    ("20190101000000", "B", B),
    ("20200101000000", "A", A),
]


def spans(store):
    return store.query("SELECT version_id, start_ts, end_ts, capture_count FROM spans ORDER BY position")


def test_a_b_a_is_two_versions_over_three_spans(tmp_path):
    store = build(tmp_path, A_B_A)
    report = derive(store)
    assert report.versions == 2 and report.spans == 3
    s = spans(store)
    assert [x[0] for x in s] == [s[0][0], s[1][0], s[0][0]] and s[0][0] != s[1][0]
    assert s[0][1:] == ("20180101000000", "20180601000000", 2)
    first_seen, last_seen, count = store.query(
        "SELECT first_seen, last_seen, capture_count FROM versions WHERE id = ?", (s[0][0],)
    )[0]
    assert (first_seen, last_seen, count) == ("20180101000000", "20200101000000", 3)


def test_derive_is_idempotent(tmp_path):
    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "B", B)])
    derive(store)
    before = [store.query(f"SELECT * FROM {t} ORDER BY 1") for t in ("versions", "spans", "captures", "extractions")]
    again = derive(store)
    assert again.extracted == 0
    assert [
        store.query(f"SELECT * FROM {t} ORDER BY 1") for t in ("versions", "spans", "captures", "extractions")
    ] == before


def test_not_a_policy_makes_no_version_and_says_why(tmp_path):
    soft404 = (EXTRACT / "soft404.html").read_bytes()
    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "S", soft404)])
    derive(store)
    state, reason, version = store.query("SELECT state, reason, version_id FROM captures WHERE digest = 'S'")[0]
    assert state == "skipped" and reason.startswith("not a policy: soft 404") and version is None
    assert len(spans(store)) == 1


def test_several_urls_of_one_document_share_one_timeline(tmp_path):
    store = Store(tmp_path / "t.db")
    old = store.upsert_target("Acme", "https://a.example/privacy", "privacy policy")
    new = store.upsert_target("Acme", "https://a.example/legal/privacy", "privacy policy")
    capture(store, old, "20180101000000", "A")
    snapshot(store, "A", "20180101000000", A)
    capture(store, new, "20190101000000", "A2", url="https://a.example/legal/privacy")
    snapshot(store, "A2", "20190101000000", A2, url="https://a.example/legal/privacy")
    report = derive(store)
    assert report.documents == 1 and report.versions == 1 and report.spans == 1


def test_a_b_a_makes_two_changes_with_their_windows_and_clause_changes(tmp_path):
    store = build(tmp_path, A_B_A)
    report = derive(store)
    assert report.changes_computed == 2
    changes = store.query(
        "SELECT position, window_start, window_end, modified, substantive, cosmetic, tags"
        " FROM changes ORDER BY position"
    )
    assert [c[:3] for c in changes] == [
        (0, "20180601000000", "20190101000000"),
        (1, "20190101000000", "20200101000000"),
    ]
    assert changes[0][3] >= 1 and changes[0][4] >= 1
    assert {"sale", "sharing", "advertising"} & set(json.loads(changes[0][6]))
    kinds = store.query("SELECT kind FROM clause_changes cc JOIN changes c ON c.id = cc.change_id WHERE c.position = 0")
    assert ("modified",) in kinds
    # the reverse change mirrors the first one
    forward = store.query(
        "SELECT kind, old_text, new_text FROM clause_changes cc JOIN changes c"
        " ON c.id = cc.change_id WHERE c.position = 0 ORDER BY cc.position"
    )
    backward = store.query(
        "SELECT kind, new_text, old_text FROM clause_changes cc JOIN changes c"
        " ON c.id = cc.change_id WHERE c.position = 1 ORDER BY cc.position"
    )
    assert sorted(forward) == sorted(backward)


def test_changes_are_computed_once_and_kept_by_later_derives(tmp_path):
    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "B", B)])
    derive(store)
    ids = store.query("SELECT id FROM changes")
    again = derive(store)
    assert again.changes_computed == 0 and store.query("SELECT id FROM changes") == ids


def test_clauses_are_stored_once_and_lineage_is_carried_forward(tmp_path):
    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "B", B)])
    derive(store)
    a_id, b_id = (r[0] for r in store.query("SELECT version_id FROM spans ORDER BY position"))
    shared = store.query(
        "SELECT count(*) FROM version_clauses x JOIN version_clauses y ON x.clause_id = y.clause_id"
        " WHERE x.version_id = ? AND y.version_id = ?",
        (a_id, b_id),
    )[0][0]
    assert shared > 3
    assert store.query("SELECT count(*) FROM clauses")[0][0] < store.query("SELECT count(*) FROM version_clauses")[0][0]
    # the edited sharing clause keeps the lineage of its old self
    lineage = dict(
        store.query(
            "SELECT c.text, vc.lineage FROM version_clauses vc JOIN clauses c"
            " ON c.id = vc.clause_id WHERE vc.version_id = ?",
            (a_id,),
        )
    )
    new_lineage = dict(
        store.query(
            "SELECT c.text, vc.lineage FROM version_clauses vc JOIN clauses c"
            " ON c.id = vc.clause_id WHERE vc.version_id = ?",
            (b_id,),
        )
    )
    old_sharing = next(v for k, v in lineage.items() if "do not sell" in k)
    new_sharing = next(v for k, v in new_lineage.items() if "advertising partners" in k)
    # lineage is named by the text hash of the version the clause first appeared in, not a local id
    a_hash = store.query("SELECT text_hash FROM versions WHERE id = ?", (a_id,))[0][0]
    assert old_sharing == new_sharing and old_sharing.startswith(f"{a_hash[:12]}:")
