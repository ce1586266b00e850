"""From a domain to the URLs of its privacy policy over the years, as a conversation with the archive.

``discover_domain`` is a generator: it yields each request it needs (``Ask``: a CDX query or an ``id_``
memento) and receives the archive's answer (``Answer``, or None when the request failed), so the same
logic runs under Scrapy (crawler/crawl/discovering.py: rate limits, 429s, the archive guard) and in a test or a
benchmark with any other fetcher. It makes no request itself and touches no database.

Evidence, in this order:

1. the archive's index: one CDX query over the domain and its subdomains (``matchType=domain``),
   filtered to URLs whose path or name says privacy or cookies in one of many languages
   (``words.index_pattern``), with every capture's status and time;
2. the homepage's captures (one CDX query), one sampled per period (year by default), each fetched and
   its footer and header links read by their text (``links``), following archived redirects inside the
   archive; the linked URL is looked up in the index (a CDX query for a URL the first query did not
   list) and its archived redirects followed to the page that answered 200.

``assemble`` turns the evidence into rows: consecutive periods that link the same page make one row,
a different page a new row (a move), each with the window in which that URL carried the policy
(its own captures, cut where the next one takes over). Time no homepage link covers is filled from
the index alone, by the URLs whose path says privacy.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from crawler.archive import Archive, CdxRecord, http_date_to_ts, ts_to_datetime, ts_to_iso
from crawler.archive.cdx import CDX_FIELDS
from crawler.defaults import CDX_PAGE_SIZE, IA_CDX_MAX_ROWS, MAX_REDIRECT_HOPS
from crawler.discover.links import Link, best_link, clean_url, page_links
from crawler.discover.words import COOKIES, PRIVACY, index_pattern, read_url
from crawler.errors import UnexpectedResponseFormat, UsageError
from crawler.extract.page import extract

PERIODS = {"year": 4, "month": 6}
DOCUMENT_TYPES = ("text/html", "application/xhtml+xml", "application/pdf", "text/plain", "unk", "warc/revisit")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


# --------------------------------------------------------------------------- requests and answers


@dataclass(frozen=True)
class Ask:
    """One request to the archive: ``kind`` is ``cdx`` or ``memento`` (they have separate rate limits)."""

    kind: str
    url: str


@dataclass(frozen=True)
class Answer:
    """The archive's answer to an ``Ask``: status, headers (lower-case names) and body."""

    status: int
    headers: dict
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class ListingFailed(Exception):
    """A CDX query of the discovery got no usable answer: the domain cannot be discovered now."""


# --------------------------------------------------------------------------- domains


def check_domain(text: str) -> str:
    """A domain name as typed (``example.com``, ``www.example.com``, ``https://example.com/``), lower case,
    without ``www.``; anything else is a ``UsageError`` (exit 2) before any request."""
    raw = text.strip()
    candidate = raw
    if "://" in candidate:
        parts = urlsplit(candidate)
        if parts.scheme not in ("http", "https") or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise UsageError(f"{raw!r} is not a domain name: give the site's domain, such as example.com")
        candidate = parts.hostname or ""
    host = candidate.rstrip(".").lower()
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise UsageError(f"{raw!r} is not a domain name: give the site's domain, such as example.com") from None
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise UsageError(f"{raw!r} is not a domain name: give the site's domain, such as example.com")
    return host[4:] if host.startswith("www.") and len(labels) > 2 else host


