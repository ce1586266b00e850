"""The change-point planner: pure decisions from a CDX listing and the version keys fetched so far."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.crawl.strategy import (
    NOT_POLICY,
    PLAIN_BISECTION,
    Listed,
    Listing,
    Settings,
    estimate,
    infer,
    plan,
    run_search,
)

T0 = datetime(2015, 1, 1, tzinfo=UTC)


def listing(versions: list[str | None], *, days: float = 1.0, jitter: bool = True, statuses=None) -> list[Listed]:
    """One capture per ``days``; each capture its own digest (dynamic furniture) unless not ``jitter``.
    A version name's length is 10,000 bytes plus 500 per letter after 'A' ('a' = a few words off
    'A': the same length); None is a soft 404 (a 200 that is not the policy)."""
    caps = []
    for k, v in enumerate(versions):
        ts = (T0 + timedelta(days=days * k)).strftime("%Y%m%d%H%M%S")
        status = (statuses or {}).get(k, "200")
        if v is None:
            caps.append(Listed(ts, f"SOFT{k}", status, "text/html", 1500))
            continue
        length = 10_000 + 500 * (ord(v.upper()) - ord("A")) + ((k * 7) % 5 if jitter else 0)
        digest = f"{v}{k}" if jitter else f"{v}"
        caps.append(Listed(ts, digest, status, "text/html", length))
    return caps


def oracle(caps: list[Listed], versions: list[str | None]):
    fetched: list[int] = []

    def fetch(i: int) -> str:
        fetched.append(i)
        return NOT_POLICY if versions[i] is None else versions[i]

    return fetch, fetched


def search(versions, settings: Settings = Settings(), **kw):
    caps = listing(versions, **kw)
    lst = Listing(caps, settings)
    fetch, fetched = oracle(caps, versions)
    outcomes = run_search(lst, fetch)
    return lst, outcomes, fetched


def changes(lst: Listing, outcomes) -> list[tuple[int, int, bool]]:
    return [(w.before, w.after, w.exact) for w in infer(lst, outcomes).windows]


def test_one_change_is_located_between_adjacent_captures_for_a_few_fetches():
    versions = ["A"] * 300 + ["B"] * 300
    lst, outcomes, fetched = search(versions, days=0.2)
    assert changes(lst, outcomes) == [(299, 300, True)]
    assert len(fetched) < 30  # of 600 captures, each its own digest
    result = infer(lst, outcomes)
    assert result.keys == versions  # every capture not fetched is inferred, correctly
    assert set(result.how) == {"fetched", "inferred"}


def test_a_small_edit_without_a_length_jump_is_still_found_by_bisection():
    versions = ["A"] * 100 + ["a"] * 100  # same length: only the ends tell them apart
    lst, outcomes, _ = search(versions, days=0.2)
    assert changes(lst, outcomes) == [(99, 100, True)]


def test_a_reverted_version_between_agreeing_ends_is_found_by_its_length():
    versions = ["A"] * 150 + ["B"] * 2 + ["A"] * 250  # B lived 12 hours on a page captured every 6
    lst, outcomes, _ = search(versions, days=0.25)
    assert changes(lst, outcomes) == [(149, 150, True), (151, 152, True)]
    # plain bisection compares the ends (both A) and never looks inside
    lst2, outcomes2, _ = search(versions, PLAIN_BISECTION, days=0.25)
    assert changes(lst2, outcomes2) == []


def test_a_short_lived_small_edit_is_found_by_the_probe_grid():
    versions = ["A"] * 60 + ["a"] * 25 + ["A"] * 140  # 25 days of a one-word edit, same length
    lst, outcomes, _ = search(versions, days=1)
    assert changes(lst, outcomes) == [(59, 60, True), (84, 85, True)]
    lst2, outcomes2, _ = search(versions, PLAIN_BISECTION, days=1)
    assert changes(lst2, outcomes2) == []


def test_a_non_policy_capture_inside_a_bracket_is_skipped_over_never_a_change():
    versions = ["A"] * 50 + [None] + ["A"] * 49 + ["B"] + [None, None] + ["B"] * 47
    lst, outcomes, fetched = search(versions, days=0.5)
    # the soft 404s around B's first capture are skipped over: the window is exact
    assert changes(lst, outcomes) == [(99, 100, True)]
    assert infer(lst, outcomes).how[50] in ("none", "unresolved")


def test_the_first_and_last_captures_may_be_no_policy():
    versions = [None, None] + ["A"] * 40 + ["B"] * 40 + [None]
    lst, outcomes, _ = search(versions, days=1)
    assert changes(lst, outcomes) == [(41, 42, True)]


def test_redirects_errors_and_non_documents_are_never_fetched():
    versions = ["A"] * 40
    statuses = {3: "301", 4: "404", 5: "503"}
    caps = listing(versions, statuses=statuses)
    caps[6] = caps[6]._replace(mimetype="image/png")
    lst = Listing(caps)
    fetch, fetched = oracle(caps, versions)
    run_search(lst, fetch)
    assert not {3, 4, 5, 6} & set(fetched)
    assert infer(lst, run_search(lst, fetch)).how[3] == "none"


def test_a_digest_run_costs_one_fetch():
    versions = ["A"] * 30 + ["B"] * 30
    lst, outcomes, fetched = search(versions, jitter=False, days=0.5)
    assert len(fetched) == len({lst.captures[i].digest for i in fetched}) <= 2
    assert changes(lst, outcomes) == [(29, 30, True)]


def test_the_search_is_a_function_of_what_is_known_so_a_killed_run_resumes_and_a_finished_one_stops():
    versions = ["A"] * 120 + ["B"] * 30 + ["A"] * 150
    caps = listing(versions, days=0.5)
    lst = Listing(caps)
    fetch, fetched = oracle(caps, versions)
    outcomes = {}
    first = plan(lst, outcomes)
    for i in first[:2]:  # killed after two fetches
        outcomes[caps[i].digest] = fetch(i)
    again = plan(Listing(caps), dict(outcomes))  # a new process: same listing, outcomes from the store
    assert again == [i for i in plan(lst, outcomes)]
    assert set(first[2:]) <= set(again)
    done = run_search(lst, fetch, outcomes)
    assert plan(lst, done) == []
    assert len(fetched) == len(set(fetched))  # nothing fetched twice


def test_new_captures_are_bisected_against_the_newest_fetched_one():
    old = ["A"] * 200
    caps = listing(old + ["A"] * 50 + ["B"] * 50, days=0.5)
    lst_old = Listing(caps[:200])
    fetch, fetched = oracle(caps, old + ["A"] * 50 + ["B"] * 50)
    outcomes = run_search(lst_old, fetch)
    before = len(fetched)
    lst = Listing(caps)
    outcomes = run_search(lst, fetch, outcomes)
    assert all(i >= 199 for i in fetched[before:])  # nothing older than the newest fetched capture
    assert changes(lst, outcomes) == [(249, 250, True)]


def test_unfinished_search_says_which_captures_are_unresolved_and_the_window_is_wide():
    versions = ["A"] * 50 + ["B"] * 50
    caps = listing(versions)
    lst = Listing(caps)
    outcomes = {caps[0].digest: "A", caps[99].digest: "B"}
    result = infer(lst, outcomes)
    assert [(w.before, w.after, w.exact) for w in result.windows] == [(0, 99, False)]
    assert result.how[1:99] == ["unresolved"] * 98


@pytest.mark.parametrize("jitter", [True, False])
def test_estimate_counts_digests_exactly_and_bounds_the_change_search(jitter):
    versions = ["A"] * 300 + ["B"] * 300
    caps = listing(versions, days=0.5, jitter=jitter)
    lst = Listing(caps)
    figures = estimate(lst)
    assert figures["captures"] == figures["candidates"] == 600
    assert figures["digests"] == len({c.digest for c in caps})
    _, _, fetched = search(versions, days=0.5, jitter=jitter)
    assert len(fetched) <= figures["changes"] <= figures["all"]


def test_refine_probes_denser():
    versions = ["A"] * 100 + ["a"] * 8 + ["A"] * 100  # an 8-day edit the 20-day grid can step over
    _, _, coarse = search(versions, days=1)
    lst, outcomes, fine = search(versions, Settings().refined(), days=1)
    assert len(fine) > len(coarse)
    assert changes(lst, outcomes) == [(99, 100, True), (107, 108, True)]
