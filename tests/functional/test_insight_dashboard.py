"""The association staff dashboard (/insight/): every section's numbers against rows made here (the other
association's and those outside the period must not count), who sees whose figures, and the page itself."""

import re
from datetime import datetime, timedelta

import pytest

from portal.extensions import db
from portal.insight import periods, stats
from portal.models import (
    AuditLog,
    ListingFlag,
    ListingHsHeading,
    MatchNotice,
    Meeting,
    MeetingStatus,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
)
from portal.models.base import utcnow

from .. import factories

DAY = timedelta(days=1)
QUARTER = {"period": "quarter"}


def pta(city=None, **over):
    company = factories.make_company(association="PTA", country="PK", verified=over.pop("verified", True), **over)
    if city:
        company.city = city
        db.session.commit()
    return company


def kla(**over):
    return factories.make_company(association="KLA", country="KZ", verified=over.pop("verified", True), **over)


def aid(code):
    return factories.association_obj_id(code)


def audit(action, obj, at, object_type=None):
    row = AuditLog(action=action, object_type=object_type or action.split(".")[0], object_id=obj.id, at=at)
    db.session.add(row)
    db.session.commit()
    return row


def add(*rows):
    db.session.add_all(rows)
    db.session.commit()
    return rows[0]


def quarter():
    return periods.parse(QUARTER)


def custom(start, end):
    return periods.parse({"period": "custom", "from": start, "to": end})


def step(steps, key):
    return next(s for s in steps if s["key"] == key)


# --- 1. members by status, month by month ----------------------------------------------------------


def test_membership_by_month_is_rebuilt_from_the_audit_log(app):
    revoked = pta(verified=False, created_at=datetime(2026, 1, 5))
    audit("company.verify", revoked, datetime(2026, 1, 20))
    audit("company.revoke", revoked, datetime(2026, 3, 10))
    rejected = pta(verified=False, created_at=datetime(2026, 2, 3))
    audit("company.reject", rejected, datetime(2026, 2, 10))
    pta(verified=False, created_at=datetime(2026, 1, 10))  # waiting all along
    pta(verified=True, created_at=datetime(2025, 12, 1))  # imported as verified: no audit row
    resubmitted = pta(verified=False, created_at=datetime(2026, 1, 2))
    audit("company.reject", resubmitted, datetime(2026, 1, 3))
    audit("company.resubmit", resubmitted, datetime(2026, 2, 1))
    kla(created_at=datetime(2026, 1, 2))  # the other association
    pta(created_at=datetime(2026, 4, 2))  # after the period

    rows = stats.membership(aid("PTA"), custom("2026-01-01", "2026-03-31"))

    assert [r["month"].month for r in rows] == [1, 2, 3]
    jan, feb, mar = (r["counts"] for r in rows)
    assert jan == {"verified": 2, "unverified": 1, "rejected": 1, "revoked": 0}
    assert feb == {"verified": 2, "unverified": 2, "rejected": 1, "revoked": 0}
    assert mar == {"verified": 1, "unverified": 2, "rejected": 1, "revoked": 1}


# --- 2. listings ------------------------------------------------------------------------------------


def test_listings_are_counted_by_type_direction_and_status(app):
    company = pta()
    factories.make_listing(company, status="published", type="trade", details={})
    factories.make_listing(company, status="published", type="trade", details={})
    factories.make_listing(company, status="draft", type="training", direction="request", details={})
    factories.make_listing(company, status="published", type="trade", details={}, created_at=utcnow() - 200 * DAY)
    factories.make_listing(kla(), status="published", type="trade", details={})

    rows = stats.listings(aid("PTA"), quarter())

    assert sorted((r["type"], r["direction"], r["status"], r["count"]) for r in rows) == [
        ("trade", "offer", "published", 2),
        ("training", "request", "draft", 1),
    ]


# --- 3. decision times and the queue ----------------------------------------------------------------


