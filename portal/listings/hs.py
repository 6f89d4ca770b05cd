"""HS headings and supply months of trade listings: the heading table, reading headings from a listing's
concepts, the owner's or staff's choice over what was read, and the months an offer of raw hides is available.

The headings (`hs_headings.json`, beside this module) are the WCO's 4-digit headings of the leather trade
with short labels in en/ru/kk/ur. They live with the listings, not in the taxonomy: they are no capability
(never a tag, a company capability or a match concept), they have no synonyms for search, and only trade
listings carry them. The insight dashboards count `ListingHsHeading` rows and may label them with `label()`.

Inference reads the listing's concepts (ListingTag term ids), never its text: a material is named by its
animal and its stage (cattle + wet blue -> 4104); an article by its end use (footwear -> 6403), and only
when no stage is named, since "finished leather for footwear" is leather, not shoes. An animal without a
stage, or a stage without an animal, names no heading: the owner or staff choose one. Like
ListingTag.inferred, a chosen heading replaces every inferred one, and choosing none lets the portal
read them again.
"""

import json
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from babel.dates import get_month_names
from flask_babel import get_locale
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..lists import join_list
from ..models.listing import Direction, Listing, ListingHsHeading, ListingMonth, ListingType

DATA_FILE = Path(__file__).with_name("hs_headings.json")
MONTHS = tuple(range(1, 13))


def current_locale() -> str:
    # Not templating's twin: this module stays below the packages that import search (the search page reads it).
    return str(get_locale() or "en")


# Which heading a material is, by the animal's group and the stage (HS chapter 41's three rows).
ANIMAL_GROUPS = {
    "hide_cattle": "bovine",
    "hide_buffalo": "bovine",  # "bovine (including buffalo)"
    "hide_horse": "bovine",  # "or equine": the same headings
    "hide_sheep": "sheep",
    "hide_goat": "other",
    "hide_camel": "other",
    "hide_pig": "other",
}
STAGES = {
    "stage_raw": "raw",
    "stage_wetblue": "tanned",
    "stage_wetwhite": "tanned",
    "stage_crust": "tanned",  # "tanned or crust"
    "stage_finished": "finished",  # "further prepared after tanning or crusting"
}
MATERIAL = {
    ("bovine", "raw"): "4101",
    ("sheep", "raw"): "4102",
    ("other", "raw"): "4103",
    ("bovine", "tanned"): "4104",
    ("sheep", "tanned"): "4105",
    ("other", "tanned"): "4106",
    ("bovine", "finished"): "4107",
    ("sheep", "finished"): "4112",
    ("other", "finished"): "4113",
}
# Articles, by their end use; sports goods and upholstery name no heading of their own.
ARTICLES = {
    "seg_saddlery": "4201",
    "seg_bags": "4202",
    "seg_garment": "4203",
    "seg_gloves": "4203",  # gloves are clothing accessories of 42.03
    "seg_footwear": "6403",
}


@cache
def headings() -> dict:
    """heading -> {"id", "chapter", "wco", "labels"}, in the file's order."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {h["id"]: h for h in data["headings"]}


def label(heading: str, locale: str | None = None) -> str:
    """The heading's short label in the reader's language (English when it has none)."""
    entry = headings().get(heading)
    if entry is None:
        return heading
    labels = entry["labels"]
    return labels.get(locale or current_locale()) or labels["en"]


def choices() -> list[tuple[str, str]]:
    """(heading, "4104 · label") pairs for the forms, in the reader's language."""
    return [(h, f"{h} · {label(h)}") for h in headings()]


def infer(term_ids, listing_type=ListingType.trade) -> list[str]:
    """The headings a trade listing's concepts name (sorted); none for other types."""
    if listing_type is not ListingType.trade:
        return []
    terms = set(term_ids)
    groups = {ANIMAL_GROUPS[t] for t in terms if t in ANIMAL_GROUPS}
    stages = {STAGES[t] for t in terms if t in STAGES}
    found = {MATERIAL[(g, s)] for g in groups for s in stages}
    if not stages:
        found |= {ARTICLES[t] for t in terms if t in ARTICLES}
    return sorted(found)


def chosen(listing) -> list[str]:
    """The headings the owner or staff chose (not inferred), sorted: what the edit form shows ticked."""
    return sorted(h.heading for h in listing.hs_headings if not h.inferred)


