"""Partnership rules: interests, conversations and read state, attachments, meetings, outcomes, message digests.

Views and CLI commands change engagement data only through these functions; none of them commits:
the caller does, once. Access is checked here too, so a forged id or form field cannot act for someone else.
"""

import re
import secrets
import unicodedata
import warnings
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..extensions import db
from ..mail import notify, public_base_url, public_url, send_mail
from ..models import (
    Attachment,
    AuditLog,
    Company,
    Conversation,
    ConversationState,
    Interest,
    InterestStatus,
    Listing,
    Meeting,
    MeetingStatus,
    Message,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    Role,
    User,
)
from ..models.base import utcnow
from ..permissions import can_see_listing_company, is_member_of
from ..utils import is_safe_web_url

IS = InterestStatus
MS = MeetingStatus


class EngagementError(Exception):
    """A rule said no; the message is for the user."""


class NotAllowed(EngagementError):
    """The user has no business with this object (views answer 404)."""


# --- who is who -----------------------------------------------------------------------------------


def company_users(company_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.company_id == company_id, User.active, User.role == Role.member)
            .order_by(User.id)
        )
    )


def is_listing_owner(user, listing) -> bool:
    return is_member_of(user, listing.company)


def can_view_interest(user, interest) -> bool:
    return is_member_of(user, interest.from_company) or is_listing_owner(user, interest.listing)


def is_party(user, conversation) -> bool:
    """Only the users of the two companies: no staff, no admin, no third company."""
    return bool(user.is_authenticated and user.role is Role.member and user.company_id in conversation.company_ids)


def listing_company_label(user, listing) -> str:
    """The listing's company name, or a neutral description while it stays anonymous to this user."""
    if can_see_listing_company(user, listing):
        return listing.company.name
    return _("A %(association)s member company", association=listing.company.association.code)


def audit(actor, association_id, action, object_type, object_id, reason=None, detail=None) -> None:
    db.session.add(
        AuditLog(
            actor_id=actor.id if actor else None,
            association_id=association_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            reason=reason,
            detail=detail,
        )
    )


def _notify_company(company_id: int, make_text, link: str, make_subject) -> None:
    """Notify every user of the company, each in their own language."""
    for user in company_users(company_id):
        with force_locale(user.locale or "en"):
            notify(user, make_text(user)[:500], link, email_subject=make_subject(user))


# --- expressions of interest ------------------------------------------------------------------------


def current_interest(company_id: int, listing_id: int) -> Interest | None:
    """The company's open or accepted interest on the listing, if any."""
    return db.session.scalar(
        sa.select(Interest)
        .where(
            Interest.listing_id == listing_id,
            Interest.from_company_id == company_id,
            Interest.status.in_((IS.open, IS.accepted)),
        )
        .order_by(Interest.id.desc())
    )


def deadline_passed(listing) -> bool:
    return listing.interest_deadline is not None and utcnow().date() > listing.interest_deadline


def closed_to_interest(listing) -> bool:
    return not listing.is_live or listing.closed_at is not None or deadline_passed(listing)


def interest_refusal(user, listing) -> str | None:
    """Why this user cannot express interest in the listing now; None when they can."""
    if not user.is_authenticated:
        return _("Log in with your company account to express interest.")
    if user.role is not Role.member or user.company is None:
        return _("Only member companies can express interest.")
    if is_listing_owner(user, listing):
        return _("This is your own listing.")
    if not user.company.is_verified:
        return _("Your company must be verified by its association before it can express interest.")
    if not listing.company.is_verified:  # a revoked or rejected company is off the portal
        return _("This listing's company is not verified by its association, so it takes no interest.")
    if not listing.is_live or listing.closed_at is not None:
        return _("This listing is closed to new interest.")
    if deadline_passed(listing):
        return _("The deadline for interest was %(date)s.", date=listing.interest_deadline.isoformat())
    existing = current_interest(user.company_id, listing.id)
    if existing is not None and existing.is_open:
        return _("Your company has already expressed interest in this listing; please wait for the answer.")
    if existing is not None:
        return _("Your interest was accepted: continue in your conversation.")
    return None


