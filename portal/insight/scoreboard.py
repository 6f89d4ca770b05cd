"""The bridge's public scoreboard: the confirmed value of portal-brokered agreements beside the official
bilateral trade figures and the governments' goal of one billion dollars.

Only confirmed outcomes count (the other company said yes); their year is the year of the confirmation. The
official figures are `bilateral_trade.json` (shipped, with its sources) where a `trade_figure` row for the
same year and flow, entered by an admin, replaces the file's value. A named agreement shows the two
companies only when both agreed to be named; the names are chosen in SQL, so without both consents they
never leave the database.
"""

import functools
import json
from pathlib import Path

import sqlalchemy as sa
from babel.numbers import format_compact_currency
from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from .. import audit
from ..extensions import db
from ..models import Association, Company, Outcome, OutcomeKind, OutcomeStatus, TradeFigure
from ..partnerships.services.outcomes import outcome_label
from .figures import chart, number, percent, usd

DATA_FILE = Path(__file__).with_name("bilateral_trade.json")
FLOWS = ("pk_to_kz", "kz_to_pk", "total")
FLOW_LABELS = {
    "pk_to_kz": _l("Pakistan to Kazakhstan"),
    "kz_to_pk": _l("Kazakhstan to Pakistan"),
    "total": _l("Total bilateral trade"),
}
FIGURE_FIELDS = ("value_usd", "months", "source", "source_url")


