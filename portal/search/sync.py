"""Keep the index true to the database: journal what a transaction changes inside it, apply after.

* `after_flush` (not `before_commit`, which misses autoflushed rows) notes which listings and
  companies a flush touched in `session.info`; bulk UPDATE/DELETE statements are noted too, by
  selecting the ids their WHERE clause hits before they run.
* `before_commit` (of the outermost transaction) flushes one last time and writes the notes as
  `search_journal` rows on the session's own connection: they commit or roll back with the change
  (journal_tables.py). A flush that still happens after that, inside the commit, writes its rows at once.
* A rollback forgets the notes (a savepoint's rollback keeps them: re-reading an unchanged row is harmless).
* `after_commit`, when the commit wrote journal rows, tries to apply the journal at once, waiting at
  most INDEX_REQUEST_LOCK_WAIT_MS for the index lock; on contention or any error it leaves the
  entries to the worker (`flask worker` / `flask search apply`). The user's request never fails and
  never waits long because of the index. Applying is replay.py's job, a layer above this one: the
  package's init_app hands it in (`init_app(app, applier=replay.apply_after_commit)`).

Listeners are registered once per process by `init_app` (test suites build many apps).
"""

import logging

import sqlalchemy as sa
from flask import current_app

from config import env

from ..extensions import db
from ..models import Certification, Company, CompanyCapability, Listing, ListingTag, TaxonomyTerm
from ..models.listing import ListingHsHeading
from . import journal_tables
from .writing import DEFAULT_LOCK_TIMEOUT

log = logging.getLogger(__name__)
KEY = "search_changes"
WRITING = "search_journal_writing"  # before_commit has run: later flushes write their rows at once
WROTE = "search_journal_wrote"  # this transaction added journal rows: try to apply them after commit
LOCKED = "search_journal_locked"  # the order lock is held (PostgreSQL, journal_tables.take_order_lock)
REQUEST_LIMIT = 200  # entries a committing request applies itself; the worker does the rest
DEFAULT_REQUEST_LOCK_WAIT_MS = 100
# Listing documents copy these company fields, so changing one re-indexes the company's listings.
COMPANY_FIELDS_IN_LISTINGS = ("name", "country", "city", "status", "association_id", "capacity_amount")


def _changes(session) -> dict:
    return session.info.setdefault(KEY, {"listing": set(), "company": set(), "cascade": set(), "taxonomy": False})


def record(session, obj, deleted: bool = False) -> None:
    changes = _changes(session)
    if isinstance(obj, Listing):
        changes["listing"].add(obj.id)
    elif isinstance(obj, ListingTag | ListingHsHeading):
        changes["listing"].add(obj.listing_id)
    elif isinstance(obj, Company):
        changes["company"].add(obj.id)
        state = sa.inspect(obj)
        if deleted or any(state.attrs[name].history.has_changes() for name in COMPANY_FIELDS_IN_LISTINGS):
            changes["cascade"].add(obj.id)
    elif isinstance(obj, CompanyCapability | Certification):
        changes["company"].add(obj.company_id)
        changes["cascade"].add(obj.company_id)
    elif isinstance(obj, TaxonomyTerm):
        changes["taxonomy"] = True


TRACKED = (Listing, ListingTag, ListingHsHeading, Company, CompanyCapability, Certification, TaxonomyTerm)


def after_flush(session, _flush_context) -> None:
    for obj in session.new:
        if isinstance(obj, TRACKED):
            record(session, obj)
    for obj in session.dirty:
        if isinstance(obj, TRACKED) and session.is_modified(obj):
            record(session, obj)
    for obj in session.deleted:
        if isinstance(obj, TRACKED):
            record(session, obj, deleted=True)
    if session.info.get(WRITING):
        write_journal(session)


# Bulk statements skip the flush; their ids are read with the statement's own WHERE clause first.
BULK_KEYS = {
    "listing": ("listing", "id"),
    "listing_tag": ("listing", "listing_id"),
    "company": ("company", "id"),
    "company_capability": ("company", "company_id"),
    "certification": ("company", "company_id"),
}


def do_orm_execute(state) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    target = BULK_KEYS.get(getattr(table, "name", None))
    if target is None:
        return
    bucket, column = target
    select = sa.select(table.c[column])
    if state.statement.whereclause is not None:
        select = select.where(state.statement.whereclause)
    ids = set(state.session.execute(select).scalars())
    changes = _changes(state.session)
    changes[bucket] |= ids
    if bucket == "company":
        changes["cascade"] |= ids


def write_journal(session) -> None:
    """Turn the notes into journal rows on the session's connection, in the open transaction."""
    changes = session.info.pop(KEY, None)
    rows = journal_tables.entries(changes) if changes else []
    if not rows:
        return
    conn = session.connection()
    if not session.info.get(LOCKED):
        journal_tables.take_order_lock(conn)
        session.info[LOCKED] = True
    journal_tables.write(conn, rows)
    session.info[WROTE] = True


def before_commit(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outermost commit writes the journal
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit would flush after this hook; its notes must be in the journal
    write_journal(session)
    session.info[WRITING] = True


def _forget(session) -> None:
    for key in (KEY, WRITING, WROTE, LOCKED):
        session.info.pop(key, None)


def after_soft_rollback(session, previous_transaction) -> None:
    if not previous_transaction.nested:
        _forget(session)


def after_commit(session) -> None:
    if session.in_nested_transaction():
        return
    wrote = session.info.pop(WROTE, False)
    _forget(session)
    if wrote:
        apply_after_commit()


def request_lock_wait() -> float:
    """How long a committing request waits for the index lock, in seconds (INDEX_REQUEST_LOCK_WAIT_MS)."""
    return current_app.config.get("INDEX_REQUEST_LOCK_WAIT_MS", DEFAULT_REQUEST_LOCK_WAIT_MS) / 1000


_applier = None  # replay.apply_after_commit, handed in by init_app


def apply_after_commit() -> None:
    """The committing process's own try at applying what it wrote (never raises; see replay.py)."""
    if _applier is not None:
        _applier()


def init_app(app, applier=None) -> None:
    """Hook the listeners to the shared session class once per process; settings from PORTAL_*.

    `applier` is called after every commit that wrote journal rows (replay.apply_after_commit).
    """
    global _applier
    if applier is not None:
        _applier = applier
    listeners = (
        ("after_flush", after_flush),
        ("before_commit", before_commit),
        ("after_soft_rollback", after_soft_rollback),
        ("after_commit", after_commit),
        ("do_orm_execute", do_orm_execute),
    )
    for name, fn in listeners:
        if not sa.event.contains(db.session, name, fn):
            sa.event.listen(db.session, name, fn)
    app.config.setdefault("INDEX_LOCK_TIMEOUT", env("INDEX_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT, float))
    app.config.setdefault(
        "INDEX_REQUEST_LOCK_WAIT_MS", env("INDEX_REQUEST_LOCK_WAIT_MS", DEFAULT_REQUEST_LOCK_WAIT_MS, int)
    )
    app.config.setdefault(
        "INDEX_CURSOR_IDLE_DAYS", env("INDEX_CURSOR_IDLE_DAYS", journal_tables.DEFAULT_IDLE_DAYS, int)
    )
