"""Tell a listing's owner about new matches, once per pair (MatchNotice rows remember who was told)."""

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, ngettext

from ..extensions import db
from ..mail import notify
from ..models import Listing, MatchNotice
from .matching import find_matches

# Below this score a "match" is too weak to interrupt anyone with.
MIN_SCORE = 0.35


def recipients(company) -> list:
    if company.owner is not None and company.owner.active:
        return [company.owner]
    return [u for u in company.users if u.active]


def listing_link(listing_id: int) -> str:
    if has_request_context():
        return url_for("listings.detail", listing_id=listing_id)
    with current_app.test_request_context():
        return url_for("listings.detail", listing_id=listing_id)


def notify_listing(listing, limit: int = 5, min_score: float = MIN_SCORE) -> int:
    """Record and notify this listing's new matches (other country only); return how many were new."""
    matches = [
        m for m in find_matches(listing, limit=limit, same_country=False, with_reasons=False) if m.score >= min_score
    ]
    if not matches:
        return 0
    known = set(
        db.session.scalars(
            sa.select(MatchNotice.match_id).where(
                MatchNotice.listing_id == listing.id, MatchNotice.match_id.in_([m.pk for m in matches])
            )
        )
    )
    new = [m for m in matches if m.pk not in known]
    if not new:
        return 0
    for m in new:
        db.session.add(MatchNotice(listing_id=listing.id, match_id=m.pk, score=m.score))
    link = listing_link(listing.id)
    for user in recipients(listing.company):
        with force_locale(user.locale or "en"):
            text = ngettext(
                "%(num)d new match for your listing “%(title)s”.",
                "%(num)d new matches for your listing “%(title)s”.",
                len(new),
                title=listing.title,
            )
            notify(user, text, link + "#matches", email_subject=text)
    return len(new)


def notify_new_matches(limit: int = 5, min_score: float = MIN_SCORE) -> tuple[int, int]:
    """For every live listing: (pairs notified, listings concerned). The caller commits."""
    pairs = listings = 0
    ids = db.session.scalars(sa.select(Listing.id).where(Listing.live_clause()).order_by(Listing.id)).all()
    for listing_id in ids:
        listing = db.session.get(Listing, listing_id)
        n = notify_listing(listing, limit=limit, min_score=min_score)
        if n:
            pairs += n
            listings += 1
    return pairs, listings
