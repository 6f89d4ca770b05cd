"""From match to partnership over real HTTP: interests, conversations, attachments, meetings, outcomes, digests."""

import io
import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import render_template
from flask_login import login_user
from PIL import Image
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import (
    Attachment,
    Conversation,
    Interest,
    InterestStatus,
    ListingStatus,
    Meeting,
    MeetingStatus,
    Message,
    Notification,
    OutboxMessage,
    Outcome,
    OutcomeStatus,
)
from portal.models.base import utcnow
from portal.partnerships.panels import interest_box
from portal.partnerships.services import meetings
from portal.partnerships.services.outcomes import confirmed_outcomes
from portal.permissions import can_see_listing_company

from .. import factories

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MESSAGE = "We are a hide collector in Kostanay and would like to learn chrome tanning."


def png_bytes(size=(8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 80, 40)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def listing(member):
    return factories.make_live_listing(member.company, "Chrome tanning training in Karachi", type="training")


@pytest.fixture
def anonymous_listing(member):
    return factories.make_live_listing(
        member.company, "Joint venture for a wet-blue tannery", type="joint_venture", anonymous=True
    )


@pytest.fixture
def outsider(app):
    """A verified third company that has nothing to do with the deal."""
    company = factories.make_company(name="Almaty Outsider Leather", country="KZ", association="KLA", verified=True)
    return factories.make_user(email="owner@outsider.example", company=company, owner=True)


@pytest.fixture
def deal(member, kz_member, listing):
    """An accepted interest: the PK owner and the KZ partner share a conversation."""
    interest = factories.make_interest(listing, kz_member.company, kz_member, status="accepted")
    return interest.conversation


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def mails_to(email) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == email)))


def express(client, listing, message=MESSAGE, **data):
    return client.post(f"/partnerships/listings/{listing.id}/interest", data={"message": message, **data})


# --- expressions of interest ------------------------------------------------------------------------


def test_verified_member_expresses_interest_and_the_listing_company_hears_of_it(client_for, member, kz_member, listing):
    response = express(client_for(kz_member), listing, what_we_bring="6,000 hides a month")
    assert response.status_code == 302
    interest = db.session.scalar(sa.select(Interest))
    assert (interest.from_company_id, interest.sender_id, interest.status) == (
        kz_member.company_id,
        kz_member.id,
        InterestStatus.open,
    )
    assert interest.what_we_bring == "6,000 hides a month"
    assert count(Notification, Notification.user_id == member.id) == 1
    [mail] = mails_to(member.email)
    assert "Kostanay Hides" in mail.body and f"/partnerships/interests/{interest.id}" in mail.body


def test_second_open_interest_of_the_same_company_is_refused(client_for, kz_member, listing):
    colleague = factories.make_user(email="colleague@kostanay.example", company=kz_member.company)
    assert express(client_for(kz_member), listing).status_code == 302
    page = express(client_for(colleague), listing).headers["Location"]
    assert count(Interest) == 1
    assert "already expressed interest" in client_for(colleague).get(page).get_data(as_text=True)


