"""One run at a time per database: an exclusive lock on ``<db>.lock`` (released if the process dies)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from crawler.errors import LockHeld


class DatabaseLock:
    """``flock`` on a file beside the database: the kernel drops it when the holder exits, even on kill -9."""

    def __init__(self, db: str | Path):
        self.path = Path(f"{db}.lock")
        self.fd: int | None = None

    def acquire(self) -> DatabaseLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise LockHeld(
                f"another policytrail run (pid {holder}) is using {str(self.path)[:-5]}; "
                f"it will be free when that run ends: try again later"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return self

    def holds(self, db: str | Path) -> bool:
        """True while this lock is acquired, and for the database ``db``."""
        return self.fd is not None and self.path.resolve() == Path(f"{db}.lock").resolve()

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> DatabaseLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
