"""The type-specific fields of a listing (stored in Listing.details): names, labels, choices and checks.

The form, the importer and the listing page all read this one table.
"""

from flask_babel import lazy_gettext as _l

TRAINING_MODES = {"on_site": _l("On site"), "remote": _l("Remote"), "both": _l("On site and remote")}
TRANSFER_FORMS = {
    "licence": _l("Licence"),
    "consulting": _l("Consulting"),
    "turnkey": _l("Turnkey set-up"),
    "equipment": _l("Equipment"),
}
INCOTERMS = {code: code for code in ("EXW", "FCA", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP")}
TRADE_UNITS = {
    "sqft": _l("sq ft"),
    "sqm": _l("m²"),
    "hides": _l("hides"),
    "skins": _l("skins"),
    "pieces": _l("pieces"),
    "pairs": _l("pairs"),
    "kg": _l("kg"),
    "tonnes": _l("tonnes"),
}
TYPE_LABELS = {
    "technology_transfer": _l("Technology transfer"),
    "training": _l("Training"),
    "joint_venture": _l("Joint venture"),
    "trade": _l("Trade"),
}
DIRECTION_LABELS = {"offer": _l("Offer"), "request": _l("Request")}


class F:
    """One detail field: its label, kind ("text", "int", "number", "percent" or a dict of choices), required."""

    def __init__(self, label, kind, required=False, max_length=120):
        self.label, self.kind, self.required, self.max_length = label, kind, required, max_length


SPEC = {
    "training": {
        "duration": F(_l("Duration"), "text", True, 60),
        "mode": F(_l("Where"), TRAINING_MODES, True),
        "seats": F(_l("Seats"), "int"),
    },
    "joint_venture": {
        "investment_min": F(_l("Investment from (USD)"), "int", True),
        "investment_max": F(_l("Investment up to (USD)"), "int", True),
        "equity_pct": F(_l("Equity sought (%)"), "percent"),
    },
    "technology_transfer": {
        "form": F(_l("Form of transfer"), TRANSFER_FORMS, True),
    },
    "trade": {
        "product": F(_l("Product"), "text", True, 120),
        "quantity": F(_l("Quantity"), "number", True),
        "unit": F(_l("Unit"), TRADE_UNITS, True),
        "incoterms": F(_l("Incoterms"), INCOTERMS, True),
        "price_min": F(_l("Price from (USD per unit)"), "number"),
        "price_max": F(_l("Price up to (USD per unit)"), "number"),
    },
}
# Pairs that form a range: the first must not exceed the second.
RANGES = {"joint_venture": ("investment_min", "investment_max"), "trade": ("price_min", "price_max")}


def check(type_value: str, details, require: bool = True) -> list[tuple[str, str]]:
    """Problems as (key, English message); imports may leave out required keys (require=False)."""
    if not isinstance(details, dict):
        return [("details", "must be an object")]
    spec = SPEC.get(type_value, {})
    problems = [(key, f"unknown field for type {type_value}") for key in details if key not in spec]
    for key, field in spec.items():
        value = details.get(key)
        if value in (None, ""):
            if require and field.required:
                problems.append((key, "is required"))
            continue
        if isinstance(field.kind, dict):
            if value not in field.kind:
                problems.append((key, f"must be one of {', '.join(field.kind)}"))
        elif field.kind == "text":
            if not isinstance(value, str) or len(value) > field.max_length:
                problems.append((key, f"must be text of at most {field.max_length} characters"))
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            problems.append((key, "must be a number of zero or more"))
        elif field.kind == "int" and int(value) != value:
            problems.append((key, "must be a whole number"))
        elif field.kind == "percent" and value > 100:
            problems.append((key, "must be between 0 and 100"))
    low, high = RANGES.get(type_value, (None, None))
    if low and isinstance(details.get(low), int | float) and isinstance(details.get(high), int | float):
        if details[low] > details[high]:
            problems.append((high, "must not be less than " + low))
    return problems


def display(type_value: str, details: dict) -> list[tuple[str, str]]:
    """(label, value) rows for the listing page, in the table's order."""
    rows = []
    for key, field in SPEC.get(type_value, {}).items():
        value = (details or {}).get(key)
        if value in (None, ""):
            continue
        if isinstance(field.kind, dict):
            value = field.kind.get(value, value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        rows.append((field.label, f"{value:,}" if isinstance(value, int | float) else str(value)))
    return rows
