"""The period a dashboard, an export or a chart covers: last 30 days, this quarter, a year, all, or a custom
range. One parser for every page, so the period in the URL means the same everywhere."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from ..models import base

PERIODS = {
    "30d": _l("Last 30 days"),
    "quarter": _l("Last quarter (90 days)"),
    "year": _l("Last 12 months"),
    "all": _l("All time"),
    "custom": _l("Custom range"),
}
DEFAULT = "quarter"
_DAYS = {"30d": 30, "quarter": 90, "year": 365}


@dataclass(frozen=True)
class Period:
    """[start, end) in naive UTC, as the tables store times; start None means "since the beginning"."""

    key: str
    start: datetime | None
    end: datetime
    error: str | None = None  # why a custom range was not understood (the default period is used instead)

    @property
    def label(self) -> str:
        return str(PERIODS[self.key])

    def args(self) -> dict:
        """The query arguments that name this period again (for links, exports and the form)."""
        if self.key != "custom":
            return {"period": self.key}
        return {
            "period": "custom",
            "from": self.start.date().isoformat(),
            "to": (self.end.date() - timedelta(days=1)).isoformat(),
        }

    def clause(self, column):
        """SQL: the column's time lies in the period."""
        end = column < self.end
        return end if self.start is None else (column >= self.start) & end


def parse(args, now: datetime | None = None) -> Period:
    """Read `period` (and for "custom" `from` and `to`, ISO dates, both included) from request arguments;
    anything not understood falls back to the default period with an error to show, never a 400."""
    now = now or base.utcnow()
    key = args.get("period") or DEFAULT
    if key == "custom":
        try:
            start = date.fromisoformat(args.get("from") or "")
            last = date.fromisoformat(args.get("to") or "")
        except ValueError:
            return _relative(DEFAULT, now, error=str(_l("Please give both dates of the range as YYYY-MM-DD.")))
        if last < start:
            return _relative(DEFAULT, now, error=str(_l("The range ends before it starts.")))
        return Period("custom", datetime.combine(start, time()), datetime.combine(last + timedelta(days=1), time()))
    if key not in PERIODS:
        key = DEFAULT
    return _relative(key, now)


def _relative(key: str, now: datetime, error: str | None = None) -> Period:
    if key == "all":
        return Period("all", None, now + timedelta(seconds=1), error)
    return Period(key, now - timedelta(days=_DAYS[key]), now + timedelta(seconds=1), error)
