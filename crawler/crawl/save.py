"""``policytrail save``: ask Save Page Now (through waybackpy) to capture today's policy pages.

A few requests per minute at most, spaced by the clock; a 429 waits for Retry-After once,
a second 429 in a row stops the run (exit 3) so that the IP is not firewalled. An archive that
cannot be connected to stops the run at once (exit 3): every other page would fail the same way.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import requests
from urllib3.exceptions import ConnectTimeoutError
from waybackpy import WaybackMachineSaveAPI
from waybackpy.exceptions import WaybackError

from crawler.archive import Archive
from crawler.crawl.middlewares import retry_after_seconds
from crawler.crawl.targets import load_targets
from crawler.defaults import RETRY_AFTER_DEFAULT, SAVE_PER_MINUTE
from crawler.errors import EXIT_FAILURES, EXIT_OK, ArchiveUnreachable, RateLimited
from crawler.options import check_rate
from crawler.settings import USER_AGENT


@dataclass
class SaveResult:
    exit_code: int
    message: str
    rows: list[dict] = field(default_factory=list)


# (connect, read) seconds: Save Page Now may take minutes to capture a page, but an archive that
# accepts the connection and never answers must not hold the command for ever (waybackpy sets none)
SAVE_TIMEOUT = (15.0, 300.0)


def _request(api: WaybackMachineSaveAPI) -> None:
    """waybackpy's save request, with timeouts: fills the ``api`` fields its parsers read."""
    with requests.Session() as session:
        response = session.get(api.request_url, headers=api.request_headers, timeout=SAVE_TIMEOUT)
    api.response, api.headers, api.status_code, api.response_url = (
        response,
        response.headers,
        response.status_code,
        response.url,
    )


def _save_one(url: str, archive: Archive, user_agent: str) -> str:
    """One Save Page Now request; the new capture's archive URL."""
    api = WaybackMachineSaveAPI(url, user_agent=user_agent, max_tries=1)
    api.request_url = f"{archive.base}/save/{api.url}"  # waybackpy hard-codes web.archive.org
    try:
        _request(api)
    except requests.exceptions.ReadTimeout:
        raise ArchiveUnreachable(
            f"The archive at {archive.base} accepted the connection but did not answer within "
            f"{SAVE_TIMEOUT[1]:.0f} s"
        ) from None
    except requests.exceptions.ConnectionError as exc:
        why = connection_failure(exc)
        if why is None:  # connected, then the answer broke off: this page failed, not the archive
            raise
        raise ArchiveUnreachable(f"The archive at {archive.base} could not be reached ({why})") from None
    if api.status_code == 429:
        wait = retry_after_seconds((api.headers or {}).get("Retry-After"), RETRY_AFTER_DEFAULT)
        raise RateLimited(f"Save Page Now answered 429 for {url}", retry_after=wait)
    if api.status_code == 509:
        raise WaybackError(f"Save Page Now refused {url}: too many active sessions (HTTP 509)")
    location = (api.headers or {}).get("Content-Location", "")
    if re.match(r"^/web/\d{14}/", location):
        return archive.base + location
    saved = api.archive_url_parser()  # Link header or the redirected URL
    if not saved:
        raise WaybackError(f"Save Page Now answered HTTP {api.status_code} without naming a capture")
    # waybackpy reports the capture on web.archive.org; show where it really is
    return saved.replace("https://web.archive.org", archive.base, 1)


def connection_failure(exc: BaseException) -> str | None:
    """Why no connection to the archive could be made (refused, unknown host, connect timeout), or None
    when the error came after connecting. The cause is read from the chain requests and urllib3 raise
    (``ConnectionError`` <- ``MaxRetryError.reason`` <- ``NewConnectionError`` <- the socket error)."""
    seen, chain, failed = set(), [exc], False
    cause = None
    while chain:
        error = chain.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        failed = failed or isinstance(error, ConnectTimeoutError)  # NewConnectionError, NameResolutionError too
        if cause is None and isinstance(error, OSError) and error.strerror:
            cause = error.strerror  # the socket's own words: "Connection refused", "Name or service not known"
        chain += [getattr(error, "reason", None), error.__cause__, error.__context__]
        chain += [arg for arg in getattr(error, "args", ()) if isinstance(arg, BaseException)]
    if not failed:
        return None
    return cause or "connection timed out"


def save_targets(
    *,
    targets: str,
    archive: Archive,
    companies=(),
    per_minute: float = SAVE_PER_MINUTE,
    user_agent: str = USER_AGENT,
    sleep=time.sleep,
    budget=None,
) -> SaveResult:
    """Request one capture per target URL, politely; one row per URL says what happened. ``budget``:
    a ``crawler.scale.limiter.SharedBudget`` that every saving worker takes a token from."""
    per_minute = check_rate(
        per_minute, name="--per-minute", kind="save", is_local=archive.is_local, archive=archive.base
    )
    from crawler.archive import TS_FORMAT

    now = time.strftime(TS_FORMAT, time.gmtime())
    # a row whose validity window has ended names a URL that no longer carries the policy: not saved
    chosen = [t for t in load_targets(targets, companies) if t.valid_to is None or t.valid_to >= now]
    chosen = list({t.url: t for t in chosen}.values())  # one URL on several rows is saved once
    gap = 60.0 / per_minute
    rows: list[dict] = []
    last = None
    for target in chosen:
        for attempt in (1, 2):
            if last is not None:
                sleep(max(0.0, gap - (time.monotonic() - last)))
            if budget is not None:
                budget.wait("save")
            last = time.monotonic()
            try:
                saved = _save_one(target.url, archive, user_agent)
                rows.append({"company": target.company, "url": target.url, "status": "saved", "capture": saved})
                break
            except RateLimited as exc:
                if attempt == 2:
                    rows.append({"company": target.company, "url": target.url, "status": "rate limited", "capture": ""})
                    return SaveResult(
                        exc.exit_code,
                        f"Save Page Now answered 429 twice in a row: stopped after "
                        f"{len(rows) - 1} of {len(chosen)} pages. Try again in an hour.",
                        rows,
                    )
                if budget is not None:
                    budget.pause(exc.retry_after)  # every saving worker waits it out
                sleep(exc.retry_after)
            except ArchiveUnreachable as exc:
                rows.append({"company": target.company, "url": target.url, "status": "unreachable", "capture": ""})
                return SaveResult(
                    exc.exit_code,
                    f"{exc}: stopped, {len(rows) - 1} of {len(chosen)} pages saved. Check the network (or "
                    f"--archive), then run the same command again.",
                    rows,
                )
            except (WaybackError, OSError) as exc:
                rows.append(
                    {
                        "company": target.company,
                        "url": target.url,
                        "status": "failed",
                        "capture": str(exc).splitlines()[0][:200],
                    }
                )
                break
    failed = sum(r["status"] != "saved" for r in rows)
    if failed:
        return SaveResult(EXIT_FAILURES, f"{len(rows) - failed} of {len(rows)} pages saved; {failed} failed.", rows)
    return SaveResult(EXIT_OK, f"{len(rows)} page(s) saved.", rows)
