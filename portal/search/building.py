"""Building a new version of the index from the database and swapping it in atomically.

A build writes into a fresh versioned directory (versions.py) that nobody reads yet: with one writer, or
with one worker process per core, each writing a segment that the parent then commits together (which
needs Whoosh internals, whoosh_private.py; without them the build uses one plain writer). `install`
moves the cursor, then CURRENT. Replaying what the journal gained during the build is replay.py's part.
"""

import logging
import multiprocessing
import os
import shutil
import time

import sqlalchemy as sa
from flask import current_app, has_app_context
from whoosh import index as whoosh_index

from ..extensions import db
from . import documents, journal_tables, whoosh_private
from .concepts import load_vocabulary
from .documents import expected_documents
from .schema import make_schema
from .searching import forget_request_searcher
from .versions import (
    RebuildRunning,
    build_lock,
    current_version,
    ensure_index_id,
    index_dir,
    location,
    new_version_dir,
    set_current,
)

log = logging.getLogger(__name__)


def build_new(base: str, documents, limitmb: int = 256):
    """Write all documents into a fresh versioned directory; return (name, count)."""
    os.makedirs(base, exist_ok=True)
    name, path = new_version_dir(base)
    ix = whoosh_index.create_in(path, make_schema())
    w = ix.writer(limitmb=limitmb)
    count = 0
    try:
        for _key, doc in documents:
            w.add_document(**doc)
            count += 1
    except BaseException:
        w.cancel()
        shutil.rmtree(path, ignore_errors=True)
        raise
    w.commit(merge=False)
    return name, count


