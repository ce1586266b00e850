"""Which captures to fetch: change-point search over one document's CDX listing (pure decisions).

The archive's memento budget, not CDX, limits a crawl. A policy changes a few dozen times in
thousands of captures, so ``plan`` fetches only what places every change between two adjacent
captures, and ``infer`` says what the captures that were not fetched hold:

* the first and the last capture that may hold the policy are fetched;
* between two fetched captures whose version keys differ, the middle capture is fetched (bisection),
  until the two are adjacent: every change is located exactly;
* between two fetched captures that agree, a probe is fetched when they lie more than ``grid_days``
  apart, so that a version that lived briefly or was reverted (A -> B -> A) is not stepped over;
* what CDX gives for free is used before anything is fetched: captures sharing a digest share a body
  (a digest run costs one fetch; revisits repeat an earlier digest); archived errors, redirects and
  non-documents hold no policy text; a jump in the record's length beyond the page's own jitter
  marks a likely change, and both captures around it are fetched;
* a capture that turns out not to hold the policy (a challenge, a soft 404, an extraction failure,
  a fetch given up on) is skipped over: the search goes on around it, never reads it as a change.

Everything here is a function of the listing and of the outcomes known so far (digest -> version
key, or ``NOT_POLICY``): a killed run plans the same next fetches again, a finished one plans none.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from crawler.derive.inference import NOT_POLICY, Inference, Listed, Window, infer_captures, is_candidate

__all__ = [
    "DEFAULT_STRATEGY",
    "NOT_POLICY",
    "PLAIN_BISECTION",
    "STRATEGIES",
    "Inference",
    "Listed",
    "Listing",
    "Settings",
    "Window",
    "estimate",
    "infer",
    "is_candidate",
    "plan",
    "run_search",
]

STRATEGIES = ("changes", "all")
DEFAULT_STRATEGY = "changes"
# Probes between fetched captures that agree are spaced no wider than this (``--refine`` divides it):
# a version in force for longer cannot hide between two probes; a shorter one is found when its
# record length gives it away, or when a probe happens to land on it.
GRID_DAYS = 20.0
REFINE_FACTOR = 4
# a record length jump counts as a likely change beyond this many times the page's own jitter...
JUMP_SIGMAS = 5.0
# ...and beyond this many bytes (the WARC record's headers alone move its length a little)
JUMP_MIN_BYTES = 24
# a capture whose length strays alone while its neighbours agree is asked for when they lie this far apart
OUTLIER_DAYS = 1.0


@dataclass(frozen=True)
class Settings:
    grid_days: float | None = GRID_DAYS  # None: no probes between agreeing captures (plain bisection)
    lengths: bool = True  # use record length jumps as free hints
    jump_sigmas: float = JUMP_SIGMAS
    jump_min_bytes: int = JUMP_MIN_BYTES

    def refined(self) -> Settings:
        """``--refine``: probes four times denser and smaller jumps taken as hints."""
        grid = self.grid_days / REFINE_FACTOR if self.grid_days else GRID_DAYS / REFINE_FACTOR
        return Settings(grid, self.lengths, self.jump_sigmas / 2, max(8, self.jump_min_bytes // 2))


PLAIN_BISECTION = Settings(grid_days=None, lengths=False)


def _days(ts: str) -> float:
    t = datetime(int(ts[:4]), int(ts[4:6]), int(ts[6:8]), int(ts[8:10]), int(ts[10:12]), int(ts[12:14]))
    return t.replace(tzinfo=UTC).timestamp() / 86400.0


class Listing:
    """One document's captures in time order, with what CDX says for free precomputed once."""

    def __init__(self, captures: Sequence[Listed], settings: Settings = Settings()):
        self.captures = list(captures)
        self.settings = settings
        self.candidates = [i for i, c in enumerate(self.captures) if is_candidate(c)]
        self.days = {i: _days(self.captures[i].timestamp) for i in self.candidates}
        self.threshold: float | None = None
        self.hints = self._length_hints() if settings.lengths else []

    def _length_hints(self) -> list[int]:
        """Candidates on either side of a record length jump larger than the page's own jitter."""
        series = [
            i
            for i in self.candidates
            if self.captures[i].length is not None and self.captures[i].mimetype.lower() != "warc/revisit"
        ]
        steps = []
        for a, b in zip(series, series[1:]):
            if self.captures[a].digest != self.captures[b].digest:
                steps.append((a, b, abs(self.captures[b].length - self.captures[a].length)))
        if not steps:
            return []
        # the jitter of a page whose furniture moves, from the lower quartile of consecutive differences
        # (outliers -- challenges, soft 404s, real changes -- sit in the upper ones): for normal jitter
        # of spread s, a difference has spread s*sqrt(2) and its absolute value's quartile is 0.32 of that
        diffs = sorted(d for _, _, d in steps)
        sigma = diffs[len(diffs) // 4] / (0.3186 * 2**0.5)
        threshold = max(self.settings.jump_min_bytes, self.settings.jump_sigmas * sigma)
        self.threshold = threshold
        # an isolated outlier (a challenge, a soft 404, a version seen once): the outlier alone is asked;
        # a jump to a level that lasts: both captures around it, which place the change at once
        jumps = [d > threshold for _, _, d in steps]
        hints = set()
        for k, (a, b, _) in enumerate(steps):
            if not jumps[k]:
                continue
            back = k + 1 < len(steps) and jumps[k + 1]
            if back and abs(self.captures[steps[k + 1][1]].length - self.captures[a].length) <= threshold:
                # out and straight back: a version this brief is worth a fetch only on a sparse page
                if self.days[steps[k + 1][1]] - self.days[a] >= OUTLIER_DAYS:
                    hints.add(b)
                continue
            before = self.captures[steps[k - 1][0]].length if k > 0 else None
            if k > 0 and jumps[k - 1] and abs(self.captures[b].length - before) <= threshold:
                continue  # the way back from an outlier
            hints.update((a, b))
        return sorted(hints)


def plan(listing: Listing, outcomes: Mapping[str, str]) -> list[int]:
    """The captures (indexes into the listing, one per digest) to fetch next, given what is known:
    ``outcomes`` maps a digest to its version key or ``NOT_POLICY``. Empty when the search is done."""
    caps = listing.captures
    cands = listing.candidates
    if not cands:
        return []
    wanted: list[int] = []

    def want(i: int) -> None:
        if caps[i].digest not in outcomes:
            wanted.append(i)

    want(cands[0])
    want(cands[-1])
    # the known captures holding the policy, in order; every unknown candidate lies in one gap
    known = [i for i in cands if outcomes.get(caps[i].digest)]
    grid = listing.settings.grid_days
    hints = listing.hints
    lo = 0  # position in cands
    bounds = [-1, *known, len(caps)]
    for a, b in zip(bounds, bounds[1:]):
        start = bisect.bisect_right(cands, a, lo)
        end = bisect.bisect_left(cands, b, start)
        lo = end
        unknown = [i for i in cands[start:end] if caps[i].digest not in outcomes]
        if not unknown:
            continue
        # a length jump inside: its two captures locate the likely change at once
        h0, h1 = bisect.bisect_right(hints, a), bisect.bisect_left(hints, b)
        hinted = [i for i in hints[h0:h1] if caps[i].digest not in outcomes]
        if hinted:
            for i in hinted:
                want(i)
            continue
        if a < 0 or b >= len(caps):  # before the first or after the last policy capture: nothing to agree
            want(_middle_digest(caps, unknown))  # with, so bisect as if the ends differed
            continue
        ka, kb = outcomes[caps[a].digest], outcomes[caps[b].digest]
        if ka != kb:
            want(_middle_digest(caps, unknown))
        elif grid and listing.days[b] - listing.days[a] > grid:
            mid = (listing.days[a] + listing.days[b]) / 2
            want(min(unknown, key=lambda i: abs(listing.days[i] - mid)))
    seen: set[str] = set()
    out = []
    for i in sorted(wanted):
        if caps[i].digest not in seen:
            seen.add(caps[i].digest)
            out.append(i)
    return out


def _middle_digest(caps: Sequence[Listed], unknown: list[int]) -> int:
    """The middle unknown capture, moved to the start of its digest run (a run is one body: the
    change can only lie at a digest boundary, so asking the run's first capture splits the most)."""
    m = len(unknown) // 2
    while m > 0 and caps[unknown[m - 1]].digest == caps[unknown[m]].digest:
        m -= 1
    if m == 0:  # the run reaches the start: split at its end instead
        m = len(unknown) // 2
        while m < len(unknown) - 1 and caps[unknown[m + 1]].digest == caps[unknown[m]].digest:
            m += 1
    return unknown[m]


def infer(listing: Listing, outcomes: Mapping[str, str]) -> Inference:
    """What every capture of the listing holds given the outcomes, and the window of each change."""
    known = [outcomes.get(c.digest) for c in listing.captures]
    return infer_captures(listing.captures, known, listing.candidates)


def run_search(
    listing: Listing, fetch, known: Mapping[str, str] | None = None, max_rounds: int = 10_000
) -> dict[str, str]:
    """Plan and fetch until the search is done, from the outcomes ``known``; ``fetch(index) -> version
    key or NOT_POLICY``. For benchmarks and tests: the crawl runs the same loop through Scrapy and the store."""
    outcomes: dict[str, str] = dict(known or {})
    for _ in range(max_rounds):
        batch = plan(listing, outcomes)
        if not batch:
            break
        for i in batch:
            outcomes[listing.captures[i].digest] = fetch(i)
    return outcomes


def estimate(listing: Listing) -> dict:
    """What CDX alone says of a document's cost: candidates, distinct digests, and the fetches of each
    strategy: ``all`` exactly; ``changes`` a bound that cannot know the changes -- probes at most twice
    the span over the grid, every length hint, and a bisection for each change the hints suggest, never
    more than the distinct digests (on the generated histories of bench/, 1.3 to 1.6 times what the
    search then fetched, and never less, site by site)."""
    digests = {listing.captures[i].digest for i in listing.candidates}
    # `all` fetches each archived redirect for itself, `changes` each redirect body once
    redirects = [c.digest for c in listing.captures if c.statuscode.startswith("3")]
    redirect_bodies = len(set(redirects))
    n = len(listing.candidates)
    if n == 0:
        return {
            "captures": len(listing.captures),
            "candidates": 0,
            "digests": 0,
            "all": len(redirects),
            "changes": redirect_bodies,
        }
    days = listing.days
    span = days[listing.candidates[-1]] - days[listing.candidates[0]]
    grid = listing.settings.grid_days
    probes = min(n, int(2 * span / grid) + 2) if grid else 2  # halving leaves intervals of grid/2 to grid
    # each hinted jump costs its two captures and, if it is no change, nothing more; each real
    # change costs at most log2 of the captures between two probes
    hints = len(listing.hints)
    per_gap = max(1, n // max(probes, 1))
    bisections = (hints // 2 + 1) * max(1, per_gap.bit_length())
    changes = min(len(digests), probes + hints + bisections)
    return {
        "captures": len(listing.captures),
        "candidates": n,
        "digests": len(digests),
        "all": len(digests) + len(redirects),
        "changes": changes + redirect_bodies,
    }
