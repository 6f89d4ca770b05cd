"""Partnerships, as members read them: a thread that starts with the interest, an overview of what needs an
answer, and a question before declining or withdrawing an interest (issue 12, item 8)."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    Interest,
    InterestStatus,
    Meeting,
    MeetingStatus,
    Notification,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
)
from portal.models.base import utcnow

from .. import factories

INTEREST_TEXT = "We collect 6,000 cattle hides a month in Kostanay and want to learn chrome tanning."
NOTE = "Welcome, the October batch still has seats."


@pytest.fixture
def listing(member):
    return factories.make_live_listing(member.company, "Chrome tanning training in Karachi", type="training")


@pytest.fixture
def outsider(app):
    company = factories.make_company(name="Almaty Outsider Leather", country="KZ", association="KLA", verified=True)
    return factories.make_user(email="owner@outsider.example", company=company, owner=True)


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def notifications() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification))


def reload(interest) -> Interest:
    db.session.expire_all()
    return db.session.get(Interest, interest.id)


# --- the conversation reads from its start ----------------------------------------------------------


def test_conversation_shows_the_interest_and_the_acceptance_note_before_the_first_message(
    client_for, member, kz_member, listing
):
    kz, pk = client_for(kz_member), client_for(member)
    kz.post(
        f"/partnerships/listings/{listing.id}/interest",
        data={"message": INTEREST_TEXT, "what_we_bring": "A new beamhouse."},
    )
    interest = db.session.scalar(sa.select(Interest))
    response = pk.post(f"/partnerships/interests/{interest.id}/answer", data={"note": NOTE, "accept": "Accept"})
    conversation_id = reload(interest).conversation.id
    assert response.headers["Location"].endswith(f"/partnerships/conversations/{conversation_id}")
    pk.post(f"/partnerships/conversations/{conversation_id}/messages", data={"body": "Salam! Names, please."})

    page = html_of(kz.get(f"/partnerships/conversations/{conversation_id}"))
    start, acceptance, first = page.index('id="start"'), page.index('id="acceptance"'), page.index("Salam! Names")
    assert start < page.index(INTEREST_TEXT) < acceptance < page.index(NOTE) < first
    assert (
        "A new beamhouse." in page[start:acceptance] and "Chrome tanning training in Karachi" in page[start:acceptance]
    )
    assert "Expression of interest" in page[start:acceptance] and "Interest accepted" in page[acceptance:first]
    assert kz_member.name in page[start:acceptance] and member.name in page[acceptance:first]


def test_an_acceptance_without_a_note_still_opens_the_thread(client_for, member, kz_member, listing):
    interest = factories.make_interest(listing, kz_member.company, kz_member, status="accepted", message=INTEREST_TEXT)
    page = html_of(client_for(member).get(f"/partnerships/conversations/{interest.conversation.id}"))
    assert page.index(INTEREST_TEXT) < page.index("Accepted without a note.") < page.index("No messages yet.")


# --- the overview of what needs an answer --------------------------------------------------------------


def test_partnerships_opens_on_the_overview_with_waiting_interests_oldest_first(
    client_for, member, kz_member, outsider, listing
):
    other_listing = factories.make_live_listing(member.company, "Wet blue hides wanted", direction="request")
    factories.make_interest(other_listing, kz_member.company, kz_member)
    old = factories.make_interest(listing, outsider.company, outsider, created_at=utcnow() - timedelta(days=3))
    page = html_of(client_for(member).get("/partnerships/"))
    assert re.search(r"Expressions of interest waiting for your answer\s*<span[^>]*>2</span>", page)
    assert page.index("Almaty Outsider Leather") < page.index("Kostanay Hides")  # the longest wait first
    assert "waiting for 3 days" in page
    assert f'href="/partnerships/interests/{old.id}"' in page
    assert f'href="/partnerships/interests/{old.id}/decline"' in page
    for box in ("received", "sent", "conversations"):  # the tabs stay
        assert f'href="/partnerships/?box={box}"' in page
    assert "Nothing needs your answer" not in page


def test_overview_lists_unread_conversations_meetings_and_outcomes_of_the_other_side(
    client_for, member, kz_member, listing
):
    conversation = factories.make_interest(listing, kz_member.company, kz_member, status="accepted").conversation
    kz = client_for(kz_member)
    kz.post(f"/partnerships/conversations/{conversation.id}/messages", data={"body": "First"})
    kz.post(f"/partnerships/conversations/{conversation.id}/messages", data={"body": "Second"})
    meeting = Meeting(
        conversation_id=conversation.id,
        proposer_id=kz_member.id,
        proposer_company_id=kz_member.company_id,
        starts_at=utcnow() + timedelta(days=5),
        timezone="Asia/Almaty",
        online_url="https://meet.example/call",
        status=MeetingStatus.proposed,
    )
    outcome = Outcome(
        conversation_id=conversation.id,
        kind=OutcomeKind.training_delivered,
        value_usd=5400,
        status=OutcomeStatus.recorded,
        recorded_by_company_id=kz_member.company_id,
        recorded_by_id=kz_member.id,
    )
    db.session.add_all([meeting, outcome])
    db.session.commit()

    pk = client_for(member)
    page = html_of(pk.get("/partnerships/"))
    assert re.search(r"Conversations with unread messages\s*<span[^>]*>1</span>", page)
    assert "2 unread" in page and f'href="/partnerships/conversations/{conversation.id}"' in page
    assert re.search(r"Meeting proposals to answer\s*<span[^>]*>1</span>", page)
    assert f"/partnerships/conversations/{conversation.id}#meeting-{meeting.id}" in page
    assert re.search(r"Outcomes to confirm\s*<span[^>]*>1</span>", page)
    assert f"/partnerships/conversations/{conversation.id}#outcome-{outcome.id}" in page

    # What the Kazakh side did itself waits for nobody on its own overview.
    assert "Nothing needs your answer" in html_of(kz.get("/partnerships/"))
    # Reading the thread takes the conversation off the list; the meeting and the outcome still wait.
    pk.get(f"/partnerships/conversations/{conversation.id}")
    page = html_of(pk.get("/partnerships/"))
    assert "Conversations with unread messages" not in page and "Meeting proposals to answer" in page


def test_overview_shows_the_empty_state_when_nothing_waits(client_for, member, kz_member, listing):
    factories.make_interest(listing, kz_member.company, kz_member, status="declined")
    page = html_of(client_for(member).get("/partnerships/"))
    assert "Nothing needs your answer" in page
    assert 'href="/partnerships/?box=received"' in page


def test_overview_mentions_the_companys_own_interests_still_waiting(client_for, kz_member, listing):
    factories.make_interest(listing, kz_member.company, kz_member)
    page = html_of(client_for(kz_member).get("/partnerships/"))
    assert "Nothing needs your answer" in page
    assert 'href="/partnerships/?box=sent&amp;status=open">1</a>' in page


def test_overview_has_one_page(client_for, member):
    assert client_for(member).get("/partnerships/?page=2").status_code == 404


def test_the_received_tab_still_lists_interests(client_for, member, kz_member, listing):
    factories.make_interest(listing, kz_member.company, kz_member)
    page = html_of(client_for(member).get("/partnerships/?box=received"))
    assert "Kostanay Hides" in page and "Nothing needs your answer" not in page


# --- declining and withdrawing ask first -----------------------------------------------------------


def test_the_interest_page_leads_to_the_questions_instead_of_acting_at_once(client_for, member, kz_member, listing):
    interest = factories.make_interest(listing, kz_member.company, kz_member)
    owner_page = html_of(client_for(member).get(f"/partnerships/interests/{interest.id}"))
    assert f'href="/partnerships/interests/{interest.id}/decline"' in owner_page and 'name="decline"' not in owner_page
    sender_page = html_of(client_for(kz_member).get(f"/partnerships/interests/{interest.id}"))
    assert f'href="/partnerships/interests/{interest.id}/withdraw"' in sender_page
    assert f'action="/partnerships/interests/{interest.id}/withdraw"' not in sender_page


def test_decline_question_shows_the_form_and_changes_nothing(client_for, member, kz_member, listing):
    interest = factories.make_interest(listing, kz_member.company, kz_member)
    before = notifications()
    page = html_of(client_for(member).get(f"/partnerships/interests/{interest.id}/decline"))
    assert "Decline the interest of <bdi>Kostanay Hides</bdi> in your listing" in page
    assert "Chrome tanning training in Karachi" in page
    assert f'action="/partnerships/interests/{interest.id}/answer"' in page and 'name="note"' in page
    assert 'name="decline"' in page and 'name="csrf_token"' in page
    assert f'href="/partnerships/interests/{interest.id}">Cancel</a>' in page
    assert reload(interest).status is InterestStatus.open and notifications() == before


def test_the_decline_form_declines_with_its_reason(client_for, member, kz_member, listing):
    interest = factories.make_interest(listing, kz_member.company, kz_member)
    response = client_for(member).post(
        f"/partnerships/interests/{interest.id}/answer",
        data={"note": "Our course is full this year.", "decline": "Yes, decline the interest"},
    )
    assert response.status_code == 302
    interest = reload(interest)
    assert interest.status is InterestStatus.declined and interest.response_note == "Our course is full this year."


def test_a_too_long_reason_is_shown_on_the_decline_question(client_for, member, kz_member, listing):
    interest = factories.make_interest(listing, kz_member.company, kz_member)
    response = client_for(member).post(
        f"/partnerships/interests/{interest.id}/answer", data={"note": "x" * 1001, "decline": "Yes"}
    )
    assert response.status_code == 400
    assert "Decline the interest of" in response.get_data(as_text=True)
    assert reload(interest).status is InterestStatus.open


def test_withdraw_question_shows_the_form_and_changes_nothing(client_for, kz_member, listing):
    interest = factories.make_interest(listing, kz_member.company, kz_member)
    page = html_of(client_for(kz_member).get(f"/partnerships/interests/{interest.id}/withdraw"))
    assert "Withdraw your interest in" in page and "Chrome tanning training in Karachi" in page
    assert f'action="/partnerships/interests/{interest.id}/withdraw"' in page and 'name="csrf_token"' in page
    assert f'href="/partnerships/interests/{interest.id}">Cancel</a>' in page
    assert reload(interest).status is InterestStatus.open


def test_the_withdraw_form_still_withdraws(client_for, kz_member, listing):
    interest = factories.make_interest(listing, kz_member.company, kz_member)
    response = client_for(kz_member).post(f"/partnerships/interests/{interest.id}/withdraw")
    assert response.headers["Location"].endswith(f"/partnerships/interests/{interest.id}")
    assert reload(interest).status is InterestStatus.withdrawn


@pytest.mark.parametrize("action", ["decline", "withdraw"])
def test_a_question_about_an_answered_interest_goes_back_to_it(client_for, member, kz_member, listing, action):
    interest = factories.make_interest(listing, kz_member.company, kz_member, status="declined")
    user = member if action == "decline" else kz_member
    response = client_for(user).get(f"/partnerships/interests/{interest.id}/{action}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/interests/{interest.id}")


@pytest.mark.parametrize(
    "who, action, status",
    [
        ("outsider", "decline", 404),  # a third company: the interest seems not to exist
        ("outsider", "withdraw", 404),
        ("kz_member", "decline", 403),  # the sender sees the interest but does not answer it
        ("member", "withdraw", 403),  # the listing's company sees it but cannot withdraw it
        ("pta_staff", "decline", 403),  # staff are no member company
    ],
)
def test_only_the_right_side_may_open_a_question(request, client_for, kz_member, listing, who, action, status):
    interest = factories.make_interest(listing, kz_member.company, kz_member)
    client = client_for(request.getfixturevalue(who))
    assert client.get(f"/partnerships/interests/{interest.id}/{action}").status_code == status
    assert reload(interest).status is InterestStatus.open