def _build_part(url: str, path: str, part: int, parts: int, limitmb: int, counter, results) -> None:
    """In a worker process: index every `parts`-th listing (and, in part 0, the companies) into a
    segment of the new index; put (part, segment, listings, companies) or (part, error) on `results`."""
    try:
        results.put((part, *_index_part(url, path, part, parts, limitmb, counter)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises
        results.put((part, f"{type(exc).__name__}: {exc}"))


def _index_part(url, path, part, parts, limitmb, counter) -> tuple:
    engine = sa.create_engine(url)
    ix = whoosh_index.open_dir(path)
    # No lock: the parent holds the new, still private index, as Whoosh's own MpWriter does.
    w = whoosh_private.writer_without_lock(ix, limitmb=limitmb)
    listings = companies = 0
    with engine.connect() as conn:
        vocab = load_vocabulary(conn)
        for _key, doc in documents.listing_documents(conn, vocab=vocab, part=(part, parts)):
            w.add_document(**doc)
            listings += 1
            if listings % 200 == 0:
                with counter.get_lock():
                    counter.value += 200
        if part == 0:
            for _key, doc in documents.company_documents(conn, vocab=vocab):
                w.add_document(**doc)
                companies += 1
    engine.dispose()
    with counter.get_lock():
        counter.value += listings % 200 + companies
    segment = whoosh_private.finish_segment(w) if listings + companies else None
    return segment, listings, companies


def build_parallel(base: str, url: str, procs: int, progress=None, limitmb: int = 256) -> tuple[str, int, int]:
    """Like build_new, with `procs` worker processes each writing its own segment; the parent then
    commits the segments together, as Whoosh's MpWriter does with multisegment=True."""
    os.makedirs(base, exist_ok=True)
    name, path = new_version_dir(base)
    ix = whoosh_index.create_in(path, make_schema())
    ctx = multiprocessing.get_context("fork")
    counter, queue = ctx.Value("i", 0), ctx.Queue()
    workers = [
        ctx.Process(target=_build_part, args=(url, path, i, procs, limitmb, counter, queue), daemon=True)
        for i in range(procs)
    ]
    try:
        for worker in workers:
            worker.start()
        results, reported = [], 0
        while len(results) < procs:
            try:
                results.append(queue.get(timeout=0.2))
            except Exception:  # noqa: BLE001 - queue.Empty: report progress, check the workers live
                if not any(w.is_alive() for w in workers) and queue.empty():
                    raise RuntimeError("an index worker died") from None
            if progress and counter.value > reported:
                progress(counter.value - reported)
                reported = counter.value
        for worker in workers:
            worker.join()
        errors = [r[1] for r in results if len(r) == 2]
        if errors:
            raise RuntimeError(f"indexing failed: {errors[0]}")
        if progress and counter.value > reported:
            progress(counter.value - reported)
        whoosh_private.commit_segments(ix, [r[1] for r in results if r[1] is not None])
    except BaseException:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        shutil.rmtree(path, ignore_errors=True)
        raise
    results = [r[1:] for r in results]
    return name, sum(r[1] for r in results), sum(r[2] for r in results)


def install(base: str, name: str, last_id: int) -> str | None:
    """Make version `name` live with its cursor at journal entry `last_id`; return the old version.

    The cursor moves first: until CURRENT names the new version, appliers see a cursor that is not
    about the version they opened and leave it alone (a rebuild is running). A writer still busy on
    the old version commits there; its cursor update names the old version and changes nothing, and
    whatever it applied is applied again on the new one from `last_id` (applying is idempotent).
    """
    ident, _created = ensure_index_id(base)
    journal_tables.set_cursor(ident, name, last_id, location(base))
    old = current_version(base)
    set_current(base, name)
    return old


def remove_old_versions(base: str, keep) -> None:
    """Delete versioned directories but those in `keep` (the live one and the one it just replaced,
    which other processes may still be reading)."""
    for entry in os.listdir(base):
        if entry.startswith("v") and entry not in keep and os.path.isdir(os.path.join(base, entry)):
            shutil.rmtree(os.path.join(base, entry), ignore_errors=True)


def build_from_database(
    base: str | None = None, progress=None, wait: bool = True, processes: int | None = None
) -> dict:
    """Build a new version from the database and make it live, its cursor at the journal's newest id.

    That id is read BEFORE any document: every change up to it is in the build, every later one is
    left for replay.apply_journal. With wait=False, RebuildRunning is raised at once when another
    process is already rebuilding this directory. Returns counts, timings, `journal_id` and `version`.
    """
    base = base or index_dir()
    with build_lock(base, wait=wait) as held:
        if not held:
            raise RebuildRunning(base)
        ident, created = ensure_index_id(base)
        if created:
            journal_tables.forget_location(location(base), keep=ident)  # this directory's earlier incarnation
        started = time.monotonic()
        with db.engine.connect() as conn:
            start_id = journal_tables.max_id(conn)
        procs = build_processes(processes)
        name, listings, companies = _build(base, procs, progress)
        build_seconds = time.monotonic() - started
        old = install(base, name, start_id)
        forget_request_searcher(base)
        remove_old_versions(base, keep={name, old})
    return {
        "listings": listings,
        "companies": companies,
        "documents": listings + companies,
        "seconds": build_seconds,
        "journal_id": start_id,
        "rate": listings / build_seconds if build_seconds else 0.0,
        "version": name,
        "processes": procs,
    }


def _build(base: str, procs: int, progress) -> tuple[str, int, int]:
    """(version name, listings, companies): in `procs` worker processes, or in this one."""
    url = db.engine.url
    if procs > 1:
        db.engine.dispose()  # the workers are forked: they must not share pooled connections
        return build_parallel(base, url.render_as_string(hide_password=False), procs, progress)
    stats = {"listing": 0, "company": 0}
    with db.engine.connect() as conn:

        def counted():
            for key, doc in expected_documents(conn):
                stats[doc["stored"]["kind"]] += 1
                if progress:
                    progress(1)
                yield key, doc

        name, _count = build_new(base, counted())
    return name, stats["listing"], stats["company"]


def build_processes(requested: int | None = None) -> int:
    """How many processes build: `requested` or rebuild_processes(); one when Whoosh lacks what the
    parallel build needs (whoosh_private.segments_supported)."""
    procs = requested or rebuild_processes(db.engine.url)
    if procs > 1 and not whoosh_private.segments_supported():
        log.warning("search rebuild: this Whoosh lacks the segment internals; building with one writer")
        return 1
    return procs


def rebuild_processes(url) -> int:
    """Worker processes for a rebuild: one per core (INDEX_REBUILD_PROCESSES overrides); one for an
    in-memory SQLite database, which other processes cannot open."""
    configured = current_app.config.get("INDEX_REBUILD_PROCESSES") if has_app_context() else None
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return 1
    return max(1, int(configured or os.cpu_count() or 1))
