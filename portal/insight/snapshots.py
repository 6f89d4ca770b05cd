"""Dashboard figures computed ahead of time, so that a dashboard, its exports and the API answer from a few
small reads instead of seconds of aggregate SQL.

Why: at 10,000 companies and 100,000 listings one association's figures take 1-3 s to compute even with
every aggregate indexed (bench/insight_speed.py), against a budget of 500 ms per dashboard. The worker's
`insight-figures` job (`refresh`) computes every `@snapshot` figure of `stats` and `market` for every
association and for the whole portal, over each fixed period (PERIOD_KEYS), every WORKER_INSIGHT_SECONDS,
and keeps the values in `InsightSnapshot`. A read uses a snapshot younger than INSIGHT_SNAPSHOT_MAX_AGE and
otherwise computes the figure live: a stopped worker makes the pages slower, never stale. Any call that names
its own `now` is live.

A custom range has the reader's own dates, so no snapshot holds it. The figures too slow to compute for one
(decision medians, the funnel, cities) are `@rollup`s instead: written once as a day-by-day query, they are
summed over the days of any period. The worker keeps each one's whole day-by-day series (period key DAILY),
and a custom range sums the days it covers from there (a custom range is whole days); without a fresh
series it runs the same query for its own days.

`as_of()` tells the page the oldest snapshot it used in this request ("Figures as of ..."), None when every
figure was live. The snapshots are a cache of the database: emptying the table loses nothing.
"""

import functools
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.orm import defer

from ..extensions import db
from ..models import Association, InsightSnapshot
from ..models.base import utcnow

PERIOD_KEYS = ("30d", "quarter", "year", "all")  # the periods of `periods.PERIODS` that are not a custom range
NO_PERIOD = "now"  # the period key of a figure that is "live now" whatever the period
DAILY = "daily"  # the period key of a @rollup's day-by-day series, for custom ranges
FIGURES: dict[str, tuple] = {}  # name -> (compute, by_period), filled by @snapshot
ROLLUPS: dict[str, object] = {}  # name -> by_day, filled by @rollup


def snapshot(name: str, by_period: bool = True):
    """Make a figure `f(association_id, period[, now])` (or `f(association_id)` with by_period=False) read
    its snapshot when there is a fresh one, and register it for `refresh`."""

    def register(compute):
        @functools.wraps(compute)
        def read(association_id, period=None, now=None):
            key = (period.key if period.key in PERIOD_KEYS else None) if by_period else NO_PERIOD
            if now is None and key is not None:
                found = _fresh(name, association_id, key)
                if found is not None:
                    return found
            args = (association_id, period) if by_period else (association_id,)
            return compute(*args) if now is None else compute(*args, now=now)

        FIGURES[name] = (compute, by_period)
        return read

    return register


def rollup(name: str, combine):
    """Make a figure of a day-by-day query. `by_day(association_id, period, now=None)` returns the period's
    parts by ISO day ({"2026-11-30": parts}); the figure is `combine(series, period)`, which reads the days
    that `within(series, period)` gives it. A fixed period is a @snapshot as usual; a custom range combines
    the worker's whole series when it is fresh, else the query's own for that range."""

    def register(by_day):
        @snapshot(name)
        def compute(association_id, period, now=None):
            return combine(by_day(association_id, period, now), period)

        @functools.wraps(by_day)
        def read(association_id, period, now=None):
            if now is None and period.key not in PERIOD_KEYS:
                series = _fresh(name, association_id, DAILY)
                if series is not None:
                    return combine(series, period)
            return compute(association_id, period, now)

        ROLLUPS[name] = by_day
        return read

    return register


def within(series: dict, period, since_the_beginning: bool = False) -> list:
    """The parts of the days of a day-by-day series that the period covers, from the day its first moment
    falls on to the day of its last (every day up to that one with `since_the_beginning`)."""
    first = "" if period.start is None or since_the_beginning else period.start.date().isoformat()
    last = (period.end - timedelta(microseconds=1)).date().isoformat()
    return [parts for day, parts in series.items() if first <= day <= last]


def _scope(association_id) -> str:
    return "all" if association_id is None else str(association_id)


def _fresh(name: str, association_id, key: str):
    """The snapshot's value when it is young enough, noting its time for `as_of`; else None. The first read
    of a scope and period loads all of its young figures at once (one query per board, not per figure)."""
    max_age = current_app.config["INSIGHT_SNAPSHOT_MAX_AGE"]
    if not max_age:
        return None
    loaded = g.setdefault("insight_snapshots", {})
    scope = _scope(association_id)
    if (scope, key) not in loaded:
        rows = db.session.execute(
            sa.select(InsightSnapshot.figure, InsightSnapshot.computed_at, InsightSnapshot.value).where(
                InsightSnapshot.scope == scope,
                InsightSnapshot.period_key == key,
                InsightSnapshot.computed_at >= utcnow() - timedelta(seconds=max_age),
            )
        )
        loaded[(scope, key)] = {row.figure: row for row in rows}
    row = loaded[(scope, key)].get(name)
    if row is None:
        return None
    g.insight_as_of = min(row.computed_at, g.get("insight_as_of") or row.computed_at)
    return row.value if key == DAILY else _decode(row.value)  # a series is plain JSON: days, numbers, names


def as_of() -> datetime | None:
    """When the oldest snapshot this request showed was computed (naive UTC); None if all were live."""
    return g.get("insight_as_of")


def refresh() -> int:
    """Compute every registered figure for every scope and fixed period, and every @rollup's day-by-day
    series of all time, as of now, and store them; returns how many. One commit per scope: a dashboard never shows one scope's figures from two refreshes."""
    from . import periods, stats  # noqa: F401 - importing stats registers its figures

    now = utcnow()
    scopes = [None, *db.session.scalars(sa.select(Association.id).order_by(Association.id))]
    rows = sa.select(InsightSnapshot).options(defer(InsightSnapshot.value))  # each is replaced, never read
    stored = {(row.figure, row.scope, row.period_key): row for row in db.session.scalars(rows)}
    written = 0
    for association_id in scopes:
        for name, (compute, by_period) in FIGURES.items():
            for key in PERIOD_KEYS if by_period else (NO_PERIOD,):
                value = (
                    compute(association_id, periods.parse({"period": key}, now))
                    if by_period
                    else compute(association_id)
                )
                row = stored.get((name, _scope(association_id), key))
                if row is None:
                    row = InsightSnapshot(figure=name, scope=_scope(association_id), period_key=key)
                    db.session.add(row)
                row.value, row.computed_at = _encode(value), now
                written += 1
        everything = periods.parse({"period": "all"}, now)
        for name, by_day in ROLLUPS.items():
            value = by_day(association_id, everything, now)
            row = stored.get((name, _scope(association_id), DAILY))
            if row is None:
                row = InsightSnapshot(figure=name, scope=_scope(association_id), period_key=DAILY)
                db.session.add(row)
            row.value, row.computed_at = value, now
            written += 1
        db.session.commit()
    # Figures renamed or retired since an earlier release: nothing reads them any more.
    db.session.execute(sa.delete(InsightSnapshot).where(InsightSnapshot.figure.not_in(list(FIGURES))))
    db.session.commit()
    return written


# --- JSON with dates ----------------------------------------------------------------------------------


def _encode(value):
    """Plain JSON of a figure's value: datetimes and dates become {"$datetime": iso} and {"$date": iso}."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    return value


def _decode(value):
    if isinstance(value, dict):
        if value.keys() == {"$datetime"}:
            return datetime.fromisoformat(value["$datetime"])
        if value.keys() == {"$date"}:
            return date.fromisoformat(value["$date"])
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value
