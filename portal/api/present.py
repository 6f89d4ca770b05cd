"""Rows as the API shows them, to the viewer they are shown to: the same rules as the pages (an anonymous
listing names its company only to those the site names it to; contact details only to logged-in callers)."""

from ..extensions import db
from ..listings import hs
from ..listings.services import snapshot
from ..permissions import can_see_contact_details, can_see_listing_company

MAX_ID = 2**31 - 1  # PostgreSQL's integer; a larger id in a URL names nothing (and must not reach the driver)


def load(model, object_id: int):
    """The row with this id, or None (also for ids no integer column can hold)."""
    return db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None


def company_ref(company) -> dict:
    return {"id": company.id, "name": company.name, "country": company.country}


def listing_data(listing, viewer) -> dict:
    return {
        **snapshot(listing),
        "id": listing.id,
        "hs_headings": [h.heading for h in listing.hs_headings],
        "published_at": listing.published_at,
        "expires_at": listing.expires_at,
        "company": company_ref(listing.company) if can_see_listing_company(viewer, listing) else None,
    }


def own_listing_data(listing, viewer) -> dict:
    """A member's own listing: its status and what waits for moderation too."""
    revision = listing.pending_revision
    return {
        **listing_data(listing, viewer),
        "hs_headings": hs.chosen(listing) or [h.heading for h in listing.hs_headings],
        "status": listing.status.value,
        "version": listing.version,
        "staff_comment": listing.staff_comment,
        "pending_edit": revision is not None and listing.status.value == "published",
        "created_at": listing.created_at,
        "updated_at": listing.updated_at,
    }


def company_data(company, viewer) -> dict:
    contacts = can_see_contact_details(viewer, company)
    return {
        "id": company.id,
        "name": company.name,
        "country": company.country,
        "city": company.city or "",
        "association": company.association.code if company.association else None,
        "description": company.description or "",
        "capabilities": sorted(company.capability_ids),
        "year_founded": company.year_founded,
        "employees_range": company.employees_range,
        "languages": list(company.languages or []),
        "website": company.website if contacts else None,
        "phone": company.phone if contacts else None,
    }


def interest_data(interest, box: str) -> dict:
    return {
        "id": interest.id,
        "box": box,
        "status": interest.status.value,
        "listing": {"id": interest.listing.id, "title": interest.listing.title},
        "from_company": company_ref(interest.from_company),
        "message": interest.message,
        "what_we_bring": interest.what_we_bring or "",
        "response_note": interest.response_note,
        "created_at": interest.created_at,
        "responded_at": interest.responded_at,
    }
