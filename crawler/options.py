"""Validated numbers: finite, within documented bounds, for every numeric option and setting.

``Number`` is the click type of every numeric option of every command (README, "Numeric
options"); ``check_number`` applies the same rules where the value comes from elsewhere (a
``-s NAME=VALUE`` setting, a call from Python). ``nan``, ``inf``, non-ASCII digits and values
outside the bounds are refused with exit code 2 and a message naming the option and the value.
"""

from __future__ import annotations

import math

import click

from crawler import defaults as d
from crawler.errors import UsageError


def check_number(value, *, name: str, low: float, high: float, integer: bool = False) -> int | float:
    """``value`` (a number, or its text) as a finite number in ``[low, high]``; else ``UsageError`` naming it."""

    def refuse() -> UsageError:
        what = "a whole number" if integer else "a number"
        return UsageError(f"{name + ': ' if name else ''}{value!r} is not {what} from {_fmt(low)} to {_fmt(high)}")

    if isinstance(value, str):
        text = value.strip()
        try:
            if not text.isascii():  # int() and float() read Arabic-Indic and full-width digits too
                raise ValueError(text)
            number = int(text) if integer else float(text)
        except ValueError:
            raise refuse() from None
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise refuse()
    elif integer and not isinstance(value, int):
        if not (math.isfinite(value) and value == int(value)):
            raise refuse()
        number = int(value)
    else:
        number = value
    if not math.isfinite(number) or not low <= number <= high:
        raise refuse()
    return number


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class Number(click.ParamType):
    """A finite number (or a whole number) within ``[low, high]``, both included."""

    def __init__(self, low: float, high: float, *, integer: bool = False):
        self.low, self.high, self.integer = low, high, integer
        self.name = "integer" if integer else "number"

    def describe(self) -> str:
        """The bounds as the README and ``--help`` show them: ``1 to 60000``."""
        return f"{_fmt(self.low)} to {_fmt(self.high)}"

    def convert(self, value, param, ctx):
        try:  # click names the option: "Invalid value for '--port': 'x' is not a whole number from 1 to 65535"
            return check_number(value, name="", low=self.low, high=self.high, integer=self.integer)
        except UsageError as exc:
            self.fail(str(exc), param, ctx)

    def __repr__(self) -> str:
        return f"Number({self.describe()})"


# --------------------------------------------------------------------------- the bounds (README, "Numeric options")

# Requests per minute: at least MIN_PER_MINUTE (slower, a stopped crawl takes ever longer to end:
# 1e-9 never did); above the archive's hard limit only for an archive on 127.0.0.1.
CDX_RATE = Number(d.MIN_PER_MINUTE, d.MAX_LOCAL_PER_MINUTE)
MEMENTO_RATE = Number(d.MIN_PER_MINUTE, d.MAX_LOCAL_PER_MINUTE)
SAVE_RATE = Number(d.MIN_PER_MINUTE, d.MAX_LOCAL_SAVES_PER_MINUTE)
CDX_PAGE_SIZE = Number(1, d.IA_CDX_MAX_ROWS, integer=True)
TIME_LIMIT = Number(d.MIN_QUERY_SECONDS, d.MAX_QUERY_SECONDS)
SEARCH_LIMIT = Number(0, d.MAX_SEARCH_RESULTS, integer=True)
PORT = Number(1, 65535, integer=True)
REVIEW_CLAUSES = Number(1, d.MAX_REVIEW_CLAUSES, integer=True)
# More than one worker (docs/scaling.md): processes of reextract (no more than the cores are used),
# targets per child crawl, a target's lease, the window the shared budget counts over (seconds), and
# the captures from which a target's search is shared (worker --brackets; CDX returns ~150,000 a query)
JOBS = Number(1, 64, integer=True)
BATCH = Number(1, 1000, integer=True)
LEASE = Number(1, 86400)
BUDGET_WINDOW = Number(1, 3600, integer=True)
BRACKETS_FROM = Number(1, 10_000_000, integer=True)

# What a remote archive may be asked for, at most (the Wayback Machine's own limits)
REMOTE_MAX = {
    "cdx": d.IA_CDX_PER_MINUTE_LIMIT,
    "mementos": d.IA_MEMENTOS_PER_MINUTE_LIMIT,
    "save": d.SAVE_PER_MINUTE_LIMIT,
}


def check_rate(value, *, name: str, kind: str, is_local: bool, archive: str) -> float:
    """A per-minute rate for ``kind`` (cdx, mementos, save): bounded, and within the archive's limit unless local."""
    rate = SAVE_RATE if kind == "save" else CDX_RATE if kind == "cdx" else MEMENTO_RATE
    number = float(check_number(value, name=name, low=rate.low, high=rate.high))
    limit = REMOTE_MAX[kind]
    if not is_local and number > limit:
        raise UsageError(
            f"{name} must be at most {_fmt(limit)} for {archive}, not {_fmt(number)}: faster than that, the "
            f"Wayback Machine blocks your IP address (higher rates are allowed for an archive on 127.0.0.1)"
        )
    return number
