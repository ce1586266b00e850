"""One run at a time per database file, whatever name it is reached by.

Two locks, both dropped by the kernel when the holder exits, even on kill -9:

- ``flock`` on ``<real path of the database>.lock``. The path is resolved first
  (``os.path.realpath``), so every symlink to the database, and every relative or ``..`` spelling
  of its path, leads to the same lock file. It also covers a database that does not exist yet
  (the first crawl creates it).
- When the database file exists: an open-file-description lock (``F_OFD_SETLK``, Linux) on one
  byte far past anything SQLite locks (SQLite uses bytes from 1 GiB on), on the database file
  itself. A hard link is another name for the same inode that no path resolution can find; this
  lock is held by the inode, so a run through a hard link is refused too.

Not covered: a hard link made to a database while the run that *created* it is still running
(that run found no file to lock), systems without OFD locks (only symlinks and other spellings of
the path are then covered), and a copy of the database (a different file: a different database).
Whatever the names, SQLite's own locks still keep two writers from corrupting the file; this
lock keeps them from running at the same time.

Release the lock after closing the store: closing any descriptor of a file drops the POSIX locks
that SQLite holds on it in the same process.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import sys
from pathlib import Path

from crawler.errors import DatabaseReadOnly, LockHeld
from crawler.store.files import lock_path

# the byte locked in the database file: far past SQLite's lock bytes (0x40000000 + 512)
_INODE_LOCK_OFFSET = 1 << 62
# struct flock on 64-bit Linux: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid
_FLOCK = "hhqqi4x"
_OFD = sys.platform.startswith("linux") and hasattr(fcntl, "F_OFD_SETLK") and struct.calcsize("P") == 8


class DatabaseLock:
    """``flock`` on a file beside the database, and a lock on the database file itself."""

    def __init__(self, db: str | Path):
        self.db = Path(db)
        self.path = lock_path(db)
        self.fd: int | None = None
        self.inode_fd: int | None = None

    def acquire(self) -> DatabaseLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DatabaseReadOnly(
                f"cannot open the lock file {self.path}: {exc.strerror} (a writer needs to create it beside the "
                f"database; check the folder's permissions, or pass another --db)"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise LockHeld(
                f"another policytrail run (pid {holder}) is using {self.db}; "
                f"it will be free when that run ends: try again later"
            ) from None
        try:
            self.inode_fd = self._lock_inode()
        except LockHeld:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return self

    def _lock_inode(self) -> int | None:
        """Lock the database file itself (hard links); None when it does not exist or cannot be locked."""
        if not _OFD:
            return None
        try:
            fd = os.open(os.path.realpath(self.db), os.O_RDWR)
        except OSError:  # no database yet, or one we cannot write: opening the store says why
            return None
        request = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, _INODE_LOCK_OFFSET, 1, 0)
        try:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, request)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                raise LockHeld(
                    f"another policytrail run is using {self.db} under another name (a hard link to the same "
                    f"file); it will be free when that run ends: try again later"
                ) from None
            return None  # a file system without byte-range locks: the lock file alone
        return fd

    def holds(self, db: str | Path) -> bool:
        """True while this lock is acquired, and for the database ``db`` (by any path to the same file)."""
        return self.fd is not None and self.path == lock_path(db)

    def release(self) -> None:
        if self.inode_fd is not None:
            os.close(self.inode_fd)  # drops the OFD lock
            self.inode_fd = None
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> DatabaseLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
