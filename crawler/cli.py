"""The ``policytrail`` command: thin orchestration; expected failures become one-line messages.

Exit codes: 0 success; 1 finished with failures; 2 bad input or usage; 3 archive unreachable
or stopped on rate limits (resume later); 4 discover found no privacy policy for a domain; 75 another
run holds the lock; 130 interrupted (SIGINT or SIGTERM: progress is saved, run again).
"""

from __future__ import annotations

import errno
import functools
import io
import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

import click

from crawler import __version__
from crawler import defaults as d
from crawler.archive import DIALECTS, Archive
from crawler.defaults import (
    DEFAULT_ARCHIVE,
    DEFAULT_COLLECTION,
    DEFAULT_DB,
    DEFAULT_DIALECT,
    DEFAULT_TARGETS,
    DEMO_DB,
    DEMO_WORKDIR,
)
from crawler.errors import EXIT_FAILURES, EXIT_INTERRUPTED, PolicytrailError
from crawler.options import (
    BATCH,
    BRACKETS_FROM,
    BUDGET_WINDOW,
    CDX_PAGE_SIZE,
    CDX_RATE,
    JOBS,
    LEASE,
    MEMENTO_RATE,
    PORT,
    REVIEW_CLAUSES,
    SAVE_RATE,
    SEARCH_LIMIT,
    TIME_LIMIT,
)
from crawler.outputs.tables import emit_rows, format_option


def db_option(default: str = DEFAULT_DB):
    return click.option(
        "--db",
        default=default,
        show_default=True,
        type=click.Path(dir_okay=False, readable=False),  # an unreadable file: the store says why, in one line
        help="SQLite database to read and write.",
    )


targets_option = click.option(
    "--targets",
    default=DEFAULT_TARGETS,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="CSV file of company,url[,document] rows.",
)


rules_option = click.option(
    "--rules",
    type=click.Path(dir_okay=False),
    default=None,
    help="Per-target extraction rules (TOML; see docs/extraction.md). Opt-in: none by default.",
)


def companies_option(fn):
    return click.option("--company", "companies", multiple=True, help="Only this company (repeatable).")(fn)


