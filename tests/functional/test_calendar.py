"""Meeting links cannot break out of the .ics: refused on input, and harmless even when stored."""

import icalendar
import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Meeting

from .. import factories
from .test_engagement import propose

INJECTION = "https://meet.example/x\r\nATTENDEE:mailto:evil@example.org\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nEND:VALARM"


@pytest.fixture
def deal(member, kz_member):
    """An accepted interest: the PK owner and the KZ partner share a conversation."""
    listing = factories.make_live_listing(member.company, "Chrome tanning training in Karachi", type="training")
    return factories.make_interest(listing, kz_member.company, kz_member, status="accepted").conversation


def meetings() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Meeting))


@pytest.mark.parametrize(
    "link",
    [
        INJECTION,
        "https://meet.example/x\nATTENDEE:mailto:evil@example.org",
        "https://meet.example/x\u2028ATTENDEE:mailto:evil@example.org",
        "https://meet.example/a b",
        "https://meet.example/\tx",
        "javascript:alert(1)",
        "ftp://meet.example/x",
        "https://user:secret@evil.example/",
        "https://" + "a" * 600 + ".example/",
        "//meet.example/x",
    ],
)
def test_meeting_link_that_is_not_one_clean_http_url_is_refused(client_for, kz_member, deal, link):
    response = propose(client_for(kz_member), deal, online_url=link, place="Karachi")
    assert response.status_code == 400
    assert meetings() == 0


def test_a_plain_https_meeting_link_is_accepted(client_for, kz_member, deal):
    response = propose(client_for(kz_member), deal, online_url="https://meet.example/abc-defg-hij?pwd=1")
    assert response.status_code == 302 and meetings() == 1


def test_stored_link_place_and_note_with_crlf_cannot_add_attendees_or_alarms(client_for, member, kz_member, deal):
    propose(client_for(kz_member), deal, online_url="https://meet.example/x")
    meeting = db.session.scalar(sa.select(Meeting))
    client_for(member).post(f"/partnerships/meetings/{meeting.id}/answer", data={"accept": "Accept"})
    # a row written around the form (an old version, a direct insert): the calendar must still hold
    db.session.execute(
        sa.update(Meeting)
        .where(Meeting.id == meeting.id)
        .values(online_url=INJECTION, place=None, note="Agenda\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Fake")
    )
    db.session.commit()

    response = client_for(member).get(f"/partnerships/meetings/{meeting.id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    raw = response.get_data(as_text=True)
    lines = raw.replace("\r\n ", "").split("\r\n")
    assert not [line for line in lines if line.startswith(("ATTENDEE", "BEGIN:VALARM", "TRIGGER", "URL"))]
    calendar = icalendar.Calendar.from_ical(raw)
    [event] = calendar.walk("VEVENT")
    assert calendar.walk("VALARM") == [] and event.get("ATTENDEE") is None and event.get("URL") is None
    assert "ATTENDEE:mailto:evil@example.org" in str(event["LOCATION"])  # kept as text, harmless
    assert "SUMMARY:Fake" in str(event["DESCRIPTION"])


def test_clean_stored_link_is_the_calendars_url(client_for, member, kz_member, deal):
    propose(client_for(kz_member), deal, online_url="https://meet.example/x", place="Karachi; Gate 2")
    meeting = db.session.scalar(sa.select(Meeting))
    client_for(member).post(f"/partnerships/meetings/{meeting.id}/answer", data={"accept": "Accept"})
    raw = client_for(member).get(f"/partnerships/meetings/{meeting.id}/calendar.ics").get_data(as_text=True)
    [event] = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["URL"]) == "https://meet.example/x" and str(event["LOCATION"]) == "Karachi; Gate 2"
