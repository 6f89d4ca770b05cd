"""Saved-search rules: saving from a search's query string, matching new listings, sending alerts, unsubscribing.

Matching runs the portal's own search (portal.search.query) when the search has words and the index
answers; otherwise plain SQL filters and a case-insensitive word match stand in. Either way only live
listings published after the search was saved are considered, and AlertSent makes each go out once.
"""

import logging
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlencode

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import db
from ..mail import public_base_url, public_url, send_mail
from ..models import (
    AlertFrequency,
    AlertSent,
    Association,
    Certification,
    Company,
    Direction,
    Listing,
    ListingTag,
    ListingType,
    SavedSearch,
    User,
)
from ..models.base import utcnow
from ..permissions import can_see_listing_company
from ..utils import clean_line

log = logging.getLogger(__name__)

# The search page's filters a saved search keeps (each may repeat); everything else in the URL is dropped.
FILTER_KEYS = ("type", "direction", "country", "association", "capability", "certification")
MAX_SAVED = 20
MAX_PER_EMAIL = 25
PERIODS = {AlertFrequency.daily: timedelta(days=1), AlertFrequency.weekly: timedelta(days=7)}


class AlertError(Exception):
    """A rule said no; the message is for the user."""


# --- saving ---------------------------------------------------------------------------------------


def parse_search_args(query_string: str) -> tuple[str, dict[str, list[str]]]:
    """(query, filters) from the search page's query string, keeping only the known filters."""
    args = parse_qs(query_string or "", keep_blank_values=False)
    # clean_line: a %00 or %0A in the URL would otherwise reach the database and the alert email
    query = clean_line(" ".join(args.get("q", [""])[:1]))[:300]
    filters = {}
    for key in FILTER_KEYS:
        values = sorted({clean_line(v)[:64] for v in args.get(key, []) if clean_line(v)})[:10]
        if values:
            filters[key] = values
    return query, filters


def save_search(user, name: str, query_string: str, frequency: str) -> SavedSearch:
    query, filters = parse_search_args(query_string)
    if not query and not filters:
        raise AlertError(_("Search for something or choose a filter before saving the search."))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearch).where(SavedSearch.user_id == user.id))
    if count >= MAX_SAVED:
        raise AlertError(_("You can keep at most %(n)s saved searches. Delete one first.", n=MAX_SAVED))
    saved = SavedSearch(
        user_id=user.id, name=name.strip(), query=query, filters=filters, frequency=AlertFrequency(frequency)
    )
    db.session.add(saved)
    db.session.flush()
    return saved


def update_search(saved, name: str, frequency: str) -> None:
    """Changing an alert also resumes it after an unsubscribe: the member asked for it again."""
    saved.name, saved.frequency, saved.unsubscribed_at = name.strip(), AlertFrequency(frequency), None


def search_path(saved) -> str:
    """Where the saved search runs again: the search page when it exists, else the listings index."""
    params = [("q", saved.query)] if saved.query else []
    params += [(k, v) for k, values in (saved.filters or {}).items() for v in values]
    endpoint = "search.search" if "search.search" in current_app.view_functions else "listings.index"
    return url_for(endpoint) + ("?" + urlencode(params) if params else "")


# --- unsubscribe tokens ---------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(saved) -> str:
    """Signed, without expiry: an old email's link must still work."""
    return _serializer().dumps([saved.id, saved.user_id])


def saved_search_for_token(token: str) -> SavedSearch | None:
    try:
        search_id, user_id = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    saved = db.session.get(SavedSearch, search_id) if isinstance(search_id, int) else None
    return saved if saved is not None and saved.user_id == user_id else None


def unsubscribe(saved) -> None:
    if saved.unsubscribed_at is None:
        saved.unsubscribed_at = utcnow()


# --- matching -------------------------------------------------------------------------------------


def is_due(saved, now: datetime) -> bool:
    period = PERIODS.get(saved.frequency)
    return period is None or saved.last_sent_at is None or saved.last_sent_at <= now - period


def _engine_ids(saved) -> list[int] | None:
    """Listing ids the portal's search finds for the saved words, newest first; None when it cannot answer."""
    if not saved.query:
        return None
    from ..search import search

    try:
        result = search(
            saved.query, user=saved.user, kind="listing", filters=saved.filters, sort="newest", per_page=100
        )
    except Exception:  # noqa: BLE001 - the alert run falls back to SQL rather than failing the cron job
        log.exception("search failed for saved search %s; using the SQL fallback", saved.id)
        return None
    if result.message == "unavailable":
        return None
    return [hit.obj.id for hit in result.hits]