def clean_errors(fn):
    """Turn a PolicytrailError into its message and exit code, Ctrl-C into exit 130, and a standard
    output that cannot be written (a full disk) into exit 1 -- each in one line, without a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            try:
                return fn(*args, **kwargs)
            finally:
                sys.stdout.flush()  # a full disk shows here, not as a traceback at exit
        except PolicytrailError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except sqlite3.DatabaseError as exc:  # met after opening: a damaged file, a disk gone read-only
            from crawler.store.database import classify

            told = classify(exc, Path(kwargs.get("db") or "the database"))
            click.echo(f"Error: {told}", err=True)
            sys.exit(told.exit_code)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG):
                raise
            _discard_stdout()
            where = exc.filename or "the output (standard output)"
            click.echo(f"Error: cannot write {where}: {exc.strerror}", err=True)
            sys.exit(EXIT_FAILURES)
        except KeyboardInterrupt:  # Ctrl-C outside a crawl (a crawl handles its own signals)
            click.echo("Error: interrupted.", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so that what is still buffered cannot fail again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policytrail")
def cli() -> None:
    """Reconstruct how privacy policies changed, from web archives.

    \b
    Example:
        policytrail demo
        policytrail crawl --company Krop
    """


def _print_summary(result, fmt: str | None) -> None:
    emit_rows(result.summary, fmt)
    click.echo(result.message, err=True)


@cli.command()
@targets_option
@db_option()
@click.option("--archive", default=DEFAULT_ARCHIVE, show_default=True, help="Base URL of the web archive.")
@click.option(
    "--dialect",
    type=click.Choice(DIALECTS),
    default=DEFAULT_DIALECT,
    show_default=True,
    help="ia: the Internet Archive's Wayback Machine; pywb: pywb and institutional archives.",
)
@click.option("--collection", default=DEFAULT_COLLECTION, show_default=True, help="Collection name (pywb archives).")
@companies_option
@click.option(
    "--cdx-per-minute",
    type=CDX_RATE,
    default=None,
    help=f"CDX requests per minute, at most {d.IA_CDX_PER_MINUTE_LIMIT} for a remote archive "
    f"[default: {d.CDX_PER_MINUTE}].",
)
@click.option(
    "--mementos-per-minute",
    type=MEMENTO_RATE,
    default=None,
    help=f"Memento fetches per minute, at most {d.IA_MEMENTOS_PER_MINUTE_LIMIT} for a remote archive "
    f"[default: {d.MEMENTOS_PER_MINUTE}].",
)
@click.option("--unthrottled", is_flag=True, help="Lift the rate limits; allowed only for an archive on 127.0.0.1.")
@click.option("--full", is_flag=True, help="List every capture again, not only those since the last run.")
@click.option(
    "--strategy",
    type=click.Choice(["changes", "all"]),
    default=d.STRATEGY,
    show_default=True,
    help="changes: fetch what places every policy change between two adjacent captures, infer the rest; "
    "all: fetch every distinct body.",
)
@click.option("--refine", is_flag=True, help="With --strategy changes: probe four times denser (costs more fetches).")
@click.option(
    "--estimate",
    is_flag=True,
    help="List through CDX only (nothing fetched) and show, per company, what each strategy would fetch and take.",
)
@rules_option
@click.option("--cdx-page-size", type=CDX_PAGE_SIZE, default=None, help=f"CDX rows per page [{d.CDX_PAGE_SIZE}].")
@click.option("--user-agent", default=None, help="Override the User-Agent (keep it honest: name yourself).")
@click.option("-v", "--verbose", is_flag=True, help="Log every request (Scrapy INFO level).")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary; print only errors (for cron).")
@click.option(
    "--log-file", type=click.Path(dir_okay=False), default=None, help="Write the crawl log (INFO level) to this file."
)
@click.option(
    "--progress/--no-progress", default=None, help="Live progress display [default: on when stderr is a terminal]."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: exit code, message, run, figures.")
@click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a setting of crawler/settings.py, e.g. -s DOWNLOAD_TIMEOUT=30 (repeatable).",
)
@format_option
@clean_errors
def crawl(
    targets,
    db,
    archive,
    dialect,
    collection,
    companies,
    cdx_per_minute,
    mementos_per_minute,
    unthrottled,
    user_agent,
    full,
    strategy,
    refine,
    estimate,
    rules,
    cdx_page_size,
    verbose,
    quiet,
    log_file,
    progress,
    as_json,
    overrides,
    fmt,
):
    """List every archived capture of each target, fetch what is needed, derive versions.

    Talks to the Internet Archive by default, at 24 CDX requests and 480 mementos per minute.
    By default (--strategy changes) only the captures that place each policy change between two
    adjacent captures are fetched; the others are inferred. Run it again at any time: known
    captures are not fetched again, new ones are searched against the newest fetched one.

    \b
    Example:
        policytrail crawl --company Krop --db data/krop.db
        policytrail crawl --estimate --targets study.csv     # CDX only: what would it cost?
        policytrail crawl --archive http://127.0.0.1:8080 --dialect pywb --unthrottled
        policytrail crawl --quiet --log-file logs/crawl.log    # from cron
    """
    from crawler.archive import utcnow
    from crawler.crawl.run import CrawlResult, crawl_settings, parse_overrides, run_crawl
    from crawler.outputs.destinations import check_log_file

    if log_file:  # not the database, and writable: before anything is locked, created or requested
        check_log_file(log_file, db, f"{utcnow()} [policytrail] INFO: policytrail {__version__} crawl --db {db}")
    if progress is None:
        progress = sys.stderr.isatty() and not (quiet or verbose or as_json)

    settings = crawl_settings(
        db=db,
        targets=targets,
        archive=Archive(archive, dialect, collection),
        companies=companies,
        cdx_per_minute=cdx_per_minute,
        mementos_per_minute=mementos_per_minute,
        unthrottled=unthrottled,
        user_agent=user_agent,
        log_level="INFO" if verbose or log_file else "ERROR" if quiet else "WARNING",
        log_file=log_file,
        full=full,
        cdx_page_size=cdx_page_size,
        strategy=strategy,
        refine=refine,
        estimate=estimate,
        extra={**parse_overrides(overrides), "POLICYTRAIL_PROGRESS": progress, "POLICYTRAIL_RULES": rules},
    )
    try:
        result = run_crawl(settings)
    except PolicytrailError as exc:  # refused before it ran (the lock held, a bad targets file)
        if as_json:  # a job runner reads one JSON object on standard output, whatever stopped the run
            refused = CrawlResult(exc.exit_code, str(exc), error=exc)
            click.echo(json.dumps(refused.as_dict(), indent=2, ensure_ascii=False))
        raise
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    elif not quiet:
        _print_summary(result, fmt)
    elif result.exit_code:
        click.echo(result.message, err=True)
    sys.exit(result.exit_code)


@cli.command()
@click.argument("domains", nargs=-1, required=True)
@click.option("--company", default=None, help="Company name for the rows [default: the domain].")
@click.option("--archive", default=DEFAULT_ARCHIVE, show_default=True, help="Base URL of the web archive.")
@click.option("--dialect", type=click.Choice(DIALECTS), default=DEFAULT_DIALECT, show_default=True)
@click.option("--collection", default=DEFAULT_COLLECTION, show_default=True, help="Collection name (pywb archives).")
@click.option("--since", default=None, help="Only captures from this time on (timestamp or ISO).")
@click.option(
    "--by",
    type=click.Choice(["year", "quarter", "month"]),
    default="year",
    show_default=True,
    help="How often a homepage capture is read for its links.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "table", "json"]),
    default=None,
    help="Output format (default: table on a terminal, csv otherwise: the targets file's own format).",
)
@click.option(
    "--append",
    "append_to",
    type=click.Path(dir_okay=False),
    default=None,
    help="Append the rows to this targets file (created when missing; rows already there are not repeated).",
)
@click.option("--estimate", "only_estimate", is_flag=True, help="Print the cost estimate and stop, asking nothing.")
@click.option("--cdx-per-minute", type=CDX_RATE, default=None, help=f"[default: {d.CDX_PER_MINUTE}]")
@click.option("--mementos-per-minute", type=MEMENTO_RATE, default=None, help=f"[default: {d.MEMENTOS_PER_MINUTE}]")
@click.option("--unthrottled", is_flag=True, help="Lift the rate limits; allowed only for an archive on 127.0.0.1.")
@click.option("--user-agent", default=None, help="Override the User-Agent (keep it honest: name yourself).")
@click.option("-v", "--verbose", is_flag=True, help="Log every request (Scrapy INFO level).")
@clean_errors
def discover(
    domains,
    company,
    archive,
    dialect,
    collection,
    since,
    by,
    fmt,
    append_to,
    only_estimate,
    cdx_per_minute,
    mementos_per_minute,
    unthrottled,
    user_agent,
    verbose,
):
    """Find a company's privacy policy URLs over the years, from its domain, in the archive.

    Reads the archive's index (URLs whose path says privacy, in many languages) and the links of
    the homepage's captures, one per year, following archived redirects; prints targets rows
    (company,url,document,valid_from,valid_to) with the evidence for each. A policy that moved gives
    one row per URL, each with the window in which it carried the policy: `crawl` builds one
    timeline from them.

    \b
    Example:
        policytrail discover krop.com --company Krop --append data/targets.csv
        policytrail discover example.com example.org --since 2015 --format json
    """
    from crawler.archive import parse_time, utcnow
    from crawler.crawl.discovering import discover_settings, run_discover
    from crawler.crawl.targets import append_rows
    from crawler.discover import check_domain, estimate

    checked = list(dict.fromkeys(check_domain(x) for x in domains))  # exit 2 before anything is asked
    since_ts = parse_time(since) if since else None
    where = Archive(archive, dialect, collection)
    settings = discover_settings(
        archive=where,
        cdx_per_minute=cdx_per_minute,
        mementos_per_minute=mementos_per_minute,
        unthrottled=unthrottled,
        user_agent=user_agent,
        log_level="INFO" if verbose else "WARNING",
    )
    cost = estimate(
        len(checked),
        since=since_ts,
        by=by,
        now=utcnow().replace("-", ""),
        cdx_per_minute=settings.getfloat("POLICYTRAIL_CDX_PER_MINUTE") if not unthrottled else 60_000,
        mementos_per_minute=settings.getfloat("POLICYTRAIL_MEMENTOS_PER_MINUTE") if not unthrottled else 60_000,
    )
    if only_estimate:
        click.echo(f"Estimate: {cost.describe()}.")
        return
    if cost.minutes >= 1:
        click.echo(f"Estimate: {cost.describe()}. Ctrl-C stops it.", err=True)
    result = run_discover(
        settings, checked, companies=dict.fromkeys(checked, company) if company else {}, since=since_ts, by=by
    )
    rows = result.rows
    fmt = fmt or ("table" if sys.stdout.isatty() else "csv")
    if fmt == "json":
        from dataclasses import asdict

        click.echo(json.dumps([asdict(r) for r in rows], indent=2, ensure_ascii=False))
    else:
        emit_rows([{**r.target(), "evidence": r.evidence} for r in rows], fmt)
    if append_to and rows:
        added, kept = append_rows(append_to, [r.target() for r in rows])
        click.echo(f"{append_to}: {added} row(s) added" + (f", {kept} already there" if kept else "") + ".", err=True)
    for r in result.domains:
        asked = f"{r.requests['cdx']} CDX request(s), {r.requests['memento']} memento(s)"
        click.echo(f"{r.domain}: {len(r.rows)} row(s), {asked}", err=True)
    click.echo(result.message if result.exit_code == 0 else f"Error: {result.message}", err=True)
    sys.exit(result.exit_code)


@cli.command()
@db_option(default=DEMO_DB)
@click.option(
    "--workdir",
    default=DEMO_WORKDIR,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the sample WARCs and the pywb collection are built.",
)
@click.option(
    "--discover",
    "with_discover",
    is_flag=True,
    help="First discover the policy URLs of the sample's company whose policy moved (Pebble), then crawl them too.",
)
@format_option
@clean_errors
def demo(db, workdir, with_discover, fmt):
    """Crawl the bundled sample archive, served by a local pywb, into its own database.

    Never touches your real database. Safe to run again. With --discover, first finds where the
    policy of Pebble (a sample company whose policy moved twice) lived over the years.

    \b
    Example:
        policytrail demo
        policytrail demo --discover
    """
    from crawler.demo import run_demo

    result = run_demo(db=Path(db), workdir=Path(workdir), discover=with_discover)
    _print_summary(result, fmt)
    click.echo(f"""