def test_database_itself_refuses_a_second_open_interest(kz_member, listing):
    factories.make_interest(listing, kz_member.company)
    db.session.add(Interest(listing_id=listing.id, from_company_id=kz_member.company_id, message="again"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_declined_interest_does_not_block_a_new_one(client_for, kz_member, listing):
    factories.make_interest(listing, kz_member.company, status="declined")
    assert express(client_for(kz_member), listing).status_code == 302
    assert count(Interest, Interest.status == InterestStatus.open) == 1


def test_interest_in_a_listing_closed_to_interest_is_refused(client_for, kz_member, listing):
    listing.closed_at = utcnow()
    db.session.commit()
    express(client_for(kz_member), listing)
    assert count(Interest) == 0


def test_interest_after_the_deadline_is_refused_and_on_the_last_day_accepted(client_for, kz_member, member):
    late = factories.make_live_listing(
        member.company, "Late listing", interest_deadline=date.today() - timedelta(days=1)
    )
    today = factories.make_live_listing(member.company, "Last day", interest_deadline=utcnow().date())
    client = client_for(kz_member)
    express(client, late)
    express(client, today)
    assert [i.listing_id for i in db.session.scalars(sa.select(Interest))] == [today.id]


def test_owner_cannot_express_interest_in_its_own_listing(client_for, member, listing):
    express(client_for(member), listing)
    assert count(Interest) == 0


def test_member_of_an_unverified_company_cannot_express_interest(client_for, listing):
    company = factories.make_company(name="Not Yet Verified", country="KZ", association="KLA")
    user = factories.make_user(email="new@unverified.example", company=company, owner=True)
    page = client_for(user).get(f"/partnerships/listings/{listing.id}/interest").get_data(as_text=True)
    express(client_for(user), listing)
    assert count(Interest) == 0
    assert "must be verified" in page


def test_staff_cannot_express_interest(client_for, kla_staff, listing):
    assert express(client_for(kla_staff), listing).status_code == 403
    assert count(Interest) == 0


def test_interest_is_sent_for_the_senders_own_company_whatever_the_form_says(client_for, kz_member, outsider, listing):
    express(
        client_for(kz_member), listing, from_company_id=outsider.company_id, status="accepted", sender_id=outsider.id
    )
    interest = db.session.scalar(sa.select(Interest))
    assert (interest.from_company_id, interest.sender_id, interest.status) == (
        kz_member.company_id,
        kz_member.id,
        InterestStatus.open,
    )


def test_a_listing_that_is_not_published_cannot_be_reached_for_interest(client_for, member, kz_member):
    draft = factories.make_live_listing(member.company, "Draft plans", status=ListingStatus.draft)
    assert client_for(kz_member).get(f"/partnerships/listings/{draft.id}/interest").status_code == 404
    assert express(client_for(kz_member), draft).status_code == 404


def test_interest_form_keeps_what_was_typed_and_explains_a_short_message(client_for, kz_member, listing):
    response = express(client_for(kz_member), listing, message="Too short", what_we_bring="Tanning know-how")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Too short" in html and "Tanning know-how" in html and "aria-invalid" in html


def test_owner_accepts_interest_which_opens_a_conversation_and_tells_the_sender(client_for, member, kz_member, listing):
    interest = factories.make_interest(listing, kz_member.company, kz_member)
    response = client_for(member).post(
        f"/partnerships/interests/{interest.id}/answer", data={"note": "Welcome!", "accept": "Accept"}
    )
    conversation = db.session.scalar(sa.select(Conversation))
    assert response.headers["Location"].endswith(f"/partnerships/conversations/{conversation.id}")
    assert (conversation.owner_company_id, conversation.partner_company_id) == (member.company_id, kz_member.company_id)
    db.session.refresh(interest)
    assert interest.status is InterestStatus.accepted and interest.response_note == "Welcome!"
    [mail] = mails_to(kz_member.email)
    assert "accepted" in mail.subject


def test_owner_declines_interest_and_the_sender_is_not_told_an_anonymous_company(
    client_for, member, kz_member, anonymous_listing
):
    interest = factories.make_interest(anonymous_listing, kz_member.company, kz_member)
    client_for(member).post(
        f"/partnerships/interests/{interest.id}/answer", data={"note": "Not now", "decline": "Decline"}
    )
    db.session.refresh(interest)
    assert interest.status is InterestStatus.declined and interest.conversation is None
    [mail] = mails_to(kz_member.email)
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == kz_member.id))
    assert member.company.name not in mail.body + mail.subject + note.text


