"""Section 3 of the staff dashboard (`stats` re-exports it): how long verification and moderation decisions
take, and what waits for one now. The medians are a `snapshots.rollup`: each day keeps the waits (whole
seconds) its decisions ended, since a median is not a sum of days."""

import statistics

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditLog, Company, Listing, ListingFlag, ListingRevision, ListingStatus
from ..models.company import VerificationStatus
from ..moderation.clauses import waiting_clause
from .market import day_key, member_ids, member_listing_ids
from .market import seconds_between as _seconds
from .market import unindexed as _unindexed
from .snapshots import rollup, snapshot, within

FIRST_DECISIONS = ("company.verify", "company.reject")  # a company's first verification decision
LISTING_DECISIONS = tuple(
    f"listing.{prefix}{name}" for prefix in ("", "revision_") for name in ("approve", "reject", "request_changes")
)
LISTING_SUBMITS = ("listing.submit", "listing.resubmit", "listing.revision_submit")


def _medians_of_days(series: dict, period) -> dict:
    """{"verification": {"count", "median_seconds"}, "moderation": ...} of the waits of the period's days."""
    figures = {}
    for name in ("verification", "moderation"):
        waits = [wait for parts in within(series, period) for wait in parts.get(name, ())]
        figures[name] = {"count": len(waits), "median_seconds": statistics.median(waits) if waits else None}
    return figures


@rollup("decision_waits", _medians_of_days)
def _decision_waits(association_id, period, now=None) -> dict:
    """Day by day, the waits (whole seconds) ended by the decisions taken that day: to a verification
    decision (company created -> its first verify or reject) and to a moderation decision (the latest
    submit, resubmit or revision_submit row -> approve, reject or request_changes, of the listing or of an
    edit). A median is not a sum of days, so a day keeps its waits, not a figure.

    Listings moved by an import have no audit rows and are not counted; a decision without a submit row
    before it (an imported "submitted" listing) neither."""
    first = (
        sa.select(AuditLog.object_id, sa.func.min(AuditLog.at).label("at"))
        .where(AuditLog.object_type == "company", AuditLog.action.in_(FIRST_DECISIONS))
        .group_by(AuditLog.object_id)
        .subquery()
    )
    verification = (
        sa.select(first.c.at.label("at"), _seconds(first.c.at, Company.created_at).label("seconds"))
        .join(first, first.c.object_id == Company.id)
        .where(Company.id.in_(member_ids(association_id)), period.clause(first.c.at))
        .subquery()
    )
    series: dict[str, dict] = {}
    for name, waits in (("verification", verification), ("moderation", _moderation_waits(association_id, period))):
        query = sa.select(day_key(waits.c.at), waits.c.seconds).where(waits.c.seconds.is_not(None))
        for day, seconds in db.session.execute(query):
            series.setdefault(day, {}).setdefault(name, []).append(round(float(seconds)))
    return series


def decision_times(association_id, period, now=None) -> dict:
    """The median waits for the decisions taken in the period (`_decision_waits`), and the queues now."""
    return {**_decision_waits(association_id, period, now), **_queues(association_id)}


def _moderation_waits(association_id, period):
    """SQL (at, seconds): each moderation decision taken in the period on the members' listings, and the
    seconds since the latest submit row before it (NULL without one). One ordered pass over those listings'
    submit and decision rows (a running max of the submit times), not a lookup per decision: at 46,000
    decisions the lookups took seconds."""
    listing_type = AuditLog.object_type == "listing"
    decided = sa.select(AuditLog.object_id).where(
        listing_type,
        AuditLog.action.in_(LISTING_DECISIONS),
        period.clause(AuditLog.at),
        _unindexed(AuditLog.object_id).in_(member_listing_ids(association_id)),
    )
    history = sa.select(
        AuditLog.action,
        AuditLog.at,
        sa.func.max(sa.case((AuditLog.action.in_(LISTING_SUBMITS), AuditLog.at)))
        .over(partition_by=AuditLog.object_id, order_by=(AuditLog.at, AuditLog.id))
        .label("submitted"),
    ).where(
        listing_type,
        AuditLog.action.in_(LISTING_SUBMITS + LISTING_DECISIONS),
        AuditLog.object_id.in_(decided),
    )
    rows = history.subquery()
    return (
        sa.select(rows.c.at.label("at"), _seconds(rows.c.at, rows.c.submitted).label("seconds"))
        .where(rows.c.action.in_(LISTING_DECISIONS), period.clause(rows.c.at))
        .subquery()
    )


@snapshot("queues", by_period=False)
def _queues(association_id) -> dict:
    """What waits for a decision now, whatever the period: {"moderation_queue", "verification_queue"}."""
    return {
        "moderation_queue": _moderation_queue(association_id),
        "verification_queue": _verification_queue(association_id),
    }


def _moderation_queue(association_id) -> dict:
    """What waits (moderation/clauses.waiting_clause) and since when its oldest item waits."""
    members = member_ids(association_id)
    listing_ids = member_listing_ids(association_id)
    waiting = _count_of(sa.select(sa.func.count(Listing.id)).where(waiting_clause(), Listing.company_id.in_(members)))
    since = [
        db.session.scalar(
            sa.select(sa.func.min(Listing.submitted_at)).where(
                Listing.status == ListingStatus.submitted, Listing.company_id.in_(members)
            )
        ),
        db.session.scalar(
            sa.select(sa.func.min(ListingRevision.created_at)).where(
                ListingRevision.status == ListingStatus.submitted,
                _unindexed(ListingRevision.listing_id).in_(listing_ids),
                ListingRevision.listing_id.in_(sa.select(Listing.id).where(Listing.status == ListingStatus.published)),
            )
        ),
        db.session.scalar(
            sa.select(sa.func.min(ListingFlag.created_at)).where(
                ListingFlag.resolved_at.is_(None), _unindexed(ListingFlag.listing_id).in_(listing_ids)
            )
        ),
    ]
    known = [moment for moment in since if moment is not None]
    return {"waiting": waiting, "oldest": min(known) if known and waiting else None}


def _verification_queue(association_id) -> dict:
    query = sa.select(sa.func.count(Company.id), sa.func.min(Company.created_at)).where(
        Company.status == VerificationStatus.unverified, Company.id.in_(member_ids(association_id))
    )
    waiting, oldest = db.session.execute(query).one()
    return {"waiting": waiting or 0, "oldest": oldest}


def _count_of(query) -> int:
    return db.session.scalar(query) or 0
