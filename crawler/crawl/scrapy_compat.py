"""The Scrapy internals policytrail relies on, in one place.

Honouring a 429's Retry-After means holding requests that already wait in the downloader's
slots, and stopping cleanly means failing them; Scrapy has no public API for either. These
functions reach into ``scrapy.core.downloader``: ``Downloader.slots`` (slot name -> ``Slot``),
``Slot.queue`` (a deque of ``(request, deferred)``), ``Slot.latercall`` (the slot's timer, the one
``DOWNLOAD_DELAY`` uses) and ``Downloader._latercall(slot)`` (what that timer calls).

Tested with Scrapy 2.19 (pyproject.toml pins ``scrapy>=2.19,<2.20``). tests/test_scrapy_compat.py
runs these functions against the installed Scrapy's own downloader: before widening the pin, run
it on the new version and adapt this module only.
"""

from __future__ import annotations

from scrapy.utils.asyncio import call_later
from twisted.python.failure import Failure

TESTED_SCRAPY = (2, 19)


def hold_download_slots(downloader, seconds: float) -> None:
    """Keep every request queued in the downloader's slots from leaving for ``seconds``.

    (Re)arms each slot's own delay timer: requests already dispatched are not affected, and
    requests that reach a slot later wait for the same timer.
    """
    for slot in downloader.slots.values():
        if slot.latercall:
            slot.latercall.cancel()
        slot.latercall = call_later(seconds, downloader._latercall, slot)


def drop_queued_requests(downloader, error: Exception) -> int:
    """Fail every request waiting in the downloader's slots with ``error``; return how many."""
    dropped = 0
    for slot in downloader.slots.values():
        while slot.queue:
            _, deferred = slot.queue.popleft()
            deferred.errback(Failure(error))
            dropped += 1
    return dropped


def queued_requests(downloader) -> dict[str, list]:
    """The requests waiting in each slot of the downloader (not yet sent), by slot name."""
    return {name: [request for request, _ in slot.queue] for name, slot in downloader.slots.items()}
