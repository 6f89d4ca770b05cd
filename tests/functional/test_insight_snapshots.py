"""The dashboard's figures computed ahead by the worker (portal/insight/snapshots.py): after the worker's
insight job the dashboard, its exports and the API show the stored figures and say when they were computed;
a custom range, a snapshot past its age and a portal without snapshots are computed live; each association
reads only its own snapshot."""

import csv
import io
import re
from datetime import datetime, time, timedelta

import sqlalchemy as sa
import time_machine
from flask import g

from portal.extensions import db
from portal.insight import periods, snapshots, stats
from portal.models import InsightSnapshot
from portal.models.base import utcnow

from .. import factories
from .test_insight_dashboard import DAY, aid, audit, funnel_world, kla, pta

HOUR = timedelta(hours=1)


def pta_listing(title):
    company = factories.make_company(association="PTA", country="PK", verified=True)
    return factories.make_live_listing(company, title=title)


def kla_listing(title):
    company = factories.make_company(association="KLA", country="KZ", verified=True)
    return factories.make_live_listing(company, title=title)


def run_worker(app):
    """`flask worker --once`, as cron or `make run` runs it. It ends its own app context, which detaches the
    test's objects: log browsers in before."""
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output


def gone_live(html, code="pta") -> int:
    """The funnel table's first step ("Listings gone live") on the dashboard of one association."""
    table = html[html.index(f'id="chart-{code}-funnel-table"') :]
    table = table[: table.index("</table>")]
    return int(re.search(r"Listings gone live</th><td class=\"text-end\">(\d+)</td>", table).group(1))


def as_of_note(html) -> bool:
    return "data-figures-as-of" in html


def test_after_the_worker_ran_the_dashboard_shows_its_figures_and_says_when(app, client_for, pta_staff):
    browser = client_for(pta_staff)
    pta_listing("Wet blue cow hides")
    run_worker(app)
    pta_listing("Crust goat leather")  # after the worker: not in its figures

    html = browser.get("/insight/?period=quarter").get_data(as_text=True)

    assert gone_live(html) == 1
    assert as_of_note(html)
    stored = db.session.scalars(sa.select(InsightSnapshot.figure).distinct()).all()
    assert set(stored) >= {"membership", "listings", "decision_waits", "queues", "funnel", "supply", "cities"}


def custom(first, last) -> str:
    return f"/insight/?period=custom&from={first.isoformat()}&to={last.isoformat()}"


def test_a_custom_range_is_summed_from_the_workers_days(app, client_for, pta_staff):
    browser = client_for(pta_staff)
    pta_listing("Wet blue cow hides")
    run_worker(app)
    pta_listing("Crust goat leather")  # after the worker: not in its days
    today = utcnow().date()

    html = browser.get(custom(today - timedelta(days=7), today)).get_data(as_text=True)

    assert gone_live(html) == 1
    assert as_of_note(html)
    daily = db.session.scalars(sa.select(InsightSnapshot.figure).where(InsightSnapshot.period_key == "daily")).all()
    assert set(daily) == {"decision_waits", "funnel", "cities"}


def test_without_a_worker_a_custom_range_is_live(app, client_for, pta_staff):
    pta_listing("Wet blue cow hides")
    today = utcnow().date()

    html = client_for(pta_staff).get(custom(today - timedelta(days=7), today)).get_data(as_text=True)

    assert gone_live(html) == 1
    assert not as_of_note(html)


def rolled_up_world():
    """Every rolled-up figure's rows over 200 days and both sides of midnight, for each association."""
    now = utcnow()
    ours, _theirs = funnel_world()
    ours.city = " Kasur "
    kasur = pta(city="Kasur", created_at=now - 40 * DAY)
    pta(city="Sialkot", verified=False, created_at=now - 3 * DAY)
    for hours, title in ((-1, "Before midnight"), (1, "After midnight")):
        listing = factories.make_live_listing(kasur, title=title)
        listing.published_at = listing.created_at = datetime.combine(now.date() - 5 * DAY, time()) + hours * HOUR
        audit("listing.submit", listing, listing.published_at - 2 * DAY)
        audit("listing.approve", listing, listing.published_at)
        factories.make_interest(listing, kla(), created_at=listing.published_at + HOUR)
    audit("company.verify", kasur, now - 39 * DAY)
    audit("company.reject", ours, now - 10 * DAY)
    db.session.commit()


def custom_period(first, last):
    return periods.parse({"period": "custom", "from": first.isoformat(), "to": last.isoformat()})


def test_a_custom_range_from_the_workers_days_is_what_it_would_be_live(app):
    """The rolled-up figures (decision medians, funnel, cities) summed from the worker's day-by-day series
    equal the same range computed live, for ranges inside, across and outside the rows' days."""
    rolled_up_world()
    snapshots.refresh()
    today = utcnow().date()
    ranges = [
        (today - 200 * DAY, today),
        (today - 5 * DAY, today - 5 * DAY),  # the day after midnight only
        (today - 6 * DAY, today - 6 * DAY),  # the day before it only
        (today - 150 * DAY, today - 100 * DAY),
        (today, today),
        (today + DAY, today + 10 * DAY),  # the future: the meeting not held yet is not counted
    ]
    figures = {"funnel": stats.funnel, "decision_times": stats.decision_times, "cities": stats.cities}
    for first, last in ranges:
        for association in ("PTA", "KLA", None):
            association_id = association and aid(association)
            app.config["INSIGHT_SNAPSHOT_MAX_AGE"] = 1200
            g.pop("insight_as_of", None)
            summed = {name: figure(association_id, custom_period(first, last)) for name, figure in figures.items()}
            assert snapshots.as_of() is not None  # read from the worker's series
            app.config["INSIGHT_SNAPSHOT_MAX_AGE"] = 0
            live = {name: figure(association_id, custom_period(first, last)) for name, figure in figures.items()}
            assert summed == live, (first, last, association)