Demo database: {db}. Try next:
  sqlite3 {db} "SELECT company, in_force_from, in_force_to, capture_count FROM policy_timeline"
  sqlite3 {db} "SELECT url, timestamp, state, reason FROM captures WHERE state = 'skipped'"
  policytrail query "SELECT company, in_force_from, stated_date_text FROM policy_timeline" --db {db}
  policytrail diff Krop --db {db}                                # what changed, clause by clause
  policytrail trends --db {db}                                   # changes, length, topics across companies
  policytrail review Krop --db {db}                              # judge each change: one key each
  policytrail crawl --company Krop --db data/policytrail.db     # the real Wayback Machine
  policytrail save --company Krop                               # ask the Wayback Machine to capture today's page""")
    sys.exit(result.exit_code)


@cli.command()
@targets_option
@click.option("--archive", default=DEFAULT_ARCHIVE, show_default=True, help="Base URL of the Wayback Machine.")
@companies_option
@click.option(
    "--per-minute",
    type=SAVE_RATE,
    default=d.SAVE_PER_MINUTE,
    show_default=True,
    help=f"Save requests per minute, at most {d.SAVE_PER_MINUTE_LIMIT} for the Wayback Machine "
    "(Save Page Now allows about 15).",
)
@click.option("--redis", "redis_url", default=None, help="Share this rate with every worker saving through this Redis.")
@format_option
@clean_errors
def save(targets, archive, companies, per_minute, redis_url, fmt):
    """Ask the Wayback Machine's Save Page Now to capture today's policy pages.

    Scheduled jobs run it so that later crawls have fresh captures to diff.

    \b
    Example:
        policytrail save --company Krop
    """
    from crawler.crawl.save import save_targets

    budget = None
    if redis_url:
        from crawler.scale.limiter import SharedBudget

        budget = SharedBudget(redis_url, archive, {"save": per_minute})
    result = save_targets(
        targets=targets, archive=Archive(archive, "ia"), companies=companies, per_minute=per_minute, budget=budget
    )
    emit_rows(result.rows, fmt)
    click.echo(result.message, err=True)
    sys.exit(result.exit_code)


