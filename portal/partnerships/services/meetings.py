"""Meetings: proposed in a wall-clock time zone and stored in UTC, answered or countered by the other side,
cancelled, and given to calendars as an .ics file once agreed."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from ...extensions import db
from ...mail import public_base_url, public_url
from ...models import Meeting, MeetingStatus
from ...models.base import utcnow
from ...rules import RuleError
from ...utils import is_safe_web_url
from .common import count_of, notify_company, other_company_id, require_party
from .conversations import conversation_ids

MS = MeetingStatus
TIMEZONES = (
    "Asia/Karachi",
    "Asia/Almaty",
    "Asia/Qostanay",
    "Asia/Aqtobe",
    "Asia/Tashkent",
    "Asia/Dubai",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Europe/Berlin",
    "Europe/London",
    "UTC",
)


def default_timezone(user) -> str:
    country = user.company.country if getattr(user, "company", None) else None
    return {"PK": "Asia/Karachi", "KZ": "Asia/Almaty"}.get(country, "UTC")


def to_utc(local: datetime, tz_name: str) -> datetime:
    """A wall-clock time in the named zone as naive UTC."""
    if tz_name not in TIMEZONES:
        raise RuleError(_("Choose a time zone from the list."))
    return local.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC).replace(tzinfo=None)


def local_time(meeting, tz_name: str | None = None) -> datetime:
    return meeting.starts_at.replace(tzinfo=UTC).astimezone(ZoneInfo(tz_name or meeting.timezone))


def _link(meeting) -> str:
    return url_for(
        "partnerships.conversation", conversation_id=meeting.conversation_id, _anchor=f"meeting-{meeting.id}"
    )


def propose_meeting(
    user,
    conversation,
    local_start: datetime,
    tz_name: str,
    duration: int,
    online_url: str | None,
    place: str | None,
    note: str | None = None,
    replaces=None,
) -> Meeting:
    require_party(user, conversation)
    starts_at = to_utc(local_start, tz_name)
    if starts_at <= utcnow():
        raise RuleError(_("Choose a time in the future."))
    if not (online_url or "").strip() and not (place or "").strip():
        raise RuleError(_("Give an online meeting link or a place."))
    meeting = Meeting(
        conversation_id=conversation.id,
        proposer_id=user.id,
        proposer_company_id=user.company_id,
        starts_at=starts_at,
        timezone=tz_name,
        duration_minutes=duration,
        online_url=(online_url or "").strip() or None,
        place=(place or "").strip() or None,
        note=(note or "").strip() or None,
        replaces_id=replaces.id if replaces else None,
    )
    db.session.add(meeting)
    db.session.flush()
    proposer = user.company.name
    notify_company(
        other_company_id(conversation, user.company_id),
        lambda u: _(
            "%(company)s proposes a meeting on %(when)s.",
            company=proposer,
            when=format_when(meeting, default_timezone(u)),
        ),
        _link(meeting),
        lambda _u: _("Meeting proposed by %(company)s", company=proposer),
    )
    return meeting


def _answerable(user, meeting) -> None:
    """Only the other side answers a proposal."""
    require_party(user, meeting.conversation)
    if user.company_id == meeting.proposer_company_id:
        raise RuleError(_("The other company answers this proposal."))
    if meeting.status is not MS.proposed:
        raise RuleError(_("This proposal was already answered."))
    if meeting.has_started:
        raise RuleError(_("The time of this proposal has passed: propose a new meeting instead."))


def answer_meeting(user, meeting, accept: bool) -> Meeting:
    _answerable(user, meeting)
    meeting.status = MS.accepted if accept else MS.declined
    meeting.responded_by_id, meeting.responded_at = user.id, utcnow()
    who = user.company.name
    notify_company(
        meeting.proposer_company_id,
        lambda u: (
            _(
                "%(company)s accepted the meeting on %(when)s.",
                company=who,
                when=format_when(meeting, default_timezone(u)),
            )
            if accept
            else _(
                "%(company)s declined the meeting on %(when)s.",
                company=who,
                when=format_when(meeting, default_timezone(u)),
            )
        ),
        _link(meeting),
        lambda _u: (
            _("Meeting accepted by %(company)s", company=who)
            if accept
            else _("Meeting declined by %(company)s", company=who)
        ),
    )
    return meeting


def counter_meeting(user, meeting, local_start, tz_name, duration, online_url, place, note=None) -> Meeting:
    """The other side proposes another time: the first proposal is superseded by the new one."""
    _answerable(user, meeting)
    new = propose_meeting(
        user, meeting.conversation, local_start, tz_name, duration, online_url, place, note, replaces=meeting
    )
    meeting.status, meeting.responded_by_id, meeting.responded_at = MS.superseded, user.id, utcnow()
    return new


def cancel_meeting(user, meeting) -> Meeting:
    """The proposer withdraws a proposal; either side cancels an agreed meeting."""
    require_party(user, meeting.conversation)
    if meeting.status is MS.proposed and user.company_id != meeting.proposer_company_id:
        raise RuleError(_("Decline the proposal instead."))
    if meeting.status not in (MS.proposed, MS.accepted) or meeting.has_started:
        raise RuleError(_("This meeting can no longer be cancelled."))
    meeting.status, meeting.responded_by_id, meeting.responded_at = MS.cancelled, user.id, utcnow()
    who = user.company.name
    notify_company(
        other_company_id(meeting.conversation, user.company_id),
        lambda u: _(
            "%(company)s cancelled the meeting on %(when)s.",
            company=who,
            when=format_when(meeting, default_timezone(u)),
        ),
        url_for("partnerships.conversation", conversation_id=meeting.conversation_id),
        lambda _u: _("Meeting cancelled by %(company)s", company=who),
    )
    return meeting


def proposals_to_answer_query(company_id: int):
    """Proposals the other side made in the company's conversations, still waiting for its answer: soonest first."""
    return (
        sa.select(Meeting)
        .where(
            Meeting.conversation_id.in_(conversation_ids(company_id)),
            Meeting.status == MS.proposed,
            Meeting.proposer_company_id != company_id,
            Meeting.starts_at > utcnow(),  # a lapsed proposal waits for nobody
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )


def proposals_to_answer(company_id: int) -> int:
    return count_of(proposals_to_answer_query(company_id))


def format_when(meeting, viewer_tz: str | None = None) -> str:
    """'2026-05-04 10:00 (Asia/Karachi)', plus the viewer's own zone when it differs in clock time."""
    local = local_time(meeting)
    text = f"{local:%Y-%m-%d %H:%M} ({meeting.timezone})"
    if viewer_tz and viewer_tz != meeting.timezone:
        other = local_time(meeting, viewer_tz)
        if other.utcoffset() != local.utcoffset():
            text += f" = {other:%Y-%m-%d %H:%M} ({viewer_tz})"
    return text


def meeting_ics(meeting) -> bytes:
    """The agreed meeting as an iCalendar file, written by the icalendar library: every text value is
    escaped and folded there, so a place, note or link cannot end its line and add properties
    (ATTENDEE, VALARM). A stored link that is not a clean http(s) URL is left out of URL."""
    if meeting.status is not MS.accepted:
        raise RuleError(_("Only an agreed meeting can be added to a calendar."))
    conversation = meeting.conversation
    end = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
    host = re.sub(r"^https?://", "", public_base_url()).split("/")[0] or "leather-bridge.example"
    summary = _(
        "Leather Bridge meeting: %(a)s and %(b)s",
        a=conversation.owner_company.name,
        b=conversation.partner_company.name,
    )
    description = _("About “%(title)s”.", title=conversation.listing.title)
    if meeting.note:
        description += "\n" + meeting.note
    description += "\n" + public_url("partnerships.conversation", conversation_id=conversation.id)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Leather Bridge//Meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("dtstamp", (meeting.responded_at or utcnow()).replace(tzinfo=UTC))
    event.add("dtstart", meeting.starts_at.replace(tzinfo=UTC))
    event.add("dtend", end.replace(tzinfo=UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", meeting.place or meeting.online_url or "")
    if meeting.online_url and is_safe_web_url(meeting.online_url):
        event.add("url", meeting.online_url)
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
