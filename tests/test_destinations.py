"""Output places: the database's files under any name are refused; a failed write leaves only what was there."""

from __future__ import annotations

import errno
import os

import pytest

from crawler.errors import OutputError, OutputIncomplete
from crawler.outputs.destinations import Output, Protected


def test_the_database_is_recognised_under_every_name(tmp_path):
    db = tmp_path / "data" / "t.db"
    db.parent.mkdir()
    db.write_bytes(b"x")
    (tmp_path / "sym.db").symlink_to(db)
    os.link(db, tmp_path / "hard.db")
    protected = Protected(tmp_path / "sym.db")  # given through a symlink, too
    for name in (
        "data/t.db",
        "sym.db",
        "hard.db",
        "data/t.db-wal",
        "data/t.db-shm",
        "data/t.db.lock",
        "data/../data/t.db",
    ):
        assert protected.covers(tmp_path / name), name
    assert not protected.covers(tmp_path / "data" / "t.db.bak")
    assert not protected.covers(tmp_path / "sym.db-wal")  # beside the symlink: not SQLite's file


def test_a_failed_write_removes_the_files_and_folders_it_created(tmp_path):
    out = Output(tmp_path / "new" / "deeper", database=tmp_path / "t.db", folder=True).prepare()
    out.write_text(out.file("a.md"), "first")
    with pytest.raises(OutputIncomplete, match="No space left on device"):
        with out.open(out.file("b.md")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert not (tmp_path / "new").exists()


def test_a_failed_write_never_removes_what_was_there(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("mine")
    out = Output(tmp_path / "site", database=tmp_path / "t.db", folder=True, force=True).prepare()
    with pytest.raises(OutputError, match="Permission denied") as err:
        with out.open(out.file("index.html")):
            raise OSError(errno.EACCES, os.strerror(errno.EACCES))
    assert err.value.exit_code == 2
    assert (tmp_path / "site" / "index.html").exists()