@pytest.mark.parametrize("who", ["outsider", "kz_member"])
def test_only_the_listing_company_can_answer_an_interest(request, client_for, kz_member, listing, who):
    interest = factories.make_interest(listing, kz_member.company, kz_member)
    response = client_for(request.getfixturevalue(who)).post(
        f"/partnerships/interests/{interest.id}/answer", data={"accept": "Accept"}
    )
    assert response.status_code in (403, 404)
    db.session.refresh(interest)
    assert interest.is_open and count(Conversation) == 0


def test_third_company_cannot_see_an_interest(client_for, outsider, kz_member, listing):
    interest = factories.make_interest(listing, kz_member.company, kz_member)
    assert client_for(outsider).get(f"/partnerships/interests/{interest.id}").status_code == 404


def test_anonymous_listing_company_stays_hidden_from_the_sender_until_acceptance(
    client_for, member, kz_member, anonymous_listing
):
    interest = factories.make_interest(anonymous_listing, kz_member.company, kz_member)
    client = client_for(kz_member)
    pages = [
        client.get(f"/partnerships/interests/{interest.id}"),
        client.get("/partnerships/?box=sent"),
        client.get(f"/partnerships/listings/{anonymous_listing.id}/interest"),
    ]
    for response in pages:
        assert response.status_code == 200
        assert member.company.name not in response.get_data(as_text=True)
    assert not can_see_listing_company(kz_member, anonymous_listing)
    client_for(member).post(f"/partnerships/interests/{interest.id}/answer", data={"accept": "Accept"})
    assert can_see_listing_company(kz_member, anonymous_listing)
    assert member.company.name in client.get(f"/partnerships/interests/{interest.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "viewer, sees",
    [
        ("member", True),
        ("pta_staff", True),
        ("admin", True),
        ("kla_staff", False),
        ("kz_member", False),
    ],
)
def test_who_sees_an_anonymous_listings_company(request, anonymous_listing, viewer, sees):
    assert can_see_listing_company(request.getfixturevalue(viewer), anonymous_listing) is sees


def test_sender_withdraws_an_open_interest(client_for, kz_member, listing):
    interest = factories.make_interest(listing, kz_member.company, kz_member)
    client_for(kz_member).post(f"/partnerships/interests/{interest.id}/withdraw")
    db.session.refresh(interest)
    assert interest.status is InterestStatus.withdrawn


def test_owner_closes_a_listing_to_new_interest_and_an_outsider_cannot(client_for, member, outsider, listing):
    assert client_for(outsider).post(f"/partnerships/listings/{listing.id}/close-interest").status_code == 404
    db.session.refresh(listing)
    assert listing.closed_at is None
    client_for(member).post(f"/partnerships/listings/{listing.id}/close-interest")
    db.session.refresh(listing)
    assert listing.closed_at is not None
    express(client_for(outsider), listing)
    assert count(Interest) == 0


def test_interest_box_shows_the_owner_how_many_interests_the_listing_drew(app, member, kz_member, outsider, listing):
    factories.make_interest(listing, kz_member.company)
    factories.make_interest(listing, outsider.company, status="declined")
    with app.test_request_context():
        login_user(member)
        html = render_template("partnerships/_interest_box.html", listing=listing, interest_box=interest_box(listing))
    assert "drawn 2 expressions of interest" in html and "1 waiting for your answer" in html


def test_inbox_counts_interests_waiting_for_an_answer(client_for, member, kz_member, outsider, listing):
    factories.make_interest(listing, kz_member.company)
    factories.make_interest(listing, outsider.company)
    html = client_for(member).get("/partnerships/").get_data(as_text=True)
    assert re.search(r"Interests received\s*<span[^>]*>2</span>", html)
    assert "Kostanay Hides" in html and "Almaty Outsider Leather" in html


# --- conversations and messages -------------------------------------------------------------------