def express_interest(user, listing, message: str, what_we_bring: str = "") -> Interest:
    reason = interest_refusal(user, listing)
    if reason:
        raise EngagementError(reason)
    interest = Interest(
        listing_id=listing.id,
        from_company_id=user.company_id,
        sender_id=user.id,
        message=message.strip(),
        what_we_bring=(what_we_bring or "").strip(),
    )
    try:
        with db.session.begin_nested():  # a double click racing past the check above loses here
            db.session.add(interest)
    except IntegrityError:
        raise EngagementError(
            _("Your company has already expressed interest in this listing; please wait for the answer.")
        ) from None
    audit(
        user,
        user.company.association_id,
        "interest.express",
        "interest",
        interest.id,
        detail={"listing_id": listing.id},
    )
    sender = user.company.name
    _notify_company(
        listing.company_id,
        lambda _u: _("%(company)s is interested in your listing “%(title)s”.", company=sender, title=listing.title),
        url_for("engagement.interest", interest_id=interest.id),
        lambda _u: _("New interest in your listing “%(title)s”", title=listing.title),
    )
    return interest


def _answerable(user, interest) -> None:
    if not is_listing_owner(user, interest.listing):
        raise NotAllowed("not the listing's company")
    if not interest.is_open:
        raise EngagementError(_("This interest was already answered or withdrawn."))


def accept_interest(user, interest, note: str | None = None) -> Conversation:
    """Accepting opens the conversation and reveals an anonymous listing's company to the sender."""
    _answerable(user, interest)
    _answer(user, interest, IS.accepted, note)
    conversation = Conversation(
        interest=interest,
        listing_id=interest.listing_id,
        owner_company_id=interest.listing.company_id,
        partner_company_id=interest.from_company_id,
    )
    db.session.add(conversation)
    db.session.flush()
    listing, owner = interest.listing, interest.listing.company.name
    _notify_company(
        interest.from_company_id,
        lambda _u: _(
            "%(company)s accepted your interest in “%(title)s”. You can now talk to them.",
            company=owner,
            title=listing.title,
        ),
        url_for("engagement.conversation", conversation_id=conversation.id),
        lambda _u: _("Your interest in “%(title)s” was accepted", title=listing.title),
    )
    return conversation


def decline_interest(user, interest, note: str | None = None) -> Interest:
    _answerable(user, interest)
    _answer(user, interest, IS.declined, note)
    listing = interest.listing
    # The sender never learns an anonymous listing's company from a refusal.
    _notify_company(
        interest.from_company_id,
        lambda _u: _("Your interest in “%(title)s” was declined.", title=listing.title),
        url_for("engagement.interest", interest_id=interest.id),
        lambda _u: _("Your interest in “%(title)s” was declined", title=listing.title),
    )
    return interest


def _answer(user, interest, status, note) -> None:
    interest.status, interest.responded_by_id, interest.responded_at = status, user.id, utcnow()
    interest.response_note = (note or "").strip() or None
    audit(
        user,
        interest.listing.company.association_id,
        f"interest.{status.value}",
        "interest",
        interest.id,
        reason=interest.response_note,
    )


def withdraw_interest(user, interest) -> Interest:
    if not is_member_of(user, interest.from_company):
        raise NotAllowed("not the sender")
    if not interest.is_open:
        raise EngagementError(_("Only an interest still waiting for an answer can be withdrawn."))
    interest.status, interest.responded_at = IS.withdrawn, utcnow()
    audit(user, interest.from_company.association_id, "interest.withdraw", "interest", interest.id)
    return interest


def set_interest_closed(user, listing, closed: bool) -> None:
    """The owner closes a listing to new interest (or opens it again); open interests stay answerable."""
    if not is_listing_owner(user, listing):
        raise NotAllowed("not the owner")
    if not closed and not listing.is_live:
        raise EngagementError(_("Only a published listing can take new interest."))
    listing.closed_at = utcnow() if closed else None
    audit(
        user,
        listing.company.association_id,
        "listing.interest_closed" if closed else "listing.interest_opened",
        "listing",
        listing.id,
    )


def interest_counts(listing_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Interest.status, sa.func.count()).where(Interest.listing_id == listing_id).group_by(Interest.status)
    ).all()
    counts = {status.value: n for status, n in rows}
    counts["total"] = sum(counts.values())
    return counts


def received_interests_query(company_id: int, status: InterestStatus | None = None):
    query = (
        sa.select(Interest)
        .join(Listing, Interest.listing_id == Listing.id)
        .where(Listing.company_id == company_id)
        .order_by(Interest.id.desc())
    )
    return query.where(Interest.status == status) if status else query