def set_headings(listing, wanted, inferred: bool = False) -> bool:
    """Replace the headings (kept rows stay, so no primary key is written twice); True when anything changed.
    A choice (inferred=False) marks every heading chosen, the same rule as Listing.set_tags."""
    wanted = sorted(set(wanted))
    before = sorted((h.heading, h.inferred) for h in listing.hs_headings)
    listing.hs_headings = [h for h in listing.hs_headings if h.heading in wanted]
    have = {h.heading for h in listing.hs_headings}
    listing.hs_headings.extend(ListingHsHeading(heading=h, inferred=inferred) for h in wanted if h not in have)
    for row in listing.hs_headings:
        row.inferred = inferred
    return sorted((h.heading, h.inferred) for h in listing.hs_headings) != before


def refresh(listing, choice=None) -> bool:
    """Bring the headings up to date after the listing's type, tags or choice changed; True when they changed.

    `choice`: the headings chosen now ([] = none chosen: read them again), or None to keep an earlier
    choice (only inferred headings are read again). A listing that is not a trade listing has none."""
    if listing.type is not ListingType.trade:
        return set_headings(listing, [], inferred=True)
    if choice:
        return set_headings(listing, choice)
    if choice is None and chosen(listing):
        return False
    return set_headings(listing, infer(listing.tag_ids, listing.type), inferred=True)


def takes_months(listing_type, direction) -> bool:
    """Supply months belong to trade offers (of raw hides and skins: what the form says they are for)."""
    return ListingType(listing_type) is ListingType.trade and Direction(direction) is Direction.offer


def month_numbers(listing) -> list[int]:
    return [m.month for m in listing.months]


def set_months(listing, months) -> bool:
    """Replace the supply months (none unless a trade offer); True when they changed."""
    wanted = sorted(set(months)) if takes_months(listing.type, listing.direction) else []
    if wanted == month_numbers(listing):
        return False
    listing.months = [m for m in listing.months if m.month in wanted]
    have = set(month_numbers(listing))
    listing.months.extend(ListingMonth(month=m) for m in wanted if m not in have)
    listing.months.sort(key=lambda m: m.month)
    return True


def month_names(locale: str | None = None) -> dict[int, str]:
    """1 -> "January" ... in the reader's language (CLDR's stand-alone names: "январь", not "января")."""
    return dict(get_month_names("wide", context="stand-alone", locale=locale or current_locale()))


def month_choices() -> list[tuple[int, str]]:
    names = month_names()
    return [(m, names[m]) for m in MONTHS]


def month_runs(months) -> list[tuple[int, int]]:
    """Consecutive months as (first, last) runs; a run through December goes on into January
    ([11, 12, 1, 2] is one season, November–February)."""
    months = sorted(set(months))
    if not months:
        return []
    runs = []
    for m in months:
        if runs and m == runs[-1][1] + 1:
            runs[-1][1] = m
        else:
            runs.append([m, m])
    if len(runs) > 1 and runs[0][0] == 1 and runs[-1][1] == 12:
        runs[0][0] = runs.pop()[0]
        runs.append(runs.pop(0))
    return [tuple(r) for r in runs]


def months_text(months, locale: str | None = None) -> str:
    """ "March–May and July" in the reader's language; "" for no months."""
    names = month_names(locale)
    if len(set(months)) == 12:
        return f"{names[1]}–{names[12]}"
    parts = [names[a] if a == b else f"{names[a]}–{names[b]}" for a, b in month_runs(months)]
    return join_list(parts) if parts else ""


def infer_all(batch: int = 500) -> tuple[int, int, int]:
    """(listings checked, changed, kept because their headings were chosen): `flask listings infer-hs`."""
    checked = changed = kept = 0
    last = 0
    while True:
        rows = db.session.scalars(
            sa.select(Listing)
            .where(Listing.id > last)
            .order_by(Listing.id)
            .limit(batch)
            .options(selectinload(Listing.tags), selectinload(Listing.hs_headings))
        ).all()
        if not rows:
            return checked, changed, kept
        for listing in rows:
            checked += 1
            if listing.type is ListingType.trade and chosen(listing):
                kept += 1
            elif refresh(listing):
                changed += 1
        db.session.flush()
        last = rows[-1].id
