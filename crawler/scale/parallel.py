"""``reextract --jobs N``: derive's heavy, pure work on N processes; every write in the parent.

A derive spends its time in two pure computations: reading stored bodies (extraction) and clause
diffs between consecutive versions (about 60% of a fresh derive). Worker processes compute them --
bodies read through their own read-only connection, diffs from the clauses sent to them -- and
return the results; the parent writes everything through the same store calls one process makes.
So SQLite keeps a single writer, and the database equals a one-process derive by construction:
the parent runs the very same derive, answered from the results.

Why not N writers: derive holds one write transaction per document while it diffs (a document is
never left half-derived), so N writers would queue behind one another; N scratch databases would
need every derived table (versions, clauses, spans, changes, lineage) merged back by content.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager

from crawler.derive.derive import derive
from crawler.derive.extractions import extraction_jobs, read_body
from crawler.diff import ClauseDiff, Taxonomy, diff_clauses, load_taxonomy
from crawler.extract import EXTRACTOR_VERSION, Rules
from crawler.store import Store

# batches per worker: small enough to even out unequal documents, large enough to amortise a round trip
BATCHES_PER_JOB = 4
# clause-diff pairs sent to a worker at once while the dry run finds them
PAIRS_PER_TASK = 4


def _pool(jobs: int) -> ProcessPoolExecutor:
    # spawn: a forked child would inherit the parent's open SQLite connection, which SQLite forbids using.
    # No more processes than cores: a clause diff has a time budget (wall clock), and one that hits it
    # is marked (and made again by the next derive); oversubscribed cores would make more of them.
    jobs = max(1, min(jobs, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))


def _batches(items: list, jobs: int) -> list[list]:
    n = max(1, min(len(items), jobs * BATCHES_PER_JOB))
    return [items[k::n] for k in range(n) if items[k::n]]


def _read_batch(db: str, jobs: list[tuple]) -> list[tuple]:
    """In a worker: read a batch of bodies through a read-only connection."""
    store = Store.open_readonly(db)
    try:
        return [read_body(store, digest, eid, rule) for digest, eid, rule in jobs]
    finally:
        store.close()


@contextmanager
def workers(jobs: int, pool: ProcessPoolExecutor | None = None) -> Iterator[ProcessPoolExecutor]:
    """``pool`` if given (one pool for a whole reextract: processes start once), else a new one."""
    if pool is not None:
        yield pool
    else:
        with _pool(jobs) as made:
            yield made


def extract_parallel(
    store: Store, rules: Rules, jobs: int, extractor: str = EXTRACTOR_VERSION, pool: ProcessPoolExecutor | None = None
) -> int:
    """Read every pending body on ``jobs`` processes; the parent stores each reading. Returns how many."""
    pending = [(digest, eid, rule) for (digest, eid), rule in extraction_jobs(store, rules, extractor).items()]
    if not pending:
        return 0
    batches = _batches(pending, jobs)
    with workers(jobs, pool) as running:
        for rows in running.map(_read_batch, [str(store.path)] * len(batches), batches):
            with store.transaction():
                for row in rows:
                    store.save_extraction(*row)
    return len(pending)


class _DryRun(Exception):
    """Ends the rolled-back derive that only lists the clause diffs a derive will ask for."""


def _placeholder(old, new, taxonomy) -> ClauseDiff:
    return ClauseDiff([], [("added", [], c.text) for c in new], [c.sep for c in new])


def _diff_batch(pairs: list[tuple], taxonomy: Taxonomy) -> list[tuple[tuple, ClauseDiff]]:
    """In a worker: clause diffs of (old clauses, new clauses) pairs."""
    return [((old, new), diff_clauses(list(old), list(new), taxonomy=taxonomy)) for old, new in pairs]


def diffs_parallel(
    store: Store,
    companies: tuple[str, ...],
    rules: Rules,
    jobs: int,
    taxonomy: Taxonomy | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> Callable:
    """The clause diffs the next derive will compute, computed on ``jobs`` processes; returns a
    ``diff`` for ``derive`` that answers from them (and computes any other pair itself).

    The pairs are found by running that derive once inside a transaction that is rolled back,
    with a differ that only notes what it is asked -- and hands the pairs to the workers as it
    goes, a few at a time, so they diff while the parent is still finding the rest."""
    taxonomy = taxonomy or load_taxonomy()
    asked: dict[tuple, None] = {}
    waiting: list[tuple] = []
    futures: list[Future] = []
    done: dict[tuple, ClauseDiff] = {}
    if store.conn.in_transaction:
        raise RuntimeError("diffs_parallel needs its own transaction, to roll it back")
    with workers(jobs, pool) as running:

        def send() -> None:
            futures.append(running.submit(_diff_batch, list(waiting), taxonomy))
            waiting.clear()

        def note(old, new, taxonomy):
            pair = (tuple(old), tuple(new))
            if pair not in asked:
                asked[pair] = None
                waiting.append(pair)
                if len(waiting) >= PAIRS_PER_TASK:
                    send()
            return _placeholder(old, new, taxonomy)

        try:
            with store.transaction():
                derive(store, companies, rules, taxonomy=taxonomy, diff=note)
                raise _DryRun
        except _DryRun:
            pass
        if waiting:
            send()
        for future in futures:
            done.update(future.result())

    def answer(old, new, taxonomy):
        made = done.get((tuple(old), tuple(new)))
        return made if made is not None else diff_clauses(old, new, taxonomy=taxonomy)

    answer.computed = len(done)  # how many diffs the workers made (for tests and benchmarks)
    return answer
