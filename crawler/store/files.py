"""The files of one database: the file itself and what SQLite and policytrail keep beside it.

Paths are resolved (``os.path.realpath``) first, so every name of the database that goes through
symlinks leads to the same files; commands compare their outputs against these, by path and by
identity (``st_dev``, ``st_ino``), so that no output lands on the database under any name.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from crawler.errors import DatabaseMissing, DatabaseUnreadable

# SQLite's write-ahead log, its shared-memory index and rollback journal; the run lock (lock.py)
SIDECARS = ("-wal", "-shm", "-journal", ".lock")


def lock_path(db: str | Path) -> Path:
    """``<db>.lock`` beside the file the path leads to (symlinks resolved)."""
    return Path(os.path.realpath(db) + ".lock")


def database_files(db: str | Path) -> list[Path]:
    """The database file and its siblings, whether they exist or not, at their real paths."""
    real = os.path.realpath(db)
    return [Path(real), *(Path(real + suffix) for suffix in SIDECARS)]


# --------------------------------------------------------------------------- reading from where nothing can be written
#
# A WAL-mode database (every policytrail database) is read through its -wal and -shm files. SQLite
# (3.22 and later) reads it read-only when both exist, even if they cannot be written, or when it can
# create them. In a folder this user cannot write, with no -wal and no -shm (a clean close removes
# them), neither holds: SQLite's only way in is ``immutable=1``, which reads the file without any
# locking or change detection. That is safe only when no writer can start during the read, so it is
# used only when nobody can create files in the folder (a read-only file system, or a folder with no
# write permission bits and no ACL): a WAL writer cannot work without creating its -wal there (root
# excepted). Otherwise reading is refused with the cause, rather than risking wrong rows.


def _is_wal(real: str) -> bool:
    """The database header says WAL mode (file format read and write versions 2)."""
    with open(real, "rb") as fh:
        header = fh.read(20)
    return len(header) == 20 and header[18] == 2 and header[19] == 2


def _nobody_can_write(folder: str) -> bool:
    if os.statvfs(folder).f_flag & os.ST_RDONLY:
        return True
    if os.stat(folder).st_mode & 0o222:
        return False
    try:
        os.getxattr(folder, "system.posix_acl_access")
    except OSError:
        return True  # no ACL: the mode bits tell all
    return False  # an ACL may let someone write


def check_readable(db: str | Path) -> None:
    """Raise the real reason why ``db`` cannot be read: missing, a folder on the way that cannot be
    entered, a file this user may not read."""
    try:
        st = os.stat(db)
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as exc:
        raise DatabaseUnreadable(f"cannot read {db}: {exc.strerror} (check the permissions of its folders)") from None
    if st is None or not stat.S_ISREG(st.st_mode):
        raise DatabaseMissing(
            f"no database at {db}: run `policytrail crawl` (or `policytrail demo`) first, or pass --db"
        )
    try:
        os.close(os.open(db, os.O_RDONLY))
    except OSError as exc:
        raise DatabaseUnreadable(f"cannot read {db}: {exc.strerror} (check the file's permissions)") from None


def needs_immutable(db: str | Path) -> bool:
    """True when SQLite can read ``db`` only as an immutable file, and that is safe (see above);
    raises :class:`DatabaseUnreadable` when it can be read neither way."""
    real = os.path.realpath(db)
    if not _is_wal(real):
        return False
    wal, shm = Path(real + "-wal"), Path(real + "-shm")
    folder = os.path.dirname(real)
    if (wal.exists() and shm.exists()) or os.access(folder, os.W_OK | os.X_OK):
        return False  # SQLite reads through them, or creates them
    if not wal.exists() and _nobody_can_write(folder):
        return True
    held = f"its {wal.name} holds changes that SQLite reads only through {shm.name}, and it" if wal.exists() else "it"
    raise DatabaseUnreadable(
        f"cannot read {db}: {held} cannot create {shm.name} in {folder}, a folder this user may not write but its "
        f"owner may (reading the file as unchanging would be unsafe while a crawl writes it): copy the database "
        f"to a folder you can write, or get write access to {folder}"
    )
