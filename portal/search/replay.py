"""Replaying the journal into this host's index, and rebuilding the index when entries will not do.

Applying (`apply_journal`): take the index writer FIRST, then read the cursor, then the entries after
it, then the current rows for their ids, write the documents, commit the index, and only then move the
cursor. Whatever order appliers run in, the last one to hold the writer read the latest committed
rows, so the index ends at the latest state; a crash between index commit and cursor move applies the
same entries again, which is harmless. An index that is missing, has no cursor, or meets a taxonomy
change is built from the database (building.py) and replayed from the id the build started at.
"""

import logging
import os
from datetime import timedelta
from itertools import takewhile

import sqlalchemy as sa
from whoosh import query
from whoosh.index import LockError

from ..extensions import db
from ..models import Listing
from ..models.base import utcnow
from . import building, documents, journal_tables, sync, versions, writing
from .journal_tables import CURSOR, JOURNAL, max_id, record_error
from .searching import forget_request_searcher

log = logging.getLogger(__name__)

BATCH = 500  # entries per index writer
INLINE_BUILD_LIMIT = 200  # documents: a request builds a missing index itself only when it is this small
HEARTBEAT = timedelta(hours=1)  # an index with nothing to apply still says it is alive this often
NO_INDEX = "there is no index here yet"


class RebuildInProgress(Exception):
    """A rebuild of this directory is swapping its new version in: come back in a moment."""


class NeedsRebuild(Exception):
    """The index cannot be brought up to date entry by entry: it has to be built from the database."""

    def __init__(self, reason: str, foreign: bool = False):
        super().__init__(reason)
        self.foreign = foreign  # the cursor names a version another directory built: INDEX_ID was copied


def apply_journal(max_wait: float | None = None, limit: int = 1000, *, courtesy: bool = False) -> int:
    """Bring this host's index up to the journal; return how many entries it applied.

    Safe to call from any process at any time (in an app context): appliers of one index serialise on
    its writer, and applying an entry twice changes nothing. `max_wait` is how long to wait for the
    index lock (None: INDEX_LOCK_TIMEOUT). An index that is missing, has no cursor, or meets a
    taxonomy change is rebuilt from the database (which takes as long as `flask search rebuild`).
    Failures are recorded for journal_status() and raised; LockError means the lock stayed busy and
    nobody applied anything meanwhile (while other processes hold it and apply, this returns quietly).

    courtesy=True is what a committing request does: one batch, no rebuild unless the database is
    tiny, lock contention is not an error, and the rest is left to the worker.
    """
    base = versions.index_dir()
    wait = writing.lock_timeout() if max_wait is None else max_wait
    done, rebuilds = 0, 0
    started_at = None if courtesy else journal_tables.cursor_position(base)
    try:
        while done < limit:
            try:
                n = _apply_batch(base, min(BATCH, limit - done), wait)
            except NeedsRebuild as exc:
                covered = _rebuild(base, exc, courtesy) if rebuilds < 2 else None
                if covered is None:
                    break
                done, rebuilds = done + covered, rebuilds + 1
                continue  # then what was committed while it was building
            except RebuildInProgress:
                break
            done += n
            if n == 0 or courtesy:
                break
    except LockError:
        if courtesy:
            log.info("search journal: the index is busy; the worker applies what this commit changed")
            return done
        if journal_tables.cursor_position(base) > started_at:
            log.info("search journal: other processes kept the index lock, applying the journal meanwhile")
            return done
        record_error(base, f"the index lock stayed busy for {wait:g} s and nothing was applied meanwhile")
        raise
    except Exception as exc:
        record_error(base, f"{type(exc).__name__}: {exc}")
        raise
    if done:
        journal_tables.maybe_prune()
    return done


def _apply_batch(base: str, limit: int, wait: float) -> int:
    ident = versions.read_index_id(base)
    if ident is None or versions.current_version(base) is None:
        raise NeedsRebuild(NO_INDEX)
    with db.engine.connect() as conn:  # a cheap look first: nothing to do means no lock to take
        row = conn.execute(sa.select(CURSOR).where(CURSOR.c.index_id == ident)).first()
        if row is not None and row.last_id >= max_id(conn):
            if row.updated_at < utcnow() - HEARTBEAT:
                journal_tables.heartbeat(ident)
            if row.version == versions.current_version(base):
                return 0
    try:
        with writing.writer(base, timeout=wait) as (version, w):
            applied = _write_locked(base, ident, version, w, limit)
    except versions.IndexMissing:
        raise NeedsRebuild("the index has gone") from None
    if not applied:
        return 0
    journal_tables.advance(ident, version, applied[-1].id)  # only once the index has committed
    forget_request_searcher(base)
    return len(applied)