def test_median_times_to_a_verification_and_a_moderation_decision(app):
    now = utcnow()
    fast = pta(verified=False, created_at=now - 10 * DAY)
    audit("company.verify", fast, now - 8 * DAY)  # 2 days
    slow = pta(verified=False, created_at=now - 10 * DAY)
    audit("company.reject", slow, now - 6 * DAY)  # 4 days
    audit("company.verify", slow, now - 1 * DAY)  # not the first decision
    far = kla(verified=False, created_at=now - 30 * DAY)
    audit("company.verify", far, now - 1 * DAY)  # KLA's: 29 days

    company = pta()
    one = factories.make_listing(company, status="published")
    audit("listing.submit", one, now - 5 * DAY)
    audit("listing.approve", one, now - 4 * DAY)  # 1 day
    two = factories.make_listing(company, status="published")
    audit("listing.submit", two, now - 9 * DAY)
    audit("listing.request_changes", two, now - 6 * DAY)  # 3 days
    audit("listing.resubmit", two, now - 5 * DAY)
    audit("listing.approve", two, now - 4 * DAY)  # 1 day
    other = factories.make_listing(kla(), status="published")
    audit("listing.submit", other, now - 20 * DAY)
    audit("listing.approve", other, now - 1 * DAY)

    times = stats.decision_times(aid("PTA"), quarter())

    assert times["verification"] == {"count": 2, "median_seconds": pytest.approx(3 * 86400, abs=1)}
    assert times["moderation"] == {"count": 3, "median_seconds": pytest.approx(86400, abs=1)}


def test_the_queue_age_is_its_oldest_waiting_item(app):
    now = utcnow()
    company = pta()
    factories.make_listing(company, status="submitted", submitted_at=now - 5 * DAY)
    flagged = factories.make_listing(company, status="published")
    add(ListingFlag(listing_id=flagged.id, reason="spam", created_at=now - 7 * DAY))
    resolved = factories.make_listing(company, status="published")
    add(ListingFlag(listing_id=resolved.id, reason="old", created_at=now - 40 * DAY, resolved_at=now - 39 * DAY))
    factories.make_listing(kla(), status="submitted", submitted_at=now - 60 * DAY)
    pta(verified=False, created_at=now - 3 * DAY)

    times = stats.decision_times(aid("PTA"), quarter())

    assert times["moderation_queue"]["waiting"] == 2
    assert times["moderation_queue"]["oldest"] == pytest.approx(now - 7 * DAY, abs=timedelta(seconds=1))
    assert times["verification_queue"]["waiting"] == 1
    assert times["verification"]["median_seconds"] is None


# --- 4. the funnel ----------------------------------------------------------------------------------


def funnel_world():
    now = utcnow()
    ours, theirs = pta(), kla()
    listing = factories.make_live_listing(ours, title="Wet blue cattle hides")
    old = factories.make_live_listing(ours, title="Crust leather")
    old.published_at = now - 200 * DAY  # still live, but it went live before the period
    other = factories.make_live_listing(theirs, title="Raw sheep skins")
    add(
        MatchNotice(listing_id=listing.id, match_id=other.id),  # our owner was told: ours
        MatchNotice(listing_id=other.id, match_id=listing.id),  # their owner was told: theirs
        MatchNotice(listing_id=old.id, match_id=other.id, created_at=now - 120 * DAY),
    )
    accepted = factories.make_interest(listing, theirs, status="accepted", responded_at=now - DAY)
    factories.make_interest(listing, kla())  # open
    factories.make_interest(old, theirs, status="declined", created_at=now - 150 * DAY)
    factories.make_interest(other, ours, status="accepted", responded_at=now)  # on their listing
    conversation = accepted.conversation
    meeting = dict(conversation_id=conversation.id, proposer_company_id=theirs.id, timezone="UTC")
    add(
        Meeting(**meeting, starts_at=now - 2 * DAY, status=MeetingStatus.accepted),
        Meeting(**meeting, starts_at=now + 2 * DAY, status=MeetingStatus.accepted),  # not held yet
        Meeting(**meeting, starts_at=now - 3 * DAY, status=MeetingStatus.declined),
    )
    outcome = dict(conversation_id=conversation.id, recorded_by_company_id=ours.id, kind=OutcomeKind.trade_contract)
    add(
        Outcome(**outcome, value_usd=50_000, status=OutcomeStatus.confirmed, decided_at=now),
        Outcome(**outcome, value_usd=1_000, status=OutcomeStatus.recorded),
    )
    return ours, theirs


def test_the_funnel_counts_each_step_of_the_members_listings_in_the_period(app):
    funnel_world()

    steps = stats.funnel(aid("PTA"), quarter())

    assert [s["key"] for s in steps] == list(stats.FUNNEL_KEYS)
    assert {s["key"]: s["count"] for s in steps} == {
        "live": 1,
        "matches": 1,
        "interests": 2,
        "accepted": 1,
        "conversations": 1,
        "meetings": 1,
        "outcomes": 2,
        "confirmed": 1,
    }
    assert steps[0]["conversion"] is None
    assert step(steps, "accepted")["conversion"] == 0.5
    assert step(steps, "confirmed")["conversion"] == 0.5
    assert all(isinstance(s["label"], str) and s["label"] for s in steps)


