"""Dialects, CDX parsing (on real recorded IA answers), memento URLs, redirects and timestamps."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.archive import (
    Archive,
    CdxRecord,
    archive_key_parts,
    has_archive_digest,
    parse_ia_cdx,
    parse_pywb_cdx,
    parse_time,
    payload_digest,
    triage,
)
from crawler.errors import UnexpectedResponseFormat, UsageError

from .recordings import load

FIXTURES = Path(__file__).parent / "fixtures"
IA = Archive("https://web.archive.org")


@pytest.mark.parametrize(
    "value,upper,expected",
    [
        ("2019", False, "20190101000000"),
        ("2019", True, "20191231235959"),
        ("201902", True, "20190228235959"),
        ("20200229", True, "20200229235959"),
        ("20170327070820", False, "20170327070820"),
        ("2019-05-01", False, "20190501000000"),
        ("2019-05-01", True, "20190501235959"),
        ("2019-05-01T12:00:00Z", False, "20190501120000"),
        ("2019-05-01T12:00:00+02:00", False, "20190501100000"),
    ],
)
def test_parse_time_reads_archive_timestamps_and_iso_dates_as_utc(value, upper, expected):
    assert parse_time(value, upper=upper) == expected


@pytest.mark.parametrize("value", ["yesterday", "123", "20191340", "2019-13-01"])
def test_parse_time_rejects_nonsense_with_a_usage_error(value):
    with pytest.raises(UsageError):
        parse_time(value)


@pytest.mark.parametrize(
    "value",
    [
        "2022-13",  # was read as 2022-01-31 by --to/--until
        "2019-00",  # was read as 2018-12-31
        "202213",
        "201900",
        "20190230",
        "20190431",
        "2019010124",
        "201901012360",
        "20190101235960",
        "0000",
        "20191",  # odd lengths are no unit of time: which month is 20191?
        "2019123",
        "\u0662\u0660\u0661\u0669",  # Arabic-Indic digits are not an archive timestamp
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:00:00-01:00",  # after year 9999 in UTC
    ],
)
@pytest.mark.parametrize("upper", [False, True], ids=["from", "to"])
def test_parse_time_refuses_impossible_times_naming_the_value(value, upper):
    with pytest.raises(UsageError, match=re.escape(repr(value))):
        parse_time(value, upper=upper)


def _valid_ts(ts: str) -> bool:
    if not re.fullmatch(r"[0-9]{14}", ts):
        return False
    try:
        datetime.strptime(ts, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


_TIMEISH = st.one_of(
    st.text(),
    st.from_regex(r"\A[0-9]{1,15}\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?\Z"),
    st.builds(lambda d, n: d.strftime("%Y%m%d%H%M%S")[:n], st.datetimes(), st.sampled_from([4, 6, 8, 10, 12, 14])),
)


@given(_TIMEISH, st.booleans())
def test_parse_time_gives_a_real_time_within_what_was_written_or_a_usage_error(value, upper):
    try:
        ts = parse_time(value, upper=upper)
    except UsageError as exc:
        assert repr(value) in str(exc)
        return
    assert _valid_ts(ts)
    text = value.strip()
    digits = text.replace("-", "") if re.fullmatch(r"[0-9]{4}-[0-9]{2}", text) else text
    if re.fullmatch(r"[0-9]+", digits):  # an archive timestamp: the time keeps every digit written
        assert ts.startswith(digits)
    assert parse_time(value) <= parse_time(value, upper=True)


def test_ia_cdx_query_lists_every_status_with_resume_keys():
    q = parse_qs(urlsplit(IA.cdx_url("https://www.krop.com/privacy")).query)
    assert q["url"] == ["https://www.krop.com/privacy"] and q["output"] == ["json"]
    assert q["showResumeKey"] == ["true"] and "urlkey" in q["fl"][0]
    assert "filter" not in q and "collapse" not in q


def test_multipage_text_cdx_from_the_real_archive_yields_each_page_and_its_resume_key():
    exchanges = load("test_search_multipage")
    total = 0
    for this, nxt in zip(exchanges, exchanges[1:]):
        page = parse_ia_cdx(this.body.decode(), this.uri)
        assert page.records and all(r.timestamp.startswith("2001") for r in page.records)
        expected = parse_qs(urlsplit(nxt.uri).query)["resumeKey"][0]
        assert page.resume_key == expected
        total += len(page.records)
    last = parse_ia_cdx(exchanges[-1].body.decode())
    assert last.resume_key is None
    assert total > 100


def test_cdx_record_fields_are_typed():
    page = parse_ia_cdx(load("test_search_multipage")[0].body.decode())
    rec = page.records[0]
    assert rec == CdxRecord(
        "com,cnn)/",
        "20010410213930",
        "http://www.cnn.com:80/",
        "text/html",
        "200",
        "YTEQQRWKL47VHUWFV2NXX7XLEOHMNWZ6",
        12942,
    )


def test_json_cdx_with_resume_key_and_empty_answer():
    body = (
        '[["urlkey","timestamp","original","mimetype","statuscode","digest","length"],'
        '["com,krop)/privacy","20170327070820","https://www.krop.com/privacy","text/html","200","ABC","100"],'
        '["com,krop)/privacy","20180101000000","https://www.krop.com/privacy","warc/revisit","-","ABC","-"],'
        '[],["com%2Ckrop%29%2Fprivacy+20180101000000"]]'
    )
    page = parse_ia_cdx(body)
    assert [r.timestamp for r in page.records] == ["20170327070820", "20180101000000"]
    assert page.records[1].length is None and page.resume_key == "com%2Ckrop%29%2Fprivacy+20180101000000"
    assert parse_ia_cdx("[]").records == []


def test_malformed_cdx_raises_with_the_offending_text():
    bad = (FIXTURES / "malformed_cdx.txt").read_text()
    with pytest.raises(UnexpectedResponseFormat, match="20170327"):
        parse_ia_cdx(bad, "https://web.archive.org/cdx/search/cdx?url=x")
    with pytest.raises(UnexpectedResponseFormat, match="not valid JSON"):
        parse_ia_cdx('[["urlkey"', "q")
    with pytest.raises(UnexpectedResponseFormat, match="line 2"):
        parse_pywb_cdx('{"timestamp": "20170327070820", "url": "https://a.example/"}\n{oops', "q")


def test_pywb_ndjson_uses_its_own_field_names():
    line = (
        '{"urlkey": "com,krop)/privacy", "timestamp": "20170327070820", "url": "https://www.krop.com/privacy",'
        ' "mime": "warc/revisit", "digest": "sha1:uyjw", "length": "396"}'
    )
    (rec,) = parse_pywb_cdx(line)
    assert rec.mimetype == "warc/revisit" and rec.statuscode == "-" and rec.digest == "UYJW"


def test_memento_urls_and_their_parsing_round_trip():
    url = IA.memento_url("20170327070820", "https://www.krop.com/privacy?lang=en")
    assert url == "https://web.archive.org/web/20170327070820id_/https://www.krop.com/privacy?lang=en"
    assert IA.parse_memento_url(url) == ("20170327070820", "https://www.krop.com/privacy?lang=en")
    assert IA.parse_memento_url("https://example.com/web/20170327070820id_/https://a.example/") is None


def test_archived_redirects_from_the_real_archive_resolve_inside_it():
    absolute = load("test_get_memento_with_redirects")[0]
    loc = absolute.headers["Location"][0]
    ts, url = IA.resolve_redirect(loc, absolute.uri, "20180808094144")
    assert (ts, url) == (
        "20180808094144",
        "https://www.epa.gov/ghgreporting/proposed-rule-fact-sheet-greenhouse-"
        "gas-reporting-program-addition-global-warming",
    )
    path_based = load("test_get_memento_with_path_based_redirects")[0]
    ts, url = IA.resolve_redirect(path_based.headers["Location"][0], path_based.uri, "20201027215555")
    assert url == "https://www.whitehouse.gov/ostp/about/student/faqs"


def test_a_live_location_is_looked_up_in_the_archive_not_fetched():
    pywb = Archive("http://127.0.0.1:8080", "pywb")
    ts, url = pywb.resolve_redirect(
        "https://www.krop.com/legal/privacy",
        "http://127.0.0.1:8080/web/20190310084500id_/https://www.krop.com/privacy",
        "20190310084500",
    )
    assert pywb.memento_url(ts, url).startswith("http://127.0.0.1:8080/web/20190310084500id_/")


def test_payload_digest_matches_the_archive():
    # the digest pywb/IA put in CDX: base32 SHA-1 of the payload
    assert payload_digest(b"") == "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"


@pytest.mark.parametrize(
    "status,mime,skip",
    [
        ("200", "text/html", None),
        ("-", "warc/revisit", None),
        ("301", "text/html", None),
        ("404", "text/html", "archived HTTP 404"),
        ("503", "text/html", "archived HTTP 503"),
        ("200", "image/png", "not a document: image/png"),
        ("200", "application/pdf", None),
    ],
)
def test_triage_says_which_captures_need_a_fetch(status, mime, skip):
    assert triage(CdxRecord("k", "20200101000000", "https://a.example/", mime, status, "D", 1)) == skip


def test_archive_rejects_bad_base_urls_and_dialects():
    with pytest.raises(UsageError):
        Archive("web.archive.org")
    with pytest.raises(UsageError):
        Archive("https://web.archive.org", "wayback")
    assert Archive("http://127.0.0.1:9999/").is_local and not IA.is_local
    assert Archive("http://127.0.0.1:1234", "pywb").key == Archive("http://127.0.0.1:4321", "pywb").key


def test_captures_listed_without_a_digest_are_keyed_by_url_and_timestamp():
    header = '[["urlkey","timestamp","original","mimetype","statuscode","digest","length"],'
    rows = [
        '["a","20200101000000","https://a.example/p","text/html","200","-","10"]',
        '["a","20210101000000","https://a.example/p","text/html","200","-","10"]',
        '["a","20220101000000","https://a.example/p","text/html","200","sha1:ABCD","10"]',
    ]
    first, second, third = parse_ia_cdx(header + ",".join(rows) + "]").records
    assert first.digest != second.digest  # never one another's duplicates
    assert first.digest == "NODIGEST:20200101000000:https://a.example/p" and not has_archive_digest(first.digest)
    again = parse_ia_cdx(header + rows[0] + "]").records[0]
    assert again.digest == first.digest  # the same capture keeps its key from one listing to the next
    assert third.digest == "ABCD" and has_archive_digest(third.digest)


def test_a_remote_archive_s_key_names_its_collection_unless_it_is_web():
    # keys of "web" archives are unchanged, so existing databases keep matching
    assert IA.key == "web.archive.org"
    assert Archive("https://archive.example/wayback/", "pywb").key == "archive.example/wayback"
    other = Archive("https://archive.example/wayback", "pywb", "ukgwa")
    assert other.key == "archive.example/wayback#ukgwa"
    assert other.memento_url("20170327070820", "https://a.example/") == (
        "https://archive.example/wayback/ukgwa/20170327070820id_/https://a.example/"
    )
    assert Archive("http://127.0.0.1:1234", "pywb", "ukgwa").key == "local/ukgwa"
    plain = Archive("http://archive.example/wayback", "pywb")  # served without TLS: cited as it was crawled
    assert plain.key == "http://archive.example/wayback"
    assert archive_key_parts(plain.key) == ("http://archive.example/wayback", "web")
    assert archive_key_parts(other.key) == ("https://archive.example/wayback", "ukgwa")
    with pytest.raises(UsageError):
        Archive("https://archive.example", "pywb", "a/b#c")


@pytest.mark.parametrize(
    "base,local",
    [
        ("http://127.0.0.1:8080", True),
        ("http://127.8.9.10", True),
        ("http://localhost:8080", True),
        ("http://[::1]:8080", True),
        ("http://127.attacker.example", False),
        ("http://127.0.0.1.nip.io:8080", False),
        ("http://localhost.attacker.example", False),
        ("http://10.0.0.1:8080", False),
        ("https://web.archive.org", False),
    ],
)
def test_only_loopback_addresses_are_local(base, local):
    assert Archive(base).is_local is local
