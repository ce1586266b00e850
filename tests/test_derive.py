"""Derive: versions keyed by text, the timeline as spans, idempotent re-runs."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import astuple
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.derive import derive
from crawler.diff import load_taxonomy
from crawler.store import Store

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


CLAUSES = Path(__file__).parent / "fixtures" / "clauses"


def test_split_parts_keep_the_lineage_and_a_merge_lists_both_parents_through_later_versions(tmp_path):
    """v1 -> v2 splits the collection paragraph and merges the two sharing paragraphs; v3 edits
    the merged one. ``clause_history`` follows each old lineage into what it became."""
    pages = [(CLAUSES / f"reparagraphed-{k}.html").read_bytes() for k in (1, 2, 3)]
    store = build(tmp_path, [(f"20{18 + k}0101000000", f"R{k}", page) for k, page in enumerate(pages)])
    derive(store)
    v1, v2, v3 = (r[0] for r in store.query("SELECT version_id FROM spans ORDER BY position"))
    history = store.query("SELECT version_id, lineage, merged_from, text FROM clause_history ORDER BY position")

    def lineage(version: int, start: str) -> list[tuple[str, str | None]]:
        return [(lin, merged) for v, lin, merged, text in history if v == version and text.startswith(start)]

    ((collect, _),) = lineage(v1, "We collect")
    assert [lin for lin, _ in lineage(v2, "We collect") + lineage(v2, "We use cookies")] == [collect, collect]
    ((share, _),) = lineage(v1, "We share")
    ((sell, _),) = lineage(v1, "We do not sell")
    for version in (v2, v3):  # the merge's parents stay listed after the merged clause is edited
        ((lin, merged),) = lineage(version, "We share")
        assert lin == share and json.loads(merged) == [share, sell]
    follow = store.query(
        "SELECT DISTINCT version_id FROM clause_history"
        " WHERE lineage = ? OR ? IN (SELECT value FROM json_each(merged_from))",
        (sell, sell),
    )
    assert sorted(v for (v,) in follow) == sorted([v1, v2, v3])


# --------------------------------------------------------------------------- derived data never depends on arrival


C = (ARCHIVE / "acme-c.html").read_bytes()
SOFT404 = (EXTRACT / "soft404.html").read_bytes()
BODIES = {"A": A, "A2": A2, "B": B, "C": C, "S": SOFT404}
URLS = ("https://a.example/privacy", "https://a.example/legal/privacy")


def arrive(store: Store, targets: dict, url: str, ts: str, digest: str) -> None:
    """One capture as the crawl hands it over: listed, then its body stored unless known."""
    capture(store, targets[url], ts, digest, url=url)
    if not store.has_snapshot(digest):
        snapshot(store, digest, ts, BODIES[digest], url=url)


def open_two_url_document(path) -> tuple[Store, dict]:
    store = Store(path)
    targets = {url: store.upsert_target("Acme", url, "privacy policy") for url in URLS}
    return store, targets


def derived_state(store: Store) -> dict:
    """Everything derive makes, by content-derived keys only (no local ids, no clock times)."""
    by_capture = "(SELECT url || ' ' || timestamp FROM captures WHERE id = {})"
    q = {
        "captures": "SELECT c.url, c.timestamp, c.state, coalesce(c.reason, ''), v.text_hash FROM captures c"
        " LEFT JOIN versions v ON v.id = c.version_id",
        "versions": "SELECT v.text_hash, v.text, v.first_seen, v.last_seen, v.capture_count, v.extractor,"
        " v.stated_date, v.stated_date_text, v.words, v.sentences, v.reading_grade, v.readability, t.url"
        " FROM versions v JOIN targets t ON t.id = v.target_id",
        "spans": "SELECT s.position, v.text_hash, "
        + by_capture.format("s.first_capture_id")
        + ", "
        + by_capture.format("s.last_capture_id")
        + ", s.start_ts, s.end_ts, s.next_start_ts, s.days, s.capture_count FROM spans s"
        " JOIN versions v ON v.id = s.version_id",
        "changes": "SELECT ch.position, fv.text_hash, tv.text_hash, ch.window_start, ch.window_end, "
        + by_capture.format("ch.window_start_capture_id")
        + ", "
        + by_capture.format("ch.window_end_capture_id")
        + ", ch.key, ch.added, ch.removed, ch.modified, ch.moved, ch.split, ch.merged, ch.substantive,"
        " ch.cosmetic, ch.tags, ch.fallback, ch.differ, ch.sources FROM changes ch"
        " JOIN versions fv ON fv.id = ch.from_version_id JOIN versions tv ON tv.id = ch.to_version_id",
        "clause_changes": "SELECT ch.key, cc.position, cc.kind, cc.old_positions, cc.new_positions, cc.old_text,"
        " cc.new_text, cc.section, cc.word_diff, cc.significance, cc.tags FROM clause_changes cc"
        " JOIN changes ch ON ch.id = cc.change_id",
        "lineage": "SELECT v.text_hash, vc.position, c.hash, vc.kind, vc.section, vc.lineage, vc.segmenter"
        " FROM version_clauses vc JOIN versions v ON v.id = vc.version_id JOIN clauses c ON c.id = vc.clause_id",
        "clauses": "SELECT hash, text, tags, tagger FROM clauses",
        "clauses_fts": "SELECT c.hash, f.text FROM clauses_fts f JOIN clauses c ON c.id = f.rowid",
        "versions_fts": "SELECT v.text_hash, f.text FROM versions_fts f JOIN versions v ON v.id = f.rowid",
        "fts_search": "SELECT c.hash FROM clauses_fts JOIN clauses c ON c.id = clauses_fts.rowid"
        " WHERE clauses_fts MATCH 'personal'",
    }
    return {name: sorted(store.query(sql), key=repr) for name, sql in q.items()}


HISTORY = st.lists(
    st.tuples(
        st.integers(2015, 2022),  # year (ties across the two URLs happen)
        st.sampled_from(URLS),
        st.sampled_from(sorted(BODIES)),
    ),
    min_size=2,
    max_size=9,
    unique_by=lambda c: (c[0], c[1]),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=HISTORY, data=st.data())
def test_any_arrival_order_with_derives_between_equals_one_fresh_derive(tmp_path_factory, history, data):
    captures = [(url, f"{year}0101000000", digest) for year, url, digest in history]
    order = data.draw(st.permutations(captures), label="arrival order")
    derive_after = data.draw(st.sets(st.integers(0, len(order) - 1)), label="derive after these arrivals")
    work = tmp_path_factory.mktemp("arrival")

    store, targets = open_two_url_document(work / "incremental.db")
    for n, (url, ts, digest) in enumerate(order):
        arrive(store, targets, url, ts, digest)
        if n in derive_after:
            derive(store)
    derive(store)

    fresh, fresh_targets = open_two_url_document(work / "fresh.db")
    for url, ts, digest in sorted(captures, key=lambda c: (c[1], c[0])):
        arrive(fresh, fresh_targets, url, ts, digest)
    derive(fresh)
    assert derived_state(store) == derived_state(fresh)


def test_a_late_capture_at_a_span_boundary_moves_the_window_not_the_change_key(tmp_path):
    store, targets = open_two_url_document(tmp_path / "t.db")
    arrive(store, targets, URLS[0], "20180101000000", "A")
    arrive(store, targets, URLS[0], "20200101000000", "B")
    derive(store)
    before = store.query("SELECT window_start, window_end, key FROM changes")
    assert [b[:2] for b in before] == [("20180101000000", "20200101000000")]
    # the archive indexes a capture late (or a retried failure lands) inside the window
    arrive(store, targets, URLS[0], "20190101000000", "B")
    report = derive(store)
    after = store.query(
        "SELECT ch.window_start, ch.window_end, ch.key, c.timestamp FROM changes ch"
        " JOIN captures c ON c.id = ch.window_end_capture_id"
    )
    assert after == [("20180101000000", "20190101000000", before[0][2], "20190101000000")]
    assert report.changes_computed == 0  # the clause diff itself was kept


def test_an_edited_taxonomy_retags_clauses_and_recomputes_changes(tmp_path):
    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "B", B)])
    derive(store)
    assert "newtopic" not in store.query("SELECT tags FROM changes")[0][0]
    edited = tmp_path / "taxonomy.toml"
    bundled = (Path(__file__).parent.parent / "crawler" / "diff" / "taxonomy.toml").read_text()
    edited.write_text(bundled + '\n[[topic]]\nid = "newtopic"\nlabel = "New"\nrules = ["advertising partners"]\n')
    report = derive(store, taxonomy=load_taxonomy(edited))
    assert report.changes_computed == 1
    assert "newtopic" in json.loads(store.query("SELECT tags FROM changes")[0][0])
    tagged = store.query("SELECT count(*) FROM clauses WHERE tags LIKE '%newtopic%'")[0][0]
    assert tagged >= 1
    assert {r[0] for r in store.query("SELECT DISTINCT tagger FROM clauses")} == {load_taxonomy(edited).fingerprint}


def test_a_new_segmenter_version_segments_again_and_recomputes_changes(tmp_path, monkeypatch):
    import crawler.derive.changes as changes

    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "B", B)])
    derive(store)
    monkeypatch.setattr(changes, "SEGMENTER_VERSION", "segmenter-next")
    report = derive(store)
    assert report.changes_computed == 1
    assert store.query("SELECT DISTINCT segmenter FROM version_clauses") == [("segmenter-next",)]
    assert "segmenter-next" in store.query("SELECT differ FROM changes")[0][0]
    unused = (
        "SELECT count(*) FROM clauses c WHERE NOT EXISTS (SELECT 1 FROM version_clauses vc WHERE vc.clause_id = c.id)"
    )
    assert store.query(unused) == [(0,)]


def test_a_diff_that_hit_its_time_budget_is_computed_again(tmp_path):
    from crawler.diff.align import WORD_DIFF_TIMED_OUT

    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "B", B)])
    derive(store)
    raw = sqlite3.connect(tmp_path / "t.db")
    raw.execute("UPDATE changes SET fallback = ?", (WORD_DIFF_TIMED_OUT,))  # as a loaded machine would leave it
    raw.commit()
    raw.close()
    assert derive(store).changes_computed == 1
    assert store.query("SELECT fallback FROM changes") == [(None,)]
    assert derive(store).changes_computed == 0


def test_a_version_names_the_target_of_its_earliest_capture_whatever_was_derived_first(tmp_path):
    store, targets = open_two_url_document(tmp_path / "t.db")
    arrive(store, targets, URLS[1], "20190101000000", "A")  # the later URL's capture is derived first
    derive(store)
    arrive(store, targets, URLS[0], "20180101000000", "A2")  # same text, earlier, at the older URL
    derive(store)
    assert store.query("SELECT t.url FROM versions v JOIN targets t ON t.id = v.target_id") == [(URLS[0],)]


# --------------------------------------------------------------------------- length and readability


def figures(store) -> dict:
    return {
        text_hash: rest
        for text_hash, *rest in store.query(
            "SELECT text_hash, words, sentences, reading_grade, readability FROM versions ORDER BY text_hash"
        )
    }


def test_each_version_gets_its_length_and_reading_grade_once_at_derive(tmp_path, monkeypatch):
    from crawler.derive import timeline
    from crawler.diff import readability_id, readability_of

    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "B", B)])
    derive(store)
    stored = figures(store)
    texts = dict(store.query("SELECT text_hash, text FROM versions"))
    assert stored == {h: [*astuple(readability_of(texts[h])), readability_id()] for h in texts}
    assert all(words > 50 for words, *_ in stored.values())

    computed = []
    monkeypatch.setattr(timeline, "readability_of", lambda text: computed.append(text) or readability_of(text))
    derive(store)
    assert computed == []  # once per text
    monkeypatch.setattr(timeline, "readability_id", lambda: "coleman-liau/textstat-9.9/prose-2")
    derive(store)
    assert len(computed) == 2  # what computes the figures changed: every version again
    assert {r[-1] for r in figures(store).values()} == {"coleman-liau/textstat-9.9/prose-2"}


def test_a_version_made_before_the_figures_existed_gets_them_on_the_next_derive_without_reading_again(
    tmp_path, monkeypatch
):
    from crawler.derive import extractions

    store = build(tmp_path, A_B_A)
    derive(store)
    expected = figures(store)
    # what the migration leaves in a database derived by an earlier release
    store.conn.execute("UPDATE versions SET words = NULL, sentences = NULL, reading_grade = NULL, readability = NULL")
    cached = store.query("SELECT * FROM extractions ORDER BY digest")

    def no_extraction(*args, **kwargs):
        raise AssertionError("no snapshot is read again")

    monkeypatch.setattr(extractions, "extract", no_extraction)
    derive(store)
    assert figures(store) == expected
    assert store.query("SELECT * FROM extractions ORDER BY digest") == cached
