"""Derive's inference: unfetched captures between fetched ones that agree are `inferred`, the rest unresolved."""

from __future__ import annotations

from crawler.derive import derive
from crawler.store import Store

from .test_derive import A2, A, B
from .test_storage import capture, snapshot


def history(tmp_path, rows):
    """rows: (timestamp, digest, body or None = listed but not fetched, status)."""
    store = Store(tmp_path / "t.db")
    tid = store.upsert_target("Acme", "https://a.example/privacy", "privacy policy")
    for ts, digest, body, *status in rows:
        capture(store, tid, ts, digest, *status)
        if status and status[0] != "200":  # as the crawl's triage does
            store.mark_skipped(
                archive="web.archive.org", url="https://a.example/privacy", timestamp=ts, digest=digest, reason="404"
            )
        if body is not None and not store.has_snapshot(digest):
            snapshot(store, digest, ts, body)
    derive(store)
    return store


def states(store):
    return store.query(
        "SELECT c.timestamp, c.state, v.text_hash IS NOT NULL FROM captures c"
        " LEFT JOIN versions v ON v.id = c.version_id ORDER BY c.timestamp"
    )


ROWS = [
    ("20180101000000", "A", A),
    ("20180201000000", "x1", None),
    ("20180301000000", "x2", None),
    ("20180401000000", "A2", A2),  # the same policy in another design
    ("20180501000000", "x3", None),
    ("20180601000000", "x4", None, "404"),  # an archived error: skipped over
    ("20180701000000", "B", B),
    ("20180801000000", "x5", None),
]


def test_captures_between_fetched_ones_that_agree_are_inferred_and_the_others_stay_unresolved(tmp_path):
    store = history(tmp_path, ROWS)
    assert [(ts[:6], state, has) for ts, state, has in states(store)] == [
        ("201801", "fetched", 1),
        ("201802", "inferred", 1),
        ("201803", "inferred", 1),
        ("201804", "fetched", 1),
        ("201805", "pending", 0),  # between A and B: unread, its version unknown
        ("201806", "skipped", 0),
        ("201807", "fetched", 1),
        ("201808", "pending", 0),  # after the last fetched capture: nothing to agree with
    ]
    versions = dict(store.query("SELECT text_hash, capture_count FROM versions v WHERE capture_count > 0"))
    assert sorted(versions.values()) == [1, 4]  # A's count includes the inferred captures
    # the span of A ends at its last known capture; the change's window is not exact: one capture unread
    (change,) = store.query("SELECT window_start, window_end, window_unread FROM changes")
    assert change == ("20180401000000", "20180701000000", 1)
    (summary,) = store.company_summary()
    assert (summary["inferred"], summary["pending"], summary["fetched"]) == (2, 2, 3)


def test_a_capture_read_later_replaces_what_was_inferred_and_a_window_becomes_exact(tmp_path):
    store = history(tmp_path, ROWS)
    snapshot(store, "x3", "20180501000000", B)  # the unresolved capture, fetched by a later run
    snapshot(store, "x2", "20180301000000", B)  # and an inferred one turns out to differ
    derive(store)
    got = [(ts[:6], state) for ts, state, _ in states(store)]
    assert got[1:5] == [("201802", "pending"), ("201803", "fetched"), ("201804", "fetched"), ("201805", "fetched")]
    windows = store.query("SELECT window_start, window_end, window_unread FROM changes ORDER BY position")
    assert windows == [
        ("20180101000000", "20180301000000", 1),  # x1 lies unread between A and B
        ("20180301000000", "20180401000000", 0),
        ("20180401000000", "20180501000000", 0),
    ]


def test_derive_with_every_capture_fetched_infers_nothing(tmp_path):
    store = history(tmp_path, [(ts, d, body or A) for ts, d, body, *_ in ROWS if not _])
    assert {state for _, state, _ in states(store)} == {"fetched"}
    assert store.query("SELECT window_unread FROM changes") == [(0,), (0,)]  # A -> B -> A, both exact


def test_the_report_says_how_many_captures_were_read_inferred_and_left_unresolved(tmp_path):
    from crawler.outputs.history import load_documents

    store = history(tmp_path, ROWS)
    (doc,) = load_documents(store)
    assert doc.captures == {"read": 3, "inferred": 2, "unresolved": 2}