def test_parties_exchange_messages_with_unread_counts_until_read(client_for, member, kz_member, deal):
    kz, pk = client_for(kz_member), client_for(member)
    kz.post(f"/partnerships/conversations/{deal.id}/messages", data={"body": "Salam! When can we visit?"})
    assert re.search(r"Conversations\s*<span[^>]*>1</span>", pk.get("/partnerships/").get_data(as_text=True))
    page = pk.get(f"/partnerships/conversations/{deal.id}").get_data(as_text=True)
    assert "Salam! When can we visit?" in page and ">new<" in page
    assert not re.search(r"Conversations\s*<span", pk.get("/partnerships/").get_data(as_text=True))
    assert not re.search(r"Conversations\s*<span", kz.get("/partnerships/").get_data(as_text=True))  # own message


def test_mark_all_as_read_clears_unread_counts(client_for, member, kz_member, deal):
    client_for(kz_member).post(f"/partnerships/conversations/{deal.id}/messages", data={"body": "Hello"})
    pk = client_for(member)
    pk.post("/partnerships/conversations/read")
    assert not re.search(r"Conversations\s*<span", pk.get("/partnerships/").get_data(as_text=True))


def test_empty_message_is_refused_with_a_reason(client_for, kz_member, deal):
    response = client_for(kz_member).post(f"/partnerships/conversations/{deal.id}/messages", data={"body": "  "})
    assert response.status_code == 400 and "Write a message or attach a file" in response.get_data(as_text=True)
    assert count(Message) == 0


def test_third_company_can_neither_read_nor_write_in_a_conversation(client_for, outsider, kz_member, deal):
    client_for(kz_member).post(f"/partnerships/conversations/{deal.id}/messages", data={"body": "Private terms"})
    client = client_for(outsider)
    assert client.get(f"/partnerships/conversations/{deal.id}").status_code == 404
    assert client.post(f"/partnerships/conversations/{deal.id}/messages", data={"body": "Let me in"}).status_code == 404
    assert "Private terms" not in client.get("/partnerships/?box=conversations").get_data(as_text=True)
    assert count(Message) == 1


@pytest.mark.parametrize("viewer", ["pta_staff", "admin"])
def test_staff_and_admins_cannot_read_conversations(request, client_for, deal, viewer):
    assert client_for(request.getfixturevalue(viewer)).get(f"/partnerships/conversations/{deal.id}").status_code in (
        403,
        404,
    )