def _sql_filters(query, filters: dict):
    values = lambda key: filters.get(key) or []  # noqa: E731
    for key, column, enum in (("type", Listing.type, ListingType), ("direction", Listing.direction, Direction)):
        if values(key):  # an unknown value matches nothing, as on the search page
            query = query.where(column.in_([enum(v) for v in values(key) if v in enum._value2member_map_]))
    if values("country"):
        query = query.where(Company.country.in_(values("country")))
    if values("association"):
        query = query.where(
            Company.association_id.in_(sa.select(Association.id).where(Association.code.in_(values("association"))))
        )
    for term in values("capability"):  # several capabilities narrow further, as on the search page
        query = query.where(Listing.id.in_(sa.select(ListingTag.listing_id).where(ListingTag.term_id == term)))
    for term in values("certification"):
        # an anonymous listing never matches by its company's certificates: that would name the company
        query = query.where(
            Listing.anonymous.is_(False),
            Company.id.in_(sa.select(Certification.company_id).where(Certification.term_id == term)),
        )
    return query


def _text_matches(listing, words: list[str]) -> bool:
    # casefold in Python: SQLite's lower() only knows ASCII, and listings are in four scripts
    text = " ".join((listing.title, listing.summary or "", listing.description or "")).casefold()
    return all(word in text for word in words)


def new_matches(saved) -> list[Listing]:
    """Live listings published since the search was saved, matching it, never sent for it, not the user's own."""
    already = sa.select(AlertSent.listing_id).where(AlertSent.saved_search_id == saved.id)
    query = (
        sa.select(Listing)
        .join(Company, Listing.company_id == Company.id)
        .where(Listing.live_clause(), Listing.published_at >= saved.created_at, Listing.id.not_in(already))
        .order_by(Listing.published_at.desc(), Listing.id.desc())
    )
    if saved.user.company_id:
        query = query.where(Listing.company_id != saved.user.company_id)
    engine_ids = _engine_ids(saved)
    if engine_ids is not None:
        return list(db.session.scalars(query.where(Listing.id.in_(engine_ids))))[:MAX_PER_EMAIL]
    listings = db.session.scalars(_sql_filters(query, saved.filters or {})).all()
    words = saved.query.casefold().split()
    return [item for item in listings if _text_matches(item, words)][:MAX_PER_EMAIL]


# --- sending --------------------------------------------------------------------------------------


def send_alerts(now: datetime | None = None) -> tuple[int, int, int]:
    """Mail every due, subscribed saved search its new matches; returns (emails, listings, failures).

    Each saved search is its own transaction: its outbox message, its AlertSent rows and its
    last_sent_at commit together or not at all, so nothing is marked sent without a queued mail, and
    one search that cannot be built (logged, retried next run) never stops the others. Safe to rerun."""
    now = now or utcnow()
    search_ids = db.session.scalars(
        sa.select(SavedSearch.id)
        .join(User, SavedSearch.user_id == User.id)
        .where(SavedSearch.unsubscribed_at.is_(None), User.active)
        .order_by(SavedSearch.id)
    ).all()
    emails = listings = failures = 0
    for search_id in search_ids:
        try:
            sent = _send_alert(db.session.get(SavedSearch, search_id), now)
            db.session.commit()
        except Exception:  # noqa: BLE001 - one bad saved search must not cost the other members their alerts
            db.session.rollback()
            log.exception("alert for saved search %s failed; it is tried again on the next run", search_id)
            failures += 1
            continue
        if sent:
            emails, listings = emails + 1, listings + sent
    return emails, listings, failures


def _send_alert(saved, now: datetime) -> int:
    """Queue one saved search's email and remember its listings; returns how many listings it carries."""
    if saved is None or not is_due(saved, now):
        return 0
    matches = new_matches(saved)
    if not matches:
        return 0
    with force_locale(saved.user.locale or "en"):
        subject, body = alert_text(saved, matches)
    unsubscribe_url = public_url("alerts.unsubscribe", token=unsubscribe_token(saved))
    send_mail(
        saved.user.email,
        subject,
        body,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    db.session.add_all(AlertSent(saved_search_id=saved.id, listing_id=item.id) for item in matches)
    saved.last_sent_at = now
    return len(matches)


def alert_text(saved, matches) -> tuple[str, str]:
    base = public_base_url()
    subject = (
        _("%(n)s new listings for “%(name)s”", n=len(matches), name=saved.name)
        if len(matches) > 1
        else _("A new listing for “%(name)s”", name=saved.name)
    )
    lines = [
        _("Hello %(name)s,", name=saved.user.name),
        "",
        _("New listings on Leather Bridge match your saved search “%(name)s”:", name=saved.name),
        "",
    ]
    for item in matches:
        who = (
            item.company.name
            if can_see_listing_company(saved.user, item)
            else _("A %(association)s member company", association=item.company.association.code)
        )
        lines += [f"- {item.title} ({who})", "  " + base + url_for("listings.detail", listing_id=item.id)]
    lines += [
        "",
        _("See all results: %(url)s", url=base + search_path(saved)),
        _("Change how often you get this alert: %(url)s", url=base + url_for("alerts.index")),
        _(
            "Stop this alert (one click, no login needed): %(url)s",
            url=base + url_for("alerts.unsubscribe", token=unsubscribe_token(saved)),
        ),
    ]
    return subject, "\n".join(lines)