def sent_interests_query(company_id: int, status: InterestStatus | None = None):
    query = sa.select(Interest).where(Interest.from_company_id == company_id).order_by(Interest.id.desc())
    return query.where(Interest.status == status) if status else query


def count_of(query) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))


# --- conversations and messages -------------------------------------------------------------------


def conversations_query(company_id: int):
    return (
        sa.select(Conversation)
        .where(sa.or_(Conversation.owner_company_id == company_id, Conversation.partner_company_id == company_id))
        .order_by(sa.func.coalesce(Conversation.last_message_at, Conversation.created_at).desc())
    )


def _state(user_id: int, conversation_id: int) -> ConversationState:
    state = db.session.get(ConversationState, (conversation_id, user_id))
    if state is None:
        state = ConversationState(
            conversation_id=conversation_id, user_id=user_id, last_read_message_id=0, last_digest_message_id=0
        )
        db.session.add(state)
    return state


def post_message(user, conversation, body: str, upload: tuple[str, str, bytes] | None = None) -> Message:
    """A message, optionally with one checked file: (original name, checked content type, bytes)."""
    if not is_party(user, conversation):
        raise NotAllowed("not a party")
    body = (body or "").strip()
    if not body and upload is None:
        raise EngagementError(_("Write a message or attach a file."))
    message = Message(conversation_id=conversation.id, author_id=user.id, company_id=user.company_id, body=body)
    db.session.add(message)
    if upload is not None:
        name, content_type, data = upload
        message.attachments.append(store_attachment(name, content_type, data))
    db.session.flush()
    conversation.last_message_at = message.created_at
    mark_read(user, conversation, upto=message.id)  # your own message is not news to you
    return message


def mark_read(user, conversation, upto: int | None = None) -> None:
    if upto is None:
        upto = (
            db.session.scalar(sa.select(sa.func.max(Message.id)).where(Message.conversation_id == conversation.id)) or 0
        )
    state = _state(user.id, conversation.id)
    if upto > (state.last_read_message_id or 0):
        state.last_read_message_id, state.read_at = upto, utcnow()


def _unread_clause(user):
    """Messages by others in the user's conversations, newer than what the user has read."""
    read = (
        sa.select(ConversationState.last_read_message_id)
        .where(ConversationState.conversation_id == Message.conversation_id, ConversationState.user_id == user.id)
        .scalar_subquery()
    )
    return sa.and_(Message.author_id.is_distinct_from(user.id), Message.id > sa.func.coalesce(read, 0))


def unread_counts(user) -> dict[int, int]:
    """Unread messages per conversation of the user's company."""
    if not user.is_authenticated or not user.company_id:
        return {}
    ids = sa.select(conversations_query(user.company_id).order_by(None).subquery().c.id)
    rows = db.session.execute(
        sa.select(Message.conversation_id, sa.func.count())
        .where(Message.conversation_id.in_(ids), _unread_clause(user))
        .group_by(Message.conversation_id)
    ).all()
    return dict(rows)


def mark_all_read(user) -> None:
    for conversation_id in unread_counts(user):
        mark_read(user, db.session.get(Conversation, conversation_id))


# --- attachments ----------------------------------------------------------------------------------

KINDS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
STORED_NAME = re.compile(r"^[0-9a-f]{32}$")


def attachment_limit() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES", 4 * 1024 * 1024))


def inspect_upload(stream) -> tuple[str, bytes]:
    """(content type, bytes) of a PDF, PNG or JPEG judged by its content; the name and browser's type count for nothing."""
    limit = attachment_limit()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise EngagementError(_("The file is too large: at most %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)))
    if not data:
        raise EngagementError(_("The file is empty."))
    if data.startswith(b"%PDF-"):
        return "application/pdf", data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=("PNG", "JPEG")) as image:
                fmt = image.format
                image.verify()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ):
        fmt = None
    if fmt == "PNG":
        return "image/png", data
    if fmt == "JPEG":
        return "image/jpeg", data
    raise EngagementError(_("Only PDF files and PNG or JPEG images can be attached."))


