"""What every template can use: locale and direction, taxonomy labels, country names."""

from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

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
            items.insert(1, ("engagement.inbox", _l("Partnerships")))
        elif role == "staff":
            items.insert(0, ("verification.queue", _l("Verification")))
            items.insert(1, ("moderation.queue", _l("Moderation")))
        elif role == "admin":
            items.insert(0, ("admin.index", _l("Administration")))
            items.insert(1, ("moderation.queue", _l("Moderation")))
            items.insert(2, ("moderation.import_data", _l("Import")))
    return [(e, label) for e, label in items if e in current_app.view_functions]


def init_app(app):
    @app.context_processor
    def inject():
        locale = current_locale()
        return {
            "locale": locale,
            "text_direction": "rtl" if locale in app.config["RTL_LANGUAGES"] else "ltr",
            "language_names": LANGUAGE_NAMES,
        }

    app.jinja_env.globals.update(
        term_label=term_label,
        facet_label=facet_label,
        country_name=country_name,
        vocabulary=vocabulary,
        here=here,
        nav_items=nav_items,
    )
