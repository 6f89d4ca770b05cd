"""The search journal: what a transaction changed, written inside it, applied by every index after.

Writing (sync.py calls `write` just before the commit, inside the transaction): one row per listing,
company, cascading company or taxonomy change. The rows commit or roll back with the change, so a
kill -9, an OOM or a deploy between the database commit and the index commit loses nothing.

Ids are handed out in commit order. A cursor "last applied id" is only sound if no entry with a
smaller id can become visible after a bigger one; PostgreSQL hands out sequence values at INSERT
time, so two transactions can commit out of id order. Writers therefore take a transaction-scoped
advisory lock just before inserting their rows (in before_commit, the last thing before COMMIT), so
the few milliseconds from id to commit are serial. SQLite has a single writer anyway.

Applying (`apply_journal`): take the index writer FIRST, then read the cursor, then the entries after
it, then the current rows for their ids, write the documents, commit the index, and only then move the
cursor. Whatever order appliers run in, the last one to hold the writer read the latest committed
rows, so the index ends at the latest state; a crash between index commit and cursor move applies the
same entries again, which is harmless.

Several hosts: every index directory (INDEX_ID, see index.py) has its own row in `search_cursor`, on
the version (subdirectory) it describes. A rebuild builds a version from the database and puts its
cursor at the journal's newest id read before the build started. Rows every live cursor has passed
are pruned; a cursor not seen for INDEX_CURSOR_IDLE_DAYS (7) no longer holds pruning back, and once
pruning has passed it, it is deleted and its index is rebuilt when it comes back.

Lag and errors live in the cursor row (`status()`), not in the index directory, so an unwritable
directory is reported, not silent.
"""

import hashlib
import logging
import os
import time
from datetime import timedelta
from itertools import takewhile

import sqlalchemy as sa
from flask import current_app
from whoosh import query
from whoosh.index import LockError

from ..extensions import db
from ..models import Listing
from ..models.base import utcnow
from ..models.search import SearchCursor, SearchJournal
from . import documents, index

log = logging.getLogger(__name__)

JOURNAL = SearchJournal.__table__
CURSOR = SearchCursor.__table__
KINDS = ("listing", "company", "cascade", "taxonomy")
BATCH = 500  # entries per index writer
REQUEST_LIMIT = 200  # entries a committing request applies itself; the worker does the rest
INLINE_BUILD_LIMIT = 200  # documents: a request builds a missing index itself only when it is this small
DEFAULT_REQUEST_LOCK_WAIT_MS = 100
DEFAULT_IDLE_DAYS = 7
HEARTBEAT = timedelta(hours=1)  # an index with nothing to apply still says it is alive this often
PRUNE_EVERY = 60.0  # seconds, per process
# Serialises "take an id, commit" across PostgreSQL sessions; any fixed 64-bit number no one else uses.
ORDER_LOCK = int.from_bytes(hashlib.sha256(b"leather-bridge search_journal order").digest()[:8], "big", signed=True)

NO_INDEX = "there is no index here yet"

_last_prune = 0.0


class RebuildInProgress(Exception):
    """A rebuild of this directory is swapping its new version in: come back in a moment."""


class NeedsRebuild(Exception):
    """The index cannot be brought up to date entry by entry: it has to be built from the database."""

    def __init__(self, reason: str, foreign: bool = False):
        super().__init__(reason)
        self.foreign = foreign  # the cursor names a version another directory built: INDEX_ID was copied


# --- writing ---------------------------------------------------------------------------------------


def entries(changes: dict) -> list[dict]:
    """Journal rows for the changes sync.py collected in one transaction."""
    now = utcnow()
    rows = [{"kind": kind, "object_id": pk, "created_at": now} for kind in KINDS[:3] for pk in sorted(changes[kind])]
    if changes["taxonomy"]:
        rows.append({"kind": "taxonomy", "object_id": None, "created_at": now})
    return rows


