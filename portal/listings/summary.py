"""A listing in one line, in the reader's language: what it is about and its key terms.

Cards and listing pages show it under the title, so a reader who cannot read the listing's own
language still sees "Sheepskins, Raw hides · 4,000 skins · CFR" (the type and direction are the
badges before it).
"""

from flask_babel import format_decimal
from flask_babel import gettext as _

from ..lists import join_list
from ..taxonomy import vocabulary
from ..templating import current_locale
from .details import INCOTERMS, TRADE_UNITS, TRAINING_MODES, TRANSFER_FORMS

TOPICS = 3  # concept labels shown; the tags line lists them all


def summary_parts(listing) -> list[str]:
    """Concept labels (tags, explicit first), then the type's key details, each already formatted."""
    vocab, locale = vocabulary(), current_locale()
    tags = sorted(listing.tags, key=lambda t: (t.inferred, t.term_id))
    parts = []
    topics = [vocab.label(t.term_id, locale) for t in tags[:TOPICS]]
    if topics:
        parts.append(join_list(topics))
    details = listing.details or {}
    kind = listing.type.value
    if kind == "trade":
        if details.get("quantity") not in (None, ""):
            unit = TRADE_UNITS.get(details.get("unit"), "")
            parts.append(f"{_number(details['quantity'])} {unit}".strip())
        if details.get("incoterms") in INCOTERMS:
            parts.append(details["incoterms"])
        low, high = details.get("price_min"), details.get("price_max")
        if low not in (None, "") or high not in (None, ""):
            parts.append(_("USD %(range)s per unit", range=_range(low, high)))
    elif kind == "training":
        if details.get("duration"):
            parts.append(str(details["duration"]))
        if details.get("mode") in TRAINING_MODES:
            parts.append(str(TRAINING_MODES[details["mode"]]))
    elif kind == "joint_venture":
        low, high = details.get("investment_min"), details.get("investment_max")
        if low not in (None, "") or high not in (None, ""):
            parts.append(_("USD %(range)s investment", range=_range(low, high)))
    elif kind == "technology_transfer" and details.get("form") in TRANSFER_FORMS:
        parts.append(str(TRANSFER_FORMS[details["form"]]))
    return parts


def listing_summary(listing) -> str:
    return " · ".join(summary_parts(listing))


def _number(value) -> str:
    try:
        return format_decimal(float(value), format="#,##0.##")
    except (TypeError, ValueError):
        return str(value)


def _range(low, high) -> str:
    if low in (None, "") or high in (None, "") or low == high:
        return _number(high if low in (None, "") else low)
    return f"{_number(low)}–{_number(high)}"
