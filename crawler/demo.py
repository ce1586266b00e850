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


def run_demo(db: Path, workdir: Path, sample: Path = SAMPLE_DIR) -> CrawlResult:
    local = build_sample_archive(workdir, sample)
    with local:
        settings = crawl_settings(
            db=db,
            targets=sample / "targets.csv",
            archive=Archive(local.url, "pywb"),
            unthrottled=True,
            extra={"POLICYTRAIL_PROGRESS": sys.stderr.isatty()},
        )
        result = run_crawl(settings)
    if result.exit_code == 0:
        import_sample_judgements(db, sample)
    return result


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
