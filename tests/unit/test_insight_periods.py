"""The one reading of "which period": each key, a custom range, and what is not understood."""

from datetime import datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from portal.insight import periods

NOW = datetime(2026, 12, 2, 12, 0, 0)


def parse(**args):
    return periods.parse(MultiDict(args), now=NOW)


@pytest.mark.parametrize(("key", "days"), [("30d", 30), ("quarter", 90), ("year", 365)])
def test_a_relative_period_ends_now_and_starts_its_days_before(key, days):
    period = parse(period=key)
    assert (period.key, period.error) == (key, None)
    assert period.start == NOW - timedelta(days=days)
    assert period.end > NOW and period.end - NOW <= timedelta(seconds=1)
    assert period.args() == {"period": key}


def test_all_time_has_no_start():
    period = parse(period="all")
    assert period.start is None and period.end > NOW and period.error is None


def test_no_period_is_the_default_quarter():
    assert parse().key == periods.DEFAULT == "quarter"


def test_an_unknown_key_is_the_default_without_a_400():
    period = parse(period="decade")
    assert period.key == periods.DEFAULT and period.error is None


def test_a_custom_range_includes_both_days_and_names_itself_again():
    period = parse(**{"period": "custom", "from": "2026-03-01", "to": "2026-03-31"})
    assert (period.start, period.end, period.error) == (datetime(2026, 3, 1), datetime(2026, 4, 1), None)
    assert period.args() == {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}


def test_a_one_day_custom_range_is_that_day():
    period = parse(**{"period": "custom", "from": "2026-03-05", "to": "2026-03-05"})
    assert period.end - period.start == timedelta(days=1)


@pytest.mark.parametrize(
    "args",
    [
        {"period": "custom"},
        {"period": "custom", "from": "2026-03-01"},
        {"period": "custom", "from": "01/03/2026", "to": "2026-03-31"},
        {"period": "custom", "from": "2026-02-30", "to": "2026-03-31"},
    ],
)
def test_bad_dates_fall_back_to_the_default_with_an_error(args):
    period = parse(**args)
    assert period.key == periods.DEFAULT and period.error
    assert period.start == NOW - timedelta(days=90)


def test_a_reversed_range_falls_back_to_the_default_with_its_own_error():
    period = parse(**{"period": "custom", "from": "2026-04-01", "to": "2026-03-01"})
    assert period.key == periods.DEFAULT and "ends before it starts" in period.error


def test_the_clause_keeps_the_half_open_interval():
    import sqlalchemy as sa

    period = parse(**{"period": "custom", "from": "2026-03-01", "to": "2026-03-31"})
    column = sa.column("at")
    sql = str(period.clause(column).compile(compile_kwargs={"literal_binds": True}))
    assert ">=" in sql and "<" in sql
    assert ">=" not in str(parse(period="all").clause(column).compile())


def test_every_period_has_a_label():
    assert all(str(label) for label in periods.PERIODS.values())
    assert parse(period="30d").label == "Last 30 days"
