"""The staff dashboard's figures for one association (or, with None, the whole portal), as SQL aggregates.

Every function takes `association_id: int | None` and most a `periods.Period`; "of this association" means
of its member companies (Company.association_id), and for listing-based figures the listings of those
companies. Each returns plain lists and dicts of numbers, codes and translated labels, so the page, its
charts and the exports (`portal/insight/exports`) show the same numbers. The stable API:

- `membership(aid, period, now=None) -> list[{"month": date, "counts": {status: n}}]`, status one of
  MEMBER_STATUSES (verified, unverified, rejected, revoked);
- `listings(aid, period) -> list[{"type", "direction", "status", "count"}]` (enum values);
- `decision_times(aid, period, now=None) -> {"verification": {"count", "median_seconds"},
  "moderation": {"count", "median_seconds"}, "moderation_queue": {"waiting", "oldest"},
  "verification_queue": {"waiting", "oldest"}}` (median None when nothing was decided; oldest a naive UTC
  datetime or None);
- `funnel(aid, period, now=None) -> list[Step]`, Step a dict with `key`, `label` (translated), `count`
  and `conversion` (count / previous step's count as a float, None for the first step or after a zero);
  keys in order: FUNNEL_KEYS;
- `outcomes_by_kind(aid, period) -> list[{"kind", "label", "count", "value_usd"}]`, one row per OutcomeKind;
- sections 6-8 live in `market` and are re-exported here:
  `supply_demand(aid, locale) -> {"rows": [{"term", "label", "offers", "requests"}], "gaps": [row, ...]}`;
- `cities(aid, period) -> list[{"city", "companies", "listings", "interests"}]`;
- `hs_headings(aid) -> list[{"heading", "offers", "requests"}]`.

Funnel: every step is counted by its own timestamp in the period, so a step may exceed the one before it
(an interest this month in a listing published last year): listings gone live (`published_at`) ->
matches shown (`MatchNotice.created_at`: one row is one match `match_id` that the owner of `listing_id`
was told about, once per pair and side, so a row counts for the association of `listing_id`) ->
interests received on members' listings (`created_at`) -> accepted (`responded_at`) -> conversations
(`created_at`) -> meetings held (accepted, `starts_at` in the period and already past) -> outcomes
recorded (`created_at`) -> confirmed (`decided_at`).
"""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import (
    AuditLog,
    Company,
    Conversation,
    Interest,
    InterestStatus,
    Listing,
    ListingFlag,
    ListingRevision,
    ListingStatus,
    MatchNotice,
    Meeting,
    MeetingStatus,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    base,
)
from ..models.company import VerificationStatus
from ..moderation.clauses import waiting_clause
from .market import cities, hs_headings, member_ids, member_listing_ids, supply_demand  # noqa: F401 - the API
from .market import month_key as _month_key
from .market import seconds_between as _seconds
from .market import unindexed as _unindexed
from .snapshots import snapshot

MEMBER_STATUSES = ("verified", "unverified", "rejected", "revoked")
MAX_MONTHS = 36  # "all time" shows the last three years month by month
# The audit action that leaves a company in each status; `company.resubmit` sends a rejected one back.
_DECISION_STATUS = {
    "company.verify": "verified",
    "company.reject": "rejected",
    "company.revoke": "revoked",
    "company.resubmit": "unverified",
}
_FIRST_DECISIONS = ("company.verify", "company.reject")
_LISTING_DECISIONS = tuple(
    f"listing.{prefix}{name}" for prefix in ("", "revision_") for name in ("approve", "reject", "request_changes")
)
_LISTING_SUBMITS = ("listing.submit", "listing.resubmit", "listing.revision_submit")
FUNNEL_KEYS = ("live", "matches", "interests", "accepted", "conversations", "meetings", "outcomes", "confirmed")
FUNNEL_LABELS = {
    "live": _l("Listings gone live"),
    "matches": _l("Matches shown"),
    "interests": _l("Expressions of interest"),
    "accepted": _l("Interests accepted"),
    "conversations": _l("Conversations"),
    "meetings": _l("Meetings held"),
    "outcomes": _l("Outcomes recorded"),
    "confirmed": _l("Outcomes confirmed"),
}


