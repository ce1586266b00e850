"""The static HTML report: complete, citable, stable, and inert in a real headless Chromium."""

from __future__ import annotations

import csv
import re
import shutil
import sqlite3
import statistics
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.diff import load_taxonomy
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
    assert [p.name for p in pages] == ["acme.html", "evil-b-corp-b.html", "index.html", "overview.html"]
    acme = (tmp_path / "site" / "acme.html").read_text()
    assert acme.count('<section class="change"') == 2  # A -> B -> A
    assert "<svg" in acme and "<rect" in acme
    assert "/web/20190101000000id_/https://a.example/privacy" in acme  # first capture of the new text
    assert "/web/20180101000000/https://a.example/privacy" in acme  # replay of the last capture of the old
    assert re.search(r"snapshot sha256 <span class=\"hash\">s</span>", acme)
    assert EXTRACTOR_VERSION in acme
    # how the timeline was made: Acme's three captures read, none inferred, none unresolved
    index = (tmp_path / "site" / "index.html").read_text()
    assert "Captures read / inferred / unresolved" in index and '<td class="n">3 / 0 / 0</td>' in index


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
        html = "".join(p.read_text() for p in render(db, out) if p.name not in ("index.html", "overview.html"))
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
            for name in ("index.html", "overview.html", "evil-b-corp-b.html", "acme.html"):
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


# --------------------------------------------------------------------------- the overview and the index's strips


def _launch(p):
    return p.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-sync"],
    )


