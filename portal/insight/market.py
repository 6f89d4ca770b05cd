"""The members' market, live now: supply and demand by capability, activity by city, trade by HS heading;
and `member_ids`, the one reading of "of this association" that every figure of `stats` uses, with the SQL
helpers they share (a month key, seconds between two times, on SQLite and PostgreSQL).
Part of the `stats` API (re-exported there); see its docstring for the shapes."""

import sqlalchemy as sa

from ..extensions import db
from ..models import Company, Interest, Listing, ListingHsHeading, ListingTag, ListingType
from ..models.listing import Direction
from ..taxonomy import vocabulary
from .snapshots import rollup, snapshot, within


def member_ids(association_id):
    """The association's member companies, as a subquery (every company when None)."""
    query = sa.select(Company.id)
    return query if association_id is None else query.where(Company.association_id == association_id)


def member_listing_ids(association_id):
    return sa.select(Listing.id).where(Listing.company_id.in_(member_ids(association_id)))


# --- SQL that reads the same on SQLite and PostgreSQL, for every figure -------------------------------


def unindexed(column):
    """The column as an expression (`column + 0`), for `IN (the members' listings)` tests of a table best
    read by another index: SQLite's planner would otherwise walk the column's index once per member listing
    (55,000 lookups) instead of the rows of the period or a small table. PostgreSQL plans a hash either way."""
    return column + 0


def month_key(column):
    """SQL: "YYYY-MM" of a timestamp column, on SQLite and PostgreSQL (text, so it sorts and compares)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def day_key(column):
    """SQL: the ISO day "YYYY-MM-DD" of a timestamp column (UTC, as stored): a @rollup's series key. The
    format is literal SQL, not a parameter, so that GROUP BY the same expression matches its SELECT."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(column, sa.literal_column("'YYYY-MM-DD'"))
    return sa.func.strftime(sa.literal_column("'%Y-%m-%d'"), column)


def seconds_between(later, earlier):
    """SQL: seconds between two timestamp columns, on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.extract("epoch", later - earlier)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0


# --- 6. supply and demand by capability ---------------------------------------------------------------


def _tag_counts(direction: Direction, companies) -> dict[str, int]:
    query = (
        sa.select(ListingTag.term_id, sa.func.count())
        .join(Listing, Listing.id == ListingTag.listing_id)
        .where(Listing.live_clause(), Listing.direction == direction, Listing.company_id.in_(companies))
        .group_by(ListingTag.term_id)
    )
    return dict(db.session.execute(query).all())


@snapshot("supply", by_period=False)
def _supply_counts(association_id) -> dict[str, dict[str, int]]:
    """{"offers": {term: n}, "requests": {term: n}}: the members' live offers, the others' live requests."""
    others = sa.select(Company.id)
    if association_id is not None:
        others = others.where(Company.association_id != association_id)
    return {
        "offers": _tag_counts(Direction.offer, member_ids(association_id)),
        "requests": _tag_counts(Direction.request, others),
    }


def supply_demand(association_id, locale: str) -> dict:
    """Live offers of the association's members against live requests of the other associations' members,
    by capability tag (live now, whatever the period); gaps: asked for and offered by no member."""
    counts = _supply_counts(association_id)
    offers, requests = counts["offers"], counts["requests"]
    words = vocabulary()
    rows = [
        {
            "term": term,
            "label": words.label(term, locale),
            "offers": offers.get(term, 0),
            "requests": requests.get(term, 0),
        }
        for term in set(offers) | set(requests)
    ]
    rows.sort(key=lambda r: (-(r["offers"] + r["requests"]), r["label"]))
    return {"rows": rows, "gaps": [r for r in rows if r["requests"] and not r["offers"]]}


# --- 7. activity by city ------------------------------------------------------------------------------


def _cities_of_days(series: dict, period) -> list[dict]:
    """The cities' rows of a day-by-day series: companies registered up to the period's last day, listings
    and interests of its days."""
    rows: dict[str, dict] = {}
    for name, since_the_beginning in (("companies", True), ("listings", False), ("interests", False)):
        for parts in within(series, period, since_the_beginning):
            for place, n in parts.get(name, {}).items():
                row = rows.setdefault(place, {"city": place, "companies": 0, "listings": 0, "interests": 0})
                row[name] += n
    return sorted(rows.values(), key=lambda r: (-r["companies"], -r["listings"], r["city"]))


@rollup("cities", _cities_of_days)
def cities(association_id, period, now=None) -> dict:
    """By the member company's city, day by day: member companies registered (before the period's end),
    listings they created and interests they sent (in the period)."""
    members = member_ids(association_id)
    city = sa.func.trim(Company.city)
    by_day = {
        name: day_key(column)
        for name, column in (
            ("companies", Company.created_at),
            ("listings", Listing.created_at),
            ("interests", Interest.created_at),
        )
    }
    figures = {
        "companies": sa.select(by_day["companies"], city, sa.func.count(Company.id)).where(
            Company.id.in_(members), Company.created_at < period.end
        ),
        "listings": sa.select(by_day["listings"], city, sa.func.count(Listing.id))
        .join(Company, Company.id == Listing.company_id)
        .where(Company.id.in_(members), period.clause(Listing.created_at)),
        "interests": sa.select(by_day["interests"], city, sa.func.count(Interest.id))
        .join(Company, Company.id == Interest.from_company_id)
        .where(Company.id.in_(members), period.clause(Interest.created_at)),
    }
    series: dict[str, dict] = {}
    for name, query in figures.items():
        for day, place, n in db.session.execute(query.group_by(by_day[name], city)):
            series.setdefault(day, {}).setdefault(name, {})[place or ""] = n
    return series


# --- 8. HS headings -----------------------------------------------------------------------------------


@snapshot("hs_headings", by_period=False)
def hs_headings(association_id) -> list[dict]:
    """Live trade listings of the members by customs heading (ListingHsHeading), offers and requests."""
    query = (
        sa.select(ListingHsHeading.heading, Listing.direction, sa.func.count())
        .join(Listing, Listing.id == ListingHsHeading.listing_id)
        .where(
            Listing.live_clause(),
            Listing.type == ListingType.trade,
            Listing.company_id.in_(member_ids(association_id)),
        )
        .group_by(ListingHsHeading.heading, Listing.direction)
    )
    rows: dict[str, dict] = {}
    for heading, direction, n in db.session.execute(query):
        row = rows.setdefault(heading, {"heading": heading, "offers": 0, "requests": 0})
        row["offers" if direction is Direction.offer else "requests"] = n
    return [rows[h] for h in sorted(rows)]
