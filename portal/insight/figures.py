"""The staff dashboard's sections in the reader's language: each a chart (Chart.js data for
static/js/insight-charts.js, labels translated and numbers raw) and a table (the same numbers formatted
with Babel), built from `stats`. The table is the chart's text alternative and what prints."""

from datetime import timedelta

from flask_babel import format_currency, format_date, format_number, format_percent, format_timedelta, get_locale
from flask_babel import lazy_gettext as _l

from ..listings.details import DIRECTION_LABELS, TYPE_LABELS
from ..listings.notices import status_label
from ..models import ListingStatus, base
from . import stats

MEMBER_STATUS_LABELS = {
    "verified": _l("Verified"),
    "unverified": _l("Waiting for verification"),
    "rejected": _l("Rejected"),
    "revoked": _l("Verification revoked"),
}
TOP_TERMS = 15  # the supply and demand chart shows the most frequent capabilities; the table has all


def usd(value) -> str:
    """Whole dollars in the reader's currency pattern ("$57,000", "57 000 $"): the values are entered whole."""
    locale = get_locale()
    pattern = locale.currency_formats["standard"].pattern.split(";")[0].replace(".00", "") if locale else None
    return format_currency(value, "USD", format=pattern, currency_digits=False)


def number(n) -> str:
    return format_number(n)


def percent(x) -> str:
    return "—" if x is None else format_percent(x, format="#,##0.#%")


def duration(seconds) -> str:
    return "—" if seconds is None else format_timedelta(timedelta(seconds=seconds), threshold=1)


def _days(seconds):
    return None if seconds is None else round(seconds / 86400, 1)


def chart(kind, labels, datasets, **options) -> dict:
    """The JSON a <canvas data-chart> reads: {type, labels, datasets: [{label, data}], stacked, horizontal, ...}."""
    return {
        "type": kind,
        "labels": [str(label) for label in labels],
        "datasets": [{"label": str(label), "data": data} for label, data in datasets],
        **options,
    }


def membership(association_id, period) -> dict:
    rows = stats.membership(association_id, period)
    months = [format_date(r["month"], "LLL y") for r in rows]
    return {
        "chart": chart(
            "line",
            months,
            [(MEMBER_STATUS_LABELS[s], [r["counts"][s] for r in rows]) for s in stats.MEMBER_STATUSES],
        ),
        "columns": [str(MEMBER_STATUS_LABELS[s]) for s in stats.MEMBER_STATUSES],
        "rows": [
            (m, *(number(r["counts"][s]) for s in stats.MEMBER_STATUSES)) for m, r in zip(months, rows, strict=True)
        ],
    }


def listings(association_id, period) -> dict:
    rows = stats.listings(association_id, period)
    kinds = list(dict.fromkeys((r["type"], r["direction"]) for r in rows))
    statuses = [s.value for s in ListingStatus if any(r["status"] == s.value for r in rows)]
    found = {(r["type"], r["direction"], r["status"]): r["count"] for r in rows}

    def kind_label(t, d):
        return f"{TYPE_LABELS[t]} · {DIRECTION_LABELS[d]}"

    return {
        "chart": chart(
            "bar",
            [kind_label(t, d) for t, d in kinds],
            [(status_label(ListingStatus(s)), [found.get((t, d, s), 0) for t, d in kinds]) for s in statuses],
            stacked=True,
            horizontal=True,
        ),
        "rows": [
            (
                str(TYPE_LABELS[r["type"]]),
                str(DIRECTION_LABELS[r["direction"]]),
                status_label(ListingStatus(r["status"])),
                number(r["count"]),
            )
            for r in rows
        ],
        "total": number(sum(r["count"] for r in rows)),
    }


def decisions(association_id, period) -> dict:
    now = base.utcnow()
    times = stats.decision_times(association_id, period)  # a snapshot's queue dates: the waits are to now

    def waited(queue):
        return None if queue["oldest"] is None else (now - queue["oldest"]).total_seconds()

    items = [
        (_l("Verification decision (median)"), times["verification"]["median_seconds"], times["verification"]["count"]),
        (_l("Moderation decision (median)"), times["moderation"]["median_seconds"], times["moderation"]["count"]),
        (
            _l("Oldest company waiting for verification"),
            waited(times["verification_queue"]),
            times["verification_queue"]["waiting"],
        ),
        (
            _l("Oldest item waiting for moderation"),
            waited(times["moderation_queue"]),
            times["moderation_queue"]["waiting"],
        ),
    ]
    return {
        "chart": chart(
            "bar",
            [label for label, _s, _n in items],
            [(_l("Days"), [_days(s) for _l2, s, _n in items])],
            horizontal=True,
        ),
        "rows": [(str(label), duration(seconds), number(n)) for label, seconds, n in items],
    }


def funnel(association_id, period) -> dict:
    steps = stats.funnel(association_id, period)
    return {
        "chart": chart(
            "bar", [s["label"] for s in steps], [(_l("Count"), [s["count"] for s in steps])], horizontal=True
        ),
        "rows": [(s["label"], number(s["count"]), percent(s["conversion"])) for s in steps],
    }


def outcomes(association_id, period) -> dict:
    rows = stats.outcomes_by_kind(association_id, period)
    return {
        "chart": chart(
            "bar", [r["label"] for r in rows], [(_l("Value (USD)"), [r["value_usd"] for r in rows])], currency="USD"
        ),
        "rows": [(r["label"], number(r["count"]), usd(r["value_usd"])) for r in rows],
        "total_count": number(sum(r["count"] for r in rows)),
        "total_value": usd(sum(r["value_usd"] for r in rows)),
    }


def supply_demand(association_id, locale) -> dict:
    found = stats.supply_demand(association_id, locale)
    top = found["rows"][:TOP_TERMS]
    return {
        "chart": chart(
            "bar",
            [r["label"] for r in top],
            [
                (_l("Offered by members"), [r["offers"] for r in top]),
                (_l("Asked for by the other side"), [r["requests"] for r in top]),
            ],
            horizontal=True,
        ),
        "rows": [(r["label"], number(r["offers"]), number(r["requests"])) for r in found["rows"]],
        "gaps": [r["label"] for r in found["gaps"]],
    }


def cities(association_id, period) -> dict:
    rows = stats.cities(association_id, period)
    unnamed = str(_l("City not given"))
    names = [r["city"] or unnamed for r in rows]
    keys = (("companies", _l("Companies")), ("listings", _l("Listings created")), ("interests", _l("Interests sent")))
    return {
        "chart": chart("bar", names, [(label, [r[key] for r in rows]) for key, label in keys]),
        "rows": [(name, *(number(r[key]) for key, _label in keys)) for name, r in zip(names, rows, strict=True)],
    }


def hs_headings(association_id) -> dict:
    rows = stats.hs_headings(association_id)
    return {
        "chart": chart(
            "bar",
            [r["heading"] for r in rows],
            [(_l("Offers"), [r["offers"] for r in rows]), (_l("Requests"), [r["requests"] for r in rows])],
        ),
        "rows": [(r["heading"], number(r["offers"]), number(r["requests"])) for r in rows],
    }


def board(association, period, locale) -> dict:
    """Every section for one association (None: the whole portal)."""
    aid = association.id if association is not None else None
    return {
        "association": association,
        "slug": association.code.lower() if association is not None else "all",
        "membership": membership(aid, period),
        "listings": listings(aid, period),
        "decisions": decisions(aid, period),
        "funnel": funnel(aid, period),
        "outcomes": outcomes(aid, period),
        "supply": supply_demand(aid, locale),
        "cities": cities(aid, period),
        "hs": hs_headings(aid),
    }