def safe_filename(name: str, content_type: str) -> str:
    """The original name, reduced to letters, digits, spaces, dots, dashes and underscores, with the right extension."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = re.sub(r"[^\w\s.-]", "_", name.rsplit(".", 1)[0] if "." in name else name).strip(" ._")[:100]
    return (stem or "attachment") + KINDS[content_type]


def attachment_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "attachments"


def store_attachment(name: str, content_type: str, data: bytes) -> Attachment:
    """Write the file under a random name outside static/; the row keeps the original name for downloads."""
    folder = attachment_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16)
    with open(folder / stored, "xb") as fh:
        fh.write(data)
    return Attachment(
        original_name=safe_filename(name, content_type), stored_name=stored, content_type=content_type, size=len(data)
    )


def attachment_path(attachment) -> Path | None:
    if attachment.content_type not in KINDS or not STORED_NAME.match(attachment.stored_name):
        return None
    return attachment_dir() / attachment.stored_name


# --- meetings -------------------------------------------------------------------------------------

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
        raise EngagementError(_("Choose a time zone from the list."))
    return local.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC).replace(tzinfo=None)


def local_time(meeting, tz_name: str | None = None) -> datetime:
    return meeting.starts_at.replace(tzinfo=UTC).astimezone(ZoneInfo(tz_name or meeting.timezone))


def _other_company_id(conversation, company_id: int) -> int:
    return (
        conversation.partner_company_id
        if company_id == conversation.owner_company_id
        else conversation.owner_company_id
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
    if not is_party(user, conversation):
        raise NotAllowed("not a party")
    starts_at = to_utc(local_start, tz_name)
    if starts_at <= utcnow():
        raise EngagementError(_("Choose a time in the future."))
    if not (online_url or "").strip() and not (place or "").strip():
        raise EngagementError(_("Give an online meeting link or a place."))
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
    other = _other_company_id(conversation, user.company_id)
    proposer = user.company.name
    _notify_company(
        other,
        lambda u: _(
            "%(company)s proposes a meeting on %(when)s.",
            company=proposer,
            when=format_when(meeting, default_timezone(u)),
        ),
        url_for("engagement.conversation", conversation_id=conversation.id, _anchor=f"meeting-{meeting.id}"),
        lambda _u: _("Meeting proposed by %(company)s", company=proposer),
    )
    return meeting


def _answerable_meeting(user, meeting) -> None:
    """Only the other side answers a proposal."""
    if not is_party(user, meeting.conversation):
        raise NotAllowed("not a party")
    if user.company_id == meeting.proposer_company_id:
        raise EngagementError(_("The other company answers this proposal."))
    if meeting.status is not MS.proposed:
        raise EngagementError(_("This proposal was already answered."))


def answer_meeting(user, meeting, accept: bool) -> Meeting:
    _answerable_meeting(user, meeting)
    meeting.status = MS.accepted if accept else MS.declined
    meeting.responded_by_id, meeting.responded_at = user.id, utcnow()
    who = user.company.name
    _notify_company(
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
        url_for("engagement.conversation", conversation_id=meeting.conversation_id, _anchor=f"meeting-{meeting.id}"),
        lambda _u: (
            _("Meeting accepted by %(company)s", company=who)
            if accept
            else _("Meeting declined by %(company)s", company=who)
        ),
    )
    return meeting


def counter_meeting(user, meeting, local_start, tz_name, duration, online_url, place, note=None) -> Meeting:
    """The other side proposes another time: the first proposal is superseded by the new one."""
    _answerable_meeting(user, meeting)
    new = propose_meeting(
        user, meeting.conversation, local_start, tz_name, duration, online_url, place, note, replaces=meeting
    )
    meeting.status, meeting.responded_by_id, meeting.responded_at = MS.superseded, user.id, utcnow()
    return new


def cancel_meeting(user, meeting) -> Meeting:
    """The proposer withdraws a proposal; either side cancels an agreed meeting."""
    if not is_party(user, meeting.conversation):
        raise NotAllowed("not a party")
    if meeting.status is MS.proposed and user.company_id != meeting.proposer_company_id:
        raise EngagementError(_("Decline the proposal instead."))
    if meeting.status not in (MS.proposed, MS.accepted):
        raise EngagementError(_("This meeting can no longer be cancelled."))
    meeting.status, meeting.responded_by_id, meeting.responded_at = MS.cancelled, user.id, utcnow()
    who = user.company.name
    _notify_company(
        _other_company_id(meeting.conversation, user.company_id),
        lambda u: _(
            "%(company)s cancelled the meeting on %(when)s.",
            company=who,
            when=format_when(meeting, default_timezone(u)),
        ),
        url_for("engagement.conversation", conversation_id=meeting.conversation_id),
        lambda _u: _("Meeting cancelled by %(company)s", company=who),
    )
    return meeting


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
        raise EngagementError(_("Only an agreed meeting can be added to a calendar."))
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
    description += "\n" + public_url("engagement.conversation", conversation_id=conversation.id)
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


# --- outcomes -------------------------------------------------------------------------------------


def record_outcome(user, conversation, kind: OutcomeKind, value_usd: int | None, note: str | None = None) -> Outcome:
    if not is_party(user, conversation):
        raise NotAllowed("not a party")
    duplicate = db.session.scalar(
        sa.select(Outcome.id).where(
            Outcome.conversation_id == conversation.id, Outcome.kind == kind, Outcome.status != OutcomeStatus.disputed
        )
    )
    if duplicate:
        raise EngagementError(_("This outcome is already recorded for this partnership."))
    if value_usd is not None and value_usd < 0:
        raise EngagementError(_("The value cannot be negative."))
    outcome = Outcome(
        conversation_id=conversation.id,
        kind=kind,
        value_usd=value_usd,
        note=(note or "").strip() or None,
        recorded_by_company_id=user.company_id,
        recorded_by_id=user.id,
    )
    db.session.add(outcome)
    db.session.flush()
    audit(
        user,
        user.company.association_id,
        "outcome.record",
        "outcome",
        outcome.id,
        detail={"kind": kind.value, "value_usd": value_usd},
    )
    who = user.company.name
    _notify_company(
        _other_company_id(conversation, user.company_id),
        lambda _u: _(
            "%(company)s recorded an outcome of your partnership: %(kind)s. Please confirm it.",
            company=who,
            kind=outcome_label(kind),
        ),
        url_for("engagement.conversation", conversation_id=conversation.id, _anchor=f"outcome-{outcome.id}"),
        lambda _u: _("Please confirm a partnership outcome recorded by %(company)s", company=who),
    )
    return outcome


def _decidable(user, outcome) -> None:
    """Only the other company confirms or disputes: nobody confirms their own claim."""
    if not is_party(user, outcome.conversation):
        raise NotAllowed("not a party")
    if user.company_id == outcome.recorded_by_company_id:
        raise EngagementError(_("The other company must confirm this outcome."))
    if outcome.status is not OutcomeStatus.recorded:
        raise EngagementError(_("This outcome was already confirmed or disputed."))


def confirm_outcome(user, outcome) -> Outcome:
    _decidable(user, outcome)
    outcome.status, outcome.decided_at = OutcomeStatus.confirmed, utcnow()
    outcome.confirmed_by_company_id, outcome.confirmed_by_id = user.company_id, user.id
    audit(user, user.company.association_id, "outcome.confirm", "outcome", outcome.id)
    _notify_outcome_decision(user, outcome, confirmed=True)
    return outcome


def dispute_outcome(user, outcome, reason: str) -> Outcome:
    _decidable(user, outcome)
    outcome.status, outcome.decided_at = OutcomeStatus.disputed, utcnow()
    outcome.dispute_reason = (reason or "").strip() or None
    audit(user, user.company.association_id, "outcome.dispute", "outcome", outcome.id, reason=outcome.dispute_reason)
    _notify_outcome_decision(user, outcome, confirmed=False)
    return outcome


def _notify_outcome_decision(user, outcome, confirmed: bool) -> None:
    who, kind = user.company.name, outcome.kind
    _notify_company(
        outcome.recorded_by_company_id,
        lambda _u: (
            _("%(company)s confirmed the outcome: %(kind)s.", company=who, kind=outcome_label(kind))
            if confirmed
            else _("%(company)s disputed the outcome: %(kind)s.", company=who, kind=outcome_label(kind))
        ),
        url_for("engagement.conversation", conversation_id=outcome.conversation_id, _anchor=f"outcome-{outcome.id}"),
        lambda _u: (
            _("Outcome confirmed by %(company)s", company=who)
            if confirmed
            else _("Outcome disputed by %(company)s", company=who)
        ),
    )


def outcome_label(kind: OutcomeKind) -> str:
    return {
        OutcomeKind.technology_transfer_agreement: _("Technology transfer agreement"),
        OutcomeKind.training_delivered: _("Training delivered"),
        OutcomeKind.joint_venture_formed: _("Joint venture formed"),
        OutcomeKind.trade_contract: _("Trade contract"),
    }[kind]


def confirmed_outcomes(association_id: int | None = None) -> dict:
    """Confirmed partnership outcomes for the statistics: {"count", "value_usd", "by_kind": {kind: {...}}}.

    With an association, the outcomes where at least one of the two companies is its member.
    """
    owner, partner = aliased(Company), aliased(Company)
    query = (
        sa.select(Outcome.kind, sa.func.count(), sa.func.coalesce(sa.func.sum(Outcome.value_usd), 0))
        .join(Conversation, Outcome.conversation_id == Conversation.id)
        .where(Outcome.status == OutcomeStatus.confirmed)
        .group_by(Outcome.kind)
    )
    if association_id is not None:
        query = (
            query.join(owner, Conversation.owner_company_id == owner.id)
            .join(partner, Conversation.partner_company_id == partner.id)
            .where(sa.or_(owner.association_id == association_id, partner.association_id == association_id))
        )
    by_kind = {kind.value: {"count": 0, "value_usd": 0} for kind in OutcomeKind}
    for kind, count, value in db.session.execute(query):
        by_kind[kind.value] = {"count": count, "value_usd": int(value)}
    return {
        "count": sum(k["count"] for k in by_kind.values()),
        "value_usd": sum(k["value_usd"] for k in by_kind.values()),
        "by_kind": by_kind,
    }


# --- message digests ------------------------------------------------------------------------------


def send_message_digests(min_age: timedelta = timedelta(minutes=5), now: datetime | None = None) -> int:
    """One email per user with every message they have neither read nor been mailed about; returns the count.

    Messages younger than min_age wait for the next run, so people chatting live are not mailed.
    Running it again sends nothing new: each state row remembers the last message a digest covered.
    """
    cutoff = (now or utcnow()) - min_age
    conversations = db.session.scalars(sa.select(Conversation).order_by(Conversation.id)).all()
    by_company: dict[int, list[Conversation]] = {}
    for conversation in conversations:
        for company_id in conversation.company_ids:
            by_company.setdefault(company_id, []).append(conversation)
    sent = 0
    for company_id, company_conversations in by_company.items():
        for user in company_users(company_id):
            sections = []
            for conversation in company_conversations:
                state = _state(user.id, conversation.id)
                seen = max(state.last_read_message_id or 0, state.last_digest_message_id or 0)
                messages = db.session.scalars(
                    sa.select(Message)
                    .where(
                        Message.conversation_id == conversation.id,
                        Message.id > seen,
                        Message.author_id.is_distinct_from(user.id),
                        Message.created_at <= cutoff,
                    )
                    .order_by(Message.id)
                ).all()
                if messages:
                    sections.append((conversation, messages))
                    state.last_digest_message_id, state.digest_at = messages[-1].id, utcnow()
            if sections:
                with force_locale(user.locale or "en"):
                    subject, body = _digest_text(user, sections)
                send_mail(user.email, subject, body)
                sent += 1
    return sent


def _digest_text(user, sections) -> tuple[str, str]:
    count = sum(len(messages) for _c, messages in sections)
    subject = _("%(n)s new messages on Leather Bridge", n=count) if count > 1 else _("A new message on Leather Bridge")
    parts = [_("Hello %(name)s,", name=user.name), "", _("You have unread messages from your partners:"), ""]
    for conversation, messages in sections:
        other = conversation.other_company(user.company_id)
        parts.append(f"== {other.name}: {conversation.listing.title} ==")
        for message in messages:
            author = message.author.name if message.author else _("a former user")
            text = message.body if len(message.body) <= 500 else message.body[:500] + "…"
            files = ", ".join(a.original_name for a in message.attachments)
            parts.append(
                f"[{message.created_at:%Y-%m-%d %H:%M} UTC] {author}: {text}" + (f" ({files})" if files else "")
            )
        parts.append(public_url("engagement.conversation", conversation_id=conversation.id))
        parts.append("")
    parts.append(_("Reply on Leather Bridge; replies to this email are not read."))
    return subject, "\n".join(parts)