def _write_locked(base: str, ident: str, version: str, w, limit: int) -> list:
    """With the writer held: read the cursor, the entries after it, then their rows; write them."""
    # The writer is ours: every row read from here on is at least as new as any other applier's
    # read of this index, so what we write cannot be overwritten by an older state.
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(CURSOR).where(CURSOR.c.index_id == ident)).first()
        _check_cursor(base, row, version)
        _check_location(base, ident, row)
        pending = conn.execute(
            sa.select(JOURNAL.c.id, JOURNAL.c.kind, JOURNAL.c.object_id)
            .where(JOURNAL.c.id > row.last_id)
            .order_by(JOURNAL.c.id)
            .limit(limit)
        ).all()
        if pending and pending[0].kind == "taxonomy":
            raise NeedsRebuild("taxonomy terms changed: every document's concepts are read again")
        pending = list(takewhile(lambda e: e.kind != "taxonomy", pending))
        if not pending:
            w.cancel()
            return []
        write_documents(conn, w, pending)
    return pending


def _check_cursor(base: str, row, version: str) -> None:
    if row is None:
        raise NeedsRebuild("this index has no cursor (new, or idle long enough for pruning to pass it)")
    if row.version == version:
        return
    if versions.rebuild_running(base):
        raise RebuildInProgress(base)
    if row.version and not _local(base, row.version):
        raise NeedsRebuild(f"the cursor is about version {row.version}, built elsewhere", foreign=True)
    raise NeedsRebuild(f"the cursor is about version {row.version or '(none)'}, the index is {version}")


def _check_location(base: str, ident: str, row) -> None:
    """Note where the index lives; a copied directory (same INDEX_ID on two hosts) shows as this
    warning alternating between them, a renamed host as one warning."""
    here = versions.location(base)[:500]
    if row.location == here:
        return
    log.warning(
        "search index %s was last applied at %s, now at %s: if that directory is a copy, delete its INDEX_ID",
        ident,
        row.location,
        here,
    )
    with db.engine.begin() as conn:
        conn.execute(sa.update(CURSOR).where(CURSOR.c.index_id == ident).values(location=here))


def _local(base: str, version: str) -> bool:
    return os.path.isdir(os.path.join(base, version))


def write_documents(conn, w, pending) -> None:
    """Re-read the current rows for these entries and write their documents (or delete them)."""
    listing_ids = {e.object_id for e in pending if e.kind == "listing"}
    company_ids = {e.object_id for e in pending if e.kind == "company"}
    cascade = {e.object_id for e in pending if e.kind == "cascade"}
    if cascade:
        listing_ids |= set(conn.execute(sa.select(Listing.id).where(Listing.company_id.in_(cascade))).scalars())
    docs = dict(documents.listing_documents(conn, listing_ids))
    docs.update(documents.company_documents(conn, company_ids))
    # Listings of a deleted company vanish by the database's ON DELETE CASCADE, unseen by the session:
    # clear every listing of a cascading company, then add back the live ones.
    for company_id in sorted(cascade):
        w.delete_by_query(
            query.And([query.Term("facet", "kind:listing"), query.Term("facet", f"company:{company_id}")])
        )
    keys = {documents.listing_key(i) for i in listing_ids} | {documents.company_key(i) for i in company_ids}
    for key in sorted(keys):
        doc = docs.get(key)
        if doc is None:
            w.delete_by_term("id", key)
        else:
            w.update_document(**doc)


def _rebuild(base: str, reason: NeedsRebuild, courtesy: bool) -> int | None:
    """Build the index from the database; the entries it covered, or None when it is left for later."""
    if courtesy:
        with db.engine.connect() as conn:
            if documents.count_indexable(conn) > INLINE_BUILD_LIMIT:
                log.info("search journal: %s; the worker rebuilds the index", reason)
                return None
    before = journal_tables.status(base)["applied_through"]
    if reason.foreign:
        log.warning("search index %s: %s; giving this directory a new INDEX_ID", base, reason)
        versions.new_index_id(base)
    try:
        stats = building.build_from_database(base, wait=False, processes=1 if courtesy else None)
    except versions.RebuildRunning:
        return None
    first = str(reason) == NO_INDEX
    log.log(logging.INFO if first else logging.WARNING, "search index %s built from the database: %s", base, reason)
    with db.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(JOURNAL)
            .where(JOURNAL.c.id > before, JOURNAL.c.id <= stats["journal_id"])
        ).scalar()


def rebuild(
    base: str | None = None, progress=None, wait: bool = True, processes: int | None = None, replay: bool = True
) -> dict:
    """Build a new index from the database, swap it in, then apply what the journal gained meanwhile.

    The journal's newest id is read BEFORE any document: every change up to it is in the build, and
    every later one is applied after the swap (by this call when replay=True). With wait=False,
    RebuildRunning is raised at once when another process is already rebuilding this directory.
    """
    stats = building.build_from_database(base, progress=progress, wait=wait, processes=processes)
    stats["replayed"] = apply_journal(limit=10**9) if replay else 0
    return stats


def apply_after_commit() -> None:
    """The committing process's own try: a short lock wait, one batch; the worker does the rest."""
    try:
        apply_journal(max_wait=sync.request_lock_wait(), limit=sync.REQUEST_LIMIT, courtesy=True)
    except Exception:  # noqa: BLE001 - the commit stands and the entries wait in the journal
        log.warning("search index not updated after commit; the journal keeps the change", exc_info=True)
    finally:
        forget_request_searcher()
