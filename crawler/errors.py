"""One base error and one subclass per stage.

Every expected failure a user can act on is a ``PolicytrailError``; the CLI turns it into a
one-line message and the exit code carried by the class (see README, "Exit codes").
"""

from __future__ import annotations


class PolicytrailError(Exception):
    """Base class: an expected failure with a message a user can act on."""

    exit_code = 1


class TargetsError(PolicytrailError):
    """The targets file is missing or invalid; carries every problem with its line number."""

    exit_code = 2

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class UsageError(PolicytrailError):
    """A bad option value (time, archive URL, rate) that click cannot check by itself."""

    exit_code = 2


class ArchiveError(PolicytrailError):
    """Something about the archive: bad answer, unreachable, rate limited."""

    exit_code = 1


class UnexpectedResponseFormat(ArchiveError):
    """The archive answered something we cannot parse; the message quotes the offending text."""


class ArchiveUnreachable(ArchiveError):
    """The archive could not be reached at all."""

    exit_code = 3


class RateLimited(ArchiveError):
    """The archive kept answering 429: stop now and resume later."""

    exit_code = 3

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class BlockedByArchive(ArchiveError):
    """The archive refuses to serve this URL (excluded or blocked site)."""


class LocalArchiveError(PolicytrailError):
    """The local pywb archive (demo, tests) could not be built or started."""

    exit_code = 1


class StorageError(PolicytrailError):
    """The database cannot be opened or migrated."""

    exit_code = 1