@cli.command()
@click.argument("company")
@click.option("--from", "from_ts", default=None, help="Compare the version in force at this time (timestamp or ISO).")
@click.option("--to", "to_ts", default=None, help="... with the version in force at this time [default: latest].")
@click.option("--document", default=None, help="Which document, when the company has several.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("--color/--no-color", default=None, help="Colour the text diff [default: on a terminal].")
@click.option(
    "--captures",
    nargs=2,
    metavar="TS1 TS2",
    default=None,
    help="Compare two captures' texts line by line instead (also two captures of one version: then it shows "
    "what the version key ignored).",
)
@click.option("--url", default=None, help="With --captures: the URL, when several were captured at one time.")
@db_option()
@clean_errors
def diff(company, from_ts, to_ts, document, fmt, color, captures, url, db):
    """Show clause by clause how a company's policy changed between two versions.

    Without --from/--to: the latest change. With them: the versions in force at those times.
    With --captures: the text-level difference between two captures, and whether it made a version.

    \b
    Example:
        policytrail diff Krop --db data/demo.db
        policytrail diff Krop --from 2017 --to 2022-12-31 --format html > krop.html
        policytrail diff Krop --captures 20170601 20170901 --db data/demo.db
    """
    from crawler.derive import compare
    from crawler.diff import load_taxonomy
    from crawler.outputs.history import pair_to_compare
    from crawler.outputs.reports import diff_html, diff_json, diff_text, dumps

    store = _open_existing(db)
    if captures:
        from crawler.outputs.inspect import compare_captures, compare_text, read_capture

        if from_ts or to_ts or fmt == "html":
            raise click.UsageError("--captures compares two captures: no --from/--to; --format text or json")
        result = compare_captures(*(read_capture(store, company, ts, url) for ts in captures))
        click.echo(dumps(result) if fmt == "json" else compare_text(result))
        return
    pair = pair_to_compare(store, company, from_ts, to_ts, document)
    if pair is None:
        click.echo(f"{company}: only one version is known so far; nothing to compare.", err=True)
        return
    result = compare(store, pair.old.version_id, pair.new.version_id, load_taxonomy())
    if fmt == "json":
        click.echo(dumps(diff_json(pair, result)))
    elif fmt == "html":
        click.echo(diff_html(pair, result))
    else:
        use_color = sys.stdout.isatty() if color is None else color
        click.echo(diff_text(pair, result, use_color), color=use_color)


@cli.command()
@click.argument("company")
@click.argument("timestamp")
@click.option("--url", default=None, help="The URL, when several were captured at that time.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@db_option()
@clean_errors
def inspect(company, timestamp, url, fmt, db):
    """Why is this a new version? Show one capture's policy text and every block left out of it, with why.

    TIMESTAMP is an archive timestamp or ISO time; a shorter one must name one capture. The
    stored page is read again as derive reads it (generic extraction, and the furniture learnt for
    its URL, see the learnt_chrome view); nothing is written. Per-target rules are not applied.

    \b
    Example:
        policytrail inspect Krop 20170601 --db data/demo.db
    """
    from crawler.outputs.inspect import inspect_text, read_capture
    from crawler.outputs.reports import dumps

    result = read_capture(_open_existing(db), company, timestamp, url)
    click.echo(dumps(result.as_dict()) if fmt == "json" else inspect_text(result))


@cli.command()
@click.argument("sql")
@db_option()
@click.option(
    "--time-limit",
    type=TIME_LIMIT,
    default=d.QUERY_SECONDS,
    show_default=True,
    help="Seconds before the query is stopped.",
)
@format_option
@clean_errors
def query(sql, db, time_limit, fmt):
    """Run one read-only SQL query against the database.

    The connection cannot write, ATTACH other databases or load extensions, and a runaway
    query is interrupted after --time-limit seconds. The views are the stable API
    (docs/schema.md).

    \b
    Example:
        policytrail query "SELECT company, in_force_from FROM policy_timeline" --format csv
    """
    from crawler.outputs.research import run_query
    from crawler.outputs.tables import rows_as_dicts

    columns, rows = run_query(db, sql, time_limit=time_limit)
    emit_rows(rows_as_dicts(columns, rows), fmt)


@cli.command()
@click.argument("phrase")
@companies_option
@click.option("--since", default=None, help="Only clauses in force at or after this time.")
@click.option("--until", default=None, help="Only clauses in force at or before this time.")
@click.option(
    "--limit",
    type=SEARCH_LIMIT,
    default=d.SEARCH_RESULTS,
    show_default=True,
    help="At most this many results (0: all).",
)
@db_option()
@format_option
@clean_errors
def search(phrase, companies, since, until, limit, db, fmt):
    """Find clauses containing a phrase, with the time ranges each was in force.

    Full-text search (SQLite FTS5, English stemming) over every clause of every version.

    \b
    Example:
        policytrail search "sell personal information" --since 2019 --until 2020-12-31
    """
    from crawler.outputs.research import search_clauses

    hits = search_clauses(db, phrase, companies, since, until, limit=limit or None)
    if limit and len(hits) >= limit:
        click.echo(f"Showing the first {limit} results; --limit 0 shows all.", err=True)
    emit_rows(
        [
            {
                "company": h.company,
                "in_force_from": h.in_force_from,
                "in_force_to": h.in_force_to or "",
                "section": h.section,
                "clause": h.text,
            }
            for h in hits
        ],
        fmt,
    )


@cli.command()
@click.option(
    "--by",
    type=click.Choice(["month", "quarter", "year"]),
    default="year",
    show_default=True,
    help="Length of a period (UTC calendar).",
)
@click.option(
    "--topic",
    "topics",
    multiple=True,
    help="Only this topic's columns (repeatable; default: every topic of the taxonomy).",
)
@companies_option
@click.option("--since", default=None, help="From the period holding this time [default: the first capture].")
@click.option("--until", default=None, help="To the period holding this time [default: the last capture].")
@db_option()
@format_option
@clean_errors
def trends(by, topics, companies, since, until, db, fmt):
    """Figures per month, quarter or year across companies: changes, length, readability, topics.

    Per period: companies observed (captured in it, or carried: known from the captures around
    it), policies changed, substantive and cosmetic changes, changes per topic, quartiles of
    length (words) and reading grade, and the share of policies in force mentioning each topic.
    How a period counts a policy it holds no capture of is printed with the rows (on stderr).

    \b
    Example:
        policytrail trends --db data/demo.db
        policytrail trends --by month --since 2018 --until 2020-06 --topic gdpr --format csv > months.csv
    """
    from crawler.outputs.trends import trends as compute

    result = compute(_open_existing(db), by=by, topics=topics, companies=companies, since=since, until=until)
    emit_rows(result.rows, fmt)
    for note in result.notes:
        click.echo(note, err=True)


def _port_free(port: int) -> None:
    """Refuse a port another program listens on, before Datasette takes the process (its own error
    would be a traceback and another exit code)."""
    import socket

    from crawler.errors import UsageError

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does: TIME_WAIT is free
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UsageError(f"--port {port}: 127.0.0.1:{port} is taken ({exc.strerror}); choose another") from None


@cli.command()
@db_option()
@click.option("--port", type=PORT, default=8001, show_default=True, help="Port on 127.0.0.1.")
@clean_errors
def browse(db, port):
    """Browse the database in Datasette, on 127.0.0.1, with column docs and research queries.

    \b
    Example:
        policytrail browse --db data/demo.db      # then open http://127.0.0.1:8001
    """
    import tempfile

    from crawler.outputs.research import datasette_metadata
    from crawler.store.files import needs_immutable

    path = _open_existing(db).path
    _port_free(port)
    # Datasette reads its metadata once, from a file with no name (unlinked at once, or never linked): it
    # goes with the process, however Datasette ends, and leaves nothing in the temporary directory
    docs = tempfile.TemporaryFile()
    docs.write(json.dumps(datasette_metadata(path.stem), indent=2).encode("utf-8"))
    docs.flush()
    docs.seek(0)
    os.set_inheritable(docs.fileno(), True)
    metadata = f"/dev/fd/{docs.fileno()}"
    # a database that SQLite reads only as immutable (a folder nobody can write) is served that way too
    database = ["-i", str(path)] if needs_immutable(path) else [str(path)]
    args = [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        *database,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--metadata",
        str(metadata),
        "--setting",
        "sql_time_limit_ms",
        "5000",
    ]
    click.echo(f"Datasette on http://127.0.0.1:{port}/ (Ctrl-C to stop)", err=True)
    os.execv(sys.executable, args)  # the same process: stopping this PID stops Datasette


@cli.command()
@companies_option
@click.option(
    "--since",
    default=None,
    help="Only changes whose window ends at or after this time; the overview's periods start there.",
)
@click.option("--out", "out", required=True, type=click.Path(), help="Directory to write.")
@click.option(
    "--force", is_flag=True, help="Write into --out even if it is not empty (pages of the same names are replaced)."
)
@db_option()
@clean_errors
def report(companies, since, out, force, db):
    """Write a static HTML report: an index of companies, an overview of trends, a page per company.

    Opens from disk: no JavaScript, no CDN, no external fonts. Every change is citable
    (archive URLs of both captures, snapshot hashes, change window, extractor version). The
    overview's SVG charts (changes per month, length, readability, topics) each have their
    numbers as a table under them and a CSV beside them.

    \b
    Example:
        policytrail report --db data/demo.db --out report/ && open report/index.html
    """
    from crawler.archive import parse_time, utcnow
    from crawler.outputs.destinations import Output
    from crawler.outputs.history import load_documents
    from crawler.outputs.reports import render_site
    from crawler.outputs.trends import TrendData

    store = _open_existing(db)
    docs = load_documents(store, tuple(companies), since)
    trends = TrendData(store, tuple(companies))
    since_ts = parse_time(since) if since else None
    out_folder = Output(out, database=store.path, folder=True, force=force).prepare()
    written = render_site(docs, out_folder, utcnow(), trends=trends, since=since_ts)
    pages = sum(1 for p in written if p.suffix == ".html")
    click.echo(
        f"Wrote {pages} pages and {len(written) - pages} CSV files to {out}/ (open {Path(out) / 'index.html'})",
        err=True,
    )


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "markdown", "atom", "warc"]), required=True)
@click.option("--out", "out", required=True, type=click.Path(), help="Directory (csv, jsonl, markdown) or file.")
@companies_option
@click.option("--since", default=None, help="Only changes whose window ends at or after this time.")
@click.option("--feed-id", default="tag:policytrail,2026:changes", show_default=True, help="Atom feed id.")
@click.option("--force", is_flag=True, help="Overwrite an existing file, or write into a folder that is not empty.")
@db_option()
@clean_errors
def export(fmt, out, companies, since, feed_id, force, db):
    """Export versions, changes and clause changes: CSV, JSON Lines, Markdown, Atom or WARC.

    \b
    Example:
        policytrail export --format csv --out export/ --db data/demo.db
        policytrail export --format atom --out changes.atom
        policytrail export --format warc --out snapshots.warc.gz
    """
    from crawler.archive import utcnow
    from crawler.outputs.destinations import Output
    from crawler.outputs.exports import write_atom, write_markdown, write_tabular, write_warc
    from crawler.outputs.history import load_documents

    store = _open_existing(db)
    docs = load_documents(store, tuple(companies), since, with_clauses=fmt != "warc")
    out_path = Output(out, database=store.path, folder=fmt in ("csv", "jsonl", "markdown"), force=force).prepare()
    if fmt in ("csv", "jsonl"):
        written = write_tabular(docs, out_path, fmt, store)
    elif fmt == "markdown":
        written = write_markdown(docs, out_path, utcnow())
    elif fmt == "atom":
        written = write_atom(docs, out_path, utcnow(), feed_id)
    else:
        written = write_warc(store, docs, out_path)
    click.echo(f"Wrote {', '.join(str(p) for p in written)}", err=True)


