"""One document's change-point search shared by many workers: a Redis queue of the captures its open
brackets want fetched (``policytrail worker --brackets``).

The planner (``crawler/crawl/strategy.py``) is a pure function of a document's CDX listing and of
the outcomes known so far (digest -> version key, or ``NOT_POLICY``). So the search's whole state
fits in Redis, per target:

* ``listing:<target>``: the target's captures, written once by the worker that listed it (and the
  target's row: company, document), then read by every worker that joins the search;
* ``outcomes:<target>``: a hash digest -> version key (``""``: no policy text), written by whoever
  fetched the body;
* ``asked:<target>``: the digests ever queued for a fetch: a digest is queued once, never twice,
  whoever plans it (one Lua script adds it to the set and queues the fetch, or does nothing);
* ``fetch:*``: the queue of wanted captures, taken under leases that expire
  (``crawler.scale.queue.LeaseQueue``, the same mechanics as the queue of targets).

Only a target with at least ``POLICYTRAIL_BRACKETS_FROM`` captures that may hold the policy is
shared (``--brackets-from``); a smaller one is searched by the worker that listed it, alone.

A worker takes a few fetches, fetches them into its own shard, derives their version keys there,
records the outcomes, plans the target again from the shared outcomes and queues what the plan
newly wants, and only then completes its fetches: a worker killed at any point leaves leased
fetches that expire and are taken again, and a plan that is never lost (whoever completes a fetch
planned after recording it). A target's search is over when its plan wants nothing that was not
asked for and no fetch of it is queued or leased.

Every worker that fetches for a target first writes the target's whole listing into its shard (as
the listing worker did), so the merged database holds every listed capture whichever shards
survive, and ``merge`` + derive infer the captures nobody fetched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from crawler.crawl.strategy import Listed, Listing, Settings, plan
from crawler.crawl.targets import Target
from crawler.scale.queue import LEASE_SECONDS, LeaseQueue, decode, encode

__all__ = ["BracketBoard", "Fetch", "SharedListing", "listed", "wanted"]

# a row of a shared listing, as the spider's store gives it: (url, timestamp, mimetype, statuscode, digest, length)
Row = tuple[str, str, str, str, str, "int | None"]


@dataclass(frozen=True)
class Fetch:
    """One capture a target's search wants fetched: a queue item (its text is its identity)."""

    target: str  # the target's URL: whose listing and outcomes it belongs to
    url: str
    timestamp: str
    digest: str

    def item(self) -> str:
        return json.dumps(
            {"target": self.target, "url": self.url, "timestamp": self.timestamp, "digest": self.digest},
            sort_keys=True,
        )

    @classmethod
    def from_item(cls, item: str | bytes) -> Fetch:
        return cls(**json.loads(item))


def listed(rows: Iterable[Row]) -> list[Listed]:
    """The planner's view of listing rows."""
    return [Listed(ts, digest, status or "-", mime or "unk", length) for _url, ts, mime, status, digest, length in rows]


def wanted(listing: Listing, outcomes: Mapping[str, str], asked: Iterable[str]) -> list[int]:
    """The captures (listing indexes) the plan wants now and that no worker was asked for yet: a
    digest fetched, being fetched, or queued is never planned again, whoever planned it."""
    asked = set(asked)
    return [i for i in plan(listing, outcomes) if listing.captures[i].digest not in asked]


class SharedListing:
    """A target's listing as every worker reads it from Redis (fixed once written)."""

    def __init__(self, target: Target, rows: Sequence[Row], settings: Settings = Settings()):
        self.target = target
        self.rows = [tuple(r) for r in rows]
        self.listing = Listing(listed(self.rows), settings)
        self._index = {(r[0], r[1], r[4]): k for k, r in enumerate(self.rows)}

    def row(self, fetch: Fetch) -> Row:
        return self.rows[self._index[(fetch.url, fetch.timestamp, fetch.digest)]]

    def fetch(self, index: int) -> Fetch:
        url, ts, _mime, _status, digest, _length = self.rows[index]
        return Fetch(self.target.url, url, ts, digest)


class BracketBoard:
    """The shared searches of one study (``name``, the queue of targets' name) in one Redis."""

    def __init__(
        self,
        redis_url: str,
        name: str = "default",
        lease_seconds: float = LEASE_SECONDS,
        holder: str = "",
        settings: Settings = Settings(),
    ):
        self.prefix = f"policytrail:queue:{name}:brackets"
        self.queue = LeaseQueue(redis_url, f"{self.prefix}:fetch", lease_seconds, holder)
        self.redis = self.queue.redis
        self.settings = settings
        self._listings: dict[str, SharedListing] = {}

    def _key(self, kind: str, target: str) -> str:
        return f"{self.prefix}:{kind}:{target}"

    # -- listings and outcomes ---------------------------------------------------------
    def publish(self, target: Target, rows: Sequence[Row], outcomes: Mapping[str, str]) -> int:
        """Share a target's listing (kept if another worker shared it first) and what this worker already
        knows of its bodies (earlier runs), then queue what the plan wants; returns the fetches queued."""
        record = json.dumps({"target": encode(target), "rows": [list(r) for r in rows]})
        self.redis.set(self._key("listing", target.url), record, nx=True)
        for digest, key in outcomes.items():
            self.redis.hsetnx(self._key("outcomes", target.url), digest, key)
        return self.advance(target.url)

    def shared(self, target: str) -> SharedListing:
        """The target's shared listing (read once per process: it never changes)."""
        if target not in self._listings:
            raw = self.redis.get(self._key("listing", target))
            if raw is None:
                raise KeyError(f"no shared listing for {target}")
            record = json.loads(raw)
            self._listings[target] = SharedListing(decode(record["target"]), record["rows"], self.settings)
        return self._listings[target]

    def outcomes(self, target: str) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.redis.hgetall(self._key("outcomes", target)).items()}

    def asked(self, target: str) -> set[str]:
        return {m.decode() for m in self.redis.smembers(self._key("asked", target))}

    def record(self, fetch: Fetch, key: str) -> None:
        """What the fetched body holds: its version key, or ``NOT_POLICY`` (``""``)."""
        self.redis.hset(self._key("outcomes", fetch.target), fetch.digest, key)

    def advance(self, target: str) -> int:
        """Plan the target again from the shared outcomes and queue what it newly wants (each digest
        once, whoever plans it); returns the fetches queued now."""
        shared = self.shared(target)
        queued = 0
        for i in wanted(shared.listing, self.outcomes(target), self.asked(target)):
            fetch = shared.fetch(i)
            queued += self.queue.enqueue_once(fetch.item(), member=fetch.digest, known=self._key("asked", target))
        return queued

    # -- fetches under lease -----------------------------------------------------------
    def take(self) -> Fetch | None:
        item = self.queue.take()
        return None if item is None else Fetch.from_item(item)

    def renew(self, fetch: Fetch) -> bool:
        return self.queue.renew(fetch.item())

    def complete(self, fetch: Fetch) -> bool:
        return self.queue.complete(fetch.item())

    def release(self, fetch: Fetch) -> int:
        return self.queue.release(fetch.item())

    def open(self) -> bool:
        """Whether any search has a fetch queued or leased (a leased one may expire and come back)."""
        counts = self.queue.counts()
        return bool(counts["queued"] or counts["leased"])

    def counts(self) -> dict[str, int]:
        return self.queue.counts()
