"""The files of one database: the file itself and what SQLite and policytrail keep beside it.

Paths are resolved (``os.path.realpath``) first, so every name of the database that goes through
symlinks leads to the same files; commands compare their outputs against these, by path and by
identity (``st_dev``, ``st_ino``), so that no output lands on the database under any name.
"""

from __future__ import annotations

import os
from pathlib import Path

# SQLite's write-ahead log, its shared-memory index and rollback journal; the run lock (lock.py)
SIDECARS = ("-wal", "-shm", "-journal", ".lock")


def lock_path(db: str | Path) -> Path:
    """``<db>.lock`` beside the file the path leads to (symlinks resolved)."""
    return Path(os.path.realpath(db) + ".lock")


def database_files(db: str | Path) -> list[Path]:
    """The database file and its siblings, whether they exist or not, at their real paths."""
    real = os.path.realpath(db)
    return [Path(real), *(Path(real + suffix) for suffix in SIDECARS)]
