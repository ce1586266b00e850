"""Archive-like capture histories with a known truth, for measuring change-point crawling.

Each generated site is a CDX listing (timestamp, digest, status, mimetype, record length) and, per
capture, the version of the policy it holds (or None: a redirect, an error, a challenge, a soft 404,
a body the extractor cannot read). What the generator models, because real listings do it:

* capture density varies by orders of magnitude over a site's life, with gaps of months;
* giants: a few pages hold most captures (20,000 for one URL);
* dynamic page furniture gives most captures their own digest, with a record length that jitters;
  static pages repeat digests in runs, with revisit records between;
* changes of every size, from a word (below the length jitter) to a rewrite; versions that live
  under a month; versions that are reverted (A -> B -> A);
* non-policy captures scattered anywhere: redirects, archived errors, challenges and soft 404s.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from crawler.crawl.strategy import Listed

START = datetime(2008, 1, 1, tzinfo=UTC)
END = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class Site:
    name: str
    captures: list[Listed]
    truth: list[int | None]  # per capture: the version it holds, None when it holds no policy
    reverted: set[int] = field(default_factory=set)  # versions undone by a return to the one before
    short_lived: set[int] = field(default_factory=set)  # versions in force for under 30 days


def _digest(*parts) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:32].upper()


def _timestamps(rng: random.Random, n: int, first: datetime) -> list[datetime]:
    """n capture times with density varying per stretch, and a gap or two with none."""
    total = (END - first).total_seconds()
    pieces = rng.randint(3, 9)
    cuts = sorted(rng.random() for _ in range(pieces - 1))
    bounds = [0.0, *cuts, 1.0]
    weights = [math.exp(rng.uniform(-2.5, 1.8)) * (bounds[k + 1] - bounds[k]) for k in range(pieces)]
    for _ in range(rng.randint(0, 2)):  # a gap: nothing archived for months
        weights[rng.randrange(pieces)] = 0.0
    if not any(weights):
        weights[0] = 1.0
    out = []
    for _ in range(n):
        k = rng.choices(range(pieces), weights)[0]
        out.append(first + timedelta(seconds=total * rng.uniform(bounds[k], bounds[k + 1])))
    return sorted(out)


def _versions(rng: random.Random, first: datetime, changes: int):
    """The truth: (start time, version id, text length) spans; reverted and short-lived ids."""
    total = (END - first).total_seconds()
    times = sorted(first + timedelta(seconds=total * rng.random()) for _ in range(changes))
    length = rng.randint(7000, 16000)
    spans = [(first - timedelta(days=1), 0, length)]
    reverted, short = set(), set()
    next_id = 1
    for t in times:
        if t <= spans[-1][0]:
            continue
        delta = math.exp(rng.uniform(math.log(0.0008), math.log(0.25))) * rng.choice((-1, 1))
        new_len = max(2000, int(spans[-1][2] * (1 + delta)))
        kind = rng.random()
        spans.append((t, next_id, new_len))
        vid, next_id = next_id, next_id + 1
        if kind < 0.15:  # reverted: the previous version comes back within days or weeks
            back = t + timedelta(days=rng.uniform(2, 60))
            prev = spans[-2]
            spans.append((back, prev[1], prev[2]))
            reverted.add(vid)
            if (back - t).days < 30:
                short.add(vid)
        elif kind < 0.30:  # short-lived: replaced by another version within a month
            nxt = t + timedelta(days=rng.uniform(2, 29))
            d2 = math.exp(rng.uniform(math.log(0.0008), math.log(0.1))) * rng.choice((-1, 1))
            spans.append((nxt, next_id, max(2000, int(new_len * (1 + d2)))))
            next_id += 1
            short.add(vid)
    spans.sort(key=lambda s: s[0])
    return spans, reverted, short


def make_site(rng: random.Random, name: str, n: int) -> Site:
    first = START + timedelta(days=rng.uniform(0, 365 * 9))
    changes = max(2, int(rng.uniform(0.6, 1.4) * (4 + 6 * math.log10(max(n, 10)))))
    spans, reverted, short = _versions(rng, first, changes)
    starts = [s[0] for s in spans]
    dynamic = rng.random() < 0.7
    jitter = rng.uniform(3, 120) if dynamic else 2
    epoch_every = rng.randint(15, 300)
    caps: list[Listed] = []
    truth: list[int | None] = []
    epoch = 0
    for k, t in enumerate(_timestamps(rng, n, first)):
        ts = t.strftime("%Y%m%d%H%M%S")
        import bisect

        _, vid, length = spans[max(0, bisect.bisect_right(starts, t) - 1)]
        r = rng.random()
        if not dynamic and rng.random() < 1 / epoch_every:
            epoch += 1
        if r < 0.04:
            caps.append(Listed(ts, _digest(name, "redirect", rng.randrange(3)), "301", "text/html", 420))
            truth.append(None)
        elif r < 0.06:
            caps.append(Listed(ts, _digest(name, "error", k), rng.choice(("404", "503")), "text/html", 900))
            truth.append(None)
        elif r < 0.085:  # a challenge or soft 404: a 200 that is not the policy
            caps.append(Listed(ts, _digest(name, "soft", k), "200", "text/html", rng.randint(800, 4000)))
            truth.append(None)
        elif r < 0.095:  # a body the extractor cannot read (its length looks like the policy's)
            caps.append(Listed(ts, _digest(name, "broken", k), "200", "text/html", length + rng.randint(-400, 400)))
            truth.append(None)
        elif dynamic:
            caps.append(Listed(ts, _digest(name, vid, k), "200", "text/html", int(length + rng.gauss(0, jitter))))
            truth.append(vid)
        else:
            digest = _digest(name, vid, "epoch", epoch)
            if caps and rng.random() < 0.15 and caps[-1].digest == digest:
                caps.append(Listed(ts, digest, "-", "warc/revisit", 380))
            else:
                caps.append(Listed(ts, digest, "200", "text/html", length + 13 * epoch + rng.randint(-2, 2)))
            truth.append(vid)
    return Site(name, caps, truth, reverted, short)


def make_corpus(total: int, giants: int, seed: int = 14) -> list[Site]:
    """Sites adding up to about ``total`` captures: ``giants`` pages of 20,000, the rest from 20 to 3,000."""
    rng = random.Random(seed)
    sites = [make_site(rng, f"giant{g}", 20_000) for g in range(giants)]
    left = total - 20_000 * giants
    k = 0
    while left > 20:
        n = min(left, int(min(3000, max(20, rng.lognormvariate(math.log(200), 1.0)))))
        sites.append(make_site(rng, f"site{k}", n))
        left -= n
        k += 1
    return sites
