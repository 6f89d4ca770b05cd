"""The dashboard's figures computed ahead by the worker (portal/insight/snapshots.py): after the worker's
insight job the dashboard, its exports and the API show the stored figures and say when they were computed;
a custom range, a snapshot past its age and a portal without snapshots are computed live; each association
reads only its own snapshot."""

import csv
import io
import re
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from portal.extensions import db
from portal.models import InsightSnapshot
from portal.models.base import utcnow

from .. import factories


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
    assert set(stored) >= {"membership", "listings", "decision_times", "funnel", "supply", "cities", "hs_headings"}


def test_a_custom_range_is_always_computed_live(app, client_for, pta_staff):
    browser = client_for(pta_staff)
    pta_listing("Wet blue cow hides")
    run_worker(app)
    pta_listing("Crust goat leather")
    today = utcnow().date()
    url = f"/insight/?period=custom&from={(today - timedelta(days=7)).isoformat()}&to={today.isoformat()}"

    html = browser.get(url).get_data(as_text=True)

    assert gone_live(html) == 2
    assert as_of_note(html)  # supply and demand and the HS headings have no period: they are the snapshot's


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
