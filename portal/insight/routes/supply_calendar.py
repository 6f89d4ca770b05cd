"""The public supply calendar, /supply-calendar: raw hides and skins offered by month and country, what
is sought, and the Eid ul-Adha hides season of last year, this year and next (`supply_calendar`)."""

from flask import render_template, url_for
from flask_babel import format_date, format_number
from flask_babel import gettext as _

from ...listings.hs import MONTHS, month_names
from ...models.base import utcnow
from ...templating import country_name, current_locale
from .. import bp, figures
from .. import supply_calendar as supply


def _cell(count: int, association, direction: str) -> dict:
    """A count and, when there is something to see, the search page of that association's trade
    listings of that direction (search has no month or raw-hide filter: the nearest it can show)."""
    link = None
    if count:
        link = url_for("listings.index", type="trade", direction=direction, association=association.code)
    return {"text": format_number(count), "count": count, "url": link}


def _season_text(season) -> str:
    return _(
        "Eid ul-Adha %(year)s: %(eid)s; hides season until %(end)s",
        year=season.eid.year,
        eid=format_date(season.eid, "d MMMM"),
        end=format_date(season.last_day, "d MMMM"),
    )


def _rows(data, names) -> list[dict]:
    """One row a month: each association's offers in it, and the Eid seasons that touch it."""
    return [
        {
            "month": month,
            "name": names[month],
            "cells": [_cell(data["offered"].get((a.id, month), 0), a, "offer") for a in data["associations"]],
            "seasons": [_season_text(s) for s in data["seasons"] if s.touches(month)],
        }
        for month in MONTHS
    ]


def _chart(data, names) -> dict:
    return figures.chart(
        "bar",
        [names[m] for m in MONTHS],
        [
            (
                _("Offered from %(country)s", country=country_name(a.country)),
                [data["offered"].get((a.id, m), 0) for m in MONTHS],
            )
            for a in data["associations"]
        ],
    )


@bp.route("/supply-calendar")
def supply_calendar():
    data = supply.calendar(utcnow().date())
    # CLDR's stand-alone names are lower case in Russian ("январь"): they head rows here, so capitalised.
    names = {m: name[:1].upper() + name[1:] for m, name in month_names(current_locale()).items()}
    columns = [{"association": a, "country": country_name(a.country)} for a in data["associations"]]
    return render_template(
        "insight/supply_calendar.html",
        columns=columns,
        rows=_rows(data, names),
        any_month=[_cell(data["any_month"].get(a.id, 0), a, "offer") for a in data["associations"]],
        sought=[_cell(data["sought"].get(a.id, 0), a, "request") for a in data["associations"]],
        seasons=[
            {"year": s.eid.year, "eid": format_date(s.eid, "full"), "end": format_date(s.last_day, "long")}
            for s in data["seasons"]
        ],
        chart_data=_chart(data, names),
        total=data["total"],
        season_days=supply.SEASON_DAYS,
    )
