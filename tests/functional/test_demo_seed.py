"""`flask seed-demo` leaves a partnership history behind (interests, conversations, a held meeting, confirmed
outcomes with and without naming consent, supply months), made through the services, and a second run adds
nothing: the dashboard's funnel, the scoreboard and the supply calendar have something to show in the demo."""

import re

import pytest
import sqlalchemy as sa

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.insight import periods, stats
from portal.models import (
    AuditLog,
    Company,
    Conversation,
    Interest,
    InterestStatus,
    Listing,
    ListingMonth,
    Meeting,
    MeetingStatus,
    Message,
    Notification,
    OutboxMessage,
    Outcome,
    OutcomeStatus,
)
from portal.models.base import utcnow

from .. import factories

TABLES = (Interest, Conversation, Message, Meeting, Outcome, ListingMonth, AuditLog, Notification, OutboxMessage)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def test_the_demo_has_interests_accepted_declined_and_waiting(seeded):
    statuses = db.session.scalars(sa.select(Interest.status)).all()
    assert statuses.count(InterestStatus.accepted) >= 3
    assert statuses.count(InterestStatus.declined) == 1
    assert statuses.count(InterestStatus.open) >= 1
    # every accepted interest opened its conversation, and the talks have messages from both sides
    assert count(Conversation) == statuses.count(InterestStatus.accepted)
    for conversation in db.session.scalars(sa.select(Conversation)):
        companies = set(
            db.session.scalars(sa.select(Message.company_id).where(Message.conversation_id == conversation.id))
        )
        assert companies == set(conversation.company_ids)


def test_the_demo_has_a_held_meeting_and_one_to_come(seeded):
    accepted = db.session.scalars(sa.select(Meeting).where(Meeting.status == MeetingStatus.accepted)).all()
    assert any(m.starts_at < utcnow() for m in accepted)
    assert any(m.starts_at > utcnow() for m in accepted)


def test_the_demo_has_confirmed_outcomes_with_values_and_naming_consent(seeded):
    confirmed = db.session.scalars(sa.select(Outcome).where(Outcome.status == OutcomeStatus.confirmed)).all()
    assert len(confirmed) >= 2 and all(o.value_usd > 0 for o in confirmed)
    assert len({o.kind for o in confirmed}) >= 2
    consents = [(o.recorder_agrees_to_be_named, o.confirmer_agrees_to_be_named) for o in confirmed]
    assert (True, True) in consents and (False, False) in consents
    assert db.session.scalar(sa.select(Outcome.id).where(Outcome.status == OutcomeStatus.recorded))  # one waits
    # made through the services: every outcome and decision is in the audit log
    assert count(Outcome) == db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "outcome.record")
    )


def test_the_history_happened_after_the_listings_and_in_order(seeded):
    for interest in db.session.scalars(sa.select(Interest)):
        listing = db.session.get(Listing, interest.listing_id)
        assert listing.published_at < interest.created_at
        assert interest.from_company.created_at < interest.created_at
        if interest.responded_at:
            assert interest.created_at < interest.responded_at
    for outcome in db.session.scalars(sa.select(Outcome).where(Outcome.status == OutcomeStatus.confirmed)):
        assert outcome.conversation.created_at < outcome.created_at < outcome.decided_at <= utcnow()


def test_the_dashboard_counts_the_demo_history(seeded):
    pta = factories.association_obj_id("PTA")
    funnel = {step["key"]: step["count"] for step in stats.funnel(pta, periods.parse({}))}
    assert funnel["interests"] >= 3 and funnel["accepted"] >= 2 and funnel["meetings"] >= 1
    assert funnel["confirmed"] >= 1
    assert stats.outcomes_by_kind(pta, periods.parse({}))


def test_raw_hide_offers_have_supply_months_on_the_calendar(seeded, client):
    assert count(ListingMonth) >= 6
    html = client.get("/supply-calendar").get_data(as_text=True)
    november = re.search(r'<th scope="row">November</th>(.*?)</tr>', html, flags=re.S).group(1)
    assert re.findall(r"<td[^>]*>(?:<a [^>]*>)?(\d+)", november)[1] != "0"  # Kazakh hides in November


def test_demo_staff_see_the_history_on_their_dashboard(seeded, client):
    response = client.post("/auth/login", data={"email": "staff@pta.example", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    html = client.get("/insight/").get_data(as_text=True)
    assert "Nothing in this period." not in html.split("Confirmed outcomes by kind")[1].split("</table>")[0]


def test_a_second_run_adds_no_history(seeded, runner):
    before = [count(model) for model in TABLES]
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert [count(model) for model in TABLES] == before


def test_the_scoreboard_names_only_the_demo_pair_that_agreed_to_be_named(seeded, client):
    html = client.get("/scoreboard").get_data(as_text=True)
    assert "Kasur Leather Industries" in html and "Костанай Кожа" in html  # both agreed
    assert "Multan Leather Works" not in html  # neither agreed: counted, unnamed
    assert "Lahore Leather Garments" not in html  # only the recording company agreed


def test_the_browser_journeys_companies_start_without_history(seeded):
    """tests/e2e journeys act as Korangi Tanners and Shymkent Hides and expect empty partnership inboxes."""
    ids = db.session.scalars(
        sa.select(Company.id).where(Company.ref.in_(["demo-korangi-tanners", "demo-shymkent-hides"]))
    ).all()
    involved = sa.or_(Conversation.owner_company_id.in_(ids), Conversation.partner_company_id.in_(ids))
    assert len(ids) == 2 and db.session.scalar(sa.select(sa.func.count()).where(involved)) == 0
    interests = sa.select(sa.func.count()).select_from(Interest).join(Listing)
    assert (
        db.session.scalar(interests.where(sa.or_(Interest.from_company_id.in_(ids), Listing.company_id.in_(ids)))) == 0
    )
