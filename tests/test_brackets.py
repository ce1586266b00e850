"""A document's change-point search shared by workers: re-planning from shared outcomes, each digest
asked for once (pure), and the board in a real Redis (listings shared once, leases that expire)."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from crawler.crawl.strategy import NOT_POLICY, Listing, infer, plan, run_search
from crawler.crawl.targets import Target
from crawler.scale.brackets import BracketBoard, Fetch, SharedListing, listed, wanted

URL = "https://www.omega.example/privacy"
TARGET = Target("Omega", URL)


def history(days: int = 400) -> tuple[list[tuple], dict[str, str]]:
    """Daily captures, each its own digest: A, B for three days (a paragraph more: a length jump), A,
    C and D (same-length edits: found by probes and bisection only), a soft 404 and an archived 404.
    Returns listing rows and the version key each digest's body holds."""
    rows, truth = [], {}
    start = datetime(2021, 1, 1, 12, tzinfo=UTC)
    for day in range(days):
        ts = (start + timedelta(days=day)).strftime("%Y%m%d%H%M%S")
        key = "D" if day >= 330 else "C" if day >= 210 else "B" if 120 <= day <= 122 else "A"
        length = 2000 + (day * 7919) % 23 + (90 if key == "B" else 0)
        status = "404" if day == 60 else "200"
        digest = f"DIGEST{day:04d}"
        rows.append((URL, ts, "text/html", status, digest, length))
        truth[digest] = NOT_POLICY if day == 150 else key
    return rows, truth


def shared_search(listing: Listing, truth: dict[str, str], workers: int, seed: int) -> tuple[dict, list[str]]:
    """Workers taking fetches from one queue, each finishing them in a random order: as the board does,
    a worker records an outcome, plans again from every outcome recorded so far, queues what is new."""
    rng = random.Random(seed)
    outcomes: dict[str, str] = {}
    asked: set[str] = set()
    queue: list[int] = []
    fetched: list[str] = []

    def advance() -> None:
        for i in wanted(listing, outcomes, asked):
            asked.add(listing.captures[i].digest)
            queue.append(i)

    advance()
    held: list[list[int]] = [[] for _ in range(workers)]
    while queue or any(held):
        w = rng.randrange(workers)
        if queue and (not held[w] or rng.random() < 0.5):
            held[w].append(queue.pop(0))
        elif held[w]:
            i = held[w].pop(rng.randrange(len(held[w])))
            digest = listing.captures[i].digest
            fetched.append(digest)
            outcomes[digest] = truth[digest]
            advance()
    return outcomes, fetched


def test_wanted_is_the_plan_without_what_was_asked_for():
    rows, truth = history()
    listing = Listing(listed(rows))
    first = plan(listing, {})
    asked = {listing.captures[first[0]].digest}
    assert wanted(listing, {}, asked) == first[1:]
    assert wanted(listing, {}, {listing.captures[i].digest for i in first}) == []


@pytest.mark.parametrize("workers,seed", [(2, 1), (3, 2), (3, 3), (5, 4)])
def test_workers_sharing_outcomes_find_the_single_searchs_timeline_fetching_each_digest_once(workers, seed):
    rows, truth = history()
    listing = Listing(listed(rows))
    alone = run_search(listing, lambda i: truth[listing.captures[i].digest])
    outcomes, fetched = shared_search(listing, truth, workers, seed)
    assert len(fetched) == len(set(fetched))  # each digest fetched once
    assert plan(listing, outcomes) == []  # the search is over
    # the same version for every capture, the same exact windows
    assert infer(listing, outcomes).keys == infer(listing, alone).keys
    assert infer(listing, outcomes).windows == infer(listing, alone).windows
    assert all(w.exact for w in infer(listing, outcomes).windows)
    # planning on stale outcomes costs a few fetches more at most
    assert len(fetched) <= len(alone) * 1.25 + 2, (len(fetched), len(alone))
    assert len(fetched) < len(rows) // 4


def test_a_fetch_is_its_queue_item():
    fetch = Fetch(URL, URL, "20210101120000", "DIGEST0001")
    assert Fetch.from_item(fetch.item()) == fetch
    shared = SharedListing(TARGET, history(10)[0])
    assert shared.fetch(3) == Fetch(URL, URL, shared.rows[3][1], "DIGEST0003")
    assert shared.row(shared.fetch(3)) == shared.rows[3]


# -- the board, in a real Redis ----------------------------------------------------------------------
def test_a_listing_is_shared_once_and_each_digest_queued_once_whoever_plans(redis_url):
    rows, truth = history()
    one, two = BracketBoard(redis_url, "t"), BracketBoard(redis_url, "t")
    queued = one.publish(TARGET, rows, {})
    assert queued == len(plan(Listing(listed(rows)), {}))
    assert two.publish(TARGET, rows[:10], {}) == 0  # a second lister: the first listing stays, nothing queued again
    assert two.shared(URL).rows == [tuple(r) for r in rows]
    assert one.advance(URL) == two.advance(URL) == 0
    assert one.counts()["queued"] == queued


def test_an_outcome_one_worker_records_opens_the_next_brackets_for_all(redis_url):
    rows, truth = history()
    one, two = BracketBoard(redis_url, "t"), BracketBoard(redis_url, "t")
    one.publish(TARGET, rows, {})
    taken = []
    while (fetch := one.take()) is not None:
        taken.append(fetch)
    for fetch in taken:
        one.record(fetch, truth[fetch.digest])
    added = one.advance(URL)
    assert added > 0 and two.outcomes(URL) == {f.digest: truth[f.digest] for f in taken}
    for fetch in taken:
        assert one.complete(fetch)
    assert two.open()  # the new brackets' fetches, for any worker
    assert two.take() is not None


def test_a_fetch_whose_lease_expired_is_taken_by_another_worker(redis_url):
    rows, _ = history(40)
    dead = BracketBoard(redis_url, "t", lease_seconds=1, holder="host/1")
    alive = BracketBoard(redis_url, "t", lease_seconds=1, holder="host/2")
    dead.publish(TARGET, rows, {})
    held = []
    while (fetch := dead.take()) is not None:
        held.append(fetch)
    assert dead.queue.holders() == {f.item(): "host/1" for f in held}
    assert alive.take() is None and alive.open()  # leased, not lost
    time.sleep(1.2)
    again = []
    while (fetch := alive.take()) is not None:
        again.append(fetch)
    assert sorted(again, key=Fetch.item) == sorted(held, key=Fetch.item)
    assert not dead.complete(held[0])  # the dead worker's late word does not count
    for fetch in again:
        alive.record(fetch, "A")
        alive.advance(URL)
        assert alive.complete(fetch)
    while (fetch := alive.take()) is not None:
        alive.record(fetch, "A")
        alive.advance(URL)
        alive.complete(fetch)
    assert not alive.open()
    assert alive.counts() == {"queued": 0, "leased": 0, "done": len(alive.asked(URL)), "failed": 0}
