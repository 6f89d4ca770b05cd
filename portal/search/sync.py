"""Keep the index true to the database: record changes at flush, apply them after the commit.

* `after_flush` (not `before_commit`, which misses autoflushed rows) notes which listings and
  companies a flush touched in `session.info`; bulk UPDATE/DELETE statements are noted too, by
  selecting the ids their WHERE clause hits before they run.
* `after_rollback` forgets them: a rolled-back change never reaches the index.
* `after_commit` applies them with ONE writer, building documents on a fresh connection (the
  committed session must not lazy-load). Any failure is logged and marks the index dirty; the
  user's request has already committed and never fails because of the index.

Listeners are registered once per process by `init_app` (test suites build many apps).
"""

import logging

import sqlalchemy as sa
from flask import current_app
from whoosh import query

from ..extensions import db
from ..models import Certification, Company, CompanyCapability, Listing, ListingTag, TaxonomyTerm
from . import documents, index

log = logging.getLogger(__name__)
KEY = "search_changes"
# Listing documents copy these company fields, so changing one re-indexes the company's listings.
COMPANY_FIELDS_IN_LISTINGS = ("name", "country", "city", "status", "association_id", "capacity_amount")


def _changes(session) -> dict:
    return session.info.setdefault(KEY, {"listings": set(), "companies": set(), "cascade": set(), "taxonomy": False})


def record(session, obj, deleted: bool = False) -> None:
    changes = _changes(session)
    if isinstance(obj, Listing):
        changes["listings"].add(obj.id)
    elif isinstance(obj, ListingTag):
        changes["listings"].add(obj.listing_id)
    elif isinstance(obj, Company):
        changes["companies"].add(obj.id)
        state = sa.inspect(obj)
        if deleted or any(state.attrs[name].history.has_changes() for name in COMPANY_FIELDS_IN_LISTINGS):
            changes["cascade"].add(obj.id)
    elif isinstance(obj, CompanyCapability | Certification):
        changes["companies"].add(obj.company_id)
        changes["cascade"].add(obj.company_id)
    elif isinstance(obj, TaxonomyTerm):
        changes["taxonomy"] = True


TRACKED = (Listing, ListingTag, Company, CompanyCapability, Certification, TaxonomyTerm)


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


# Bulk statements skip the flush; their ids are read with the statement's own WHERE clause first.
BULK_KEYS = {
    "listing": ("listings", "id"),
    "listing_tag": ("listings", "listing_id"),
    "company": ("companies", "id"),
    "company_capability": ("companies", "company_id"),
    "certification": ("companies", "company_id"),
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
    if bucket == "companies":
        changes["cascade"] |= ids


def after_rollback(session) -> None:
    session.info.pop(KEY, None)


def after_commit(session) -> None:
    changes = session.info.pop(KEY, None)
    if not changes or not any((changes["listings"], changes["companies"], changes["taxonomy"])):
        return
    base = index.index_dir()
    try:
        apply(base, changes)
    except Exception as exc:  # noqa: BLE001 - the commit stands; the index is a cache we can rebuild
        log.exception("search index update failed")
        index.mark_dirty(base, f"update failed ({type(exc).__name__}: {exc}); run `flask search rebuild`")
    finally:
        index.forget_request_searcher(base)


def apply(base: str, changes: dict) -> int:
    """Re-index the listed listings and companies (and the listings of cascading companies)."""
    listing_ids = set(changes["listings"])
    company_ids = set(changes["companies"])
    with db.engine.connect() as conn:
        if changes["cascade"]:
            listing_ids |= set(
                conn.execute(sa.select(Listing.id).where(Listing.company_id.in_(changes["cascade"]))).scalars()
            )
        docs = dict(documents.listing_documents(conn, listing_ids))
        docs.update(documents.company_documents(conn, company_ids))
        keys = {documents.listing_key(i) for i in listing_ids} | {documents.company_key(i) for i in company_ids}
        was_missing = index.current_version(base) is None
        if was_missing and documents.count_indexable(conn) > len(docs):
            index.mark_dirty(base, "the index was missing and has been started empty; run `flask search rebuild`")
    if changes["taxonomy"]:
        index.mark_dirty(base, "taxonomy terms changed; run `flask search rebuild` to re-read concepts")
    index.journal(base, changes)  # a rebuild running now replays these on its new version
    with index.writer(base) as w:
        # Listings of a deleted company vanish by the database's ON DELETE CASCADE, unseen by the
        # session: clear every listing of a cascading company, then add back the live ones.
        for company_id in sorted(changes["cascade"]):
            w.delete_by_query(
                query.And([query.Term("facet", "kind:listing"), query.Term("facet", f"company:{company_id}")])
            )
        for key in sorted(keys):
            doc = docs.get(key)
            if doc is None:
                w.delete_by_term("id", key)
            else:
                w.update_document(**doc)
    return len(keys)


def init_app(app) -> None:
    """Hook the listeners to the shared session class once per process."""
    listeners = (
        ("after_flush", after_flush),
        ("after_rollback", after_rollback),
        ("after_commit", after_commit),
        ("do_orm_execute", do_orm_execute),
    )
    for name, fn in listeners:
        if not sa.event.contains(db.session, name, fn):
            sa.event.listen(db.session, name, fn)
    app.config.setdefault("INDEX_LOCK_TIMEOUT", index.DEFAULT_LOCK_TIMEOUT)


__all__ = ["init_app", "apply", "current_app"]