def test_visitor_is_sent_to_log_in(client, deal):
    response = client.get(f"/partnerships/conversations/{deal.id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# --- attachments ----------------------------------------------------------------------------------


def upload(client, conversation, data: bytes, name: str, body="See attached"):
    return client.post(
        f"/partnerships/conversations/{conversation.id}/messages",
        data={"body": body, "attachment": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_pdf_is_stored_outside_static_under_a_random_name_and_served_to_the_partner(
    app, client_for, member, kz_member, deal
):
    assert upload(client_for(kz_member), deal, PDF, "../Договор №5.pdf").status_code == 302
    item = db.session.scalar(sa.select(Attachment))
    path = Path(app.config["UPLOAD_DIR"]) / "attachments" / item.stored_name
    assert re.fullmatch(r"[0-9a-f]{32}", item.stored_name) and path.read_bytes() == PDF
    assert "static" not in str(path.relative_to(app.config["UPLOAD_DIR"]))
    response = client_for(member).get(f"/partnerships/attachments/{item.id}", buffered=True)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" + quote("Договор _5.pdf") in disposition


def test_image_is_served_with_the_type_its_content_shows_whatever_its_name(client_for, member, kz_member, deal):
    upload(client_for(kz_member), deal, png_bytes(), "photo.pdf")
    item = db.session.scalar(sa.select(Attachment))
    assert (item.content_type, item.original_name) == ("image/png", "photo.png")
    assert (
        client_for(member).get(f"/partnerships/attachments/{item.id}", buffered=True).headers["Content-Type"]
        == "image/png"
    )


def test_html_disguised_as_pdf_is_refused(app, client_for, kz_member, deal):
    response = upload(client_for(kz_member), deal, b"<html><script>alert(1)</script></html>", "invoice.pdf")
    assert response.status_code == 400
    assert "Only PDF files and PNG or JPEG images" in response.get_data(as_text=True)
    assert count(Attachment) == 0 and count(Message) == 0
    assert not list((Path(app.config["UPLOAD_DIR"]) / "attachments").glob("*"))


def test_attachment_over_the_size_limit_is_refused(app, client_for, kz_member, deal):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    response = upload(client_for(kz_member), deal, PDF + b"0" * 2000, "big.pdf")
    assert response.status_code == 400 and "too large" in response.get_data(as_text=True)
    assert count(Attachment) == 0


def test_third_company_and_visitors_cannot_download_an_attachment(client, client_for, outsider, kz_member, deal):
    upload(client_for(kz_member), deal, PDF, "terms.pdf")
    item = db.session.scalar(sa.select(Attachment))
    assert client_for(outsider).get(f"/partnerships/attachments/{item.id}").status_code == 404
    assert client.get(f"/partnerships/attachments/{item.id}").status_code == 302  # to the login page


# --- meetings -------------------------------------------------------------------------------------


def propose(client, conversation, day=None, time="10:00", timezone="Asia/Karachi", **data):
    day = day or (date.today() + timedelta(days=7)).isoformat()
    return client.post(
        f"/partnerships/conversations/{conversation.id}/meetings",
        data={"day": day, "time": time, "timezone": timezone, "duration": "60", **data},
    )


def test_meeting_proposed_in_karachi_time_is_stored_in_utc_and_announced(client_for, member, kz_member, deal):
    day = date.today() + timedelta(days=7)
    assert (
        propose(
            client_for(kz_member),
            deal,
            day.isoformat(),
            "10:00",
            "Asia/Karachi",
            online_url="https://meet.example/leather",
        ).status_code
        == 302
    )
    meeting = db.session.scalar(sa.select(Meeting))
    assert meeting.starts_at.date() == day and meeting.starts_at.strftime("%H:%M") == "05:00"
    assert meeting.timezone == "Asia/Karachi" and meeting.status is MeetingStatus.proposed
    assert any("proposes a meeting" in m.body for m in mails_to(member.email))


def test_meeting_needs_a_link_or_a_place_and_a_future_time(client_for, kz_member, deal):
    client = client_for(kz_member)
    no_place = propose(client, deal)
    past = propose(client, deal, day=(date.today() - timedelta(days=1)).isoformat(), place="Karachi")
    bad_link = propose(client, deal, online_url="javascript:alert(1)")
    assert no_place.status_code == past.status_code == bad_link.status_code == 400
    assert "Give an online meeting link or a place" in no_place.get_data(as_text=True)
    assert "Choose a time in the future" in past.get_data(as_text=True)
    assert count(Meeting) == 0


def test_other_party_accepts_and_both_download_a_valid_ics(client_for, member, kz_member, deal):
    propose(
        client_for(kz_member),
        deal,
        place="Korangi Industrial Area, Sector 7-A; Gate 2",
        online_url="https://meet.example/x",
    )
    meeting = db.session.scalar(sa.select(Meeting))
    client_for(member).post(f"/partnerships/meetings/{meeting.id}/answer", data={"accept": "Accept"})
    db.session.refresh(meeting)
    assert meeting.status is MeetingStatus.accepted
    for user in (member, kz_member):
        response = client_for(user).get(f"/partnerships/meetings/{meeting.id}/calendar.ics")
        assert response.status_code == 200 and response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    unfolded = text.replace("\r\n ", "")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    for needed in ("BEGIN:VEVENT", f"UID:meeting-{meeting.id}@", "DTSTAMP:", "SUMMARY:", "END:VEVENT"):
        assert needed in unfolded
    assert f"DTSTART:{meeting.starts_at:%Y%m%dT%H%M%S}Z" in unfolded
    assert f"DTEND:{meeting.starts_at + timedelta(hours=1):%Y%m%dT%H%M%S}Z" in unfolded
    assert r"LOCATION:Korangi Industrial Area\, Sector 7-A\; Gate 2" in unfolded
    assert "URL:https://meet.example/x" in unfolded


def test_ics_folding_never_splits_a_character(client_for, member, kz_member, deal):
    place = "Шымкент Былғары " * 10
    propose(client_for(kz_member), deal, place=place)
    meeting = db.session.scalar(sa.select(Meeting))
    client_for(member).post(f"/partnerships/meetings/{meeting.id}/answer", data={"accept": "Accept"})
    raw = client_for(member).get(f"/partnerships/meetings/{meeting.id}/calendar.ics").get_data()
    parts = raw.split(b"\r\n")
    assert all(len(part) <= 75 for part in parts)
    assert all(part.decode() for part in parts if part)  # each folded line is whole UTF-8 characters
    assert f"LOCATION:{place.strip()}" in raw.decode().replace("\r\n ", "")


def test_proposer_cannot_accept_its_own_proposal(client_for, kz_member, deal):
    client = client_for(kz_member)
    propose(client, deal, place="Almaty")
    meeting = db.session.scalar(sa.select(Meeting))
    client.post(f"/partnerships/meetings/{meeting.id}/answer", data={"accept": "Accept"})
    db.session.refresh(meeting)
    assert meeting.status is MeetingStatus.proposed


def test_ics_is_only_for_an_agreed_meeting(client_for, kz_member, deal):
    client = client_for(kz_member)
    propose(client, deal, place="Almaty")
    meeting = db.session.scalar(sa.select(Meeting))
    assert client.get(f"/partnerships/meetings/{meeting.id}/calendar.ics").status_code == 404


def test_other_time_proposed_instead_supersedes_the_first(client_for, member, kz_member, deal):
    propose(client_for(kz_member), deal, place="Almaty")
    first = db.session.scalar(sa.select(Meeting))
    day = (date.today() + timedelta(days=9)).isoformat()
    response = client_for(member).post(
        f"/partnerships/meetings/{first.id}/counter",
        data={
            "day": day,
            "time": "15:30",
            "timezone": "Asia/Almaty",
            "duration": "90",
            "online_url": "https://meet.example/y",
        },
    )
    assert response.status_code == 302
    first, second = db.session.scalars(sa.select(Meeting).order_by(Meeting.id)).all()
    assert first.status is MeetingStatus.superseded
    assert (second.status, second.replaces_id, second.proposer_company_id) == (
        MeetingStatus.proposed,
        first.id,
        member.company_id,
    )
    assert second.starts_at.strftime("%H:%M") == "10:30"


def test_third_company_cannot_propose_answer_or_download_meetings(client_for, outsider, member, kz_member, deal):
    propose(client_for(kz_member), deal, place="Almaty")
    meeting = db.session.scalar(sa.select(Meeting))
    client_for(member).post(f"/partnerships/meetings/{meeting.id}/answer", data={"accept": "Accept"})
    client = client_for(outsider)
    assert propose(client, deal, place="Here").status_code == 404
    assert client.post(f"/partnerships/meetings/{meeting.id}/answer", data={"decline": "Decline"}).status_code == 404
    assert client.post(f"/partnerships/meetings/{meeting.id}/cancel").status_code == 404
    assert client.get(f"/partnerships/meetings/{meeting.id}/calendar.ics").status_code == 404
    db.session.refresh(meeting)
    assert meeting.status is MeetingStatus.accepted and count(Meeting) == 1


def test_a_meeting_whose_time_has_come_is_held_or_lapsed_and_can_no_longer_be_answered_or_cancelled(
    client_for, member, kz_member, deal, clock
):
    partner, owner = client_for(kz_member), client_for(member)
    propose(partner, deal, place="Almaty")
    propose(partner, deal, day=(date.today() + timedelta(days=8)).isoformat(), place="Karachi")
    agreed, unanswered = db.session.scalars(sa.select(Meeting).order_by(Meeting.id)).all()
    owner.post(f"/partnerships/meetings/{agreed.id}/answer", data={"accept": "Accept"})
    assert meetings.proposals_to_answer(member.company_id) == 1

    clock.advance(days=10)
    page = owner.get(f"/partnerships/conversations/{deal.id}").get_data(as_text=True)

    assert ">held<" in page and ">lapsed without an answer<" in page and ">agreed<" not in page
    assert "Cancel meeting" not in page and "Propose another time" not in page and "calendar.ics" not in page
    owner.post(f"/partnerships/meetings/{unanswered.id}/answer", data={"accept": "Accept"})
    owner.post(f"/partnerships/meetings/{agreed.id}/cancel")
    partner.post(f"/partnerships/meetings/{unanswered.id}/cancel")
    db.session.refresh(agreed)
    db.session.refresh(unanswered)
    assert (agreed.status, unanswered.status) == (MeetingStatus.accepted, MeetingStatus.proposed)
    assert meetings.proposals_to_answer(member.company_id) == 0  # the dashboard waits for nothing


# --- outcomes -------------------------------------------------------------------------------------


def record(client, conversation, kind="training_delivered", value="12000"):
    return client.post(
        f"/partnerships/conversations/{conversation.id}/outcomes", data={"kind": kind, "value_usd": value}
    )


def test_outcome_recorded_by_one_and_confirmed_by_the_other_counts(client_for, member, kz_member, deal):
    record(client_for(kz_member), deal)
    outcome = db.session.scalar(sa.select(Outcome))
    assert confirmed_outcomes()["count"] == 0
    assert any("confirm" in m.subject.lower() for m in mails_to(member.email))
    client_for(member).post(f"/partnerships/outcomes/{outcome.id}/confirm")
    db.session.refresh(outcome)
    assert outcome.status is OutcomeStatus.confirmed and outcome.confirmed_by_company_id == member.company_id
    stats = confirmed_outcomes()
    assert stats["count"] == 1 and stats["value_usd"] == 12000
    assert stats["by_kind"]["training_delivered"] == {"count": 1, "value_usd": 12000}


def test_a_company_cannot_confirm_its_own_outcome(client_for, kz_member, deal):
    client = client_for(kz_member)
    record(client, deal)
    outcome = db.session.scalar(sa.select(Outcome))
    client.post(f"/partnerships/outcomes/{outcome.id}/confirm")
    db.session.refresh(outcome)
    assert outcome.status is OutcomeStatus.recorded


def test_third_company_cannot_confirm_or_record_outcomes(client_for, outsider, kz_member, deal):
    record(client_for(kz_member), deal)
    outcome = db.session.scalar(sa.select(Outcome))
    client = client_for(outsider)
    assert client.post(f"/partnerships/outcomes/{outcome.id}/confirm").status_code == 404
    assert record(client, deal, kind="trade_contract").status_code == 404
    db.session.refresh(outcome)
    assert outcome.status is OutcomeStatus.recorded and count(Outcome) == 1


def test_disputed_outcome_is_not_counted(client_for, member, kz_member, deal):
    record(client_for(kz_member), deal)
    outcome = db.session.scalar(sa.select(Outcome))
    client_for(member).post(f"/partnerships/outcomes/{outcome.id}/dispute", data={"reason": "Training has not started"})
    db.session.refresh(outcome)
    assert outcome.status is OutcomeStatus.disputed and outcome.dispute_reason == "Training has not started"
    assert confirmed_outcomes()["count"] == 0


def test_confirmed_outcomes_are_counted_for_either_companys_association(client_for, member, kz_member, deal):
    record(client_for(member), deal, kind="trade_contract", value="50000")
    client_for(kz_member).post(f"/partnerships/outcomes/{db.session.scalar(sa.select(Outcome.id))}/confirm")
    pta, kla = factories.association("PTA"), factories.association("KLA")
    assert confirmed_outcomes(pta.id)["value_usd"] == confirmed_outcomes(kla.id)["value_usd"] == 50000
    assert confirmed_outcomes(max(pta.id, kla.id) + 1)["count"] == 0


def test_the_same_outcome_cannot_be_recorded_twice(client_for, member, kz_member, deal):
    record(client_for(kz_member), deal)
    response = record(client_for(member), deal)
    assert response.status_code == 400 and "already recorded" in response.get_data(as_text=True)
    assert count(Outcome) == 1


# --- message digests ------------------------------------------------------------------------------


def digest(runner):
    result = runner.invoke(args=["messages", "send-digests", "--min-age", "0"])
    assert result.exit_code == 0, result.output
    return result.output


def test_new_messages_are_not_emailed_one_by_one(client_for, member, kz_member, deal):
    response = client_for(kz_member).post(f"/partnerships/conversations/{deal.id}/messages", data={"body": "First"})
    assert response.status_code == 302 and count(Message) == 1  # the message went in...
    assert mails_to(member.email) == []  # ...and no email went out for it


def test_digest_mails_each_user_once_with_all_unread_messages_and_only_once(
    runner, client_for, member, kz_member, deal
):
    colleague = factories.make_user(email="colleague@tannery.example", company=member.company, name="Bilal")
    kz = client_for(kz_member)
    for body in ("First question", "Second question"):
        kz.post(f"/partnerships/conversations/{deal.id}/messages", data={"body": body})
    assert "Sent 2 message digests" in digest(runner)
    for user in (member, colleague):
        [mail] = mails_to(user.email)
        assert "First question" in mail.body and "Second question" in mail.body
        assert f"http://localhost/partnerships/conversations/{deal.id}" in mail.body
    assert mails_to(kz_member.email) == []  # nobody is told of their own messages
    assert "Sent 0 message digests" in digest(runner)


def test_digest_skips_messages_already_read_and_waits_for_fresh_ones(runner, client_for, member, kz_member, deal):
    kz = client_for(kz_member)
    kz.post(f"/partnerships/conversations/{deal.id}/messages", data={"body": "Read on the site"})
    client_for(member).get(f"/partnerships/conversations/{deal.id}")
    assert "Sent 0" in digest(runner)
    kz.post(f"/partnerships/conversations/{deal.id}/messages", data={"body": "Just now"})
    assert "Sent 0" in runner.invoke(args=["messages", "send-digests"]).output  # younger than 5 minutes
    assert mails_to(member.email) == []


def test_dashboard_shows_interests_to_answer_and_unread_messages(
    client_for, member, kz_member, outsider, listing, deal
):
    factories.make_interest(listing, outsider.company)
    client_for(kz_member).post(f"/partnerships/conversations/{deal.id}/messages", data={"body": "Hello"})
    html = client_for(member).get("/dashboard").get_data(as_text=True)
    assert re.search(r"waiting for your answer: <strong>1</strong>", html)
    assert re.search(r"Unread messages: <strong>1</strong>", html)


# --- refusals: one answer for each kind (portal/rules.py) ------------------------------------------


def test_a_refused_answer_rolls_back_flashes_the_reason_and_goes_back(client_for, member, kz_member, listing):
    interest = factories.make_interest(listing, kz_member.company, kz_member, status="declined")
    owner = client_for(member)
    response = owner.post(f"/partnerships/interests/{interest.id}/answer", data={"accept": "Accept"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/partnerships/interests/{interest.id}"
    assert "already answered or withdrawn" in owner.get(response.headers["Location"]).get_data(as_text=True)
    assert count(Conversation) == 0


def test_the_listing_company_sees_an_interest_but_may_not_withdraw_it(client_for, member, kz_member, listing):
    interest = factories.make_interest(listing, kz_member.company, kz_member)
    assert client_for(member).post(f"/partnerships/interests/{interest.id}/withdraw").status_code == 403
    db.session.refresh(interest)
    assert interest.is_open