def take_order_lock(conn) -> None:
    """Until this transaction ends, no other one can add journal rows (see the module docstring)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(ORDER_LOCK)))


def write(conn, rows: list[dict]) -> None:
    conn.execute(sa.insert(JOURNAL), rows)


def max_id(conn) -> int:
    return conn.execute(sa.select(sa.func.max(JOURNAL.c.id))).scalar() or 0


# --- cursors ---------------------------------------------------------------------------------------


def set_cursor(ident: str, version: str, last_id: int, where: str) -> None:
    """Put index `ident` on `version` at entry `last_id` (a rebuild or a repair did the work)."""
    now = utcnow()
    values = {"version": version, "last_id": last_id, "location": where[:500], "updated_at": now, "applied_at": now}
    with db.engine.begin() as conn:
        if conn.execute(sa.update(CURSOR).where(CURSOR.c.index_id == ident).values(**values)).rowcount:
            return
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.insert(CURSOR).values(index_id=ident, **values))
    except sa.exc.IntegrityError:  # someone inserted it first: ours is newer
        with db.engine.begin() as conn:
            conn.execute(sa.update(CURSOR).where(CURSOR.c.index_id == ident).values(**values))


def forget_location(where: str, keep: str) -> None:
    """A directory got a new INDEX_ID: the cursor of the one it replaced there is gone for good."""
    with db.engine.begin() as conn:
        conn.execute(sa.delete(CURSOR).where(CURSOR.c.location == where[:500], CURSOR.c.index_id != keep))


def _advance(ident: str, version: str, last: int) -> None:
    """Move the cursor forward (never back: a slower applier may finish after a faster one)."""
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(CURSOR)
            .where(CURSOR.c.index_id == ident, CURSOR.c.version == version)
            .values(
                last_id=sa.case((CURSOR.c.last_id < last, last), else_=CURSOR.c.last_id),
                updated_at=now,
                applied_at=now,
            )
        )


def _heartbeat(ident: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.update(CURSOR).where(CURSOR.c.index_id == ident).values(updated_at=utcnow()))


def record_error(base: str, message: str) -> None:
    """Note why this index could not apply the journal, in the database (the directory may be unwritable)."""
    ident = index.read_index_id(base)
    if ident is None:
        return  # no index was ever built here: journal_status() says so
    now, message = utcnow(), message[:1000]
    try:
        with db.engine.begin() as conn:
            updated = conn.execute(
                sa.update(CURSOR).where(CURSOR.c.index_id == ident).values(last_error=message, error_at=now)
            ).rowcount
            if not updated:  # an id but no cursor: "not built yet" (version ''), which never holds back pruning
                conn.execute(
                    sa.insert(CURSOR).values(
                        index_id=ident,
                        version="",
                        last_id=0,
                        location=index.location(base)[:500],
                        updated_at=now,
                        last_error=message,
                        error_at=now,
                    )
                )
    except sa.exc.SQLAlchemyError:
        log.warning("search journal: could not record the error %r", message, exc_info=True)


def prune(now=None) -> int:
    """Delete the entries every live cursor has passed; drop idle cursors that pruning has overtaken."""
    now = now or utcnow()
    idle_before = now - timedelta(days=current_app.config.get("INDEX_CURSOR_IDLE_DAYS", DEFAULT_IDLE_DAYS))
    with db.engine.begin() as conn:
        cursors = conn.execute(
            sa.select(CURSOR.c.index_id, CURSOR.c.version, CURSOR.c.last_id, CURSOR.c.updated_at)
        ).all()
        live = [c for c in cursors if c.version and c.updated_at >= idle_before]
        if not live:
            return 0  # nobody is applying: keep everything
        floor = min(c.last_id for c in live)
        removed = conn.execute(sa.delete(JOURNAL).where(JOURNAL.c.id <= floor)).rowcount
        overtaken = [c for c in cursors if c.updated_at < idle_before and c.last_id < floor]
        for c in overtaken:
            log.warning(
                "search journal: index %s (last seen %s) missed pruned entries; it rebuilds when it is back",
                c.index_id,
                c.updated_at,
            )
        if overtaken:
            conn.execute(sa.delete(CURSOR).where(CURSOR.c.index_id.in_([c.index_id for c in overtaken])))
    return removed


def _maybe_prune() -> None:
    global _last_prune
    if time.monotonic() - _last_prune < PRUNE_EVERY:
        return
    _last_prune = time.monotonic()
    try:
        prune()
    except sa.exc.SQLAlchemyError:
        log.warning("search journal: pruning failed; trying again later", exc_info=True)


# --- applying --------------------------------------------------------------------------------------


def request_lock_wait() -> float:
    return current_app.config.get("INDEX_REQUEST_LOCK_WAIT_MS", DEFAULT_REQUEST_LOCK_WAIT_MS) / 1000


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
    base = index.index_dir()
    wait = index.lock_timeout() if max_wait is None else max_wait
    done, rebuilds = 0, 0
    started_at = None if courtesy else _cursor_position(base)
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
        if _cursor_position(base) > started_at:
            log.info("search journal: other processes kept the index lock, applying the journal meanwhile")
            return done
        record_error(base, f"the index lock stayed busy for {wait:g} s and nothing was applied meanwhile")
        raise
    except Exception as exc:
        record_error(base, f"{type(exc).__name__}: {exc}")
        raise
    if done:
        _maybe_prune()
    return done


def _cursor_position(base: str) -> int:
    """This index's cursor (-1 when it has none), to tell a stuck lock from a busy one."""
    ident = index.read_index_id(base)
    if ident is None:
        return -1
    try:
        with db.engine.connect() as conn:
            last = conn.execute(sa.select(CURSOR.c.last_id).where(CURSOR.c.index_id == ident)).scalar()
    except sa.exc.SQLAlchemyError:
        return -1
    return -1 if last is None else last