def url_key(url: str) -> tuple[str, str, str]:
    """Which page a URL names for the archive: scheme, ``www.``, case of the host and a trailing slash
    make no difference (the archive's index folds them the same way)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    return host, parts.path.rstrip("/") or "/", parts.query


# --------------------------------------------------------------------------- CDX queries


def _cdx(archive: Archive, params: list[tuple[str, str]]) -> str:
    if archive.dialect == "ia":
        return f"{archive.base}/cdx/search/cdx?{urlencode(params)}"
    return f"{archive.base}/{archive.collection}/cdx?{urlencode(params)}"


def index_query(archive: Archive, domain: str, since: str | None, resume_key: str | None = None) -> str:
    """Every capture, over the domain and its subdomains, of URLs whose path or name may say privacy or cookies.

    IA: ``matchType=domain``, a regular-expression ``filter`` on ``original`` (matched against the whole
    field), ``fl`` and resume keys. pywb: the same match type; its filters are substrings unless marked
    ``~`` (a regular expression), it has no ``fl`` (NDJSON with every field) and no resume key."""
    params = [("url", domain), ("matchType", "domain"), ("output", "json")]
    if archive.dialect == "ia":
        params += [
            ("fl", ",".join(CDX_FIELDS)),
            ("filter", f"original:{index_pattern()}"),
            ("limit", str(CDX_PAGE_SIZE)),
            ("showResumeKey", "true"),
        ]
        if resume_key:
            params.append(("resumeKey", resume_key))
    else:
        params += [("filter", f"~original:{index_pattern()}"), ("limit", str(IA_CDX_MAX_ROWS))]
    if since:
        params.append(("from", since))
    return _cdx(archive, params)


def homepage_query(archive: Archive, domain: str, since: str | None, resume_key: str | None = None) -> str:
    """The captures of the domain's homepage (``www.`` and scheme folded by the index). IA collapses them
    to the first capture of each month (``collapse=timestamp:6``); pywb cannot collapse, so all come."""
    params = [("url", f"{domain}/"), ("output", "json")]
    if archive.dialect == "ia":
        params += [
            ("fl", ",".join(CDX_FIELDS)),
            ("collapse", "timestamp:6"),
            ("filter", "!statuscode:[45].."),
            ("limit", str(CDX_PAGE_SIZE)),
            ("showResumeKey", "true"),
        ]
        if resume_key:
            params.append(("resumeKey", resume_key))
    else:
        params += [("limit", str(IA_CDX_MAX_ROWS))]
    if since:
        params.append(("from", since))
    return _cdx(archive, params)


def url_query(archive: Archive, url: str, since: str | None, resume_key: str | None = None) -> str:
    """Every capture of one URL (the crawl's own listing query)."""
    limit = CDX_PAGE_SIZE if archive.dialect == "ia" else IA_CDX_MAX_ROWS
    return archive.cdx_url(url, resume_key=resume_key, from_ts=since, limit=limit)


# --------------------------------------------------------------------------- evidence


@dataclass
class Sample:
    """One period's homepage capture and what its links say."""

    period: str
    timestamp: str  # the homepage capture read (after redirects)
    homepage: str
    link: Link | None = None
    cookie_link: Link | None = None
    policy_url: str | None = None  # where the link leads, after archived redirects
    policy_ts: str | None = None  # the capture of that page nearest the homepage's
    chain: tuple[str, ...] = ()  # the URLs redirected through
    note: str = ""


@dataclass
class Row:
    """One targets row: a URL that carried the privacy policy, and when."""

    company: str
    url: str
    valid_from: str | None
    valid_to: str | None
    evidence: str
    source: str  # "homepage+index" | "index"
    document: str = "privacy policy"
    periods: list[str] = field(default_factory=list)
    link_texts: list[str] = field(default_factory=list)
    redirected_from: list[str] = field(default_factory=list)
    captures: int = 0
    first_capture: str | None = None
    last_capture: str | None = None

    def target(self) -> dict:
        """The row as the targets file has it."""
        return {
            "company": self.company,
            "url": self.url,
            "document": self.document,
            "valid_from": self.valid_from or "",
            "valid_to": self.valid_to or "",
        }


@dataclass
class DomainResult:
    """What discovery found for one domain, and what it cost."""

    domain: str
    company: str
    rows: list[Row] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    requests: Counter = field(default_factory=Counter)
    problem: str | None = None  # why no row (nothing archived, nothing found, the archive failed)
    failed: bool = False  # the archive did not answer: try again later


def _ok(record: CdxRecord) -> bool:
    """A capture of a document that answered 200 (a revisit repeats one)."""
    mime = record.mimetype.lower()
    if mime == "warc/revisit":
        return record.statuscode in ("200", "-", "")
    return record.statuscode == "200" and mime.split(";")[0].strip() in DOCUMENT_TYPES


def _redirect(record: CdxRecord) -> bool:
    return record.statuscode.startswith("3")


def _distance(ts: str, other: str) -> float:
    """Seconds between two 14-digit archive timestamps."""
    return abs((ts_to_datetime(ts) - ts_to_datetime(other)).total_seconds())


def period_of(ts: str, by: str) -> str:
    if by == "quarter":
        return f"{ts[:4]}-Q{(int(ts[4:6]) - 1) // 3 + 1}"
    return ts[: PERIODS[by]]


# --------------------------------------------------------------------------- the conversation


class _Discovery:
    def __init__(self, archive: Archive, domain: str, company: str, since: str | None, by: str, max_hops: int):
        self.archive, self.domain, self.since, self.by, self.max_hops = archive, domain, since, by, max_hops
        self.result = DomainResult(domain, company)
        self.captures: dict[tuple, list[CdxRecord]] = {}  # url key -> captures, sorted by time
        self.listed: set[tuple] = set()  # url keys whose whole listing is known
        self.mementos: dict[tuple[str, str], Answer | None] = {}
        self.confirmed: set[tuple] = set()  # url keys the index alone chose, read and found a policy
        self.rejected: dict[tuple, str] = {}  # url keys the index alone chose, read and found not a policy: why

    # -- requests ----------------------------------------------------------------------
    def ask(self, kind: str, url: str) -> Generator[Ask, Answer | None, Answer | None]:
        self.result.requests[kind] += 1
        return (yield Ask(kind, url))

    def listing(self, make_url) -> Generator[Ask, Answer | None, list[CdxRecord]]:
        records: list[CdxRecord] = []
        resume = None
        for _ in range(IA_CDX_MAX_ROWS // CDX_PAGE_SIZE):
            url = make_url(resume)
            answer = yield from self.ask("cdx", url)
            if answer is None:
                raise ListingFailed(f"the archive did not answer {url}")
            if answer.status != 200:
                blocked = answer.status == 403 and b"Blocked" in answer.body[:300]
                why = "the archive blocks this site" if blocked else f"CDX answered HTTP {answer.status}"
                if answer.status == 404 and self.archive.dialect == "pywb":
                    return records  # pywb: nothing indexed under this URL
                raise ListingFailed(why)
            try:
                page = self.archive.parse_cdx(answer.body, url)
            except UnexpectedResponseFormat as exc:
                raise ListingFailed(str(exc)) from None
            records += [r for r in page.records if not self.since or r.timestamp >= self.since]
            if not page.resume_key:
                break
            resume = page.resume_key
        return records

    def remember(self, records: list[CdxRecord]) -> None:
        for record in records:
            key = url_key(record.url)
            self.captures.setdefault(key, []).append(record)
        for key in self.captures:
            self.captures[key].sort(key=lambda r: (r.timestamp, r.url))

    def spelling(self, key: tuple, default: str = "") -> str:
        """A page's URL as its latest capture that answered 200 spells it (the archive folds scheme, ``www.``
        and a trailing slash into one key: ``http://x/privacy`` and ``https://x/privacy/`` are one page)."""
        records = self.captures.get(key, [])
        oks = [r for r in records if _ok(r)]
        return (oks or records)[-1].url if records else default

    def captures_of(self, url: str) -> Generator[Ask, Answer | None, list[CdxRecord]]:
        key = url_key(url)
        if key not in self.listed:
            self.listed.add(key)
            if key not in self.captures:  # the index query listed it already, whole, when its path says privacy
                records = yield from self.listing(lambda resume: url_query(self.archive, url, self.since, resume))
                self.remember(records)
        return self.captures.get(key, [])

    def memento(self, ts: str, url: str) -> Generator[Ask, Answer | None, Answer | None]:
        """The raw capture of ``url`` at ``ts``, the archive's own redirects to the exact capture followed."""
        if (ts, url) in self.mementos:
            return self.mementos[ts, url]
        target = self.archive.memento_url(ts, url)
        answer = None
        for _ in range(3):
            answer = yield from self.ask("memento", target)
            if answer is None or not (300 <= answer.status < 400) or answer.header("memento-datetime"):
                break
            location = answer.header("location") or ""
            inside = self.archive.parse_memento_url(location) if location else None
            if not inside:  # the archive's redirect must stay inside it
                break
            target = self.archive.memento_url(inside[0], inside[1])
        self.mementos[ts, url] = answer
        return answer

    def follow(self, ts: str, url: str) -> Generator[Ask, Answer | None, tuple[str, str, Answer | None, tuple]]:
        """Fetch ``url`` at ``ts``, following archived redirects inside the archive: (ts, url, answer, chain)."""
        chain: list[str] = []
        seen = set()
        for _ in range(self.max_hops + 1):
            answer = yield from self.memento(ts, url)
            if answer is None or not (300 <= answer.status < 400) or not answer.header("location"):
                return ts, url, answer, tuple(chain)
            try:
                next_ts, next_url = self.archive.resolve_redirect(answer.header("location"), answer.url, ts)
            except UnexpectedResponseFormat:
                return ts, url, None, tuple(chain)
            if (next_ts, next_url) in seen:
                return ts, url, None, tuple(chain)
            seen.add((next_ts, next_url))
            chain.append(url)
            ts, url = next_ts, clean_url(next_url)
        return ts, url, None, tuple(chain)

    def resolve(self, url: str, when: str) -> Generator[Ask, Answer | None, tuple[str | None, str | None, tuple]]:
        """Where a link to ``url`` led at ``when``: the page that answered 200 and its capture time, through
        the URL's archived redirects (looked up in the index, fetched only when a redirect must be read)."""
        chain: list[str] = []
        for _ in range(self.max_hops + 1):
            records = yield from self.captures_of(url)
            usable = [r for r in records if _ok(r) or _redirect(r)]
            if not usable:
                return None, None, tuple(chain)
            nearest = min(usable, key=lambda r: (_distance(r.timestamp, when), r.timestamp))
            if _ok(nearest):
                return self.spelling(url_key(url), url), nearest.timestamp, tuple(chain)
            answer = yield from self.memento(nearest.timestamp, nearest.url)
            if answer is not None and answer.status == 200:  # an archive that skips self-redirects (pywb) served
                served = http_date_to_ts(answer.header("memento-datetime") or "")  # the page's own capture
                return self.spelling(url_key(url), url), served or nearest.timestamp, tuple(chain)
            location = answer.header("location") if answer is not None else None
            if not location:
                return None, None, tuple(chain)
            try:
                _, next_url = self.archive.resolve_redirect(location, answer.url, nearest.timestamp)
            except UnexpectedResponseFormat:
                return None, None, tuple(chain)
            next_url = clean_url(next_url)
            if url_key(next_url) == url_key(url):  # /privacy -> /privacy/, http -> https: the same page
                oks = [r for r in records if _ok(r)]
                if not oks:
                    return None, None, tuple(chain)
                best = min(oks, key=lambda r: (_distance(r.timestamp, when), r.timestamp))
                return self.spelling(url_key(url), url), best.timestamp, tuple(chain)
            if next_url in chain:
                return None, None, tuple(chain)
            chain.append(self.spelling(url_key(url), url))
            url = next_url
        return None, None, tuple(chain)

    # -- the steps ---------------------------------------------------------------------
    def run(self) -> Generator[Ask, Answer | None, DomainResult]:
        result = self.result
        try:
            indexed = yield from self.listing(lambda resume: index_query(self.archive, self.domain, self.since, resume))
            self.remember(indexed)
            self.listed.update(self.captures)
            homepages = yield from self.listing(
                lambda resume: homepage_query(self.archive, self.domain, self.since, resume)
            )
            for sample in self.sample(homepages):
                yield from self.read_homepage(sample)
                result.samples.append(sample)
        except ListingFailed as exc:
            result.failed, result.problem = True, f"{self.domain}: {exc}; run again later"
            return result
        result.rows = yield from self.confirmed_rows()
        if not result.rows:
            if not homepages and not indexed:
                result.problem = f"{self.domain}: the archive holds no capture of this site" + (
                    f" since {ts_to_iso(self.since)[:10]}" if self.since else ""
                )
            else:
                read = len(result.samples)
                refused = "".join(f"; {self.spelling(k)} is not a policy ({why})" for k, why in self.rejected.items())
                result.problem = (
                    f"{self.domain}: no privacy policy found ({read} homepage capture(s) read, "
                    f"{len(indexed)} capture(s) of URLs whose path may say privacy or cookies{refused})"
                )
        return result

    def confirmed_rows(self) -> Generator[Ask, Answer | None, list[Row]]:
        """The rows, each one the index alone chose read first: a URL whose path says privacy but whose page
        is not a policy (a privacy FAQ, a hub, a settings page) is dropped and the next candidate tried.
        Rows that a homepage link chose are not fetched: the link's text said what the page is."""
        while True:
            rows = assemble(self)
            unread = [r for r in rows if r.source == "index" and url_key(r.url) not in self.confirmed]
            if not unread:
                return rows
            for row in unread:
                answer = yield from self.memento(row.last_capture, row.url)
                body_ok = answer is not None and answer.status == 200
                verdict = extract(answer.body, answer.header("content-type")) if body_ok else None
                unread_pdf = verdict is not None and verdict.reason.startswith("PDF without a text layer")
                if verdict is None or verdict.is_policy or unread_pdf:  # unreadable: kept, on the index's word
                    self.confirmed.add(url_key(row.url))
                else:
                    self.rejected[url_key(row.url)] = verdict.reason

    def sample(self, homepages: list[CdxRecord]) -> list[Sample]:
        """One homepage capture per period: its first that answered 200, else its first redirect."""
        chosen: dict[str, CdxRecord] = {}
        for record in sorted(homepages, key=lambda r: r.timestamp):
            if not (_ok(record) or _redirect(record)):
                continue
            period = period_of(record.timestamp, self.by)
            held = chosen.get(period)
            if held is None or (_redirect(held) and _ok(record)):
                chosen[period] = record
        return [Sample(p, r.timestamp, r.url) for p, r in sorted(chosen.items())]

    def read_homepage(self, sample: Sample) -> Generator[Ask, Answer | None, None]:
        ts, url, answer, _ = yield from self.follow(sample.timestamp, sample.homepage)
        if answer is None or answer.status != 200:
            sample.note = "homepage capture could not be read"
            return
        sample.timestamp, sample.homepage = ts, url
        links = page_links(answer.body, answer.header("content-type"), url)
        sample.link = best_link(links)
        sample.cookie_link = best_link(links, COOKIES)
        if sample.link is None:
            sample.note = "no link to a privacy policy"
            return
        sample.policy_url, sample.policy_ts, sample.chain = yield from self.resolve(sample.link.url, ts)
        if sample.policy_url is None:
            sample.note = f"the linked page {sample.link.url} is not archived as a page"


def discover_domain(
    archive: Archive,
    domain: str,
    *,
    company: str | None = None,
    since: str | None = None,
    by: str = "year",
    max_hops: int = MAX_REDIRECT_HOPS,
) -> Generator[Ask, Answer | None, DomainResult]:
    """Discover the privacy policy URLs of ``domain`` (checked with ``check_domain``): yields requests,
    receives answers (None for a failed request), returns the ``DomainResult``."""
    if by not in (*PERIODS, "quarter"):
        raise UsageError(f"--by must be year, quarter or month, not {by!r}")
    domain = check_domain(domain)
    return (yield from _Discovery(archive, domain, company or domain, since, by, max_hops).run())


# --------------------------------------------------------------------------- rows


def _day(ts: str | None) -> str:
    return ts_to_iso(ts)[:10] if ts else "now"


def assemble(d: _Discovery) -> list[Row]:
    """The evidence as rows with validity windows (see the module's docstring)."""
    company = d.result.company
    ok = {key: [r.timestamp for r in recs if _ok(r)] for key, recs in d.captures.items()}

    # runs of consecutive periods whose homepage links the same page
    runs: list[list[Sample]] = []
    for sample in d.result.samples:
        if sample.policy_url is None:
            continue
        if runs and url_key(runs[-1][-1].policy_url) == url_key(sample.policy_url):
            runs[-1].append(sample)
        else:
            runs.append([sample])
    rows: list[Row] = []
    starts: list[str] = []
    for i, run in enumerate(runs):
        key = url_key(run[0].policy_url)
        times = ok.get(key, [])
        if i == 0:
            start = times[0] if times else run[0].policy_ts
        else:
            after = [t for t in times if t > runs[i - 1][-1].timestamp]
            start = min(after[0], run[0].policy_ts) if after else run[0].policy_ts
        starts.append(start)
    for i, run in enumerate(runs):
        key = url_key(run[0].policy_url)
        times = ok.get(key, [])
        start = starts[i]
        # the URL stops carrying the policy where the next one takes over, or where it first answers a
        # redirect or an error after the homepage last linked it: a 200 after that is another page
        # (the URL reused for something else), unless a later period links it again (a run of its own)
        broken = _first_break(d.captures.get(key, []), max(run[-1].policy_ts, run[-1].timestamp))
        bounds = [x for x in (starts[i + 1] if i + 1 < len(runs) else None, broken) if x]
        limit = min(bounds) if bounds else None
        if limit is None:
            end = None
        else:
            before = [t for t in times if start <= t < limit]
            end = before[-1] if before else max(start, run[-1].policy_ts)
        inside = [t for t in times if t >= start and (end is None or t <= end)]
        texts = list(dict.fromkeys(s.link.text for s in run if s.link and s.link.text))
        regions = sorted({s.link.region for s in run if s.link})
        chain = list(dict.fromkeys(u for s in run for u in s.chain))
        periods = [s.period for s in run]
        cookies = list(dict.fromkeys(s.cookie_link.url for s in run if s.cookie_link))
        evidence = (
            f"homepage links it in {periods[0]}" + (f"-{periods[-1]}" if len(periods) > 1 else "")
            + f" ({len(periods)} period(s); " + ", ".join(f"'{t[:40]}'" for t in texts[:3])
            + f" in the {'/'.join(regions)})"
            + (f"; reached through archived redirect(s) from {', '.join(chain)}" if chain else "")
            + f"; index: {len(inside)} capture(s) {_day(inside[0] if inside else None)} to "
            + f"{_day(inside[-1] if inside else None)}"
            + (f"; a cookie policy linked beside it ({cookies[-1]}) is not a row" if cookies else "")
        )  # fmt: skip
        rows.append(
            Row(
                company=company,
                url=d.spelling(key, run[0].policy_url),
                valid_from=start,
                valid_to=end,
                evidence=evidence,
                source="homepage+index",
                periods=periods,
                link_texts=texts,
                redirected_from=chain,
                captures=len(inside),
                first_capture=inside[0] if inside else None,
                last_capture=inside[-1] if inside else None,
            )
        )
    # the homepage stopped linking the last row's page: its window stays open only while no page the
    # index knows takes over after its last capture
    tail = rows[-1] if rows and rows[-1].valid_to is None and rows[-1].last_capture else None
    unlinked = tail is not None and any(
        s.policy_url is None and s.timestamp > runs[-1][-1].timestamp for s in d.result.samples
    )
    added = _fill_from_index(d, rows, ok, open_until=tail.last_capture if unlinked else None)
    if unlinked and any(r.valid_from > tail.last_capture for r in added):
        tail.valid_to = tail.last_capture
        tail.evidence += "; the homepage stopped linking it and another page took over"
    rows += added
    rows.sort(key=lambda r: (r.valid_from or "", r.url))
    return rows


def _first_break(records: list[CdxRecord], after: str) -> str | None:
    """The first capture after ``after`` that answered a redirect or an error: where a URL stopped being a page."""
    for r in records:
        if r.timestamp > after and (_redirect(r) or r.statuscode[:1] in ("4", "5")):
            return r.timestamp
    return None


def _fill_from_index(d: _Discovery, rows: list[Row], ok: dict, open_until: str | None = None) -> list[Row]:
    """Rows for the time no homepage link covers, from URLs whose path says privacy (best first).
    ``open_until``: the last row's window is open, but no link vouches for it after this time."""
    covered = [(r.valid_from or "0", r.valid_to or open_until or "99999999999999") for r in rows]
    linked = {url_key(r.url) for r in rows}
    candidates = []
    for key in d.captures:
        if key in linked or key in d.rejected or not ok.get(key):
            continue
        reading = read_url(d.spelling(key))
        if reading.kind != PRIVACY:
            continue
        candidates.append((-reading.strength, -len(ok[key]), len(key[1]), key))
    added: list[Row] = []
    for _, _, _, key in sorted(candidates):
        free = [t for t in ok[key] if not any(a <= t <= b for a, b in covered)]
        if len(free) < 1:
            continue
        # the longest stretch of its captures that no row covers and no redirect or error interrupts
        stretches: list[list[str]] = [[]]
        for r in d.captures[key]:
            if _ok(r) and not any(a <= r.timestamp <= b for a, b in covered):
                stretches[-1].append(r.timestamp)
            elif stretches[-1] and (not _ok(r) or any(a <= r.timestamp <= b for a, b in covered)):
                stretches.append([])
        stretch = max((s for s in stretches if s), key=len)
        start, end = stretch[0], stretch[-1]
        still = _first_break(d.captures[key], end) is None and not any(a > end for a, _ in covered)
        added.append(
            Row(
                company=d.result.company,
                url=d.spelling(key),
                valid_from=start,
                valid_to=None if still else end,
                evidence=f"index only: its path says privacy; {len(stretch)} capture(s) {_day(start)} to {_day(end)}"
                + (" (no homepage capture links a privacy policy then)" if d.result.samples else ""),
                source="index",
                captures=len(stretch),
                first_capture=start,
                last_capture=end,
            )
        )
        covered.append((start, "99999999999999" if still else end))
    return added


# --------------------------------------------------------------------------- cost


@dataclass(frozen=True)
class Estimate:
    """What a discovery run will ask at most, and how long that takes at the rate limits."""

    domains: int
    cdx: int
    mementos: int
    minutes: float

    def describe(self) -> str:
        return (
            f"{self.domains} domain(s): at most about {self.cdx} CDX requests and {self.mementos} mementos, "
            f"about {self.minutes:.0f} minute(s) at the rate limits"
        )


def estimate(domains: int, *, since: str | None, by: str, now: str, cdx_per_minute: float, mementos_per_minute: float):
    """An upper estimate before any request: per domain 2 CDX queries (index, homepage) and, per period with a
    homepage capture, one homepage fetch, one redirect and one lookup of a linked URL that the index did not list."""
    first_year = int(since[:4]) if since else 1996
    years = max(1, int(now[:4]) - first_year + 1)
    periods = years * {"year": 1, "quarter": 4, "month": 12}[by]
    cdx = domains * (2 + min(periods, 6))  # a site's policy lives at a handful of URLs
    mementos = domains * (periods * 2)
    minutes = max(cdx / cdx_per_minute, mementos / mementos_per_minute)
    return Estimate(domains, cdx, mementos, minutes)
