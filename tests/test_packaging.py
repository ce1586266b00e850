"""The wheel works outside a checkout (``pip install .``, ``pipx install .``).

Built from a copy of the checkout without a single setuptools warning, it carries its package data
(templates, schema docs, taxonomy, sample archive, pywb launcher); installed into a fresh virtualenv,
``policytrail demo``, ``report``, ``export``, ``diff`` and ``browse`` run from an empty directory.

Slow-ish (a wheel build, a virtualenv, a demo crawl through pywb) but part of the default suite:
nothing here needs the network when this environment has setuptools >= 77 and pywb's virtualenv.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from crawler.localarchive.pywb import ensure_pywb

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

# what setuptools or pip print when the packaging configuration is off: deprecated licence metadata,
# data directories it would drop, data installed the deprecated way, any Python warning class
_WARNINGS = re.compile(
    r"\w+Warning\b|^\s*WARNING:|License classifiers|Package would be ignored|as data is deprecated"
    r"|is absent from the `packages`|deprecated",
    re.M,
)

# not part of what `pip install .` builds from; generated or personal, and large
_SKIP_AT_ROOT = {".git", "build", "dist", "data", ".stamps", ".hypothesis", ".pytest_cache", ".ruff_cache"}
_SKIP_ANYWHERE = {"__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"}


def _ignore(directory: str, names: list[str]) -> set[str]:
    skip = {n for n in names if n in _SKIP_ANYWHERE or n.endswith((".pyc", ".egg-info"))}
    here = Path(directory).resolve()
    if here == ROOT:
        skip |= {n for n in names if n in _SKIP_AT_ROOT or n.startswith((".venv", ".pywb-venv"))}
    elif here == ROOT / "bench":
        skip |= {"out"} & set(names)
    return skip


def _offline_build() -> bool:
    """This environment's setuptools can build the wheel (no isolated build env from PyPI)."""
    try:
        return int(metadata.version("setuptools").split(".")[0]) >= 77
    except metadata.PackageNotFoundError:
        return False


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(wheel path, build log): `pip wheel` on a copy of the checkout, so no build/ or egg-info lands in it."""
    base = tmp_path_factory.mktemp("wheel")
    src, dist = base / "src", base / "dist"
    shutil.copytree(ROOT, src, symlinks=True, ignore=_ignore)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-v", "-w", str(dist)]
    if _offline_build():
        cmd += ["--no-build-isolation", "--no-index"]
    started = time.monotonic()
    proc = subprocess.run([*cmd, str(src)], capture_output=True, text=True, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    (wheel,) = dist.glob("policytrail-*.whl")
    print(f"wheel built in {time.monotonic() - started:.1f} s")
    return wheel, log


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory):
    """A fresh virtualenv with the wheel installed; the dependencies come from this environment's
    site-packages through a .pth that only adds the directories (their .pth files, among them the
    checkout's editable finder, are not run), so ``crawler`` can only come from the wheel."""
    wheel, _ = built
    path = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(path / "bin" / "python"),
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "--root-user-action=ignore",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (site_packages,) = path.glob("lib/python*/site-packages")
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    with zipfile.ZipFile(wheel) as zf:
        meta = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    for line in meta.splitlines():
        if line.startswith("Requires-Dist:") and "extra ==" not in line:
            deps.add(str(metadata.distribution(Requirement(line.split(":", 1)[1]).name).locate_file("")))
    # never a directory that holds the checkout's own package (the venv may live inside the checkout)
    deps = sorted(str(Path(d).resolve()) for d in deps if not (Path(d) / "crawler" / "__init__.py").exists())
    (site_packages / "zz-policytrail-test-deps.pth").write_text("".join(f"{d}\n" for d in deps))
    return path


def _env(tmp: Path, venv: Path, **extra: str) -> dict[str, str]:
    """An environment that points nowhere near the checkout: its own HOME and XDG dirs, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYTRAIL_", "PYTHON", "VIRTUAL_ENV", "XDG_"))}
    for name in ("home", "data", "cache", "config"):
        (tmp / name).mkdir(exist_ok=True)
    env.update(
        HOME=str(tmp / "home"),
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        XDG_CONFIG_HOME=str(tmp / "config"),
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.update(extra)
    return env


def _run(venv: Path, *args: str, cwd: Path, env: dict[str, str], timeout: float = 120):
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def outside(venv, tmp_path_factory):
    """(empty working directory, environment) with pywb's virtualenv the tests already use."""
    tmp = tmp_path_factory.mktemp("outside")
    cwd = tmp / "cwd"
    cwd.mkdir()
    pywb_python = ensure_pywb(quiet=True)  # the tests' pywb: installed once, never per run of this test
    return cwd, _env(tmp, venv, POLICYTRAIL_PYWB_VENV=str(pywb_python.parent.parent))


# --------------------------------------------------------------------------- the build


def test_wheel_builds_without_setuptools_warnings(built):
    _, log = built
    warnings = sorted({line.strip() for line in log.splitlines() if _WARNINGS.search(line)})
    assert not warnings, "\n".join(warnings)


def test_wheel_ships_the_package_data(built):
    wheel, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "crawler/cli.py",
        "crawler/run-scripts/pywb_server.py",
        "crawler/diff/taxonomy.toml",
        "crawler/outputs/docs/schema.md",
        "crawler/outputs/docs/research.md",
        "crawler/localarchive/sample/captures.csv",
        "crawler/localarchive/sample/targets.csv",
        "spiders/__init__.py",
        "spiders/wayback.py",
        "crawler/discover/plan.py",
        "crawler/crawl/discovering.py",
    }
    expected |= {f"crawler/outputs/templates/{p.name}" for p in (ROOT / "crawler/outputs/templates").iterdir()}
    # every body the sample manifest names, PDF and the real captures included
    sample = ROOT / "crawler/localarchive/sample"
    expected |= {f"crawler/{p.relative_to(ROOT / 'crawler').as_posix()}" for p in sample.rglob("*") if p.is_file()}
    assert expected <= names, sorted(expected - names)
    assert any(n.startswith("crawler/localarchive/sample/realdata/match/") for n in names)
    # only the two import packages and the metadata: no tests/, bench/, docs/ or data/ at the top
    assert {n.split("/")[0] for n in names if not n.startswith("policytrail-")} == {"crawler", "spiders"}
    assert not [n for n in names if n.endswith((".pyc", ".db"))]
    # the licence as SPDX metadata, no deprecated licence classifier
    meta = next(zipfile.Path(wheel, n) for n in names if n.endswith(".dist-info/METADATA")).read_text()
    assert "License-Expression: MIT" in meta and "Classifier: License" not in meta