@cli.command()
@companies_option
@rules_option
@click.option("--force", is_flag=True, help="Extract every snapshot again, even those already read by this version.")
@click.option(
    "--jobs",
    type=JOBS,
    default=1,
    show_default=True,
    help="Processes for extraction and clause diffs (the database is written by one; the result is the same).",
)
@db_option()
@format_option
@clean_errors
def reextract(companies, rules, force, jobs, db, fmt):
    """Derive versions again from the stored snapshots, after an extractor or rules change. No network.

    Versions that change only because of the new extraction are recorded in the
    reextractions table, never reported as changes of the policy. After an upgrade of the
    clause model, clauses are segmented and diffed again: the same changes, new clause rows.

    \b
    Example:
        policytrail reextract --rules data/rules.toml --company Match
        policytrail reextract --force --jobs 4
    """
    from crawler.derive import reextract as run

    def work(store, loaded):
        return (*run(store, tuple(companies), loaded, force, jobs), orphaned(store))

    rows, report, orphans = _writing(db, rules, work)
    emit_rows(rows, fmt)
    reread = sum(r["captures_reread"] for r in rows)
    recomputed = sum(r["diffs_recomputed"] for r in rows)
    click.echo(
        f"Re-extracted: {reread} capture(s) read differently (see the reextractions table); "
        f"changes of the policy are recomputed from the new versions ({recomputed} clause diff(s) computed again).",
        err=True,
    )
    _say_what_judgements_missed(report, orphans)


