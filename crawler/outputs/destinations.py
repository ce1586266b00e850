"""Where a command's output goes: never over its database, never over someone's files unless asked.

Reports, exports and the crawl's log file are written through an :class:`Output`, which

- refuses the database's own files (the file, ``-wal``, ``-shm``, ``-journal``, ``.lock``) under
  any name: compared by real path, and by identity (``st_dev``, ``st_ino``) for symlinks and hard
  links, even with ``--force``;
- refuses an existing file, or a folder that is not empty, unless ``force`` (``--force``);
- turns every failure to write into one line naming the path and the cause: a place that cannot
  be written (permissions, a file where a folder is expected, a name too long) is
  :class:`OutputError` (exit 2), a write that failed half-way (disk full, quota, I/O error) is
  :class:`OutputIncomplete` (exit 1). Files the output created are removed when it fails;
  files it replaced (``--force``) are not restored.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from crawler.errors import OutputError, OutputIncomplete
from crawler.store.files import database_files

# a write that started and could not finish: the place itself was fine
INCOMPLETE = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG}


def _identity(path: str | Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class Protected:
    """The files of a database, by real path and, where they exist, by identity (hard links)."""

    def __init__(self, db: str | Path):
        self.db = Path(db)
        files = database_files(db)
        self.real = {str(p) for p in files}
        self.ids = {ident for p in files if (ident := _identity(p)) is not None}

    def covers(self, path: str | Path) -> bool:
        ident = _identity(path)
        return (ident is not None and ident in self.ids) or os.path.realpath(path) in self.real


class Output:
    """One output place: a file (``folder=False``: atom, warc, a log) or a folder of files (csv,
    jsonl, markdown, report). ``prepare()`` checks it and creates what is missing; ``open()``
    writes one file in it."""

    def __init__(self, path: str | Path, *, database: str | Path, folder: bool, force: bool = False, what: str = ""):
        self.path = Path(path)
        self.protected = Protected(database)
        self.folder = folder
        self.force = force
        self.what = what  # "the log file " etc., for messages
        self.created: list[Path] = []  # files and folders this output made, removed if it fails

    # ------------------------------------------------------------------ checks

    def _refuse_database(self, path: Path) -> None:
        if self.protected.covers(path):
            raise OutputError(
                f"{self.what}{path} is the database {self.protected.db} (or one of its files): "
                f"refusing to write over it, even with --force; pass another path"
            )

    def prepare(self) -> Output:
        """Check the place before anything is written; create the folder (or the file's folder)."""
        p = self.path
        self._refuse_database(p)
        with self._translating(p, "cannot use"):
            exists = p.exists() or p.is_symlink()
            if self.folder:
                if exists and not p.is_dir():
                    raise OutputError(f"{p} exists and is not a folder: this format writes a folder of files")
                if exists and not self.force and any(os.scandir(p)):
                    raise OutputError(
                        f"{p} is not empty: pass --force to write into it (files of the same names are replaced)"
                    )
                if not exists:
                    self._mkdir(p)
            else:
                if p.is_dir():
                    raise OutputError(f"{self.what}{p} is a folder: pass a file name")
                if exists and not self.force:
                    raise OutputError(f"{self.what}{p} exists: pass --force to overwrite it")
                if not p.parent.exists():
                    self._mkdir(p.parent)
        return self

    def _mkdir(self, folder: Path) -> None:
        try:
            missing = [q for q in (folder, *folder.parents) if not q.exists()]
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._failed(exc, folder, "cannot create the folder") from None
        self.created.extend(reversed(missing))  # parents first

    # ------------------------------------------------------------------ writing

    def file(self, name: str) -> Path:
        """A file in a folder output."""
        return self.path / name

    @contextmanager
    def open(self, path: Path, mode: str = "w", **kwargs) -> Iterator[IO]:
        """Open one file for writing (closed, and so flushed, inside: a full disk shows here)."""
        self._refuse_database(path)
        with self._translating(path):
            new = not (path.exists() or path.is_symlink())
        try:
            fh = open(path, mode, **kwargs)  # noqa: SIM115 -- closed below, inside the translation
        except OSError as exc:
            raise self._failed(exc, path) from None
        if new:
            self.created.append(path)
        try:
            with fh:
                yield fh
        except OSError as exc:
            raise self._failed(exc, path) from None

    def write_text(self, path: Path, text: str) -> Path:
        with self.open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    # ------------------------------------------------------------------ failures

    @contextmanager
    def _translating(self, path: Path, verb: str = "cannot write") -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise self._failed(exc, path, verb) from None

    def _failed(self, exc: OSError, path: Path, verb: str = "cannot write") -> OutputError:
        ours = path in self.created
        self._remove_created()
        reason = exc.strerror or str(exc)
        if exc.errno in INCOMPLETE:
            removed = " (the incomplete file was removed)" if ours and not path.exists() else ""
            return OutputIncomplete(f"{verb} {self.what}{path}: {reason}{removed}")
        if exc.errno == errno.EISDIR:
            reason = "it is a folder"
        return OutputError(f"{verb} {self.what}{path}: {reason}")

    def _remove_created(self) -> None:
        for path in reversed(self.created):
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            except OSError:
                pass
        self.created.clear()


def check_log_file(path: str | Path, database: str | Path, first_line: str) -> None:
    """Before a crawl: the log file is not the database, and it can be appended to (its folder is
    created; ``first_line`` is written and flushed, so a full disk shows before the crawl starts)."""
    log = Output(path, database=database, folder=False, force=True, what="the log file ")
    log.prepare()
    with log.open(Path(path), "a", encoding="utf-8") as fh:
        fh.write(first_line.rstrip("\n") + "\n")
