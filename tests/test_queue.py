"""The shared queue of targets in a real Redis: leases that expire, completion once, nothing queued twice."""

from __future__ import annotations

import time

from crawler.crawl.targets import Target
from crawler.scale.queue import MAX_ATTEMPTS, TargetQueue, decode

from .conftest import FIXTURES, free_port, run_cli

A = Target("Acme", "https://www.acme.example/privacy")
B = Target("Beta", "https://beta.example/privacy", valid_from="20190101000000")


def test_a_target_is_queued_once_even_when_done(redis_url):
    q = TargetQueue(redis_url, "t")
    assert q.enqueue([A, B, A]) == 2
    item = q.take()
    assert decode(item) == A and q.complete(item)
    assert q.enqueue([A, B]) == 0
    assert q.counts() == {"queued": 1, "leased": 0, "done": 1, "failed": 0}
    assert decode(q.take()) == B  # the validity window travels with the target


def test_an_expired_lease_gives_the_target_to_the_next_worker(redis_url):
    dead, alive = TargetQueue(redis_url, "t", lease_seconds=1), TargetQueue(redis_url, "t", lease_seconds=1)
    dead.enqueue([A])
    item = dead.take()
    assert alive.take() is None  # leased, not lost
    time.sleep(1.2)
    assert alive.take() == item
    assert not dead.complete(item)  # the dead worker's late word does not count
    assert alive.complete(item)
    assert alive.counts() == {"queued": 0, "leased": 0, "done": 1, "failed": 0}


def test_a_renewed_lease_does_not_expire(redis_url):
    worker, other = TargetQueue(redis_url, "t", lease_seconds=1), TargetQueue(redis_url, "t", lease_seconds=1)
    worker.enqueue([A])
    item = worker.take()
    for _ in range(3):
        time.sleep(0.5)
        assert worker.renew(item)
        assert other.take() is None


def test_a_target_that_keeps_failing_is_set_aside(redis_url):
    q = TargetQueue(redis_url, "t")
    q.enqueue([A])
    for n in range(1, MAX_ATTEMPTS + 1):
        assert q.release(q.take()) == n
    assert q.take() is None
    assert q.counts() == {"queued": 0, "leased": 0, "done": 0, "failed": 1}


def test_queues_of_two_studies_are_apart(redis_url):
    TargetQueue(redis_url, "one").enqueue([A])
    assert TargetQueue(redis_url, "two").take() is None


def test_enqueue_command(redis_url):
    targets = FIXTURES / "archive" / "targets.csv"
    first = run_cli("enqueue", "--targets", str(targets), "--redis", redis_url)
    again = run_cli("enqueue", "--targets", str(targets), "--redis", redis_url)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert "Queued 3 new target(s) of 3" in first.stderr and "Queued 0 new target(s) of 3" in again.stderr
    assert TargetQueue(redis_url).counts()["queued"] == 3


def test_an_unreachable_redis_is_a_clean_error(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"
    targets = FIXTURES / "archive" / "targets.csv"
    for args in (("enqueue", "--targets", str(targets)), ("worker", "--brackets", "--db", str(tmp_path / "s.db"))):
        result = run_cli(*args, "--redis", url)
        assert result.returncode == 2, result.stderr
        assert f"cannot reach Redis at {url}" in result.stderr and "Traceback" not in result.stderr
