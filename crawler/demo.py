"""``policytrail demo``: the bundled sample archive, served by a local pywb, crawled into its own database."""

from __future__ import annotations

import sys
from pathlib import Path

from crawler import PACKAGE_DIR, package_data
from crawler.archive import Archive
from crawler.crawl.run import CrawlResult, crawl_settings, run_crawl
from crawler.localarchive.pywb import LocalArchive
from crawler.localarchive.warc import read_manifest, write_warc

SAMPLE_DIR = PACKAGE_DIR / "localarchive" / "sample"


def build_sample_archive(workdir: Path, sample: Path = SAMPLE_DIR) -> LocalArchive:
    """Write the sample WARC and index it into a pywb collection under ``workdir``."""
    if sample == SAMPLE_DIR:
        package_data("localarchive", "sample", "captures.csv")  # a clear error if the installation lacks it
    warc = write_warc(read_manifest(sample / "captures.csv"), workdir / "warcs" / "sample.warc.gz")
    archive = LocalArchive(workdir / "pywb")
    archive.build([warc])
    return archive


# The sample company whose policy moved twice: its URLs are not in the sample targets; `demo --discover` finds them.
DISCOVER = {"pebble.example": "Pebble"}


def run_demo(db: Path, workdir: Path, sample: Path = SAMPLE_DIR, discover: bool = False) -> CrawlResult:
    local = build_sample_archive(workdir, sample)
    targets = sample / "targets.csv"
    with local:
        if discover:
            targets = discover_into(local.url, workdir, sample)
        settings = crawl_settings(
            db=db,
            targets=targets,
            archive=Archive(local.url, "pywb"),
            unthrottled=True,
            extra={"POLICYTRAIL_PROGRESS": sys.stderr.isatty()},
        )
        result = run_crawl(settings)
    if result.exit_code == 0:
        import_sample_judgements(db, sample)
    return result


def discover_into(archive_url: str, workdir: Path, sample: Path = SAMPLE_DIR) -> Path:
    """``policytrail discover`` of the sample's moving company, appended to a copy of the sample targets
    (in ``workdir``); its rows are printed. A command of its own, in a process of its own, as a user runs it
    (Scrapy's reactor runs once per process: the crawl that follows needs this one)."""
    import subprocess

    from crawler.errors import LocalArchiveError

    targets = Path(workdir) / "targets.csv"
    targets.write_text((sample / "targets.csv").read_text(encoding="utf-8"), encoding="utf-8")
    for domain, company in DISCOVER.items():
        args = ["discover", domain, "--company", company, "--archive", archive_url, "--dialect", "pywb"]
        args += ["--unthrottled", "--format", "table", "--append", str(targets)]
        print(f"$ policytrail {' '.join(args[:4])} --append {targets}")
        done = subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True)
        print(done.stdout, end="")
        if done.returncode != 0:
            raise LocalArchiveError(f"discover {domain} failed in the sample archive: {done.stderr.strip()[-500:]}")
    print()
    return targets


def import_sample_judgements(db: Path, sample: Path = SAMPLE_DIR) -> int:
    """The sample's researcher judgements (on its fictional companies), as ``annotate --import``
    would store them: what ``docs/research.md`` queries about review states. Returns how many were new."""
    from crawler.annotate import read_judgements
    from crawler.derive import derive
    from crawler.store import DatabaseLock, Store

    path = sample / "judgements.jsonl"
    if not path.is_file():
        return 0
    judgements = read_judgements(path)
    with DatabaseLock(db):
        store = Store(db, create=False)
        try:
            added = store.add_annotations(judgements, "import")
            if added:
                derive(store, sorted({j["company"] for j in judgements}))
        finally:
            store.close()
    return added