def _apply_batch(base: str, limit: int, wait: float) -> int:
    ident = index.read_index_id(base)
    if ident is None or index.current_version(base) is None:
        raise NeedsRebuild(NO_INDEX)
    with db.engine.connect() as conn:  # a cheap look first: nothing to do means no lock to take
        row = conn.execute(sa.select(CURSOR).where(CURSOR.c.index_id == ident)).first()
        if row is not None and row.last_id >= max_id(conn):
            if row.updated_at < utcnow() - HEARTBEAT:
                _heartbeat(ident)
            if row.version == index.current_version(base):
                return 0
    try:
        with index.writer(base, timeout=wait) as (version, w):
            applied = _write_locked(base, ident, version, w, limit)
    except index.IndexMissing:
        raise NeedsRebuild("the index has gone") from None
    if not applied:
        return 0
    _advance(ident, version, applied[-1].id)  # only once the index has committed
    index.forget_request_searcher(base)
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
    if index.rebuild_running(base):
        raise RebuildInProgress(base)
    if row.version and not _local(base, row.version):
        raise NeedsRebuild(f"the cursor is about version {row.version}, built elsewhere", foreign=True)
    raise NeedsRebuild(f"the cursor is about version {row.version or '(none)'}, the index is {version}")


def _check_location(base: str, ident: str, row) -> None:
    """Note where the index lives; a copied directory (same INDEX_ID on two hosts) shows as this
    warning alternating between them, a renamed host as one warning."""
    here = index.location(base)[:500]
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
    before = status(base)["applied_through"]
    if reason.foreign:
        log.warning("search index %s: %s; giving this directory a new INDEX_ID", base, reason)
        index.new_index_id(base)
    try:
        stats = index.rebuild(base, wait=False, processes=1 if courtesy else None, replay=False)
    except index.RebuildRunning:
        return None
    first = str(reason) == NO_INDEX
    log.log(logging.INFO if first else logging.WARNING, "search index %s built from the database: %s", base, reason)
    with db.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(JOURNAL)
            .where(JOURNAL.c.id > before, JOURNAL.c.id <= stats["journal_id"])
        ).scalar()


# --- status ----------------------------------------------------------------------------------------


def status(base: str | None = None) -> dict:
    """This host's index against the journal, for /readyz, `search check` and the worker's log.

    backlog: entries this index has not applied (all of them when it needs a rebuild);
    oldest_age_seconds: how long the oldest of those has waited (0.0 when none);
    last_error / last_error_at: the last failure to apply (failing: it is newer than the last success);
    needs_rebuild: no index, no cursor, or a cursor about another version.
    """
    base = base or index.index_dir()
    ident, version, row = index.read_index_id(base), index.current_version(base), None
    with db.engine.connect() as conn:
        if ident:
            row = conn.execute(sa.select(CURSOR).where(CURSOR.c.index_id == ident)).first()
        in_step = row is not None and version is not None and row.version == version
        after = row.last_id if in_step else 0
        backlog, oldest_id = conn.execute(
            sa.select(sa.func.count(), sa.func.min(JOURNAL.c.id)).where(JOURNAL.c.id > after)
        ).one()
        oldest = (
            conn.execute(sa.select(JOURNAL.c.created_at).where(JOURNAL.c.id == oldest_id)).scalar()
            if oldest_id is not None
            else None
        )
        newest = max_id(conn)
    now = utcnow()
    error_at = row.error_at if row is not None else None
    applied_at = row.applied_at if row is not None else None
    return {
        "index_id": ident,
        "location": index.location(base),
        "version": version,
        "applied_through": after,
        "journal_max_id": newest,
        "backlog": backlog,
        "oldest_age_seconds": round(max(0.0, (now - oldest).total_seconds()), 3) if oldest else 0.0,
        "needs_rebuild": not in_step,
        "last_applied_at": _iso(applied_at),
        "last_error": row.last_error if row is not None else None,
        "last_error_at": _iso(error_at),
        "failing": bool(error_at and (applied_at is None or error_at > applied_at)),
    }


def _iso(moment) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None
