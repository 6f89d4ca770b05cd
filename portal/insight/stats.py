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
- section 3 lives in `decisions`, sections 6-8 in `market`; both are re-exported here:
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

The decision medians (of waits in whole seconds), the funnel and the cities are `snapshots.rollup`s: each
query counts day by day (UTC days) and the figure sums the period's days, so that a custom range can be
summed from the worker's series instead of scanning the tables for its reader.
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
    MatchNotice,
    Meeting,
    MeetingStatus,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    base,
)
from .decisions import decision_times  # noqa: F401 - the API
from .market import cities, day_key, hs_headings, member_ids, member_listing_ids, supply_demand  # noqa: F401 - the API
from .market import month_key as _month_key
from .snapshots import rollup, snapshot, within

MEMBER_STATUSES = ("verified", "unverified", "rejected", "revoked")
MAX_MONTHS = 36  # "all time" shows the last three years month by month
# The audit action that leaves a company in each status; `company.resubmit` sends a rejected one back.
_DECISION_STATUS = {
    "company.verify": "verified",
    "company.reject": "rejected",
    "company.revoke": "revoked",
    "company.resubmit": "unverified",
}
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
    members = member_ids(association_id).where(Company.created_at < end)
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
        sa.select(sa.func.min(Company.created_at)).where(Company.id.in_(member_ids(association_id)))
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
        .where(Listing.company_id.in_(member_ids(association_id)), period.clause(Listing.created_at))
        .group_by(Listing.type, Listing.direction, Listing.status)
        .order_by(Listing.type, Listing.direction, Listing.status)
    )
    return [
        {"type": t.value, "direction": d.value, "status": s.value, "count": n}
        for t, d, s, n in db.session.execute(query)
    ]


# --- 4. the partnership funnel ----------------------------------------------------------------------


def _sum_of_days(series: dict, period) -> dict[str, int]:
    """Each funnel step's count over the period's days."""
    counts = dict.fromkeys(FUNNEL_KEYS, 0)
    for parts in within(series, period):
        for key, n in parts.items():
            counts[key] += n
    return counts


@rollup("funnel", _sum_of_days)
def _funnel_counts(association_id, period, now=None) -> dict[str, dict[str, int]]:
    """Every step's count day by day, in one statement: a UNION ALL of one grouped count per step, each by
    the day of its own time column."""
    now = now or base.utcnow()
    listing_ids = member_listing_ids(association_id)
    conversation_ids = sa.select(Conversation.id).where(Conversation.listing_id.in_(listing_ids))
    steps = {
        "live": (Listing.published_at, Listing.company_id.in_(member_ids(association_id))),
        "matches": (MatchNotice.created_at, MatchNotice.listing_id.in_(listing_ids)),
        "interests": (Interest.created_at, Interest.listing_id.in_(listing_ids)),
        "accepted": (
            Interest.responded_at,
            sa.and_(Interest.listing_id.in_(listing_ids), Interest.status == InterestStatus.accepted),
        ),
        "conversations": (Conversation.created_at, Conversation.listing_id.in_(listing_ids)),
        "meetings": (
            Meeting.starts_at,
            sa.and_(
                Meeting.conversation_id.in_(conversation_ids),
                Meeting.status == MeetingStatus.accepted,
                Meeting.starts_at <= now,
            ),
        ),
        "outcomes": (Outcome.created_at, Outcome.conversation_id.in_(conversation_ids)),
        "confirmed": (
            Outcome.decided_at,
            sa.and_(Outcome.conversation_id.in_(conversation_ids), Outcome.status == OutcomeStatus.confirmed),
        ),
    }
    counts = [
        sa.select(sa.literal_column(f"'{key}'").label("step"), day_key(column).label("day"), sa.func.count())
        .where(where, period.clause(column))
        .group_by(day_key(column))
        for key, (column, where) in steps.items()
    ]
    series: dict[str, dict[str, int]] = {}
    for step, day, n in db.session.execute(sa.union_all(*counts)):
        series.setdefault(day, {})[step] = n
    return series


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

    members = member_ids(association_id)
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