# --------------------------------------------------------------------------- the installed wheel


def test_installed_package_comes_from_the_venv_not_the_checkout(venv, outside):
    cwd, env = outside
    code = "import crawler, spiders; print(crawler.__file__); print(spiders.__file__); print(crawler.CHECKOUT)"
    proc = _run(venv, "python", "-c", code, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    crawler_file, spiders_file, checkout = proc.stdout.splitlines()
    assert Path(crawler_file).is_relative_to(venv) and Path(spiders_file).is_relative_to(venv)
    assert checkout == "None"


def test_pywb_venv_is_per_user_without_a_checkout(venv, tmp_path):
    code = "from crawler.localarchive.pywb import pywb_venv; print(pywb_venv())"
    env = _env(tmp_path, venv)  # no POLICYTRAIL_PYWB_VENV
    proc = _run(venv, "python", "-c", code, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == tmp_path / "data" / "policytrail" / "venv-pywb"
    del env["XDG_DATA_HOME"]
    proc = _run(venv, "python", "-c", code, cwd=tmp_path, env=env)
    assert Path(proc.stdout.strip()) == tmp_path / "home" / ".local" / "share" / "policytrail" / "venv-pywb"
    assert not (tmp_path / "data" / "policytrail").exists()  # only named: pywb is installed on first demo


def test_schema_docs_and_research_questions_load_from_the_installed_package(venv, outside):
    cwd, env = outside
    code = (
        "import json; from crawler.outputs import research as r; "
        "print(json.dumps([len(r.schema_docs()), len(r.research_questions()), str(r.DOCS)]))"
    )
    proc = _run(venv, "python", "-c", code, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    relations, questions, docs = json.loads(proc.stdout)
    assert relations >= 5 and questions >= 3
    assert Path(docs).is_relative_to(venv)


@pytest.fixture(scope="module")
def demo(venv, outside):
    cwd, env = outside
    started = time.monotonic()
    proc = _run(venv, "policytrail", "demo", cwd=cwd, env=env, timeout=180)
    print(f"demo ran in {time.monotonic() - started:.1f} s")
    return proc


def test_demo_runs_from_an_empty_directory(venv, outside, demo):
    cwd, env = outside
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Krop" in demo.stdout and "Demo database: data/demo.db" in demo.stdout
    assert (cwd / "data" / "demo.db").is_file()
    assert {p.name for p in cwd.iterdir()} == {"data"}  # nothing else written next to the user's files
    # pywb came from POLICYTRAIL_PYWB_VENV: nothing installed into the per-user data directory
    assert not (Path(env["XDG_DATA_HOME"]) / "policytrail").exists()


def test_report_export_and_diff_on_the_demo_database(venv, outside, demo):
    cwd, env = outside
    assert demo.returncode == 0, demo.stderr
    proc = _run(venv, "policytrail", "report", "--db", "data/demo.db", "--out", "report/", cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    index = (cwd / "report" / "index.html").read_text(encoding="utf-8")
    assert "Krop" in index
    proc = _run(
        venv, "policytrail", "export", "--format", "csv", "--out", "export/", "--db", "data/demo.db", cwd=cwd, env=env
    )
    assert proc.returncode == 0, proc.stderr
    exported = sorted(p.name for p in (cwd / "export").iterdir())
    assert exported and all(name.endswith(".csv") for name in exported), exported
    proc = _run(
        venv, "policytrail", "export", "--format", "markdown", "--out", "md/", "--db", "data/demo.db", cwd=cwd, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert list((cwd / "md").rglob("*.md"))
    proc = _run(venv, "policytrail", "diff", "Krop", "--db", "data/demo.db", cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Krop" in proc.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_browse_serves_the_column_docs_and_research_queries(venv, outside, demo):
    cwd, env = outside
    assert demo.returncode == 0, demo.stderr
    port = _free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "policytrail"), "browse", "--db", "data/demo.db", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, meta = time.monotonic() + 60, None
        while meta is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/metadata.json", timeout=5) as resp:
                    meta = json.load(resp)
            except OSError:
                time.sleep(0.3)
        assert meta is not None, f"Datasette did not answer: {server.poll()=}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    database = meta["databases"]["demo"]
    assert database["queries"] and database["tables"]["captures"]["columns"]


def test_an_installation_without_its_package_data_says_so(monkeypatch, tmp_path):
    import crawler
    from crawler.errors import PolicytrailError
    from crawler.outputs.research import datasette_metadata

    monkeypatch.setattr(crawler, "PACKAGE_DIR", tmp_path)  # a package folder with the code only
    with pytest.raises(PolicytrailError, match=r"schema\.md is missing: .*reinstall policytrail"):
        datasette_metadata("demo")
    with pytest.raises(PolicytrailError, match=r"pywb_server\.py is missing"):
        crawler.localarchive.pywb.LocalArchive(tmp_path).start()
