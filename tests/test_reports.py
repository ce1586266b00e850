"""The static HTML report: complete, citable, stable, and inert in a real headless Chromium."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from crawler.cli import cli
from crawler.extract.page import EXTRACTOR_VERSION

from .conftest import run_cli
from .unprivileged import own, run_cli_unprivileged

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "output"


def render(db: Path, out: Path, *args: str) -> list[Path]:
    result = CliRunner().invoke(cli, ["report", "--db", str(db), "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return sorted(out.glob("*.html"))


def test_report_has_an_index_and_a_page_per_company_with_citations(hostile_db, tmp_path):
    pages = render(hostile_db, tmp_path / "site")
    assert [p.name for p in pages] == ["acme.html", "evil-b-corp-b.html", "index.html"]
    acme = (tmp_path / "site" / "acme.html").read_text()
    assert acme.count('<section class="change"') == 2  # A -> B -> A
    assert "<svg" in acme and "<rect" in acme
    assert "/web/20190101000000id_/https://a.example/privacy" in acme  # first capture of the new text
    assert "/web/20180101000000/https://a.example/privacy" in acme  # replay of the last capture of the old
    assert re.search(r"snapshot sha256 <span class=\"hash\">s</span>", acme)
    assert EXTRACTOR_VERSION in acme


def test_report_opens_from_disk_with_no_external_resources(hostile_db, tmp_path):
    for page in render(hostile_db, tmp_path / "site"):
        html = page.read_text()
        assert "<script" not in html and "<link" not in html
        # the only absolute links are citations of the archive
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html.replace('href="https://web.archive.org/', "")), (
            page.name
        )


def test_change_ids_survive_a_re_derive_from_scratch_and_another_arrival_order(hostile_db, tmp_path):
    from crawler.derive import derive
    from crawler.store import Store

    from .test_derive import A, B, build

    def ids(db, out):
        html = "".join(p.read_text() for p in render(db, out) if p.name != "index.html")
        return sorted(re.findall(r'<section class="change" id="([^"]+)"', html))

    first = ids(hostile_db, tmp_path / "one")
    assert len(first) == 3
    # every derived row dropped and derived again: new local ids, the same change ids
    conn = sqlite3.connect(hostile_db)
    conn.executescript(
        "DELETE FROM clause_changes; DELETE FROM changes; DELETE FROM version_clauses; DELETE FROM spans;"
        " UPDATE captures SET version_id = NULL; DELETE FROM versions; DELETE FROM clauses;"
    )
    conn.close()
    store = Store(hostile_db)
    derive(store)
    store.close()
    assert ids(hostile_db, tmp_path / "two") == first
    # Acme's history arriving newest first, with derives in between, in another database
    other = tmp_path / "other"
    other.mkdir()
    store = build(other, [("20200101000000", "A", A)])
    derive(store)
    store = build(other, [("20190101000000", "B", B), ("20180101000000", "A", A)])
    derive(store)
    store.close()
    acme = [i for i in first if i.startswith("acme-")]
    assert ids(other / "t.db", tmp_path / "three") == acme


def test_hostile_archived_content_is_inert_in_headless_chromium(hostile_db, tmp_path):
    from playwright.sync_api import sync_playwright

    render(hostile_db, tmp_path / "site")
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        try:
            for name in ("index.html", "evil-b-corp-b.html", "acme.html"):
                page = browser.new_page(viewport={"width": 1100, "height": 1200})
                problems: list[str] = []
                page.on("console", lambda m, problems=problems: problems.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e, problems=problems: problems.append(str(e)))
                page.on("dialog", lambda d, problems=problems: (problems.append("dialog " + d.message), d.dismiss()))
                requests: list[str] = []
                page.on("request", lambda r, requests=requests: requests.append(r.url))
                page.goto((tmp_path / "site" / name).as_uri())
                page.wait_for_load_state("load")
                assert problems == [], name
                assert page.evaluate("document.scripts.length") == 0
                assert page.evaluate("document.querySelectorAll('img, iframe, textarea, [onerror]').length") == 0
                assert all(u.startswith("file://") for u in requests), requests
                if name.startswith("evil"):
                    body = page.inner_text("body")
                    assert "<script>alert('x')</script>" in body and "onerror=alert(2)" in body
                    assert "Evil <b>Corp</b>" in page.title()
                page.screenshot(path=str(SCREENSHOTS / f"report-{name.replace('.html', '')}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    assert (SCREENSHOTS / "report-index.png").stat().st_size > 5000


# --------------------------------------------------------------------------- judgements in the report


def test_the_report_marks_reviewed_and_overridden_changes(hostile_db, tmp_path):
    from .test_exports import judge_acme

    judge_acme(hostile_db)
    render(hostile_db, tmp_path / "site")
    acme = (tmp_path / "site" / "acme.html").read_text()
    sections = re.findall(r'<section class="change" id="([^"]+)" data-review="([^"]+)">', acme)
    assert sorted(state for _, state in sections) == ["overridden", "reviewed"]  # both still shown
    assert "Judged false by alice on " in acme and "&lt;b&gt;banner&lt;/b&gt; &amp; chrome" in acme
    assert "not a change of the policy: the timeline joins its two versions" in acme
    assert "Accepted by bob on " in acme and '<span class="tag">sale</span>' in acme
    assert acme.count('<line class="overridden"') == 1  # its marker on the timeline is dashed
    assert "also 1 change(s) judged false" in acme  # the joined version row says so
    assert "1 changes (and 1 judged false); reviewed by a person: 2 of 2 (1 overridden)" in acme
    index = (tmp_path / "site" / "index.html").read_text()
    assert '2 of 2 <span class="review overridden">1 overridden</span>' in index and "0 of 1" in index


def test_review_marks_show_in_headless_chromium(hostile_db, tmp_path):
    from playwright.sync_api import sync_playwright

    from .test_exports import judge_acme

    judge_acme(hostile_db)
    render(hostile_db, tmp_path / "site")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1200})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto((tmp_path / "site" / "acme.html").as_uri())
            overridden = page.locator('section[data-review="overridden"]')
            assert overridden.count() == 1 and overridden.is_visible()
            assert "OVERRIDDEN" in overridden.locator("p.review").inner_text()  # as a reader sees it
            assert overridden.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
            reviewed = page.locator('section[data-review="reviewed"]')
            assert reviewed.evaluate("e => getComputedStyle(e).borderLeftColor") == "rgb(42, 125, 42)"
            assert page.evaluate("document.scripts.length") == 0 and problems == []
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "report-judged-acme.png"), full_page=True)
        finally:
            browser.close()


# --------------------------------------------------------------------------- where reports may write


def test_a_report_goes_into_a_folder_that_is_not_empty_only_with_force(hostile_db, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("mine")
    result = run_cli("report", "--db", str(hostile_db), "--out", str(site))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert str(site) in line and "--force" in line
    assert (site / "index.html").read_text() == "mine"
    pages = render(hostile_db, site, "--force")
    assert "index.html" in [p.name for p in pages] and (site / "index.html").read_text() != "mine"


def test_a_report_never_writes_over_its_database(hostile_db, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    db = site / "acme.html"  # the name of a page the report writes
    db.write_bytes(hostile_db.read_bytes())
    before = db.read_bytes()
    result = run_cli("report", "--db", str(db), "--out", str(site), "--force")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert str(db) in line and "database" in line
    assert db.read_bytes() == before


def test_a_report_into_a_folder_the_user_cannot_write_is_one_line_and_exit_2(hostile_db, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    own(hostile_db.parent, hostile_db, ro)
    ro.chmod(0o555)
    try:
        result = run_cli_unprivileged("report", "--db", str(hostile_db), "--out", str(ro / "site"))
    finally:
        ro.chmod(0o755)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ") and str(ro / "site") in line and "Permission denied" in line


def test_a_report_pointed_at_a_file_says_it_is_not_a_folder(hostile_db, tmp_path):
    (tmp_path / "site").write_text("mine")
    result = run_cli("report", "--db", str(hostile_db), "--out", str(tmp_path / "site"), "--force")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.splitlines()
    assert str(tmp_path / "site") in line and "not a folder" in line
