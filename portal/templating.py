"""Everything templates can call, registered in one place: globals, filters and context processors.

The helpers are small and only read what they are given (or the request); what needs a query is
computed by the view and passed to render_template, so no page starts a query from a template.
"""

from datetime import timedelta

from flask import request
from flask_babel import format_timedelta, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .models import base
from .taxonomy import vocabulary
from .utils import is_safe_next

LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша", "ur": "اردو"}
COUNTRY_NAMES = {"PK": _l("Pakistan"), "KZ": _l("Kazakhstan"), "other": _l("Other country")}


def current_locale() -> str:
    return str(get_locale() or "en")


def term_label(term_id: str) -> str:
    return vocabulary().label(term_id, current_locale())


def facet_label(facet: str) -> str:
    return vocabulary().facet_label(facet, current_locale())


def country_name(code: str) -> str:
    return str(COUNTRY_NAMES.get(code, code))


def here() -> str:
    """The current path, for ?next= links (only ever a safe local path)."""
    path = request.full_path.rstrip("?") if request else "/"
    return path if is_safe_next(path) else "/"


def page_url(page: int) -> str:
    """This page's URL at another page number: every value of a repeated parameter kept (several
    facet values), empty parameters dropped, page 1 without a page parameter."""
    from flask import url_for

    args = {k: [v for v in vs if v] for k, vs in request.args.to_dict(flat=False).items() if k != "page"}
    args = {k: vs for k, vs in args.items() if vs}
    if page > 1:
        args["page"] = [str(page)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def nav_items() -> list[tuple[str, str]]:
    """The navigation for the viewer's role; endpoints not (yet) registered are left out."""
    from flask import current_app
    from flask_login import current_user

    items = [
        ("companies.directory", _l("Companies")),
        ("listings.index", _l("Listings")),
        ("search.search", _l("Search")),
    ]
    if current_user.is_authenticated:
        role = current_user.role.value
        if role == "member":
            items.insert(0, ("main.dashboard", _l("Dashboard")))
            items.insert(1, ("partnerships.inbox", _l("Partnerships")))
        elif role == "staff":
            items.insert(0, ("verification.queue", _l("Verification")))
            items.insert(1, ("moderation.queue", _l("Moderation")))
        elif role == "admin":
            items.insert(0, ("admin.index", _l("Administration")))
            items.insert(1, ("moderation.queue", _l("Moderation")))
            items.insert(2, ("moderation.import_data", _l("Import")))
    return [(e, label) for e, label in items if e in current_app.view_functions]


def age(moment) -> str:
    """How long ago, in the reader's language ("3 days", "5 hours"): queues are read by age."""
    return format_timedelta(max(base.utcnow() - moment, timedelta(0)), threshold=1)


def anonymous_company_label(company) -> str:
    """What an anonymous listing says instead of the company: its association and country only."""
    return _(
        "A %(association)s member company in %(country)s",
        association=company.association.code,
        country=country_name(company.country),
    )


def listing_type_label(listing_type) -> str:
    from .listings.details import TYPE_LABELS

    return str(TYPE_LABELS.get(getattr(listing_type, "value", listing_type), listing_type))


def listing_direction_label(direction) -> str:
    from .listings.details import DIRECTION_LABELS

    return str(DIRECTION_LABELS.get(getattr(direction, "value", direction), direction))


def unread_notifications() -> dict:
    """The badge count, the one query a context processor makes: base.html needs it on every page.
    While the database is down it is 0, so no page fails for a badge."""
    import sqlalchemy as sa
    from flask_login import current_user

    from .errors import DATABASE_ERRORS, database_unavailable, is_outage, mark_database_unavailable
    from .extensions import db
    from .models import Notification

    if database_unavailable():
        return {"unread_notifications": 0}
    try:
        if request.endpoint and current_user.is_authenticated:
            unread = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Notification)
                .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
            )
            return {"unread_notifications": unread}
    except DATABASE_ERRORS as exc:
        if not is_outage(exc):
            raise
        mark_database_unavailable()
    return {"unread_notifications": 0}


def init_app(app):
    """Register every template helper; imported here, not at the top, because the blueprints import
    this module (country_name) and these modules import the blueprints."""
    from . import permissions
    from .alerts.forms import save_search_form
    from .alerts.services import search_path
    from .companies import labels as companies
    from .listings import services as listings
    from .listings.text import excerpt, render_markdown
    from .observability import current_request_id
    from .partnerships.services import common as partnerships
    from .partnerships.services import meetings, outcomes

    @app.context_processor
    def inject():
        locale = current_locale()
        return {
            "locale": locale,
            "text_direction": "rtl" if locale in app.config["RTL_LANGUAGES"] else "ltr",
            "language_names": LANGUAGE_NAMES,
        }

    app.context_processor(unread_notifications)
    app.jinja_env.filters.update(markdown=render_markdown, excerpt=excerpt, spoken_language=companies.spoken_language)
    app.jinja_env.globals.update(
        term_label=term_label,
        facet_label=facet_label,
        country_name=country_name,
        vocabulary=vocabulary,
        here=here,
        page_url=page_url,
        nav_items=nav_items,
        age=age,
        anonymous_company_label=anonymous_company_label,
        listing_type_label=listing_type_label,
        listing_direction_label=listing_direction_label,
        listing_status_label=listings.status_label,
        can_view_listing=listings.can_view_listing,
        can_edit_listing=listings.can_edit_listing,
        can_flag=listings.can_flag,
        owner_actions=listings.owner_actions,
        waiting_since=listings.waiting_since,
        save_search_form=save_search_form,
        saved_search_path=search_path,
        Role=permissions.Role,
        request_id=current_request_id,
        company_capabilities=companies.company_capabilities,
        company_logo_url=companies.company_logo_url,
        lwg_level_label=companies.lwg_level_label,
        capacity_unit_label=companies.capacity_unit_label,
        hs_label=companies.hs_label,
        outcome_label=outcomes.outcome_label,
        format_when=meetings.format_when,
        default_timezone=meetings.default_timezone,
        listing_company_label=partnerships.listing_company_label,
    )
    # The permission predicates read well both ways: can_moderate(user, x) and user|can_moderate(x).
    for fn in (
        permissions.is_member_of,
        permissions.can_edit_company,
        permissions.can_manage_colleagues,
        permissions.can_verify,
        permissions.can_moderate,
        permissions.can_see_company,
        permissions.can_see_listing_company,
        permissions.can_see_contact_details,
        permissions.is_confirmed,
    ):
        app.jinja_env.globals[fn.__name__] = fn
        app.jinja_env.filters[fn.__name__] = fn
