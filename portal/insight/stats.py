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
from sqlalchemy.orm import aliased

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


def membership(association_id, period, now=None) -> list[dict]:
    """Members by status at the end of each month of the period (the last month: at the period's end).

    Reconstructed from the audit log, since Company.status holds only today's status: at a moment T a
    company created before T is in the status its latest company.verify / reject / revoke / resubmit row
    before T left it in (revoke: "revoked", a rejection after a verification); with none before T it was
    unverified, unless it never had one at all (imported or seeded as verified): then its current status.
    One GROUP BY query per month."""
    first = period.start or db.session.scalar(
        sa.select(sa.func.min(Company.created_at)).where(Company.id.in_(_member_ids(association_id)))
    )
    if first is None:
        return []
    decisions = sa.and_(AuditLog.object_type == "company", AuditLog.action.in_(_DECISION_STATUS))
    ever = sa.select(AuditLog.object_id).where(decisions).distinct().subquery()
    rows = []
    for month in _month_starts(first, period.end):
        after = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        moment = min(datetime.combine(after, datetime.min.time()), period.end)
        latest = (
            sa.select(AuditLog.object_id, sa.func.max(AuditLog.id).label("last_id"))
            .where(decisions, AuditLog.at < moment)
            .group_by(AuditLog.object_id)
            .subquery()
        )
        last = aliased(AuditLog)
        status = sa.case(
            *((last.action == action, status) for action, status in _DECISION_STATUS.items()),
            (ever.c.object_id.is_not(None), "unverified"),
            else_=Company.status,
        )
        counted = dict.fromkeys(MEMBER_STATUSES, 0)
        query = (
            sa.select(status, sa.func.count(Company.id))
            .select_from(Company)
            .outerjoin(latest, latest.c.object_id == Company.id)
            .outerjoin(last, last.id == latest.c.last_id)
            .outerjoin(ever, ever.c.object_id == Company.id)
            .where(Company.id.in_(_member_ids(association_id)), Company.created_at < moment)
            .group_by(status)
        )
        for value, n in db.session.execute(query):
            key = value.value if isinstance(value, VerificationStatus) else str(value)
            counted[key] = counted.get(key, 0) + n
        rows.append({"month": month, "counts": counted})
    return rows


# --- 2. listings by type, direction and status ------------------------------------------------------


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


def _seconds(later, earlier):
    """SQL: seconds between two timestamp columns, on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.extract("epoch", later - earlier)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0


def _median(durations) -> float | None:
    """The median of a one-column subquery, read with ORDER BY / OFFSET (at most two rows leave the database)."""
    value = durations.c[0]
    n = _count(sa.select(sa.func.count()).select_from(durations))
    if not n:
        return None
    middle = db.session.scalars(sa.select(value).order_by(value).offset((n - 1) // 2).limit(2 - n % 2)).all()
    return float(sum(middle) / len(middle))


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
    submit = aliased(AuditLog)
    submitted_at = (
        sa.select(sa.func.max(submit.at))
        .where(
            submit.object_type == "listing",
            submit.object_id == AuditLog.object_id,
            submit.action.in_(_LISTING_SUBMITS),
            submit.at <= AuditLog.at,
        )
        .scalar_subquery()
    )
    decided = (
        sa.select(AuditLog.at.label("decided"), submitted_at.label("submitted"))
        .where(
            AuditLog.object_type == "listing",
            AuditLog.action.in_(_LISTING_DECISIONS),
            AuditLog.object_id.in_(_member_listing_ids(association_id)),
            period.clause(AuditLog.at),
        )
        .subquery()
    )
    moderation = (
        sa.select(_seconds(decided.c.decided, decided.c.submitted).label("seconds"))
        .where(decided.c.submitted.is_not(None))
        .subquery()
    )
    return {
        "verification": {
            "count": _count(sa.select(sa.func.count()).select_from(verification)),
            "median_seconds": _median(verification),
        },
        "moderation": {
            "count": _count(sa.select(sa.func.count()).select_from(moderation)),
            "median_seconds": _median(moderation),
        },
        "moderation_queue": _moderation_queue(association_id),
        "verification_queue": _verification_queue(association_id),
    }


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
                ListingRevision.listing_id.in_(listing_ids),
                ListingRevision.listing_id.in_(sa.select(Listing.id).where(Listing.status == ListingStatus.published)),
            )
        ),
        db.session.scalar(
            sa.select(sa.func.min(ListingFlag.created_at)).where(
                ListingFlag.resolved_at.is_(None), ListingFlag.listing_id.in_(listing_ids)
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


def funnel(association_id, period, now=None) -> list[dict]:
    """The partnership funnel of the association's members' listings (see the module docstring)."""
    now = now or base.utcnow()
    listing_ids = _member_listing_ids(association_id)
    conversation_ids = sa.select(Conversation.id).where(Conversation.listing_id.in_(listing_ids))
    queries = {
        "live": sa.select(sa.func.count(Listing.id)).where(
            Listing.id.in_(listing_ids), period.clause(Listing.published_at)
        ),
        "matches": sa.select(sa.func.count())
        .select_from(MatchNotice)
        .where(MatchNotice.listing_id.in_(listing_ids), period.clause(MatchNotice.created_at)),
        "interests": sa.select(sa.func.count(Interest.id)).where(
            Interest.listing_id.in_(listing_ids), period.clause(Interest.created_at)
        ),
        "accepted": sa.select(sa.func.count(Interest.id)).where(
            Interest.listing_id.in_(listing_ids),
            Interest.status == InterestStatus.accepted,
            period.clause(Interest.responded_at),
        ),
        "conversations": sa.select(sa.func.count(Conversation.id)).where(
            Conversation.listing_id.in_(listing_ids), period.clause(Conversation.created_at)
        ),
        "meetings": sa.select(sa.func.count(Meeting.id)).where(
            Meeting.conversation_id.in_(conversation_ids),
            Meeting.status == MeetingStatus.accepted,
            period.clause(Meeting.starts_at),
            Meeting.starts_at <= now,
        ),
        "outcomes": sa.select(sa.func.count(Outcome.id)).where(
            Outcome.conversation_id.in_(conversation_ids), period.clause(Outcome.created_at)
        ),
        "confirmed": sa.select(sa.func.count(Outcome.id)).where(
            Outcome.conversation_id.in_(conversation_ids),
            Outcome.status == OutcomeStatus.confirmed,
            period.clause(Outcome.decided_at),
        ),
    }
    steps, previous = [], None
    for key in FUNNEL_KEYS:
        count = _count(queries[key])
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
