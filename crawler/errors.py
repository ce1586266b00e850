"""One base error and one subclass per stage, each carrying its exit code.

Every expected failure a user can act on is a ``PolicytrailError``: stages raise it, and the
CLI turns it into a one-line message and the exit code carried by the class (README, "Exit
codes"). This module imports nothing from the project.
"""

from __future__ import annotations

# Exit codes (README, "Exit codes")
EXIT_OK = 0
EXIT_FAILURES = 1  # finished, but some listings or fetches failed; a later run retries them
EXIT_USAGE = 2  # bad input or usage
EXIT_ARCHIVE = 3  # archive unreachable, or stopped on rate limits: resume later
EXIT_NOTHING_FOUND = 4  # discover: the archive answered, but no privacy policy was found for a domain
EXIT_LOCKED = 75  # another run holds the database (EX_TEMPFAIL)
EXIT_INTERRUPTED = 130  # stopped by SIGINT (Ctrl-C) or SIGTERM, once or twice: progress saved, run again (128 + SIGINT)


class PolicytrailError(Exception):
    """Base class: an expected failure with a message a user can act on."""

    exit_code = EXIT_FAILURES


# --------------------------------------------------------------------------- input and usage


class UsageError(PolicytrailError):
    """A bad option value (time, archive URL, rate) that click cannot check by itself."""

    exit_code = EXIT_USAGE


class TargetsError(UsageError):
    """The targets file is missing or invalid; carries every problem with its line number."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class UnknownCompany(UsageError):
    """``--company`` names a company the database (or targets file) does not have: the known ones are named.

    Every command with ``--company`` (and ``diff COMPANY``) checks through ``UnknownCompany.check``.
    """

    SHOWN = 20

    def __init__(self, unknown: list[str], known: list[str], where: str):
        self.unknown, self.known = unknown, known
        names = ", ".join(repr(c) for c in unknown)
        shown = ", ".join(repr(c) for c in known[: self.SHOWN])
        more = f" and {len(known) - self.SHOWN} more" if len(known) > self.SHOWN else ""
        super().__init__(
            f"no company {names} in {where}; " + (f"known: {shown}{more}" if known else "it has none yet: crawl first")
        )

    @classmethod
    def check(cls, wanted, known, where: str) -> None:
        """Raise unless every name in ``wanted`` is in ``known`` (case-insensitive, as ``--company`` matches)."""
        known = sorted(set(known), key=str.casefold)
        have = {c.casefold() for c in known}
        unknown = [c for c in dict.fromkeys(wanted) if c.casefold() not in have]
        if unknown:
            raise cls(unknown, known, where)


class RulesError(UsageError):
    """The per-target rules file is missing or invalid."""


class QueryError(UsageError):
    """A query the read-only connection refused, or one that ran past its time limit."""


class OutputError(UsageError):
    """An output (report, export, log file) cannot go where it was asked to: the database's own
    files, an existing file or non-empty folder without ``--force``, a place the user cannot write."""


class OutputIncomplete(OutputError):
    """Writing an output failed half-way (disk full, quota, I/O error): what was written is removed."""

    exit_code = EXIT_FAILURES


# --------------------------------------------------------------------------- the archive


class ArchiveError(PolicytrailError):
    """Something about the archive: bad answer, unreachable, rate limited."""


class UnexpectedResponseFormat(ArchiveError):
    """The archive answered something we cannot parse; the message quotes the offending text."""


class ArchiveUnreachable(ArchiveError):
    """The archive could not be reached at all: nothing is lost, run again later."""

    exit_code = EXIT_ARCHIVE


class RateLimited(ArchiveError):
    """The archive kept answering 429: stopped, progress saved; resume after ``retry_after`` seconds."""

    exit_code = EXIT_ARCHIVE

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class CrawlFailures(ArchiveError):
    """The crawl finished, but some listings or fetches failed (a later run retries them)."""


class NothingFound(ArchiveError):
    """``discover`` finished, but found no privacy policy URL for some domain (nothing archived, or no
    link and no URL that says privacy); the rows of the other domains are still given."""

    exit_code = EXIT_NOTHING_FOUND


class LocalArchiveError(PolicytrailError):
    """The local pywb archive (demo, tests) could not be built or started."""


# --------------------------------------------------------------------------- storage


class StorageError(PolicytrailError):
    """The database cannot be opened, read or migrated."""


class NotAPolicytrailDatabase(StorageError):
    """``--db`` names a file that is not policytrail's (another program's SQLite file, or not SQLite)."""

    exit_code = EXIT_USAGE


class DatabaseTooNew(StorageError):
    """The database was written by a newer policytrail (a higher schema version than this code knows)."""

    exit_code = EXIT_USAGE


class DatabaseTooOld(StorageError):
    """A read command met a database of an older schema: one run of a writer (``reextract``) upgrades it."""

    exit_code = EXIT_USAGE


class DatabaseReadOnly(StorageError):
    """The database (or its folder) cannot be written."""

    exit_code = EXIT_USAGE


class DatabaseUnreadable(StorageError):
    """The database cannot be read by this user (permissions), or not safely from where it is."""

    exit_code = EXIT_USAGE


class DatabaseMissing(StorageError):
    """A read command was pointed at a database that does not exist."""

    exit_code = EXIT_USAGE


class DatabaseBusy(StorageError):
    """SQLite's own lock: another process kept the database busy past the timeout."""

    exit_code = EXIT_LOCKED


class LockHeld(StorageError):
    """Another policytrail run holds the database lock."""

    exit_code = EXIT_LOCKED


# --------------------------------------------------------------------------- signals


class Interrupted(PolicytrailError):
    """Stopped by SIGINT (Ctrl-C) or SIGTERM before the work was done: what was stored stays; run again."""

    exit_code = EXIT_INTERRUPTED