@cli.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(dir_okay=False))
@rules_option
@db_option()
@format_option
@clean_errors
def merge(shards, rules, db, fmt):
    """Fold shard databases written by several workers into one database, then derive. No network.

    Facts only (targets, captures, snapshots, crawl runs, judgements), matched by content
    (URL, archive/url/timestamp/digest, digest), never by ids; conflicts resolved as one crawl
    would. Merging a shard again changes nothing. Every shard is checked first: a foreign or
    damaged one stops the merge (exit 2) before the database is touched.

    \b
    Example:
        policytrail merge shards/worker-*.db --db data/policytrail.db
    """
    from crawler.derive import derive
    from crawler.extract import load_rules
    from crawler.scale.merge import check_shards, merge_shards
    from crawler.store import DatabaseLock, Store

    loaded = load_rules(rules)
    check_shards(list(shards), db)
    with DatabaseLock(db):
        store = Store(db)
        try:
            reports = merge_shards(store, list(shards))
            companies = sorted(set().union(*(r.companies for r in reports)))
            if companies:
                derive(store, companies, loaded)
            orphans = orphaned(store)
        finally:
            store.close()
    emit_rows([r.row() for r in reports], fmt)
    click.echo(
        f"Merged {len(reports)} shard(s) into {db}: {sum(r.captures_added for r in reports)} new capture(s), "
        f"{sum(r.snapshots for r in reports)} new snapshot(s); {len(companies)} company(ies) derived again.",
        err=True,
    )
    if orphans:
        click.echo(f"Note: {orphans} judgement(s) apply to no capture or change of this database (kept).", err=True)


redis_option = click.option("--redis", "redis_url", required=True, help="Redis URL shared by every worker.")
queue_option = click.option(
    "--queue", default="default", show_default=True, help="Name of the work queue (one per study)."
)


@cli.command()
@targets_option
@companies_option
@redis_option
@queue_option
@clean_errors
def enqueue(targets, companies, redis_url, queue):
    """Put targets in the shared work queue for `policytrail worker` processes. Targets queued before
    (even done) are not queued again.

    \b
    Example:
        policytrail enqueue --targets data/targets.csv --redis redis://queue.lan:6379/0
    """
    from crawler.crawl.targets import load_targets
    from crawler.scale.queue import TargetQueue

    loaded = load_targets(targets, tuple(companies))
    work = TargetQueue(redis_url, queue)
    added = work.enqueue(loaded)
    counts = work.counts()
    click.echo(
        f"Queued {added} new target(s) of {len(loaded)}; the queue holds {counts['queued']} waiting, "
        f"{counts['leased']} being crawled, {counts['done']} done, {counts['failed']} set aside.",
        err=True,
    )


@cli.command()
@redis_option
@queue_option
@db_option()
@click.option("--archive", default=DEFAULT_ARCHIVE, show_default=True, help="Base URL of the web archive.")
@click.option("--dialect", type=click.Choice(DIALECTS), default=DEFAULT_DIALECT, show_default=True)
@click.option("--collection", default=DEFAULT_COLLECTION, show_default=True, help="Collection name (pywb archives).")
@click.option("--cdx-per-minute", type=CDX_RATE, default=None, help=f"Shared by all workers [{d.CDX_PER_MINUTE}].")
@click.option(
    "--mementos-per-minute", type=MEMENTO_RATE, default=None, help=f"Shared by all workers [{d.MEMENTOS_PER_MINUTE}]."
)
@click.option("--unthrottled", is_flag=True, help="Lift the rate limits; allowed only for an archive on 127.0.0.1.")
@click.option("--lease", type=LEASE, default=None, help="Lease of a target, seconds [120].")
@click.option(
    "--batch",
    type=BATCH,
    default=8,
    show_default=True,
    help="Targets taken at a time (each with its own lease), crawled by one child process.",
)
@click.option(
    "--budget-window",
    type=BUDGET_WINDOW,
    default=60,
    show_default=True,
    help="Seconds over which the shared budget counts the per-minute rates.",
)
@click.option(
    "--brackets",
    is_flag=True,
    help="Share each document's change-point search: every worker takes the fetches of any open bracket "
    "(for documents with thousands of captures). Give it to every worker of the queue.",
)
@click.option(
    "--brackets-from",
    type=BRACKETS_FROM,
    default=1000,
    show_default=True,
    help="With --brackets: a target with fewer captures that may hold the policy is searched by the worker "
    "that listed it, alone.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every request of the crawls (Scrapy INFO level).")
@format_option
@clean_errors
def worker(
    redis_url,
    queue,
    db,
    archive,
    dialect,
    collection,
    cdx_per_minute,
    mementos_per_minute,
    unthrottled,
    lease,
    batch,
    budget_window,
    brackets,
    brackets_from,
    verbose,
    fmt,
):
    """Take targets from the shared queue until it is empty, crawling each into this worker's shard
    (--db); every request takes a token of the budget all workers share in Redis. Then fold the
    shards into one database with `policytrail merge`. With --brackets, several workers search one
    document's captures at once (the open brackets of its change-point search are queued in Redis).

    \b
    Example:
        policytrail worker --redis redis://queue.lan:6379/0 --db shards/$(hostname).db
        policytrail worker --brackets --redis redis://queue.lan:6379/0 --db shards/$(hostname).db
    """
    from crawler.options import check_rate
    from crawler.scale.worker import run_worker

    where = Archive(archive, dialect, collection)
    for value, name, kind in (
        (cdx_per_minute, "--cdx-per-minute", "cdx"),
        (mementos_per_minute, "--mementos-per-minute", "mementos"),
    ):
        if value is not None:  # as `crawl` checks them: above the archive's hard limits only on 127.0.0.1
            check_rate(value, name=name, kind=kind, is_local=where.is_local, archive=where.base)
    settings = {
        "POLICYTRAIL_ARCHIVE": archive,
        "POLICYTRAIL_DIALECT": dialect,
        "POLICYTRAIL_COLLECTION": collection,
        "POLICYTRAIL_CDX_PER_MINUTE": cdx_per_minute,
        "POLICYTRAIL_MEMENTOS_PER_MINUTE": mementos_per_minute,
        "POLICYTRAIL_UNTHROTTLED": unthrottled,
        "POLICYTRAIL_BUDGET_WINDOW": budget_window,
        "POLICYTRAIL_BRACKETS_FROM": brackets_from,
        "LOG_LEVEL": "INFO" if verbose else "WARNING",
    }
    report = run_worker(redis_url, db, settings, queue, lease, batch=batch, brackets=brackets)
    emit_rows([report.row()], fmt)
    click.echo(f"Queue empty: {report.completed} target(s) crawled into {db}; merge the shards next.", err=True)