def test_the_other_associations_funnel_counts_only_its_own_listings(app):
    funnel_world()
    steps = {s["key"]: s["count"] for s in stats.funnel(aid("KLA"), quarter())}
    assert steps == {k: 0 for k in stats.FUNNEL_KEYS} | {
        "live": 1,
        "matches": 1,
        "interests": 1,
        "accepted": 1,
        "conversations": 1,
    }


def test_a_zero_step_gives_no_conversion_to_the_next(app):
    steps = stats.funnel(aid("PTA"), quarter())
    assert all(s["count"] == 0 and s["conversion"] is None for s in steps)


# --- 5. confirmed outcomes --------------------------------------------------------------------------


def test_confirmed_outcomes_by_kind_with_their_value(app):
    now = utcnow()
    ours, theirs = pta(), kla()
    listing = factories.make_live_listing(theirs, title="Raw hides")  # their listing, our member in the talks
    conversation = factories.make_interest(listing, ours, status="accepted").conversation
    kla_only = factories.make_interest(factories.make_live_listing(kla(), title="Sheep"), theirs, status="accepted")
    base = dict(conversation_id=conversation.id, recorded_by_company_id=ours.id)
    add(
        Outcome(
            **base, kind=OutcomeKind.trade_contract, value_usd=50_000, status=OutcomeStatus.confirmed, decided_at=now
        ),
        Outcome(
            **base, kind=OutcomeKind.trade_contract, value_usd=7_000, status=OutcomeStatus.confirmed, decided_at=now
        ),
        Outcome(**base, kind=OutcomeKind.training_delivered, status=OutcomeStatus.confirmed, decided_at=now),
        Outcome(**base, kind=OutcomeKind.trade_contract, value_usd=9, status=OutcomeStatus.recorded),
        Outcome(
            **base,
            kind=OutcomeKind.trade_contract,
            value_usd=9,
            status=OutcomeStatus.confirmed,
            decided_at=now - 300 * DAY,
        ),
        Outcome(
            conversation_id=kla_only.conversation.id,
            recorded_by_company_id=theirs.id,
            kind=OutcomeKind.joint_venture_formed,
            value_usd=1_000_000,
            status=OutcomeStatus.confirmed,
            decided_at=now,
        ),
    )

    rows = {r["kind"]: (r["count"], r["value_usd"]) for r in stats.outcomes_by_kind(aid("PTA"), quarter())}

    assert rows == {
        "trade_contract": (2, 57_000),
        "training_delivered": (1, 0),
        "technology_transfer_agreement": (0, 0),
        "joint_venture_formed": (0, 0),
    }


# --- 6. supply and demand ---------------------------------------------------------------------------


def test_supply_against_the_other_sides_demand_names_the_gaps(app):
    ours, theirs = pta(), kla()
    factories.make_live_listing(ours, title="Cattle wet blue", tags=["hide_cattle", "stage_wetblue"])
    factories.make_live_listing(ours, title="Cattle", tags=["hide_cattle"])
    factories.make_live_listing(ours, title="We want goat", direction="request", tags=["hide_goat"])  # our own ask
    factories.make_live_listing(
        theirs, title="Need wet blue", direction="request", tags=["stage_wetblue", "hide_camel"]
    )
    factories.make_live_listing(theirs, title="Camel for sale", tags=["hide_camel"])  # their offer
    factories.make_listing(ours, status="draft", tags=["hide_sheep"])  # not live

    found = stats.supply_demand(aid("PTA"), "ru")

    rows = {r["term"]: (r["offers"], r["requests"]) for r in found["rows"]}
    assert rows == {"hide_cattle": (2, 0), "stage_wetblue": (1, 1), "hide_camel": (0, 1)}
    assert [g["term"] for g in found["gaps"]] == ["hide_camel"]
    assert re.search("[а-яА-Я]", found["gaps"][0]["label"])  # the reader's language


# --- 7. cities --------------------------------------------------------------------------------------


def test_activity_by_city(app):
    now = utcnow()
    sialkot, lahore = pta(city="Sialkot"), pta(city="Lahore")
    pta(city="Sialkot")
    factories.make_listing(sialkot, status="draft")
    factories.make_listing(sialkot, status="draft", created_at=now - 200 * DAY)
    other = factories.make_live_listing(kla(), title="Raw hides")
    factories.make_interest(other, lahore)
    factories.make_interest(other, sialkot, status="withdrawn", created_at=now - 200 * DAY)

    rows = {r["city"]: (r["companies"], r["listings"], r["interests"]) for r in stats.cities(aid("PTA"), quarter())}

    assert rows == {"Sialkot": (2, 1, 0), "Lahore": (1, 0, 1)}


