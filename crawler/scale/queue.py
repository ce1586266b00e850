"""A queue of targets in Redis with leases that expire: any number of workers take work until none is left.

A worker takes a target with a lease (``POLICYTRAIL_LEASE_SECONDS``) and renews it while it works;
a worker that dies (kill -9, a machine lost) stops renewing, and once its lease expires the next
worker to ask takes the target again. A target is completed once: completion is recorded
only by the worker holding the lease (each lease has its own token), and a completed target is
never queued again (enqueueing the same file twice adds nothing). Taking, renewing and
completing are each one Lua script, so they are atomic in Redis; lease times are Redis's own
clock, so workers' clocks need not agree.

Why not scrapy-redis: its released version (0.9.1) predates Scrapy 2.13's ``async start()``, and it
shares Scrapy *requests*, popped without a lease: a worker killed mid-crawl loses the requests it
held. The unit of work here is a target, whose crawl state lives in the worker's shard and is
merged by content, so a lease over a target is what makes a lost worker's work come back.

The lease mechanics (``LeaseQueue``) serve two queues: the targets, and for change-point crawling
with ``policytrail worker --brackets`` the captures one document's search wants fetched
(``crawler/scale/brackets.py``).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict

from crawler.crawl.targets import Target
from crawler.errors import UsageError

LEASE_SECONDS = 120
# a target whose crawl failed this many times (archive unreachable, stopped on rate limits) is set aside
MAX_ATTEMPTS = 3

# queue an item once: the first time its member joins the known set (atomic: a worker dying in
# between cannot leave an item known and never queued)
_ENQUEUE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then redis.call('RPUSH', KEYS[2], ARGV[2]) return 1 end
return 0
"""
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  if redis.call('ZREM', KEYS[2], m) == 1 then redis.call('RPUSH', KEYS[1], m) end
end
local item = redis.call('LPOP', KEYS[1])
if item then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), item)
  redis.call('HSET', KEYS[3], item, ARGV[2])
end
return item
"""
# the lease is the holder's only while the owners hash names its token
_RENEW = """
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[3] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 1
"""
_COMPLETE = """
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""
_RELEASE = """
if redis.call('HGET', KEYS[5], ARGV[1]) ~= ARGV[3] then return -1 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
local n = redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
if n >= tonumber(ARGV[2]) then redis.call('SADD', KEYS[4], ARGV[1]) else redis.call('RPUSH', KEYS[2], ARGV[1]) end
return n
"""


def encode(target: Target) -> str:
    row = {k: v for k, v in asdict(target).items() if k != "line" and v is not None}
    return json.dumps(row, sort_keys=True)


def decode(item: str | bytes) -> Target:
    return Target(**json.loads(item))


def connect(redis_url: str):
    """A Redis client that answered a ping, or a usage error saying where it was looked for."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise UsageError(f"cannot reach Redis at {redis_url} ({exc}): start it, or pass the right --redis") from None
    return client


class LeaseQueue:
    """Items of one queue (``prefix``) in one Redis, taken under leases that expire."""

    def __init__(self, redis_url: str, prefix: str, lease_seconds: float = LEASE_SECONDS, holder: str = ""):
        self.redis = connect(redis_url)
        self.lease = lease_seconds
        # who holds a lease, written before each token (``policytrail:queue:<name>:owners`` says who has what)
        self.holder = holder
        p = prefix
        self.todo, self.leased, self.done, self.known = f"{p}:todo", f"{p}:leased", f"{p}:done", f"{p}:known"
        self.attempts, self.failed, self.owners = f"{p}:attempts", f"{p}:failed", f"{p}:owners"
        self.tokens: dict[str, str] = {}  # item -> this worker's lease token
        self._enqueue = self.redis.register_script(_ENQUEUE)
        self._take = self.redis.register_script(_TAKE)
        self._renew = self.redis.register_script(_RENEW)
        self._complete = self.redis.register_script(_COMPLETE)
        self._release = self.redis.register_script(_RELEASE)

    def enqueue_once(self, item: str, member: str | None = None, known: str | None = None) -> bool:
        """Queue ``item`` unless ``member`` (the item itself by default) is already in the ``known`` set
        (this queue's by default): True when it was queued now. Never queued twice, even once done."""
        return bool(self._enqueue(keys=[known or self.known, self.todo], args=[member or item, item]))

    def take(self) -> str | None:
        """An item with a fresh lease (expired leases go back to the queue first), or None."""
        token = f"{self.holder}:{secrets.token_hex(8)}" if self.holder else secrets.token_hex(8)
        item = self._take(keys=[self.todo, self.leased, self.owners], args=[self.lease, token])
        if item is None:
            return None
        self.tokens[item.decode()] = token
        return item.decode()

    def renew(self, item: str) -> bool:
        """Extend the lease; False when it was lost (expired and taken by another worker)."""
        return bool(self._renew(keys=[self.leased, self.owners], args=[item, self.lease, self.tokens.get(item, "")]))

    def complete(self, item: str) -> bool:
        """Record the item as done; False when this worker no longer holds its lease."""
        token = self.tokens.pop(item, "")
        return bool(self._complete(keys=[self.leased, self.done, self.owners], args=[item, token]))

    def release(self, item: str) -> int:
        """Give an item back after a failure: queued again, or set aside after MAX_ATTEMPTS
        (returns its failures so far; -1 when this worker no longer held the lease)."""
        token = self.tokens.pop(item, "")
        keys = [self.leased, self.todo, self.attempts, self.failed, self.owners]
        return int(self._release(keys=keys, args=[item, MAX_ATTEMPTS, token]))

    def holders(self) -> dict[str, str]:
        """Leased item -> the holder named in its token (empty when the worker gave no name)."""
        owners = self.redis.hgetall(self.owners)
        return {k.decode(): v.decode().rpartition(":")[0] for k, v in owners.items()}

    def counts(self) -> dict[str, int]:
        return {
            "queued": self.redis.llen(self.todo),
            "leased": self.redis.zcard(self.leased),
            "done": self.redis.scard(self.done),
            "failed": self.redis.scard(self.failed),
        }


class TargetQueue(LeaseQueue):
    """The targets of one study (``name``) in one Redis."""

    def __init__(self, redis_url: str, name: str = "default", lease_seconds: float = LEASE_SECONDS, holder: str = ""):
        super().__init__(redis_url, f"policytrail:queue:{name}", lease_seconds, holder)

    def enqueue(self, targets: list[Target]) -> int:
        """Queue the targets never queued before; returns how many were new."""
        return sum(self.enqueue_once(encode(target)) for target in targets)
