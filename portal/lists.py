"""Lists of labels joined the reader's way; a module of its own so that any layer (search included) may use it."""

from babel.lists import format_list
from flask_babel import get_locale


def join_list(items) -> str:
    """ "a, b and c", "a, b и c", Urdu "a، b، اور c": CLDR's list patterns for the current locale (English
    outside a request). The one way the portal joins labels; templates have it as a filter and a global."""
    return format_list([str(item) for item in items], style="standard", locale=str(get_locale() or "en"))
