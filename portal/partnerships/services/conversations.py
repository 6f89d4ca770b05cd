"""Conversations between the two companies of an accepted interest: messages, read state, message digests."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...mail import public_url, send_mail
from ...models import Conversation, ConversationState, Interest, Message
from ...models.base import utcnow
from ...rules import RuleError
from .attachments import store_attachment
from .common import company_users, require_party


def conversations_query(company_id: int):
    return (
        sa.select(Conversation)
        .where(sa.or_(Conversation.owner_company_id == company_id, Conversation.partner_company_id == company_id))
        .order_by(sa.func.coalesce(Conversation.last_message_at, Conversation.created_at).desc())
    )


def conversation_ids(company_id: int):
    """The ids of the company's conversations, as a subquery for `IN`."""
    return sa.select(conversations_query(company_id).order_by(None).subquery().c.id)


def opening_of(conversation) -> Interest:
    """The expression of interest that opened the conversation, with its sender and the user who accepted it
    (`response_note` is the acceptance note): the first two entries of the thread."""
    return db.session.scalar(
        sa.select(Interest)
        .where(Interest.id == conversation.interest_id)
        .options(
            selectinload(Interest.sender),
            selectinload(Interest.from_company),
            selectinload(Interest.responded_by),
            selectinload(Interest.listing),
        )
    )


def state_of(user_id: int, conversation_id: int) -> ConversationState:
    state = db.session.get(ConversationState, (conversation_id, user_id))
    if state is None:
        state = ConversationState(
            conversation_id=conversation_id, user_id=user_id, last_read_message_id=0, last_digest_message_id=0
        )
        db.session.add(state)
    return state


def post_message(user, conversation, body: str, upload: tuple[str, str, bytes] | None = None) -> Message:
    """A message, optionally with one checked file: (original name, checked content type, bytes)."""
    require_party(user, conversation)
    body = (body or "").strip()
    if not body and upload is None:
        raise RuleError(_("Write a message or attach a file."))
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
    state = state_of(user.id, conversation.id)
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
    rows = db.session.execute(
        sa.select(Message.conversation_id, sa.func.count())
        .where(Message.conversation_id.in_(conversation_ids(user.company_id)), _unread_clause(user))
        .group_by(Message.conversation_id)
    ).all()
    return dict(rows)


def unread_conversations_query(user):
    """The company's conversations holding messages the user has not read, with how many: latest message first.

    Rows are (conversation, unread); an empty query for a user without a company."""
    unread = sa.func.count(Message.id).label("unread")
    query = (
        sa.select(Conversation, unread)
        .join(Message, Message.conversation_id == Conversation.id)
        .group_by(Conversation.id)
        .order_by(sa.func.max(Message.id).desc())
    )
    if not user.is_authenticated or not user.company_id:
        return query.where(sa.false())
    return query.where(Conversation.id.in_(conversation_ids(user.company_id)), _unread_clause(user))


def mark_all_read(user) -> None:
    for conversation_id in unread_counts(user):
        mark_read(user, db.session.get(Conversation, conversation_id))


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
                state = state_of(user.id, conversation.id)
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
        parts.append(public_url("partnerships.conversation", conversation_id=conversation.id))
        parts.append("")
    parts.append(_("Reply on Leather Bridge; replies to this email are not read."))
    return subject, "\n".join(parts)