_member_ids, _member_listing_ids = member_ids, member_listing_ids


def _count(query) -> int:
    return db.session.scalar(query) or 0


# --- 1. members by verification status, month by month ----------------------------------------------


def _month_starts(start: datetime, end: datetime) -> list[date]:
    months, month = [], date(start.year, start.month, 1)
    while datetime.combine(month, datetime.min.time()) < end:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months[-MAX_MONTHS:]


def _status_changes(association_id, end: datetime):
    """SQL rows (month, status, before, n): how many member companies went from status `before` (None: they
    were created) to `status` in each "YYYY-MM", from their creation and decision rows before `end`.

    A company enters at its creation: unverified if it has any decision row at all, else in its current
    status (imported or seeded as verified); each decision row then moves it from the status the row
    before left it in (LAG over its rows in id order, the order they were written) to the row's status."""
    members = _member_ids(association_id).where(Company.created_at < end)
    decisions = sa.and_(AuditLog.object_type == "company", AuditLog.action.in_(_DECISION_STATUS))
    decided = sa.select(AuditLog.object_id).where(decisions)
    entered = sa.select(
        Company.id.label("company_id"),
        Company.created_at.label("at"),
        sa.literal(0).label("seq"),
        sa.case((Company.id.in_(decided), "unverified"), else_=sa.cast(Company.status, sa.String)).label("status"),
    ).where(Company.id.in_(members))
    moved = sa.select(
        AuditLog.object_id,
        AuditLog.at,
        AuditLog.id,
        sa.case(*((AuditLog.action == action, status) for action, status in _DECISION_STATUS.items())),
    ).where(decisions, AuditLog.object_id.in_(members), AuditLog.at < end)
    events = sa.union_all(entered, moved).subquery()
    before = sa.func.lag(events.c.status).over(partition_by=events.c.company_id, order_by=events.c.seq)
    steps = sa.select(_month_key(events.c.at).label("month"), events.c.status, before.label("before")).subquery()
    return sa.select(steps.c.month, steps.c.status, steps.c.before, sa.func.count()).group_by(
        steps.c.month, steps.c.status, steps.c.before
    )


@snapshot("membership")
def membership(association_id, period, now=None) -> list[dict]:
    """Members by status at the end of each month of the period (the last month: at the period's end).

    Reconstructed from the audit log, since Company.status holds only today's status: at a moment T a
    company created before T is in the status its latest company.verify / reject / revoke / resubmit row
    before T left it in (revoke: "revoked", a rejection after a verification); with none before T it was
    unverified, unless it never had one at all (imported or seeded as verified): then its current status.
    One query of the status changes by month (`_status_changes`), summed up month by month here: a query
    per month re-read the whole audit log up to 36 times."""
    first = period.start or db.session.scalar(
        sa.select(sa.func.min(Company.created_at)).where(Company.id.in_(_member_ids(association_id)))
    )
    if first is None:
        return []
    months = _month_starts(first, period.end)
    changes = sorted(db.session.execute(_status_changes(association_id, period.end)), key=lambda row: row[0])
    counted, rows, k = dict.fromkeys(MEMBER_STATUSES, 0), [], 0
    for month in months:
        key = month.strftime("%Y-%m")
        while k < len(changes) and changes[k][0] <= key:
            _month, status, before, n = changes[k]
            counted[status] += n
            if before is not None:
                counted[before] -= n
            k += 1
        rows.append({"month": month, "counts": dict(counted)})
    return rows


# --- 2. listings by type, direction and status ------------------------------------------------------


@snapshot("listings")
def listings(association_id, period) -> list[dict]:
    """Listings created in the period, by type, direction and current status."""
    query = (
        sa.select(Listing.type, Listing.direction, Listing.status, sa.func.count(Listing.id))
        .where(Listing.company_id.in_(_member_ids(association_id)), period.clause(Listing.created_at))
        .group_by(Listing.type, Listing.direction, Listing.status)
        .order_by(Listing.type, Listing.direction, Listing.status)
    )
    return [
        {"type": t.value, "direction": d.value, "status": s.value, "count": n}
        for t, d, s, n in db.session.execute(query)
    ]