def test_a_day_of_the_workers_series_is_a_utc_day(app):
    rolled_up_world()
    snapshots.refresh()
    today = utcnow().date()

    def steps(day):
        return {s["key"]: s["count"] for s in stats.funnel(aid("PTA"), custom_period(day, day))}

    # The listings went live at 23:00 and 01:00, their interests came at 00:00 and 02:00.
    before, after = steps(today - 6 * DAY), steps(today - 5 * DAY)
    assert (before["live"], before["interests"]) == (1, 0)
    assert (after["live"], after["interests"]) == (1, 2)
    waits = stats.decision_times(aid("PTA"), custom_period(today - 6 * DAY, today - 5 * DAY))["moderation"]
    assert waits == {"count": 2, "median_seconds": 2 * 86400}
    assert snapshots.as_of() is not None


def test_the_worker_drops_the_snapshots_of_figures_it_no_longer_computes(app):
    db.session.add(
        InsightSnapshot(figure="decision_times", scope="all", period_key="30d", value={}, computed_at=utcnow())
    )
    db.session.commit()

    snapshots.refresh()

    assert db.session.scalar(sa.select(sa.func.count()).where(InsightSnapshot.figure == "decision_times")) == 0


def test_without_a_worker_the_figures_are_live(app, client_for, pta_staff):
    pta_listing("Wet blue cow hides")

    html = client_for(pta_staff).get("/insight/?period=quarter").get_data(as_text=True)

    assert gone_live(html) == 1
    assert not as_of_note(html)


def test_a_snapshot_past_its_age_is_not_used(app, client_for, pta_staff):
    browser = client_for(pta_staff)
    pta_listing("Wet blue cow hides")
    run_worker(app)
    pta_listing("Crust goat leather")

    with time_machine.travel(utcnow() + timedelta(seconds=app.config["INSIGHT_SNAPSHOT_MAX_AGE"] + 60)):
        html = browser.get("/insight/?period=quarter").get_data(as_text=True)

    assert gone_live(html) == 2
    assert not as_of_note(html)


def test_each_association_reads_its_own_snapshot(app, client_for, pta_staff, kla_staff, admin):
    browsers = [client_for(user) for user in (pta_staff, kla_staff, admin)]
    pta_listing("Wet blue cow hides")
    kla_listing("Raw sheep skins")
    kla_listing("Salted cattle hides")
    run_worker(app)
    factories.make_live_listing(factories.make_company(association="PTA", country="PK", verified=True))

    pages = [browser.get("/insight/").get_data(as_text=True) for browser in browsers]

    assert gone_live(pages[0]) == 1
    assert gone_live(pages[1], "kla") == 2
    side_by_side = pages[2]
    assert (gone_live(side_by_side, "kla"), gone_live(side_by_side, "pta")) == (2, 1)


def test_the_funnel_export_shows_the_figures_the_page_shows(app, client_for, pta_staff):
    browser = client_for(pta_staff)
    pta_listing("Wet blue cow hides")
    run_worker(app)
    pta_listing("Crust goat leather")

    data = browser.get("/insight/exports/funnel.csv?period=quarter").get_data(as_text=True)

    rows = list(csv.reader(io.StringIO(data.lstrip("\ufeff"))))
    live = next(row for row in rows if "Listings gone live" in row)
    assert "1" in live and "2" not in live


def test_turned_off_the_snapshots_are_never_read(app, client_for, pta_staff):
    browser = client_for(pta_staff)
    pta_listing("Wet blue cow hides")
    run_worker(app)
    pta_listing("Crust goat leather")
    app.config["INSIGHT_SNAPSHOT_MAX_AGE"] = 0

    html = browser.get("/insight/?period=quarter").get_data(as_text=True)

    assert gone_live(html) == 2
    assert not as_of_note(html)


def test_the_worker_computes_them_again_when_due(app, client_for, pta_staff):
    browser = client_for(pta_staff)
    pta_listing("Wet blue cow hides")
    run_worker(app)
    pta_listing("Crust goat leather")
    with time_machine.travel(utcnow() + timedelta(seconds=app.config["WORKER_INSIGHT_SECONDS"] + 5)):
        run_worker(app)
        html = browser.get("/insight/?period=quarter").get_data(as_text=True)

    assert gone_live(html) == 2
    assert as_of_note(html)


def test_the_api_serves_the_snapshot_and_says_when_it_was_computed(app, client, pta_staff):
    secret = factories.make_api_token(pta_staff)
    headers = {"Authorization": f"Bearer {secret}"}
    live = client.get("/api/v1/staff/statistics?period=year", headers=headers).get_json()
    assert live["figures_as_of"] is None
    pta_listing("Wet blue cow hides")
    run_worker(app)
    pta_listing("Crust goat leather")

    body = client.get("/api/v1/staff/statistics?period=year", headers=headers).get_json()

    assert sum(row["count"] for row in body["listings"]) == 1
    assert body["figures_as_of"].endswith("+00:00")
