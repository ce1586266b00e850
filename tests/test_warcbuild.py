"""WARCs built from a manifest are valid and carry revisits and redirects."""

from __future__ import annotations

from warcio.archiveiterator import ArchiveIterator

from crawler.archive import payload_digest
from crawler.localarchive.warc import read_manifest, write_warc

from .conftest import FIXTURES


def test_manifest_becomes_a_readable_warc_with_revisits_and_redirects(tmp_path):
    specs = read_manifest(FIXTURES / "archive" / "captures.csv")
    path = write_warc(specs, tmp_path / "x.warc.gz")
    with path.open("rb") as fh:
        records = [
            (
                r.rec_type,
                r.rec_headers.get_header("WARC-Target-URI"),
                r.rec_headers.get_header("WARC-Date"),
                r.http_headers,
                r.content_stream().read(),
            )
            for r in ArchiveIterator(fh)
        ]
    assert len(records) == len(specs)
    revisits = [r for r in records if r[0] == "revisit"]
    assert len(revisits) == 1 and revisits[0][2] == "2019-10-01T00:00:00Z"
    redirect = next(r for r in records if r[3] and r[3].get_statuscode() == "301")
    assert redirect[3].get_header("Location") == "https://www.acme.example/legal/privacy"
    body = (FIXTURES / "archive" / "acme-a-1.html").read_bytes()
    first = next(r for r in records if r[2] == "2018-03-01T00:00:00Z")
    assert first[4] == body and payload_digest(first[4]) == payload_digest(body)
