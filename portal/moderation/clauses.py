"""Which listings wait for moderation, as SQL clauses: the queue's tabs and the navigation's count use them."""

import sqlalchemy as sa

from ..models import Listing, ListingFlag, ListingRevision, ListingStatus

S = ListingStatus


def pending_revision_clause(status=S.submitted):
    return sa.exists().where(ListingRevision.listing_id == Listing.id, ListingRevision.status == status)


def open_flag_clause():
    return sa.exists().where(ListingFlag.listing_id == Listing.id, ListingFlag.resolved_at.is_(None))


def queue_clause(status: str):
    """Which listings a queue tab shows; edits of published listings wait under "submitted"."""
    if status == "flagged":
        return open_flag_clause()
    if status == "submitted":
        return sa.or_(Listing.status == S.submitted, sa.and_(Listing.status == S.published, pending_revision_clause()))
    return Listing.status == S[status]


def waiting_clause():
    """Everything that needs a moderator: submitted listings and edits, and open reports. As one IN over three
    small id sets rather than an OR of EXISTS tests: every staff page counts it for the navigation, and
    the OR made PostgreSQL test each of an association's 50,000 listings (300 ms at 100,000 listings; 60 ms as
    written). `Listing.id + 0`: SQLite would otherwise probe the listings' index once per company and per
    waiting id (minutes), instead of testing each of the association's listings against the set."""
    published_with_edit = sa.select(ListingRevision.listing_id).join(Listing, Listing.id == ListingRevision.listing_id)
    return (Listing.id + 0).in_(
        sa.union(
            sa.select(Listing.id).where(Listing.status == S.submitted),
            published_with_edit.where(ListingRevision.status == S.submitted, Listing.status == S.published),
            sa.select(ListingFlag.listing_id).where(ListingFlag.resolved_at.is_(None)),
        )
    )