@functools.cache
def shipped() -> dict:
    """The data file, read once per process: {"goal_usd", "goal_source", "note", "figures": [...]}."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def goal_usd() -> int:
    return int(shipped()["goal_usd"])


# --- the official figures -----------------------------------------------------------------------------


def _file_figures() -> dict:
    return {(f["year"], f["flow"]): {k: f.get(k) for k in FIGURE_FIELDS} for f in shipped()["figures"]}


def figure_rows() -> list[dict]:
    """Every year and flow that has a figure, in the file or entered by an admin, oldest year first:
    {"year", "flow", "file": the file's figure or None, "override": the TradeFigure row or None, "current":
    the figure in force (a dict of FIGURE_FIELDS plus "overridden")}. The admin page lists them all."""
    in_file = _file_figures()
    overrides = {(r.year, r.flow): r for r in db.session.scalars(sa.select(TradeFigure))}
    rows = []
    for year, flow in sorted(in_file.keys() | overrides.keys(), key=lambda key: (key[0], FLOWS.index(key[1]))):
        override = overrides.get((year, flow))
        current = {k: getattr(override, k) for k in FIGURE_FIELDS} if override else dict(in_file[(year, flow)])
        current["overridden"] = override is not None
        rows.append(
            {"year": year, "flow": flow, "file": in_file.get((year, flow)), "override": override, "current": current}
        )
    return rows


def official_by_year(rows: list[dict] | None = None) -> dict[int, dict]:
    """{year: {flow: figure}} with the figures in force (of `figure_rows()`, or the rows given). A year with
    both flows over the same months and no total of its own gets their sum as its total, marked "derived",
    so every year can be set beside the goal."""
    years: dict[int, dict] = {}
    for row in figure_rows() if rows is None else rows:
        years.setdefault(row["year"], {})[row["flow"]] = row["current"]
    for flows in years.values():
        both = flows.get("pk_to_kz"), flows.get("kz_to_pk")
        if "total" not in flows and all(both) and both[0]["months"] == both[1]["months"]:
            flows["total"] = {
                "value_usd": both[0]["value_usd"] + both[1]["value_usd"],
                "months": both[0]["months"],
                "source": None,
                "source_url": None,
                "overridden": False,
                "derived": True,
            }
    return years


def save_figure(actor, year: int, flow: str, data: dict) -> TradeFigure:
    """Enter (or change) the admin's figure for a year and flow; it replaces the file's from now on."""
    row = db.session.scalar(sa.select(TradeFigure).where(TradeFigure.year == year, TradeFigure.flow == flow))
    if row is None:
        row = TradeFigure(year=year, flow=flow)
        db.session.add(row)
    for field in FIGURE_FIELDS:
        setattr(row, field, data[field])
    row.updated_by_id = actor.id
    db.session.flush()
    audit.record(actor, "trade_figure.save", "trade_figure", row.id, detail=_detail(row))
    return row


def remove_figure(actor, row: TradeFigure) -> None:
    """Remove an admin's figure: the file's figure for that year and flow (if any) is in force again."""
    audit.record(actor, "trade_figure.remove", "trade_figure", row.id, detail=_detail(row))
    db.session.delete(row)


def _detail(row: TradeFigure) -> dict:
    return {"year": row.year, "flow": row.flow, **{k: getattr(row, k) for k in FIGURE_FIELDS}}


# --- what the portal brokered ---------------------------------------------------------------------------


def _confirmed():
    """What the scoreboard counts: outcomes confirmed by both companies, and only between companies of two
    countries (a Pakistani and a Kazakh one). The figures beside them are bilateral trade; an agreement
    between two members of one country, which the portal allows, is not part of it."""
    recorder, confirmer = aliased(Company), aliased(Company)
    cross_border = (
        sa.select(recorder.id)
        .join(confirmer, confirmer.id == Outcome.confirmed_by_company_id)
        .where(recorder.id == Outcome.recorded_by_company_id, recorder.country != confirmer.country)
        .exists()
    )
    return sa.and_(Outcome.status == OutcomeStatus.confirmed, Outcome.decided_at.is_not(None), cross_border)


def confirmed_by_year_and_kind() -> list[dict]:
    """Confirmed outcomes by year of confirmation and kind: [{"year", "kind", "count", "value_usd"}] (one
    GROUP BY; an outcome without a value counts as an agreement with no value)."""
    year = sa.extract("year", Outcome.decided_at)
    query = (
        sa.select(year, Outcome.kind, sa.func.count(Outcome.id), sa.func.coalesce(sa.func.sum(Outcome.value_usd), 0))
        .where(_confirmed())
        .group_by(year, Outcome.kind)
    )
    return [
        {"year": int(y), "kind": kind.value, "count": n, "value_usd": int(value)}
        for y, kind, n, value in db.session.execute(query)
    ]


def totals(rows: list[dict], key: str) -> dict:
    """The rows of confirmed_by_year_and_kind summed by "year" or "kind": {value: {"count", "value_usd"}}."""
    found: dict = {}
    for row in rows:
        slot = found.setdefault(row[key], {"count": 0, "value_usd": 0})
        slot["count"] += row["count"]
        slot["value_usd"] += row["value_usd"]
    return found


def agreements_query():
    """The confirmed outcomes for the public list, newest first (ids: `agreements` loads a page of them)."""
    return sa.select(Outcome.id).where(_confirmed()).order_by(Outcome.decided_at.desc(), Outcome.id.desc())


def agreements(ids: list[int]) -> list[dict]:
    """The public rows of these confirmed outcomes: {"id", "kind", "value_usd", "decided_at", "named",
    "recorder", "confirmer" (names, None unless both companies agreed to be named), "recorder_id",
    "confirmer_id" (also None unless named), "associations" (the two companies' association codes)}."""
    if not ids:
        return []
    recorder, confirmer = aliased(Company), aliased(Company)
    rec_assoc, conf_assoc = aliased(Association), aliased(Association)
    named = sa.and_(Outcome.recorder_agrees_to_be_named.is_(True), Outcome.confirmer_agrees_to_be_named.is_(True))

    def if_named(column):
        return sa.case((named, column), else_=sa.null())

    query = (
        sa.select(
            Outcome.id,
            Outcome.kind,
            Outcome.value_usd,
            Outcome.decided_at,
            named.label("named"),
            if_named(recorder.name),
            if_named(confirmer.name),
            if_named(recorder.id),
            if_named(confirmer.id),
            rec_assoc.code,
            conf_assoc.code,
        )
        .join(recorder, recorder.id == Outcome.recorded_by_company_id)
        .join(confirmer, confirmer.id == Outcome.confirmed_by_company_id)
        .outerjoin(rec_assoc, rec_assoc.id == recorder.association_id)
        .outerjoin(conf_assoc, conf_assoc.id == confirmer.association_id)
        .where(Outcome.id.in_(ids))
    )
    found = {
        row[0]: {
            "id": row[0],
            "kind": row[1],
            "value_usd": row[2],
            "decided_at": row[3],
            "named": bool(row[4]),
            "recorder": row[5],
            "confirmer": row[6],
            "recorder_id": row[7],
            "confirmer_id": row[8],
            "associations": [code for code in (row[9], row[10]) if code],
        }
        for row in db.session.execute(query)
    }
    return [found[i] for i in ids if i in found]


# --- the page in the reader's language --------------------------------------------------------------


def compact_usd(value) -> str:
    """A large sum as the reader says it ("$89.6M", "89,6 млн $", "$9 کروڑ"): the headline figures."""
    return format_compact_currency(value, "USD", locale=get_locale() or "en", fraction_digits=1)


def _share(part, whole):
    return None if not whole else part / whole


def headline(years: dict, by_year: dict) -> dict:
    """The progress towards the goal: the latest official total, the portal's confirmed value (all years)."""
    goal = goal_usd()
    latest_year = max((y for y, flows in years.items() if "total" in flows), default=None)
    latest = years[latest_year]["total"] if latest_year is not None else None
    brokered = sum(t["value_usd"] for t in by_year.values())
    return {
        "goal": compact_usd(goal),
        "goal_full": usd(goal),
        "latest_year": latest_year,
        "latest_months": latest["months"] if latest else None,
        "latest": compact_usd(latest["value_usd"]) if latest else None,
        "latest_share": percent(_share(latest["value_usd"], goal)) if latest else None,
        "latest_progress": min(100, round(100 * latest["value_usd"] / goal, 1)) if latest else 0,
        "brokered": compact_usd(brokered),
        "brokered_full": usd(brokered),
        "brokered_n": sum(t["count"] for t in by_year.values()),
        "brokered_count": number(sum(t["count"] for t in by_year.values())),
        "brokered_share": percent(_share(brokered, goal)),
    }


def _months(flows: dict) -> str:
    """How many months a year's figures cover (its total's, else the longest flow's): 2025 is January to July."""
    months = [figure["months"] for figure in flows.values()]
    return number(flows["total"]["months"] if "total" in flows else max(months)) if months else "—"


def _cell(flows: dict, flow: str) -> str:
    figure = flows.get(flow)
    return usd(figure["value_usd"]) if figure else "—"


def view() -> dict:
    """Everything the page shows but the list of agreements: charts (raw numbers, translated labels) and
    tables (the same numbers formatted by Babel), as the staff dashboard's `figures` builds them."""
    figures = figure_rows()
    years = official_by_year(figures)
    rows = confirmed_by_year_and_kind()
    by_year, by_kind = totals(rows, "year"), totals(rows, "kind")
    all_years = sorted(years.keys() | by_year.keys())
    empty = {"count": 0, "value_usd": 0}
    value = {(r["year"], r["kind"]): r["value_usd"] for r in rows}
    labels = {kind.value: outcome_label(kind) for kind in OutcomeKind}
    official_years = sorted(years)
    return {
        "headline": headline(years, by_year),
        "official_chart": chart(
            "bar",
            [str(y) for y in official_years],
            [
                (FLOW_LABELS[flow], [years[y][flow]["value_usd"] if flow in years[y] else None for y in official_years])
                for flow in FLOWS
            ],
            currency="USD",
        ),
        "official_rows": [
            (
                str(y),
                _months(years.get(y, {})),
                *(_cell(years.get(y, {}), flow) for flow in FLOWS),
                usd(by_year.get(y, empty)["value_usd"]),
                percent(_share(by_year.get(y, empty)["value_usd"], years.get(y, {}).get("total", {}).get("value_usd"))),
            )
            for y in all_years
        ],
        "kind_chart": chart(
            "bar",
            [str(y) for y in sorted(by_year)],
            [(labels[k.value], [value.get((y, k.value), 0) for y in sorted(by_year)]) for k in OutcomeKind],
            stacked=True,
            currency="USD",
        ),
        "kind_rows": [
            (
                labels[k.value],
                number(by_kind.get(k.value, empty)["count"]),
                usd(by_kind.get(k.value, empty)["value_usd"]),
            )
            for k in OutcomeKind
        ],
        "year_rows": [(str(y), number(by_year[y]["count"]), usd(by_year[y]["value_usd"])) for y in sorted(by_year)],
        "has_outcomes": bool(rows),
        "sources": [{"year": r["year"], "flow": FLOW_LABELS[r["flow"]], **r["current"]} for r in figures],
        "derived_years": [y for y in official_years if years[y].get("total", {}).get("derived")],
        "goal_source": shipped().get("goal_source"),
    }


def agreement_rows(ids: list[int]) -> list[dict]:
    """The page's agreements, formatted: the kind and value in the reader's language."""
    rows = agreements(ids)
    for row in rows:
        row["kind_label"] = outcome_label(row["kind"])
        row["value"] = usd(row["value_usd"]) if row["value_usd"] is not None else "—"
        row["when"] = format_date(row["decided_at"].date(), "LLLL y")
    return rows
