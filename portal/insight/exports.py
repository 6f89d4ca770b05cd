"""The staff exports of issue 13 (members, listings, the partnership funnel, outcomes): their columns in the
reader's language and their rows, read from SQL batch by batch so that a 100,000-row export never sits in
memory. The filters are the dashboard's: the same `periods.Period` and the same association reading
(`market.member_ids`), so a file holds what the screen counted.

What "in the period" means for each: members who joined in it (`Company.created_at`); listings created in
it (as the dashboard's listings section); the funnel as the dashboard shows it (`stats.funnel`, one block
per association); outcomes recorded or decided in it, in conversations where a member took part on either
side (so the confirmed rows decided in the period add up to the dashboard's confirmed outcomes). Companies
are named in the outcomes only where both of them agreed to be named; the names never leave the database
otherwise. `spreadsheets` writes a `Table` as CSV or XLSX.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from ..extensions import db
from ..listings.details import DIRECTION_LABELS, TYPE_LABELS
from ..listings.notices import status_label
from ..models import (
    Association,
    Company,
    Conversation,
    Listing,
    ListingHsHeading,
    ListingStatus,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
)
from ..partnerships.services.outcomes import outcome_label
from ..templating import country_name
from . import stats
from .figures import MEMBER_STATUS_LABELS

BATCH = 1000  # rows fetched from the database at a time
KIND_LABELS = {
    "members": _l("Members"),
    "listings": _l("Listings"),
    "funnel": _l("Partnership funnel"),
    "outcomes": _l("Outcomes"),
}
KINDS = tuple(KIND_LABELS)
# The same words as the outcome badges of a conversation (templates/partnerships/_macros.html).
OUTCOME_STATUS_LABELS = {
    OutcomeStatus.recorded: _l("waiting for confirmation"),
    OutcomeStatus.confirmed: _l("confirmed by both"),
    OutcomeStatus.disputed: _l("disputed"),
}


@dataclass(frozen=True)
class Column:
    """A column of an export: its header, what its cells hold ("text", "int", "usd", "percent" or "date",
    which decides the Excel number format) and its width in Excel characters."""

    header: object
    kind: str = "text"
    width: int = 16


@dataclass
class Table:
    """An export ready to be written: a title (the sheet's name), its columns and a one-pass iterator of rows."""

    title: str
    columns: list[Column]
    rows: Iterator[tuple]

    @property
    def headers(self) -> list[str]:
        return [str(c.header) for c in self.columns]


def table(kind: str, associations: list, period) -> Table:
    """The export `kind` (one of KINDS) for these associations (one, or every one: "all") over the period."""
    builders = {"members": _members, "listings": _listings, "funnel": _funnel, "outcomes": _outcomes}
    columns, rows = builders[kind](associations, period)
    return Table(str(KIND_LABELS[kind]), columns, rows)


def scope(associations: list):
    """The association id the stats functions take: the one chosen, or None for all of them together."""
    return associations[0].id if len(associations) == 1 else None


def _partitions(query) -> Iterator[list]:
    """The rows of a query in lists of BATCH, fetched as they are asked for (a server-side cursor on
    PostgreSQL); nothing runs until the first row is wanted, so a streamed export reads as it writes."""
    yield from db.session.execute(query.execution_options(yield_per=BATCH)).partitions()


def _batches(query) -> Iterator:
    for batch in _partitions(query):
        yield from batch


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


# --- members ------------------------------------------------------------------------------------------


def _members(associations, period):
    columns = [
        Column(_l("Company"), width=36),
        Column(_l("City"), width=18),
        Column(_l("Country"), width=14),
        Column(_l("Association"), width=12),
        Column(_l("Verification status"), width=24),
        Column(_l("Joined"), "date", width=12),
        Column(_l("Live listings"), "int", width=12),
    ]
    live = (
        sa.select(Listing.company_id, sa.func.count(Listing.id).label("n"))
        .where(Listing.live_clause())
        .group_by(Listing.company_id)
        .subquery()
    )
    query = (
        sa.select(
            Company.name,
            Company.city,
            Company.country,
            Association.code,
            Company.status,
            Company.created_at,
            sa.func.coalesce(live.c.n, 0),
        )
        .join(Association, Association.id == Company.association_id)
        .outerjoin(live, live.c.company_id == Company.id)
        .where(Company.id.in_(stats.member_ids(scope(associations))), period.clause(Company.created_at))
        .order_by(Company.name, Company.id)
    )
    statuses = {key: str(label) for key, label in MEMBER_STATUS_LABELS.items()}

    def rows():
        for name, city, country, code, status, joined, live_count in _batches(query):
            yield (name, city, country_name(country), code, statuses[status.value], _day(joined), live_count)

    return columns, rows()


# --- listings -----------------------------------------------------------------------------------------


def _listings(associations, period):
    columns = [
        Column(_l("Title"), width=44),
        Column(_l("Company"), width=32),
        Column(_l("Association"), width=12),
        Column(_l("Type"), width=20),
        Column(_l("Direction"), width=12),
        Column(_l("Status"), width=22),
        Column(_l("HS headings"), width=16),
        Column(_l("Created"), "date", width=12),
        Column(_l("Published"), "date", width=12),
    ]
    query = (
        sa.select(
            Listing.id,
            Listing.title,
            Company.name,
            Association.code,
            Listing.type,
            Listing.direction,
            Listing.status,
            Listing.created_at,
            Listing.published_at,
        )
        .join(Company, Company.id == Listing.company_id)
        .join(Association, Association.id == Company.association_id)
        .where(Listing.company_id.in_(stats.member_ids(scope(associations))), period.clause(Listing.created_at))
        .order_by(Listing.created_at, Listing.id)
    )
    # Every label translated once, not once a row (status_label builds its table at each call).
    types = {key: str(label) for key, label in TYPE_LABELS.items()}
    directions = {key: str(label) for key, label in DIRECTION_LABELS.items()}
    statuses = {status: status_label(status) for status in ListingStatus}

    def rows():
        for batch in _partitions(query):
            headings = _headings_of([row[0] for row in batch])
            for listing_id, title, company, code, kind, direction, status, created, published in batch:
                yield (
                    title,
                    company,
                    code,
                    types[kind.value],
                    directions[direction.value],
                    statuses[status],
                    headings.get(listing_id, ""),
                    _day(created),
                    _day(published),
                )

    return columns, rows()


def _headings_of(listing_ids) -> dict[int, str]:
    """The HS headings of one batch of listings, "4104 4107", by the table's primary key (a join with a
    grouped subquery of every listing's headings took seconds at 100,000 listings)."""
    query = (
        sa.select(ListingHsHeading.listing_id, ListingHsHeading.heading)
        .where(ListingHsHeading.listing_id.in_(listing_ids))
        .order_by(ListingHsHeading.listing_id, ListingHsHeading.heading)
    )
    found: dict[int, list[str]] = {}
    for listing_id, heading in db.session.execute(query):
        found.setdefault(listing_id, []).append(heading)
    return {listing_id: " ".join(headings) for listing_id, headings in found.items()}


# --- the funnel ---------------------------------------------------------------------------------------


def _funnel(associations, period):
    """The dashboard's funnel, step by step, for each association shown (side by side: one block each)."""
    columns = [
        Column(_l("Association"), width=12),
        Column(_l("Step"), width=32),
        Column(_l("Count"), "int", width=12),
        Column(_l("Share of the step before"), "percent", width=24),
    ]

    def rows():
        for association in associations:
            for step in stats.funnel(association.id, period):
                yield (association.code, step["label"], step["count"], step["conversion"])

    return columns, rows()


# --- outcomes -----------------------------------------------------------------------------------------


def _outcomes(associations, period):
    columns = [
        Column(_l("Recorded"), "date", width=12),
        Column(_l("Confirmed or disputed"), "date", width=14),
        Column(_l("Kind"), width=30),
        Column(_l("Value (USD)"), "usd", width=14),
        Column(_l("Status"), width=24),
        Column(_l("Recorded by"), width=32),
        Column(_l("Recorder's association"), width=12),
        Column(_l("Other company"), width=32),
        Column(_l("Other company's association"), width=12),
    ]
    recorder, other = aliased(Company), aliased(Company)
    recorder_association, other_association = aliased(Association), aliased(Association)
    other_id = sa.case(
        (Conversation.owner_company_id == Outcome.recorded_by_company_id, Conversation.partner_company_id),
        else_=Conversation.owner_company_id,
    )
    named = sa.and_(Outcome.recorder_agrees_to_be_named, Outcome.confirmer_agrees_to_be_named)
    members = stats.member_ids(scope(associations))
    query = (
        sa.select(
            Outcome.created_at,
            Outcome.decided_at,
            Outcome.kind,
            Outcome.value_usd,
            Outcome.status,
            sa.case((named, recorder.name), else_=sa.null()),
            recorder_association.code,
            sa.case((named, other.name), else_=sa.null()),
            other_association.code,
        )
        .join(Conversation, Conversation.id == Outcome.conversation_id)
        .join(recorder, recorder.id == Outcome.recorded_by_company_id)
        .join(recorder_association, recorder_association.id == recorder.association_id)
        .join(other, other.id == other_id)
        .join(other_association, other_association.id == other.association_id)
        .where(
            sa.or_(Conversation.owner_company_id.in_(members), Conversation.partner_company_id.in_(members)),
            sa.or_(period.clause(Outcome.created_at), period.clause(Outcome.decided_at)),
        )
        .order_by(Outcome.created_at, Outcome.id)
    )
    statuses = {key: str(label) for key, label in OUTCOME_STATUS_LABELS.items()}
    kinds = {kind: outcome_label(kind) for kind in OutcomeKind}

    def rows():
        for created, decided, kind, value, status, by, by_code, partner, partner_code in _batches(query):
            yield (
                _day(created),
                _day(decided),
                kinds[kind],
                value,
                statuses[status],
                by,
                by_code,
                partner,
                partner_code,
            )

    return columns, rows()


# --- naming the file and the audit row ----------------------------------------------------------------


def period_days(period) -> tuple[date | None, date]:
    """The first and last day the period covers (both included; first None for all time)."""
    last = (period.end - timedelta(microseconds=1)).date()
    return _day(period.start), last


def period_text(period) -> str:
    """The period's days as the audit row notes them, the same in every language ("2026-09-03 – 2026-12-01";
    "… – 2026-12-01" for all time): a relative period's name would not say which days it covered."""
    first, last = period_days(period)
    return f"{first.isoformat() if first else '…'} – {last.isoformat()}"


def filename(kind: str, associations: list, period, fmt: str) -> str:
    """leather-bridge-pta-members-2026-09-03-to-2026-12-01.xlsx: whose, what and when, in ASCII."""
    whose = associations[0].code.lower() if len(associations) == 1 else "all"
    first, last = period_days(period)
    when = f"{first.isoformat()}-to-{last.isoformat()}" if first else f"until-{last.isoformat()}"
    return f"leather-bridge-{whose}-{kind}-{when}.{fmt}"