def orphaned(store) -> int:
    """How many judgements apply to no capture or change of the database."""
    from crawler.annotate import orphaned as count

    return count(store)


def _say_what_judgements_missed(report, orphans: int) -> None:
    """Warnings after a derive: skip rules that match nothing or stopped matching; judgements
    whose capture or change this database does not hold (kept, never dropped)."""
    for status in report.skip_rules:
        if status.message:
            click.echo(f"Warning: {status.message}", err=True)
    if orphans:
        click.echo(
            f"Note: {orphans} judgement(s) apply to no capture or change of this database (kept: list them with "
            f"`policytrail annotations --status orphaned`)",
            err=True,
        )


def _writing(db: str, rules: str | None, work):
    """Run ``work(store, rules)`` on an existing database, under the database lock (judgements are
    applied by a derive, which crawls and reextract must not run beside)."""
    from crawler.extract import load_rules
    from crawler.store import DatabaseLock, Store
    from crawler.store.files import check_readable

    loaded = load_rules(rules)  # a broken rules file: exit 2 before anything is touched
    check_readable(db)  # never creates a database (nor its lock file)
    with DatabaseLock(db):  # before the store is opened for writing (it may migrate)
        store = Store(db, create=False)
        try:
            return work(store, loaded)
        finally:
            store.close()


author_option = click.option(
    "--author",
    default=None,
    help="Who judges [default: $POLICYTRAIL_AUTHOR, else your login name].",
)
note_option = click.option("--note", default="", help="Why: kept with the judgement and shown in reports.")


def _judged(store, row: dict, rules, fmt) -> None:
    """Store one judgement, derive its company again, and say what it did."""
    from crawler.annotate import apply, export_row

    store.add_annotations([row], "cli")
    report = apply(store, [row["company"]], rules)
    _emit_judgements([export_row(dict(row, status="applied"))], fmt)
    click.echo(f"Saved {row['author']}'s judgement ({row['verdict']}); {row['company']} derived again.", err=True)
    _say_what_judgements_missed(report, orphaned(store))


def _emit_judgements(rows: list[dict], fmt: str | None) -> None:
    """Judgements as a table (a summary on a terminal) or with every field (csv, json, jsonl)."""
    from crawler.annotate import summary

    table = (fmt or ("table" if sys.stdout.isatty() else "jsonl")) == "table"
    emit_rows(summary(rows) if table else rows, fmt)


@cli.group(invoke_without_command=True)
@click.option(
    "--import",
    "import_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Import judgements from a JSON Lines file (`policytrail annotations --format jsonl`).",
)
@rules_option
@db_option()
@format_option
@click.pass_context
@clean_errors
def annotate(ctx, import_file, rules, db, fmt):
    """Record a researcher's judgement on a capture or a change, or import a team's judgements.

    Judgements are stored apart from derived data, keyed by what the capture or change is (not by
    local ids), with author, time and note: they survive reextract, an extractor upgrade and a
    re-crawl into a new database plus --import. The company is derived again at once (pass the
    --rules you crawl with). Of several judgements on one subject, the latest is in force.

    \b
    Example:
        policytrail annotate capture Acme 20190610000000 --not-policy --note "login wall"
        policytrail annotate change acme-3f2a9c1b0d4e-77aa01bc92de --false --note "cookie banner text"
        policytrail annotate change 12 --substantive --topic sale
        policytrail annotate --import judgements.jsonl
    """
    ctx.ensure_object(dict)
    ctx.obj.update(db=db, rules=rules)
    if ctx.invoked_subcommand is not None:
        if import_file:
            raise click.UsageError("--import takes no subcommand: import a file, or judge one capture or change")
        return
    if not import_file:
        raise click.UsageError("give a subcommand (capture, change) or --import FILE")
    from crawler.annotate import apply, read_judgements

    judgements = read_judgements(import_file)  # a bad line: exit 2 before the database is touched

    def work(store, loaded):
        known = {r[0] for r in store.query("SELECT DISTINCT company FROM documents")}
        added = store.add_annotations(judgements, "import")
        report = apply(store, [j["company"] for j in judgements if j["company"] in known], loaded)
        return added, report, orphaned(store)

    added, report, orphans = _writing(db, rules, work)
    click.echo(
        f"Imported {added} judgement(s) from {import_file}; {len(judgements) - added} were already here.", err=True
    )
    _say_what_judgements_missed(report, orphans)


def _from_group(ctx, db: str | None, rules: str | None) -> tuple[str, str | None]:
    """A subcommand's --db and --rules, else those given before it (``annotate --db X capture ...``)."""
    parent = ctx.obj or {}
    return db or parent.get("db") or DEFAULT_DB, rules or parent.get("rules")