def tables(html: str) -> dict[str, list[list[str]]]:
    """Each figure's table under its chart, by figure id: header row, then the rows, as text."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(html)
    out = {}
    for section in tree.xpath("//section[@class='figure']"):
        rows = section.xpath(".//div[@class='numbers']//tr")
        out[section.get("id")] = [[cell.text_content().strip() for cell in row.xpath("./th|./td")] for row in rows]
    return out


def number(text: str):
    return None if text == "" else float(text)


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    from .realhistory import build_real_histories

    tmp = tmp_path_factory.mktemp("real-site")
    db = build_real_histories(tmp / "real.db")
    result = CliRunner().invoke(cli, ["report", "--db", str(db), "--out", str(tmp / "site")])
    assert result.exit_code == 0, result.output
    return db, tmp / "site"


def test_the_overview_agrees_with_hand_written_sql_on_real_histories(real_site):
    from .test_trends import IN_FORCE_AT_YEAR_END, MONTHS

    db, site = real_site
    figures = tables((site / "overview.html").read_text())
    assert list(figures) == [
        "changes-per-month",
        "changes-by-significance",
        "policy-length",
        "reading-grade",
        "topic-shares",
        "topics-of-changes",
    ]
    conn = sqlite3.connect(db)
    # policies changed and changes per month, companies observed and captured per month
    months = {row[0]: row[1:] for row in figures["changes-per-month"][1:]}
    changed = {
        f"{m[:4]}-{m[4:]}": (n, k)
        for m, n, k in conn.execute(
            "SELECT substr(window_end, 1, 6), count(DISTINCT company || document), count(*) FROM policy_changes"
            " GROUP BY 1"
        )
    }
    observed = conn.execute(
        MONTHS
        + """SELECT m, count(DISTINCT p.company), count(DISTINCT CASE WHEN EXISTS (
                 SELECT 1 FROM capture_log c WHERE c.company = p.company AND c.version_id IS NOT NULL
                 AND substr(c.timestamp, 1, 6) = m) THEN p.company END)
             FROM months LEFT JOIN policies p ON substr(p.first, 1, 6) <= m AND substr(p.last, 1, 6) >= m
             GROUP BY m ORDER BY m"""
    ).fetchall()
    assert list(months) == [f"{m[:4]}-{m[4:]}" for m, _, _ in observed]
    for m, companies, captured in observed:
        label = f"{m[:4]}-{m[4:]}"
        assert months[label] == [
            str(companies),
            str(captured),
            str(companies - captured),
            *map(str, changed.get(label, (0, 0))),
        ]
    # substantive and cosmetic changes per year
    assert figures["changes-by-significance"][1:] == [
        [y, str(n), str(s), str(c)]
        for y, n, s, c in conn.execute(
            "SELECT y, count(ch.change_id), coalesce(sum(ch.substantive > 0), 0), coalesce(sum(ch.substantive = 0), 0)"
            " FROM (SELECT DISTINCT substr(in_force_from, 1, 4) AS y FROM policy_timeline"
            "       UNION SELECT substr(last_seen, 1, 4) FROM policy_timeline) years"
            " LEFT JOIN policy_changes ch ON substr(ch.window_end, 1, 4) = y GROUP BY y ORDER BY y"
        )
    ]
    # median length and grade of the versions in force at each year's end; topic shares of the same
    in_force = defaultdict(list)
    for year, _, version_id, words, grade in conn.execute(IN_FORCE_AT_YEAR_END):
        sale = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM clause_history h, json_each(h.tags) t WHERE h.version_id = ?"
            " AND t.value = 'sale')",
            (version_id,),
        ).fetchone()[0]
        in_force[str(year)].append((words, grade, sale))
    length = {row[0]: row for row in figures["policy-length"][1:]}
    grade = {row[0]: row for row in figures["reading-grade"][1:]}
    shares = {row[0]: row for row in figures["topic-shares"][1:]}
    assert list(length) == list(in_force)
    for year, versions in in_force.items():
        assert int(length[year][1]) == len(versions)
        assert number(length[year][3]) == round(statistics.median(w for w, _, _ in versions), 1)
        assert number(grade[year][3]) == round(statistics.median(g for _, g, _ in versions), 2)
        assert number(shares[year][2]) == round(100 * sum(s for _, _, s in versions) / len(versions), 1)
    # topics that substantive changes touched, over all years
    topics = {row[0]: int(row[1]) for row in figures["topics-of-changes"][1:]}
    labels = {t.id: t.label for t in load_taxonomy().topics}
    for topic, n in conn.execute(
        "SELECT t.value, count(DISTINCT company || document || window_end)"
        " FROM clause_change_details, json_each(tags) t WHERE significance = 'substantive' GROUP BY t.value"
    ):
        assert topics[labels[topic]] == n, topic
    conn.close()


def test_each_chart_has_a_csv_beside_it_with_the_numbers_of_its_table(real_site):
    _, site = real_site
    html = (site / "overview.html").read_text()
    for figure, rows in tables(html).items():
        assert f'href="overview-{figure}.csv"' in html
        with open(site / f"overview-{figure}.csv", newline="") as fh:
            assert list(csv.reader(fh)) == rows, figure


def test_the_index_links_the_overview_and_draws_each_companys_versions_on_one_time_axis(real_site):
    from lxml import html as lxml_html

    db, site = real_site
    tree = lxml_html.fromstring((site / "index.html").read_text())
    assert tree.xpath("//a[@href='overview.html']")
    strips = {
        row.xpath("./td[1]/a")[0].text: row.xpath(".//svg[@class='strip']")[0] for row in tree.xpath("//tbody/tr")
    }
    spans = dict(sqlite3.connect(db).execute("SELECT company, count(*) FROM policy_timeline GROUP BY company"))
    assert {company: len(svg.xpath("./rect[not(@class='bg')]")) for company, svg in strips.items()} == spans
    # the earliest capture of all (Match, 2022-01) starts at the left edge; the latest (happn, 2026-05) ends right
    match = strips["Match"].xpath("./rect[not(@class='bg')]")
    happn = strips["happn"].xpath("./rect[not(@class='bg')]")
    assert float(match[0].get("x")) == 0
    assert float(happn[-1].get("x")) + float(happn[-1].get("width")) == pytest.approx(220, abs=0.1)
    assert "4 version(s) over 4 span(s), from 2022-09-20 to 2026-05-12" in strips["happn"].xpath("./title")[0].text


def test_the_overview_renders_in_headless_chromium_inert_and_readable_without_colour(real_site):
    from playwright.sync_api import sync_playwright

    _, site = real_site
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _launch(p)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1200})
            problems: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto((site / "overview.html").as_uri())
            page.wait_for_load_state("load")
            assert problems == [] and page.evaluate("document.scripts.length") == 0
            assert all(u.startswith("file://") for u in requests), requests
            charts = page.evaluate(
                """() => [...document.querySelectorAll('section.figure')].map(s => {
                    const svg = s.querySelector('svg.chart'), box = svg.getBoundingClientRect();
                    const series = [...svg.querySelectorAll('g.series')].map(g => ({
                        name: g.dataset.series, look: g.dataset.look,
                        dash: [...g.querySelectorAll('polyline')]
                            .map(l => getComputedStyle(l).strokeDasharray)[0] || '',
                        marks: g.querySelectorAll('rect, circle, path').length}));
                    return {id: s.id, width: box.width, height: box.height,
                            title: svg.querySelector('title').textContent,
                            legend: [...svg.querySelectorAll('g.legend text')].map(t => t.textContent),
                            series, rows: s.querySelectorAll('.numbers tbody tr').length,
                            csv: s.querySelector('h2 a[download]').getAttribute('href')};
                })"""
            )
            assert [c["id"] for c in charts][:2] == ["changes-per-month", "changes-by-significance"]
            for c in charts:
                assert c["width"] > 500 and c["height"] > 100 and c["title"] and c["rows"] > 0, c["id"]
                assert c["csv"] == f"overview-{c['id']}.csv"
                if len(c["series"]) > 1:  # told apart by pattern, dash or marker, and named in the legend
                    assert len({s["look"] for s in c["series"]}) == len(c["series"]), c["id"]
                    assert c["legend"] == [s["name"] for s in c["series"]], c["id"]
                assert all(s["marks"] > 0 for s in c["series"]), c["id"]
            shares = next(c for c in charts if c["id"] == "topic-shares")
            assert len({s["dash"] for s in shares["series"]}) == 3  # solid, dashed, dotted as drawn
            assert [c["rows"] for c in charts][0] == 53  # 2022-01 to 2026-05
            page.screenshot(path=str(SCREENSHOTS / "report-overview.png"), full_page=True)
            page.add_style_tag(content="html { filter: grayscale(1); }")
            page.locator("#topic-shares-chart").screenshot(path=str(SCREENSHOTS / "report-overview-grey.png"))
            page.goto((site / "index.html").as_uri())
            assert page.evaluate("document.querySelectorAll('svg.strip').length") == 3
            assert page.evaluate("document.scripts.length") == 0
        finally:
            browser.close()


def test_a_company_named_like_a_page_of_the_report_does_not_replace_it(tmp_path):
    from crawler.derive import derive

    from .test_derive import A, B, build
    from .test_storage import capture

    store = build(tmp_path, [("20180101000000", "A", A), ("20190101000000", "B", B)])
    for name in ("Overview", "Index"):
        tid = store.upsert_target(name, f"https://{name.lower()}.example/privacy", "privacy policy")
        capture(store, tid, "20180101000000", "A", url=f"https://{name.lower()}.example/privacy")
    derive(store)
    store.close()
    pages = [p.name for p in render(tmp_path / "t.db", tmp_path / "site")]
    assert pages == ["acme.html", "index-x.html", "index.html", "overview-x.html", "overview.html"]
    assert "Trends across companies" in (tmp_path / "site" / "overview.html").read_text()


def test_a_report_of_an_empty_database_says_there_is_nothing_to_chart_yet(tmp_path):
    from crawler.store import Store

    Store(tmp_path / "t.db").close()
    assert [p.name for p in render(tmp_path / "t.db", tmp_path / "site")] == ["index.html", "overview.html"]
    assert "No policy versions yet" in (tmp_path / "site" / "overview.html").read_text()


def test_the_overview_starts_at_since_and_leaves_periods_without_policies_blank(real_site, tmp_path):
    db, _ = real_site
    render(db, tmp_path / "site", "--since", "2021-07")
    figures = tables((tmp_path / "site" / "overview.html").read_text())
    assert figures["changes-per-month"][1][0] == "2021-07"
    assert figures["policy-length"][1] == ["2021", "0", "", "", ""]  # nothing captured yet: no figure, not 0
    assert figures["policy-length"][2][:2] == ["2022", "2"]
    with open(tmp_path / "site" / "overview-policy-length.csv", newline="") as fh:
        assert list(csv.reader(fh))[1] == ["2021", "0", "", "", ""]
