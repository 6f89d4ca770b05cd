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
    """Everything that needs a moderator: submitted listings and edits, and open reports."""
    return sa.or_(queue_clause("submitted"), open_flag_clause())
