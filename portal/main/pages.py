"""The footer's public pages (About, Contact, Privacy, Terms), each a template per language."""

from datetime import date

from flask import current_app, render_template
from flask_babel import format_date, get_locale

from . import bp

# The date of the Terms of use now in force: shown on the Terms page and stored on each account that
# accepts them (User.terms_version), so a later change can tell who accepted which text.
TERMS_VERSION = "2026-12-02"


def current_terms_version() -> str:
    """TERMS_VERSION, read when asked rather than bound at import: the Terms gate (auth/consent.py), its page
    and registration all ask here, so changing the constant (or a test's monkeypatch) moves all of them."""
    return TERMS_VERSION


def terms_date(version: str | None = None) -> str:
    """A Terms version (an ISO date) as a long date in the current language; anything else as it is."""
    version = version or TERMS_VERSION
    try:
        return format_date(date.fromisoformat(version), "long")
    except ValueError:
        return version


def render_page(name: str):
    """The current language's text, or the English one where a translation is missing."""
    locale = str(get_locale() or "en")
    if locale not in current_app.config["LANGUAGES"]:
        locale = "en"
    return render_template(
        [f"pages/{name}.{locale}.html", f"pages/{name}.en.html"],
        terms_version=TERMS_VERSION,
        terms_date=terms_date(TERMS_VERSION),
    )


@bp.route("/about")
def about():
    return render_page("about")


@bp.route("/contact")
def contact():
    return render_page("contact")


@bp.route("/privacy")
def privacy():
    return render_page("privacy")


@bp.route("/terms")
def terms():
    return render_page("terms")
