"""Staff corrections of what a listing is about: its capability tags and its HS headings, each audited in the
same transaction (`listing.tags`, `listing.hs_headings`). The caller commits."""

from flask_babel import gettext as _

from .. import audit
from ..models import ListingType
from ..permissions import can_moderate
from . import hs
from .lifecycle import ListingError, NotAllowed


def set_tags_by_staff(listing, term_ids, actor) -> None:
    if not can_moderate(actor, listing):
        raise NotAllowed(_("Only staff of the company's association can do that."))
    old = sorted(listing.tag_ids)
    listing.set_tags(term_ids)
    hs.refresh(listing)  # inferred headings follow the corrected concepts; chosen ones stay
    if sorted(listing.tag_ids) != old:
        listing.bump_version()
    audit.record(
        actor,
        "listing.tags",
        "listing",
        listing.id,
        association_id=listing.company.association_id,
        detail={"from": old, "to": sorted(term_ids)},
    )


def set_hs_by_staff(listing, wanted, actor) -> None:
    """Staff correct a trade listing's HS headings (none ticked: read them from the concepts again); audited
    like the tags correction, in the same transaction."""
    if not can_moderate(actor, listing):
        raise NotAllowed(_("Only staff of the company's association can do that."))
    if listing.type is not ListingType.trade:
        raise ListingError(_("Only trade listings have HS headings."))
    unknown = [h for h in wanted if h not in hs.headings()]
    if unknown:
        raise ListingError(_("Unknown HS headings: %(headings)s", headings=", ".join(unknown)))
    old = sorted(h.heading for h in listing.hs_headings)
    if hs.refresh(listing, list(wanted)):
        listing.bump_version()
    audit.record(
        actor,
        "listing.hs_headings",
        "listing",
        listing.id,
        association_id=listing.company.association_id,
        detail={"from": old, "to": sorted(h.heading for h in listing.hs_headings), "chosen": bool(wanted)},
    )