# --- 3. how long decisions take ---------------------------------------------------------------------


def _median(durations) -> tuple[int, float | None]:
    """How many non-NULL values a one-column subquery has, and their median, in one query that reads it once
    (row_number and count as window functions: PostgreSQL's percentile_cont has no SQLite twin)."""
    value = durations.c[0]
    ranked = (
        sa.select(
            value.label("value"),
            sa.func.row_number().over(order_by=value).label("rank"),
            sa.func.count().over().label("n"),
        )
        .where(value.is_not(None))
        .subquery()
    )
    middle = ranked.c.rank.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    n, median = db.session.execute(sa.select(sa.func.max(ranked.c.n), sa.func.avg(ranked.c.value)).where(middle)).one()
    return (0, None) if not n else (n, float(median))


@snapshot("decision_times")
def decision_times(association_id, period, now=None) -> dict:
    """Median time to a verification decision (company created -> its first verify or reject) and to a
    moderation decision (the latest submit, resubmit or revision_submit row -> approve, reject or
    request_changes, of the listing or of an edit), for decisions taken in the period; and the queues now.

    Listings moved by an import have no audit rows and are not counted; a decision without a submit row
    before it (an imported "submitted" listing) neither."""
    now = now or base.utcnow()
    first = (
        sa.select(AuditLog.object_id, sa.func.min(AuditLog.at).label("at"))
        .where(AuditLog.object_type == "company", AuditLog.action.in_(_FIRST_DECISIONS))
        .group_by(AuditLog.object_id)
        .subquery()
    )
    verification = (
        sa.select(_seconds(first.c.at, Company.created_at).label("seconds"))
        .join(first, first.c.object_id == Company.id)
        .where(Company.id.in_(_member_ids(association_id)), period.clause(first.c.at))
        .subquery()
    )
    moderation = _moderation_waits(association_id, period)
    figures = {}
    for name, durations in (("verification", verification), ("moderation", moderation)):
        count, median = _median(durations)
        figures[name] = {"count": count, "median_seconds": median}
    return {
        **figures,
        "moderation_queue": _moderation_queue(association_id),
        "verification_queue": _verification_queue(association_id),
    }


def _moderation_waits(association_id, period):
    """SQL: the seconds from the latest submit row to each moderation decision taken in the period on the
    members' listings (NULL without a submit before it). One ordered pass over those listings' submit and
    decision rows (a running max of the submit times), not a lookup per decision: at 46,000 decisions the
    lookups took seconds."""
    listing_type = AuditLog.object_type == "listing"
    decided = sa.select(AuditLog.object_id).where(
        listing_type,
        AuditLog.action.in_(_LISTING_DECISIONS),
        period.clause(AuditLog.at),
        _unindexed(AuditLog.object_id).in_(_member_listing_ids(association_id)),
    )
    history = sa.select(
        AuditLog.action,
        AuditLog.at,
        sa.func.max(sa.case((AuditLog.action.in_(_LISTING_SUBMITS), AuditLog.at)))
        .over(partition_by=AuditLog.object_id, order_by=(AuditLog.at, AuditLog.id))
        .label("submitted"),
    ).where(
        listing_type,
        AuditLog.action.in_(_LISTING_SUBMITS + _LISTING_DECISIONS),
        AuditLog.object_id.in_(decided),
    )
    rows = history.subquery()
    return (
        sa.select(_seconds(rows.c.at, rows.c.submitted).label("seconds"))
        .where(rows.c.action.in_(_LISTING_DECISIONS), period.clause(rows.c.at))
        .subquery()
    )


def _moderation_queue(association_id) -> dict:
    """What waits (moderation/clauses.waiting_clause) and since when its oldest item waits."""
    members = _member_ids(association_id)
    listing_ids = _member_listing_ids(association_id)
    waiting = _count(sa.select(sa.func.count(Listing.id)).where(waiting_clause(), Listing.company_id.in_(members)))
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
        Company.status == VerificationStatus.unverified, Company.id.in_(_member_ids(association_id))
    )
    waiting, oldest = db.session.execute(query).one()
    return {"waiting": waiting or 0, "oldest": oldest}


