"""Archive timestamps (14-digit UTC text), ISO times, and the one parser for every --from/--to/--since/--until."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from crawler.errors import UsageError

# The archive's capture time: 14 digits, UTC (``20170327070820``).
TS_FORMAT = "%Y%m%d%H%M%S"
# Times policytrail writes itself (run records, exports): ISO 8601, UTC, seconds.
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_TS_RE = re.compile(r"^\d{4,14}$")


def utcnow() -> str:
    """Now, as policytrail stores it (ISO 8601, UTC)."""
    return datetime.now(UTC).strftime(ISO_FORMAT)


def ts_to_datetime(ts: str) -> datetime:
    """``20170327070820`` -> an aware UTC datetime."""
    return datetime.strptime(ts, TS_FORMAT).replace(tzinfo=UTC)


def ts_to_iso(ts: str) -> str:
    """``20170327070820`` -> ``2017-03-27T07:08:20Z``."""
    return ts_to_datetime(ts).strftime(ISO_FORMAT)


def shift_ts(ts: str, days: float) -> str:
    """A 14-digit timestamp moved by ``days`` (negative: earlier)."""
    return (ts_to_datetime(ts) + timedelta(days=days)).strftime(TS_FORMAT)


def days_between(start_ts: str, end_ts: str) -> float:
    """Days between two 14-digit archive timestamps, to the hundredth."""
    return round((ts_to_datetime(end_ts) - ts_to_datetime(start_ts)).total_seconds() / 86400, 2)


def http_date_to_ts(value: str) -> str | None:
    """``Mon, 27 Mar 2017 07:08:20 GMT`` (Memento-Datetime) -> 14 digits, or None."""
    try:
        dt = datetime.strptime(value.strip(), "%a, %d %b %Y %H:%M:%S GMT")
    except ValueError:
        return None
    return dt.strftime(TS_FORMAT)


def parse_time(value: str, *, upper: bool = False) -> str:
    """Parse a 4-14 digit archive timestamp or an ISO date/time (UTC) into 14 digits.

    ``upper`` pads a partial value to the end of its period (``2019`` -> ``20191231235959``),
    which is what ``--to/--until`` mean.
    """
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}", text):  # ISO year-month
        text = text.replace("-", "")
    if _TS_RE.match(text):
        digits = text
    else:
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"cannot read {value!r} as a time: use 4-14 digits (20190501) "
                f"or an ISO date (2019-05-01, 2019-05-01T12:00:00Z)"
            ) from None
        if dt.tzinfo is not None:
            dt = dt.astimezone(UTC)
        digits = dt.strftime("%Y%m%d") if len(text) == 10 else dt.strftime(TS_FORMAT)  # a bare date pads
    pad = "1231235959" if upper else "0101000000"
    if upper and len(digits) == 6:  # a month: its last day
        nxt = datetime(int(digits[:4]) + (digits[4:6] == "12"), int(digits[4:6]) % 12 + 1, 1)
        digits = datetime.fromordinal(nxt.toordinal() - 1).strftime("%Y%m%d")
    full = digits + pad[len(digits) - 4 :] if len(digits) < 14 else digits
    try:
        datetime.strptime(full, TS_FORMAT)
    except ValueError:
        raise UsageError(f"{value!r} is not a valid time") from None
    return full
