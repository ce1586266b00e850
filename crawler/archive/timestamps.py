"""Archive timestamps (14-digit UTC text), ISO times, and the one parser for every --from/--to/--since/--until."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

from crawler.errors import UsageError

# The archive's capture time: 14 digits, UTC (``20170327070820``).
TS_FORMAT = "%Y%m%d%H%M%S"
# Times policytrail writes itself (run records, exports): ISO 8601, UTC, seconds.
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


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
    """Parse an archive timestamp or an ISO date/time (UTC) into 14 digits, or raise ``UsageError``.

    Archive timestamps have 4, 6, 8, 10, 12 or 14 ASCII digits (down to the year, month, day, hour,
    minute or second). ``upper`` pads a partial value to the end of its period (``2019`` ->
    ``20191231235959``, ``2019-02`` -> ``20190228235959``), which is what ``--to/--until`` mean.
    A time that does not exist (month 13, February 30, hour 24) is refused, never rounded.
    """
    text = value.strip()
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):  # ISO year-month
        text = text.replace("-", "")
    if re.fullmatch(r"[0-9]{4,14}", text):
        if len(text) % 2:
            raise UsageError(
                f"{value!r} is not a valid time: an archive timestamp has 4, 6, 8, 10, 12 or 14 digits "
                f"(year, month, day, hour, minute, second)"
            )
        digits = text
    else:
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if dt.tzinfo is not None:
                dt = dt.astimezone(UTC)
        except (ValueError, OverflowError):
            raise UsageError(
                f"cannot read {value!r} as a time: use an archive timestamp (2019, 201905, 20190501, ...) "
                f"or an ISO date (2019-05-01, 2019-05-01T12:00:00Z)"
            ) from None
        # by hand: strftime does not pad years before 1000 on every platform
        digits = f"{dt.year:04d}{dt.month:02d}{dt.day:02d}"
        if len(text) != 10:  # not a bare date: the time of day too
            digits += f"{dt.hour:02d}{dt.minute:02d}{dt.second:02d}"
    # the start of the period: every part written must exist (no month 13, no February 30)
    start = digits + "0101000000"[len(digits) - 4 :]
    try:
        datetime.strptime(start, TS_FORMAT)
    except ValueError:
        raise UsageError(f"{value!r} is not a valid time: there is no such date or time") from None
    if not upper:
        return start
    if len(digits) == 6:  # a month: its last day
        return digits + f"{calendar.monthrange(int(digits[:4]), int(digits[4:]))[1]:02d}235959"
    return digits + "1231235959"[len(digits) - 4 :]