# --- 4. the partnership funnel ----------------------------------------------------------------------


@snapshot("funnel")
def _funnel_counts(association_id, period, now=None) -> dict[str, int]:
    """Every step's count in one statement: one derived table per table read, the steps of one table
    (interests and acceptances, outcomes and confirmations) as conditional counts of a single scan."""
    now = now or base.utcnow()
    inside = period.clause
    listing_ids = _member_listing_ids(association_id)
    conversation_ids = sa.select(Conversation.id).where(Conversation.listing_id.in_(listing_ids))
    accepted = sa.and_(Interest.status == InterestStatus.accepted, inside(Interest.responded_at))
    confirmed = sa.and_(Outcome.status == OutcomeStatus.confirmed, inside(Outcome.decided_at))
    tables = [
        sa.select(sa.func.count().label("live")).where(
            Listing.company_id.in_(_member_ids(association_id)), inside(Listing.published_at)
        ),
        sa.select(sa.func.count().label("matches"))
        .select_from(MatchNotice)
        .where(MatchNotice.listing_id.in_(listing_ids), inside(MatchNotice.created_at)),
        sa.select(
            sa.func.count(sa.case((inside(Interest.created_at), 1))).label("interests"),
            sa.func.count(sa.case((accepted, 1))).label("accepted"),
        ).where(Interest.listing_id.in_(listing_ids), sa.or_(inside(Interest.created_at), accepted)),
        sa.select(sa.func.count().label("conversations")).where(
            Conversation.listing_id.in_(listing_ids), inside(Conversation.created_at)
        ),
        sa.select(sa.func.count().label("meetings")).where(
            Meeting.conversation_id.in_(conversation_ids),
            Meeting.status == MeetingStatus.accepted,
            inside(Meeting.starts_at),
            Meeting.starts_at <= now,
        ),
        sa.select(
            sa.func.count(sa.case((inside(Outcome.created_at), 1))).label("outcomes"),
            sa.func.count(sa.case((confirmed, 1))).label("confirmed"),
        ).where(Outcome.conversation_id.in_(conversation_ids), sa.or_(inside(Outcome.created_at), confirmed)),
    ]
    derived = [table.subquery() for table in tables]
    joined = derived[0]
    for table in derived[1:]:
        joined = joined.join(table, sa.true())  # one row each: the join only puts them side by side
    columns = [column for table in derived for column in table.c]
    return db.session.execute(sa.select(*columns).select_from(joined)).one()._asdict()


def funnel(association_id, period, now=None) -> list[dict]:
    """The partnership funnel of the association's members' listings (see the module docstring)."""
    counts = _funnel_counts(association_id, period, now)
    steps, previous = [], None
    for key in FUNNEL_KEYS:
        count = counts[key] or 0
        conversion = None if previous is None or previous == 0 else count / previous
        steps.append({"key": key, "label": str(FUNNEL_LABELS[key]), "count": count, "conversion": conversion})
        previous = count
    return steps


# --- 5. confirmed outcomes ----------------------------------------------------------------------------


def outcomes_by_kind(association_id, period) -> list[dict]:
    """Outcomes confirmed in the period in conversations where a member took part (either side, so an
    outcome between a PTA and a KLA member counts for both), by kind, with their total value in USD."""
    from ..partnerships.services.outcomes import outcome_label

    members = _member_ids(association_id)
    query = (
        sa.select(Outcome.kind, sa.func.count(Outcome.id), sa.func.coalesce(sa.func.sum(Outcome.value_usd), 0))
        .join(Conversation, Conversation.id == Outcome.conversation_id)
        .where(
            Outcome.status == OutcomeStatus.confirmed,
            period.clause(Outcome.decided_at),
            sa.or_(Conversation.owner_company_id.in_(members), Conversation.partner_company_id.in_(members)),
        )
        .group_by(Outcome.kind)
    )
    found = {kind: (n, int(value)) for kind, n, value in db.session.execute(query)}
    return [
        {
            "kind": kind.value,
            "label": outcome_label(kind),
            "count": found.get(kind, (0, 0))[0],
            "value_usd": found.get(kind, (0, 0))[1],
        }
        for kind in OutcomeKind
    ]
