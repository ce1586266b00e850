"""Run the CLI where file permissions apply, for tests of "permission denied" and read-only places.

Root bypasses permission bits (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so such a test run as root
proves nothing. As root, the CLI subprocess is started without those capabilities:

1. it drops them (and CAP_FOWNER) from its bounding set before exec: it keeps uid 0, so it can
   still run an interpreter that only root can reach, but the permission bits of the test's
   root-owned files now apply to it as to their owner;
2. when that is not allowed (no CAP_SETPCAP), it becomes the user ``nobody`` instead, and the
   test's files are handed to that user (``own``).

Either way a probe checks that a read-only folder really refuses a new file; when neither works
(or when not root and permissions still do not apply) the test is skipped, saying why.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import ROOT

PR_CAPBSET_DROP = 24
BYPASSING_CAPABILITIES = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
NOBODY = 65534


def _drop_capabilities() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in BYPASSING_CAPABILITIES:
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) refused")


def _become_nobody() -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


class _Mode:
    preexec: Callable[[], None] | None = None
    owner: int | None = None  # uid to hand the test's files to (nobody), None: leave them
    reason: str | None = None  # why permissions cannot be made to apply
    probed = False


def _probe(preexec, owner) -> bool:
    scratch = Path(tempfile.mkdtemp(prefix="policytrail-perm-"))
    try:
        os.chmod(scratch, 0o755)
        if owner is not None:
            os.chown(scratch, owner, -1)
        os.chmod(scratch, 0o555)
        code = f"open({str(scratch / 'probe')!r}, 'w')"
        try:
            result = subprocess.run(
                [sys.executable, "-c", code], preexec_fn=preexec, capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return result.returncode != 0 and "PermissionError" in result.stderr
    finally:
        os.chmod(scratch, 0o755)
        shutil.rmtree(scratch, ignore_errors=True)


def _mode() -> _Mode:
    if _Mode.probed:
        return _Mode
    _Mode.probed = True
    if os.geteuid() != 0:
        if not _probe(None, None):
            _Mode.reason = "this user writes into a read-only folder (CAP_DAC_OVERRIDE?): permissions cannot apply"
        return _Mode
    if _probe(_drop_capabilities, None):
        _Mode.preexec = _drop_capabilities
    elif _probe(_become_nobody, NOBODY):
        _Mode.preexec, _Mode.owner = _become_nobody, NOBODY
    else:
        _Mode.reason = (
            "running as root, and neither dropping CAP_DAC_OVERRIDE (needs CAP_SETPCAP) nor switching to the "
            "user nobody (needs an interpreter that user can run) makes file permissions apply"
        )
    return _Mode


def require_permissions() -> None:
    """Skip the calling test, saying why, when file permissions cannot be made to apply to the CLI."""
    mode = _mode()
    if mode.reason:
        pytest.skip(mode.reason)


def own(*paths: Path) -> None:
    """Hand paths (and the folders above them, up to the temporary folder) to the CLI's user."""
    mode = _mode()
    if mode.owner is None:
        return
    top = Path(tempfile.gettempdir()).resolve()
    for path in paths:
        os.chown(path, mode.owner, -1)
        for parent in Path(path).resolve().parents:
            if parent == top or top not in parent.parents:
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o011)  # let the user through


def run_cli_unprivileged(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``policytrail`` in a subprocess to which file permissions apply (see the module's docstring)."""
    require_permissions()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_mode().preexec,
    )


def popen_cli_unprivileged(*args: str, **kwargs) -> subprocess.Popen:
    """Like :func:`run_cli_unprivileged`, for a command that keeps running (``browse``)."""
    require_permissions()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", *args], cwd=ROOT, env=env, preexec_fn=_mode().preexec, **kwargs
    )