# --- 8. HS headings ---------------------------------------------------------------------------------


def test_live_trade_listings_by_hs_heading(app):
    ours = pta()
    offer = factories.make_live_listing(ours, title="Wet blue")
    ask = factories.make_live_listing(ours, title="Need crust", direction="request")
    draft = factories.make_listing(ours, status="draft", type="trade", details={})
    training = factories.make_live_listing(ours, title="Course", type="training")
    theirs = factories.make_live_listing(kla(), title="Raw hides")
    add(
        ListingHsHeading(listing_id=offer.id, heading="4104"),
        ListingHsHeading(listing_id=ask.id, heading="4104"),
        ListingHsHeading(listing_id=ask.id, heading="4107"),
        ListingHsHeading(listing_id=draft.id, heading="4104"),
        ListingHsHeading(listing_id=training.id, heading="4104"),
        ListingHsHeading(listing_id=theirs.id, heading="4101"),
    )

    assert stats.hs_headings(aid("PTA")) == [
        {"heading": "4104", "offers": 1, "requests": 1},
        {"heading": "4107", "offers": 0, "requests": 1},
    ]


# --- the page ---------------------------------------------------------------------------------------


def boards(html):
    return re.findall(r"<h3[^>]*>Partnership funnel · (\w+)", html)


def test_staff_see_their_own_associations_dashboard_even_when_the_url_names_another(client_for, pta_staff):
    funnel_world()
    browser = client_for(pta_staff)
    for url in ("/insight/", "/insight/?association=KLA"):
        response = browser.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert boards(html) == ["PTA"]
    funnel = html[html.index('id="chart-pta-funnel-table"') :]
    funnel = funnel[: funnel.index("</table>")]
    assert re.search(r"Expressions of interest</th><td class=\"text-end\">2</td><td class=\"text-end\">200%", funnel)


def test_admins_see_the_associations_side_by_side_or_the_one_they_choose(client_for, admin):
    funnel_world()
    browser = client_for(admin)
    assert boards(browser.get("/insight/").get_data(as_text=True)) == ["KLA", "PTA"]
    assert boards(browser.get("/insight/?association=KLA").get_data(as_text=True)) == ["KLA"]


def test_members_are_refused_and_visitors_sent_to_log_in(client, client_for, member):
    assert client_for(member).get("/insight/").status_code == 403
    response = client.get("/insight/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_reversed_range_shows_the_error_and_the_default_period(client_for, pta_staff):
    html = client_for(pta_staff).get("/insight/?period=custom&from=2026-05-01&to=2026-04-01").get_data(as_text=True)
    assert "The range ends before it starts." in html
    assert "Period: Last quarter (90 days)" in html
    assert re.search(r'<option selected value="quarter">|<option value="quarter" selected>', html)


def test_a_custom_range_is_kept_in_the_form(client_for, pta_staff):
    html = client_for(pta_staff).get("/insight/?period=custom&from=2026-01-01&to=2026-03-31").get_data(as_text=True)
    assert 'value="2026-01-01"' in html and 'value="2026-03-31"' in html and "Custom range" in html


def test_every_chart_has_its_data_block_and_its_table(client_for, pta_staff):
    funnel_world()
    html = client_for(pta_staff).get("/insight/").get_data(as_text=True)
    canvases = re.findall(r'<canvas id="([\w-]+)" data-chart="([\w-]+)"[^>]*aria-describedby="([\w-]+)"', html)
    assert len(canvases) == 8
    for canvas, data, table in canvases:
        assert f'<script type="application/json" id="{data}">' in html
        assert f'id="{table}"' in html and table == f"{canvas}-table"
    # The CSP runs no inline script: every other <script> has a src.
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'type="application/json"' in tag or "src=" in tag
    assert "insight-charts.js" in html and "chart.umd.min.js" in html


def test_the_dashboard_is_in_the_staff_and_admin_menus(client_for, pta_staff, admin):
    for user in (pta_staff, admin):
        html = client_for(user).get("/insight/").get_data(as_text=True)
        assert 'href="/insight/">Dashboard</a>' in html


@pytest.mark.parametrize(("locale", "direction", "word"), [("ur", "rtl", None), ("ru", "ltr", "Модерация")])
def test_the_page_renders_in_urdu_right_to_left_and_in_russian(client_for, locale, direction, word):
    staff = factories.make_user(role="staff", association="PTA", locale=locale)
    funnel_world()
    html = client_for(staff).get("/insight/").get_data(as_text=True)
    assert f'<html lang="{locale}" dir="{direction}">' in html
    if word:
        assert word in html
    if locale == "ur":
        assert "bootstrap.rtl.min.css" in html