@annotate.command("capture")
@click.argument("company")
@click.argument("timestamp")
@click.option("--not-policy/--policy", "not_policy", default=None, help="The capture is not the policy / is it.")
@click.option("--url", default=None, help="Which URL, when the document has captures of several at that time.")
@note_option
@author_option
@rules_option
@click.option("--db", default=None, type=click.Path(dir_okay=False), help=f"SQLite database [{DEFAULT_DB}].")
@format_option
@click.pass_context
@clean_errors
def annotate_capture(ctx, company, timestamp, not_policy, url, note, author, rules, db, fmt):
    """Judge one capture: not the policy (it gets no version) or the policy (read as one).

    TIMESTAMP is the capture's archive timestamp; a shorter one (or an ISO date) must match
    exactly one capture of the company.

    \b
    Example:
        policytrail annotate capture Acme 20190610000000 --not-policy --note "login wall"
        policytrail annotate capture Acme 2021-01-01 --policy --note "short, but it is the policy"
    """
    from crawler.annotate import capture_judgement, default_author

    if not_policy is None:
        raise click.UsageError("say --not-policy or --policy")
    db, rules = _from_group(ctx, db, rules)

    def work(store, loaded):
        verdict = "not_policy" if not_policy else "policy"
        row = capture_judgement(store, company, timestamp, verdict, note, author or default_author(), url)
        _judged(store, row, loaded, fmt)

    _writing(db, rules, work)


@annotate.command("change")
@click.argument("change_id")
@click.option("--accept", "verdicts", flag_value="accepted", multiple=True, help="The change is as derived.")
@click.option("--false", "verdicts", flag_value="false", multiple=True, help="Not a change of the policy.")
@click.option("--cosmetic", "verdicts", flag_value="cosmetic", multiple=True, help="A change of form only.")
@click.option("--substantive", "verdicts", flag_value="substantive", multiple=True, help="A change of substance.")
@click.option("--topic", "topics", multiple=True, help="A topic the change touches (taxonomy id; repeatable).")
@note_option
@author_option
@rules_option
@click.option("--db", default=None, type=click.Path(dir_okay=False), help=f"SQLite database [{DEFAULT_DB}].")
@format_option
@click.pass_context
@clean_errors
def annotate_change(ctx, change_id, verdicts, topics, note, author, rules, db, fmt):
    """Judge one change: accepted, false (joined into one span, kept as overridden), cosmetic or substantive.

    CHANGE_ID is policy_changes.change_id, or the id the report, the exports and the feed give
    the change (<document slug>-<change key>).

    \b
    Example:
        policytrail annotate change acme-3f2a9c1b0d4e-77aa01bc92de --false --note "cookie banner text"
        policytrail annotate change 12 --substantive --topic sale --note "adds sale of data"
    """
    from crawler.annotate import change_judgement, check_topics, default_author, find_change

    if len(set(verdicts)) != 1:
        raise click.UsageError("say one of --accept, --false, --cosmetic, --substantive")
    db, rules = _from_group(ctx, db, rules)
    topics = check_topics(topics)

    def work(store, loaded):
        row = change_judgement(find_change(store, change_id), verdicts[0], topics, note, author or default_author())
        _judged(store, row, loaded, fmt)

    _writing(db, rules, work)


@cli.command()
@companies_option
@click.option("--status", type=click.Choice(["applied", "superseded", "orphaned"]), default=None, help="Only these.")
@click.option(
    "--rules",
    type=click.Path(dir_okay=False),
    default=None,
    help="List this rules file's skip rules instead: captures matched, and whether each stopped matching.",
)
@db_option()
@format_option
@clean_errors
def annotations(companies, status, rules, db, fmt):
    """List researchers' judgements, with whether each applies here; export them for a team.

    A judgement is applied (in force on a capture or change of this database), superseded (a
    later one on the same subject is in force) or orphaned (its capture or change is not in this
    database: kept, never dropped). A terminal table shows a summary; csv, json and jsonl carry
    every field, and jsonl is what `policytrail annotate --import` reads.

    \b
    Example:
        policytrail annotations --company Acme
        policytrail annotations --format jsonl > judgements.jsonl
        policytrail annotations --rules data/rules.toml
    """
    from crawler.annotate import listing
    from crawler.derive.judgements import skip_rule_status
    from crawler.extract import load_rules
    from crawler.outputs.history import check_companies

    loaded = load_rules(rules) if rules else None
    store = _open_existing(db)
    if loaded is not None:
        check_companies(store, companies)
        emit_rows([s.as_row() for s in skip_rule_status(store, loaded, tuple(companies))], fmt)
        return
    _emit_judgements(listing(store, tuple(companies), status), fmt)


@cli.command()
@click.argument("company")
@click.option("--document", default=None, help="Only this document, when the company has several.")
@author_option
@rules_option
@click.option(
    "--clauses",
    type=REVIEW_CLAUSES,
    default=d.REVIEW_CLAUSES,
    show_default=True,
    help="Clause changes shown per change (the rest are counted).",
)
@db_option()
@clean_errors
def review(company, document, author, rules, clauses, db):
    """Walk through a company's unreviewed changes on a terminal, one key per judgement.

    Each change shows its clause diff; then a accepts it, f marks it false, c cosmetic, s
    substantive, n adds a note to the next judgement, space skips, q quits. Every judgement is
    saved at once: run it again to go on where you stopped. The company is derived again when
    you leave (pass the --rules you crawl with).

    \b
    Example:
        policytrail review Acme --db data/policytrail.db
    """
    from crawler.annotate import default_author
    from crawler.review import run_review

    run_review(db, company, document, author or default_author(), rules, clauses)


@cli.command()
@db_option()
@format_option
@clean_errors
def status(db, fmt):
    """Show pending and failed work per company, and how the last crawl runs ended.

    \b
    Example:
        policytrail status --db data/policytrail.db
    """
    store = _open_existing(db)
    emit_rows(store.work_summary(), fmt)
    for run_id, started, finished, state in store.recent_runs():
        click.echo(f"run {run_id}: started {started}, {state}" + (f" at {finished}" if finished else ""), err=True)


def _open_existing(db: str):
    """Open a database that must already exist, read-only (read commands never create or migrate one)."""
    from crawler.store import Store

    return Store.open_readonly(db)


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM ends a command as Ctrl-C does: what is stored stays, exit 130


def main() -> None:
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # a crawl installs its own while it runs
        signal.signal(signal.SIGTERM, _terminated)
    cli(prog_name="policytrail")


if __name__ == "__main__":
    main()
