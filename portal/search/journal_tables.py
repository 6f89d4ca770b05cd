"""The search journal's two tables: the rows a transaction adds, and each index's cursor (how far it lags).

Writing (sync.py calls `write` just before the commit, inside the transaction): one row per listing,
company, cascading company or taxonomy change. The rows commit or roll back with the change, so a
kill -9, an OOM or a deploy between the database commit and the index commit loses nothing.

Ids are handed out in commit order. A cursor "last applied id" is only sound if no entry with a
smaller id can become visible after a bigger one; PostgreSQL hands out sequence values at INSERT
time, so two transactions can commit out of id order. Writers therefore take a transaction-scoped
advisory lock just before inserting their rows (in before_commit, the last thing before COMMIT), so
the few milliseconds from id to commit are serial. SQLite has a single writer anyway.

Several hosts: every index directory (INDEX_ID, see versions.py) has its own row in `search_cursor`, on
the version (subdirectory) it describes. A rebuild builds a version from the database and puts its
cursor at the journal's newest id read before the build started. Rows every live cursor has passed
are pruned; a cursor not seen for INDEX_CURSOR_IDLE_DAYS (7) no longer holds pruning back, and once
pruning has passed it, it is deleted and its index is rebuilt when it comes back.

Lag and errors live in the cursor row (`status()`), not in the index directory, so an unwritable
directory is reported, not silent. Applying the entries is replay.py's job.
"""

import hashlib
import logging
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models.base import utcnow
from ..models.search import SearchCursor, SearchJournal
from .versions import current_version, index_dir, location, read_index_id

log = logging.getLogger(__name__)

JOURNAL = SearchJournal.__table__
CURSOR = SearchCursor.__table__
KINDS = ("listing", "company", "cascade", "taxonomy")
DEFAULT_IDLE_DAYS = 7
PRUNE_EVERY = 60.0  # seconds, per process
# Serialises "take an id, commit" across PostgreSQL sessions; any fixed 64-bit number no one else uses.
ORDER_LOCK = int.from_bytes(hashlib.sha256(b"leather-bridge search_journal order").digest()[:8], "big", signed=True)

_last_prune = 0.0


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


def advance(ident: str, version: str, last: int) -> None:
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


def heartbeat(ident: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.update(CURSOR).where(CURSOR.c.index_id == ident).values(updated_at=utcnow()))


def record_error(base: str, message: str) -> None:
    """Note why this index could not apply the journal, in the database (the directory may be unwritable)."""
    ident = read_index_id(base)
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
                        location=location(base)[:500],
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


def maybe_prune() -> None:
    global _last_prune
    if time.monotonic() - _last_prune < PRUNE_EVERY:
        return
    _last_prune = time.monotonic()
    try:
        prune()
    except sa.exc.SQLAlchemyError:
        log.warning("search journal: pruning failed; trying again later", exc_info=True)


def cursor_position(base: str) -> int:
    """This index's cursor (-1 when it has none), to tell a stuck lock from a busy one."""
    ident = read_index_id(base)
    if ident is None:
        return -1
    try:
        with db.engine.connect() as conn:
            last = conn.execute(sa.select(CURSOR.c.last_id).where(CURSOR.c.index_id == ident)).scalar()
    except sa.exc.SQLAlchemyError:
        return -1
    return -1 if last is None else last


# --- status ----------------------------------------------------------------------------------------


def status(base: str | None = None) -> dict:
    """This host's index against the journal, for /readyz, `search check` and the worker's log.

    backlog: entries this index has not applied (all of them when it needs a rebuild);
    oldest_age_seconds: how long the oldest of those has waited (0.0 when none);
    last_error / last_error_at: the last failure to apply (failing: it is newer than the last success);
    needs_rebuild: no index, no cursor, or a cursor about another version.
    """
    base = base or index_dir()
    ident, version, row = read_index_id(base), current_version(base), None
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
        "location": location(base),
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
