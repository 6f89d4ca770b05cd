"""Everything templates can call, registered in one place: globals, filters and context processors.

The helpers are small and only read what they are given (or the request); what needs a query is
computed by the view and passed to render_template, so no page starts a query from a template.
"""

import re
from datetime import UTC, timedelta
from functools import cache
from zoneinfo import available_timezones

from flask import request
from flask_babel import format_date, format_time, format_timedelta, get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from .lists import join_list
from .models import base
from .taxonomy import vocabulary
from .utils import is_safe_next

LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша", "ur": "اردو"}
COUNTRY_NAMES = {"PK": _l("Pakistan"), "KZ": _l("Kazakhstan"), "other": _l("Other country")}


def tel_uri(phone: str) -> str:
    """A tel: link for a phone number as members type it ("+92 (21) 3456-7890" -> "tel:+922134567890")."""
    digits = re.sub(r"\D", "", phone or "")
    return f"tel:{'+' if (phone or '').strip().startswith('+') else ''}{digits}" if digits else ""


def current_locale() -> str:
    return str(get_locale() or "en")


def term_label(term_id: str) -> str:
    return vocabulary().label(term_id, current_locale())


def facet_label(facet: str) -> str:
    return vocabulary().facet_label(facet, current_locale())


def country_name(code: str) -> str:
    return str(COUNTRY_NAMES.get(code, code))


# The zones most users want, first in the Settings list; every other IANA zone follows.
COMMON_TIMEZONES = ("Asia/Karachi", "Asia/Almaty", "Asia/Qostanay", "Asia/Aqtobe", "UTC")
COUNTRY_TIMEZONES = {"PK": "Asia/Karachi", "KZ": "Asia/Almaty"}


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def country_zone(user) -> str:
    """The zone of the country of the user's company, or of their association for staff: Asia/Karachi for
    Pakistan, Asia/Almaty for Kazakhstan, else UTC."""
    owner = getattr(user, "company", None) or getattr(user, "association", None)
    return COUNTRY_TIMEZONES.get(getattr(owner, "country", None), "UTC")


def user_zone(user) -> str:
    """The user's chosen zone; unset (or no longer known), their country's (country_zone)."""
    chosen = getattr(user, "timezone", None)
    return chosen if chosen and chosen in known_timezones() else country_zone(user)


def _local_parts(moment) -> tuple[str, str]:
    """(date and time in the reader's zone and language, the zone's name); Flask-Babel's timezone_selector
    (portal.select_timezone) picks the zone and converts the stored naive UTC moment."""
    locale = get_locale()
    date, time = format_date(moment, "medium"), format_time(moment, "short")
    text = locale.datetime_formats["medium"].format(time, date) if locale else f"{date} {time}"
    return text, str(get_timezone() or "UTC")


def local_time_text(moment) -> str:
    """Plain text for attributes and mail: "4 May 2026, 10:05 AM (Asia/Karachi)"."""
    if moment is None:
        return ""
    text, zone = _local_parts(moment)
    return f"{text} ({zone})"


def local_time(moment) -> Markup:
    """A stored moment for a page: a <time> element in the reader's zone, the zone named and isolated so its
    Latin name keeps its place in Urdu text."""
    if moment is None:
        return Markup("")
    text, zone = _local_parts(moment)
    return Markup('<time datetime="{iso}">{text} <bdi class="text-nowrap">({zone})</bdi></time>').format(
        iso=moment.replace(tzinfo=UTC).isoformat(), text=text, zone=zone
    )


def bdi(text) -> Markup:
    """User-entered text (a name, a city) isolated inside a sentence, so a Latin name in Urdu or an Urdu name in
    English keeps its place and its neighbours' punctuation. For page content only, not <title> or attributes."""
    if text is None or text == "":
        return Markup("")
    return Markup("<bdi>{}</bdi>").format(text)


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
    from .listings import details as listing_details
    from .listings import services as listings
    from .listings.summary import listing_summary
    from .listings.text import excerpt, render_markdown
    from .navigation import nav_items
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
    app.jinja_env.filters.update(
        markdown=render_markdown,
        excerpt=excerpt,
        spoken_language=companies.spoken_language,
        join_list=join_list,
        local_time=local_time,
        local_time_text=local_time_text,
        bdi=bdi,
    )
    app.jinja_env.globals.update(
        term_label=term_label,
        facet_label=facet_label,
        country_name=country_name,
        vocabulary=vocabulary,
        here=here,
        page_url=page_url,
        tel_uri=tel_uri,
        join_list=join_list,
        local_time=local_time,
        user_zone=user_zone,
        nav_items=nav_items,
        age=age,
        anonymous_company_label=anonymous_company_label,
        listing_type_label=listing_type_label,
        listing_direction_label=listing_direction_label,
        listing_status_label=listings.status_label,
        can_view_listing=listings.can_view_listing,
        can_edit_listing=listings.can_edit_listing,
        can_flag=listings.can_flag,
        listing_summary=listing_summary,
        listing_detail_rows=listing_details.display,
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
