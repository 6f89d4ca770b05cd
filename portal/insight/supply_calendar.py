"""The supply calendar of raw hides and skins (issue 13, item 5): live offers by month and country from the
`listing_month` table, live requests beside them, and the Eid ul-Adha hides season of each year.

What counts, and why:
- Offered in a month: a live trade offer with that month among its supply months. The listing form asks
  for supply months only for offers of raw hides and skins, so an offer that names months is one.
- Requests name no months (the form has none for them): a live trade request of raw hides and skins
  (HS headings 4101-4103) is sought all year, until it is withdrawn or expires, so it is listed once, in
  an "any month" row, not repeated in every month. Raw-hide offers that name no month go there too.
- Country: the country of the member company's association (PTA: Pakistan, KLA: Kazakhstan).

Every figure is one GROUP BY over indexed columns; nothing loops over listings.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from hijridate import Hijri

from ..extensions import db
from ..models import Association, Company, Listing, ListingHsHeading, ListingMonth, ListingType
from ..models.listing import Direction

RAW_HEADINGS = ("4101", "4102", "4103")  # raw bovine hides, raw sheep skins, other raw hides and skins
# Eid day and the two days of sacrifice after it, then about two and a half weeks in which the hides are
# salted and collected from homes, mosques and markets and reach the tanneries: three weeks in all.
SEASON_DAYS = 21
# The Gregorian year is ~11 days longer than the Hijri one: Gregorian year Y falls in Hijri years near this.
_HIJRI_YEARS_PER_GREGORIAN = 33 / 32


def eid_al_adha(year: int) -> list[date]:
    """The days of Eid ul-Adha (10 Dhu al-Hijjah in the Umm al-Qura calendar) that fall in Gregorian `year`.

    Usually one; a Gregorian year holds two every ~33 years (as in 2039). Outside the years hijridate's
    tables cover (1343-1500 AH, 1925-2077) there is no date to give: an empty list, never an error, so
    the page shows the years it can."""
    first_guess = int((year - 622) * _HIJRI_YEARS_PER_GREGORIAN)
    found = []
    for hijri_year in range(first_guess - 1, first_guess + 3):
        try:
            day = Hijri(hijri_year, 12, 10).to_gregorian()
        except (OverflowError, ValueError):  # before or after the calendar's tables
            continue
        if day.year == year:
            found.append(date(day.year, day.month, day.day))
    return found


@dataclass(frozen=True)
class Season:
    """One Eid ul-Adha and the hides season that starts on it: from Eid for three weeks (SEASON_DAYS, Eid
    included), the three days of sacrifice and then the salting and collection of the hides."""

    eid: date

    @property
    def last_day(self) -> date:
        return self.eid + timedelta(days=SEASON_DAYS - 1)

    @property
    def months(self) -> list[int]:
        """The months the season touches: (month numbers) 5 and 6 for an Eid on 27 May."""
        return sorted({self.eid.month, self.last_day.month})

    def touches(self, month: int) -> bool:
        return month in self.months


def seasons(years) -> list[Season]:
    """The hides seasons of those Gregorian years, by date; years the calendar does not cover are left out."""
    return [Season(day) for year in years for day in eid_al_adha(year)]


# --- the listings -----------------------------------------------------------------------------------


def associations() -> list[Association]:
    """The calendar's columns: every association (PTA and KLA), in the order they were created."""
    return list(db.session.scalars(sa.select(Association).order_by(Association.id)))


def _live_trade(direction: Direction):
    return sa.and_(Listing.live_clause(), Listing.type == ListingType.trade, Listing.direction == direction)


def _raw_heading():
    return sa.exists().where(ListingHsHeading.listing_id == Listing.id, ListingHsHeading.heading.in_(RAW_HEADINGS))


def offered_by_month() -> dict[tuple[int, int], int]:
    """(association id, month) -> live trade offers available in that month."""
    query = (
        sa.select(Company.association_id, ListingMonth.month, sa.func.count(sa.distinct(Listing.id)))
        .join(Listing, Listing.id == ListingMonth.listing_id)
        .join(Company, Company.id == Listing.company_id)
        .where(_live_trade(Direction.offer))
        .group_by(Company.association_id, ListingMonth.month)
    )
    return {(association, month): n for association, month, n in db.session.execute(query)}


def _by_association(clause) -> dict[int, int]:
    query = (
        sa.select(Company.association_id, sa.func.count(Listing.id))
        .join(Company, Company.id == Listing.company_id)
        .where(clause)
        .group_by(Company.association_id)
    )
    return dict(db.session.execute(query).all())


def offered_any_month() -> dict[int, int]:
    """association id -> live raw-hide trade offers that name no supply month."""
    no_month = ~sa.exists().where(ListingMonth.listing_id == Listing.id)
    return _by_association(sa.and_(_live_trade(Direction.offer), _raw_heading(), no_month))


def sought() -> dict[int, int]:
    """association id -> live trade requests of raw hides and skins (requests name no month)."""
    return _by_association(sa.and_(_live_trade(Direction.request), _raw_heading()))


def calendar(today: date) -> dict:
    """Everything the page shows, as numbers and dates (the route formats them in the reader's language):
    {"associations", "offered": {(association id, month): n}, "any_month": {association id: n},
    "sought": {association id: n}, "seasons": [Season] of last year, this year and next, "total"}."""
    offered, any_month, wanted = offered_by_month(), offered_any_month(), sought()
    return {
        "associations": associations(),
        "offered": offered,
        "any_month": any_month,
        "sought": wanted,
        "seasons": seasons(range(today.year - 1, today.year + 2)),
        "total": sum(offered.values()) + sum(any_month.values()) + sum(wanted.values()),
    }
