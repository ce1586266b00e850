"""Trends across companies: per month, quarter or year, the figures a study of policy histories plots.

For each period: the companies observed (and how many of them were captured in it), the policies
that changed, their changes (substantive or cosmetic, and per topic), the quartiles of policy
length and reading grade, and the share of policies in force that mention each topic.

How a period counts a policy that was not captured in it (COUNTING, printed with every output):
a policy counts in every period from its first capture to its last. In a period without a
capture of its own, the version in force is the one the spans give -- the last version captured
before the period, which is still the one seen after it (a change would have started a new span).
Before its first capture and after its last one nothing is known, and it is not counted.
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from crawler.archive import parse_time
from crawler.diff import load_taxonomy
from crawler.errors import UnknownCompany, UsageError
from crawler.store import Store

BY = ("month", "quarter", "year")

COUNTING = (
    "How periods count: a policy counts in every period from its first capture to its last; in a period "
    "without a capture of its own (companies - captured = carried), its version in force is the one the spans "
    "give (the last one captured before, seen again after). Length, grade and topic shares are those of the "
    "version in force at the end of the period (or at the policy's last capture, if earlier); a change counts in "
    "the period of its window's end (the first capture of the new text), as substantive when at least one of "
    "its clause changes is; changes_<topic> counts changes whose substantive clause changes touch the topic."
)


@dataclass(frozen=True)
class Period:
    label: str  # 2018 | 2018-Q2 | 2018-05
    start: str  # 14-digit archive times, both included
    end: str


def period_label(ts: str, by: str) -> str:
    """The period of an archive time (UTC calendar): ``2018``, ``2018-Q2`` or ``2018-05``."""
    if by == "year":
        return ts[:4]
    if by == "quarter":
        return f"{ts[:4]}-Q{(int(ts[4:6]) - 1) // 3 + 1}"
    return f"{ts[:4]}-{ts[4:6]}"


def periods_between(first_ts: str, last_ts: str, by: str) -> list[Period]:
    """Every period from the one holding ``first_ts`` to the one holding ``last_ts``, empty ones included."""
    step = {"month": 1, "quarter": 3, "year": 12}[by]
    year, month = int(first_ts[:4]), int(first_ts[4:6])
    month = 1 if by == "year" else (month - 1) // step * step + 1
    last = (int(last_ts[:4]), int(last_ts[4:6]))
    out = []
    while (year, month) <= last:
        next_year, next_month = year + (month - 1 + step) // 12, (month - 1 + step) % 12 + 1
        end = date(next_year, next_month, 1) - timedelta(days=1)
        start = f"{year:04d}{month:02d}01000000"
        out.append(Period(period_label(start, by), start, f"{end:%Y%m%d}235959"))
        year, month = next_year, next_month
    return out


def quartiles(values: list[float]) -> tuple[float | None, float | None, float | None]:
    """First quartile, median and third quartile: the quartiles interpolate between the closest ranks
    (``statistics.quantiles(method="inclusive")``, as spreadsheets' QUARTILE.INC), the median is the
    middle value or the mean of the two middle ones (as the SQL of docs/research.md computes it)."""
    if not values:
        return None, None, None
    if len(values) == 1:
        return float(values[0]), float(values[0]), float(values[0])
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, float(statistics.median(values)), q3


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class Policy:
    """One document's timeline, as trends need it."""

    document_id: int
    company: str
    starts: list[str] = field(default_factory=list)  # each span's start, in order
    versions: list[int] = field(default_factory=list)  # each span's version
    last: str = ""  # the last capture of its text
    capture_months: set[str] = field(default_factory=set)  # YYYYMM with a capture of its text


@dataclass
class TrendResult:
    rows: list[dict]
    notes: list[str]


class TrendData:
    """Everything trends read from a database, once; ``rows`` computes the figures for any period length."""

    def __init__(self, store: Store, companies: tuple[str, ...] | list[str] = ()):
        documents = store.documents()
        if companies:
            UnknownCompany.check(companies, [company for _, company, _ in documents], str(store.path))
            wanted = {c.casefold() for c in companies}
            documents = [d for d in documents if d[1].casefold() in wanted]
        ids = [d[0] for d in documents] if companies else None
        self.policies: dict[int, Policy] = {doc_id: Policy(doc_id, company) for doc_id, company, _ in documents}
        for doc_id, version_id, start_ts, end_ts in store.trend_spans(ids):
            policy = self.policies[doc_id]
            policy.starts.append(start_ts)
            policy.versions.append(version_id)
            policy.last = max(policy.last, end_ts)
        for doc_id, month in store.trend_capture_months(ids):
            self.policies[doc_id].capture_months.add(month)
        self.policies = {k: p for k, p in self.policies.items() if p.starts}
        self.changes = store.trend_changes(ids)
        self.change_topics: dict[int, set[str]] = defaultdict(set)
        for change_id, topic in store.trend_change_topics(ids):
            self.change_topics[change_id].add(topic)
        self.figures = {vid: (words, grade) for vid, words, grade in store.trend_version_figures(ids)}
        self.version_topics: dict[int, set[str]] = defaultdict(set)
        for vid, topic in store.trend_version_topics(ids):
            self.version_topics[vid].add(topic)

    @property
    def first_ts(self) -> str | None:
        return min((p.starts[0] for p in self.policies.values()), default=None)

    @property
    def last_ts(self) -> str | None:
        return max((p.last for p in self.policies.values()), default=None)

    def periods(self, by: str, since: str | None = None, until: str | None = None) -> list[Period]:
        """The periods from ``since`` (else the first capture) to ``until`` (else the last)."""
        first, last = since or self.first_ts, until or self.last_ts
        if first is None or last is None or first > last:
            return []
        return periods_between(first, last, by)

    def rows(
        self, by: str = "year", topics: list[str] | None = None, since: str | None = None, until: str | None = None
    ) -> list[dict]:
        """One row per period (see COUNTING for what each figure counts)."""
        topics = list(topics) if topics is not None else [t.id for t in load_taxonomy().topics]
        periods = self.periods(by, since, until)
        if not periods:
            return []
        index = {p.label: i for i, p in enumerate(periods)}
        n = len(periods)
        companies = [set() for _ in range(n)]
        captured = [set() for _ in range(n)]
        policies = [0] * n
        words: list[list[float]] = [[] for _ in range(n)]
        grades: list[list[float]] = [[] for _ in range(n)]
        mentions = [dict.fromkeys(topics, 0) for _ in range(n)]
        wanted = set(topics)
        for policy in self.policies.values():
            lo, hi = max(policy.starts[0], periods[0].start), min(policy.last, periods[-1].end)
            if lo > hi:
                continue  # observed only outside the periods asked for
            captured_in = {period_label(m + "01000000", by) for m in policy.capture_months}
            for i in range(index[period_label(lo, by)], index[period_label(hi, by)] + 1):
                period = periods[i]
                vid = policy.versions[bisect_right(policy.starts, min(period.end, policy.last)) - 1]
                companies[i].add(policy.company)
                if period.label in captured_in:
                    captured[i].add(policy.company)
                policies[i] += 1
                count, grade = self.figures.get(vid, (None, None))
                if count is not None:
                    words[i].append(count)
                if grade is not None:
                    grades[i].append(grade)
                for topic in self.version_topics.get(vid, ()):
                    if topic in wanted:
                        mentions[i][topic] += 1
        changed = [set() for _ in range(n)]
        changes, substantive = [0] * n, [0] * n
        touched = [dict.fromkeys(topics, 0) for _ in range(n)]
        for change_id, doc_id, window_end, n_substantive in self.changes:
            i = index.get(period_label(window_end, by))
            if i is None or doc_id not in self.policies:
                continue
            changes[i] += 1
            changed[i].add(doc_id)
            substantive[i] += bool(n_substantive)
            for topic in self.change_topics.get(change_id, ()):
                if topic in wanted:
                    touched[i][topic] += 1
        rows = []
        for i, period in enumerate(periods):
            w1, w2, w3 = quartiles(words[i])
            g1, g2, g3 = quartiles(grades[i])
            row = {
                "period": period.label,
                "companies": len(companies[i]),
                "captured": len(captured[i]),
                "carried": len(companies[i]) - len(captured[i]),
                "policies": policies[i],
                "changed": len(changed[i]),
                "changes": changes[i],
                "substantive": substantive[i],
                "cosmetic": changes[i] - substantive[i],
                "words_q1": _round(w1, 1),
                "words_median": _round(w2, 1),
                "words_q3": _round(w3, 1),
                "grade_q1": _round(g1, 2),
                "grade_median": _round(g2, 2),
                "grade_q3": _round(g3, 2),
            }
            row.update({f"changes_{t}": touched[i][t] for t in topics})
            row.update({f"share_{t}": round(mentions[i][t] / policies[i], 3) if policies[i] else None for t in topics})
            rows.append(row)
        return rows

    def versions_without_figures(self) -> int:
        """Versions on a timeline whose length and grade derive has not computed yet (an older database)."""
        in_force = {vid for p in self.policies.values() for vid in p.versions}
        return sum(1 for vid in in_force if self.figures.get(vid, (None, None))[0] is None)


def check_topics(topics: tuple[str, ...] | list[str]) -> list[str] | None:
    """The topics asked for (None: all), each checked against the taxonomy (exit 2 naming the known ones)."""
    if not topics:
        return None
    known = [t.id for t in load_taxonomy().topics]
    unknown = [t for t in dict.fromkeys(topics) if t not in known]
    if unknown:
        raise UsageError(f"no topic {', '.join(map(repr, unknown))} in the taxonomy; topics: {', '.join(known)}")
    return list(dict.fromkeys(topics))


def trends(
    store: Store,
    by: str = "year",
    topics: tuple[str, ...] = (),
    companies: tuple[str, ...] = (),
    since: str | None = None,
    until: str | None = None,
) -> TrendResult:
    """``policytrail trends``: the rows, and the notes that say how to read them."""
    if by not in BY:
        raise UsageError(f"--by must be one of {', '.join(BY)}, not {by!r}")
    wanted = check_topics(topics)
    since_ts = parse_time(since) if since else None
    until_ts = parse_time(until, upper=True) if until else None
    if since_ts and until_ts and since_ts > until_ts:
        raise UsageError(f"--since {since} ({since_ts}) is later than --until {until} ({until_ts})")
    data = TrendData(store, companies)
    notes = [COUNTING]
    missing = data.versions_without_figures()
    if missing:
        notes.append(
            f"{missing} version(s) have no length or grade yet (derived by an earlier policytrail) and are left out "
            f"of the quartiles: `policytrail reextract` computes them from the stored texts."
        )
    if not data.policies:
        notes.append("No policy versions yet: crawl first.")
    return TrendResult(data.rows(by, wanted, since_ts, until_ts), notes)
