"""Conversation pages: the thread with its meetings and outcomes, posting a message, marking all read."""

import math

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...idempotency import create_once
from ...limits import limited
from ...models import ConversationState, Meeting, Message, Outcome
from ...permissions import confirmed_required, member_required
from ...rules import or_field_error
from ...utils import paginate
from .. import bp
from ..forms import (
    ActionForm,
    ConfirmOutcomeForm,
    DisputeForm,
    MeetingAnswerForm,
    MeetingForm,
    MessageForm,
    NamingConsentForm,
    OutcomeForm,
)
from ..services import conversations
from ..services.common import company_users, count_of
from ..services.meetings import default_timezone
from .common import party_conversation, to_conversation

MESSAGES_PER_PAGE = 50


@bp.route("/conversations/<int:conversation_id>")
@member_required
def conversation(conversation_id):
    conversation = party_conversation(conversation_id)
    response = render_conversation(conversation)
    conversations.mark_read(current_user, conversation)  # after rendering, so the page can mark what was new
    db.session.commit()
    return response


def render_conversation(conversation, status=200, **forms):
    """The thread page; a form that failed is passed back in `forms` to show its errors (status 400)."""
    query = sa.select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
    last_page = max(1, math.ceil(count_of(query) / MESSAGES_PER_PAGE))
    page = paginate(
        query.options(selectinload(Message.author), selectinload(Message.attachments), selectinload(Message.company)),
        per_page=MESSAGES_PER_PAGE,
        default_page=last_page,
    )
    state = db.session.get(ConversationState, (conversation.id, current_user.id))
    meetings = db.session.scalars(
        sa.select(Meeting).where(Meeting.conversation_id == conversation.id).order_by(Meeting.id.desc())
    ).all()
    outcomes = db.session.scalars(
        sa.select(Outcome).where(Outcome.conversation_id == conversation.id).order_by(Outcome.id)
    ).all()
    other = conversation.other_company(current_user.company_id)
    return render_template(
        "partnerships/conversation.html",
        conversation=conversation,
        opening=conversations.opening_of(conversation),
        page=page,
        last_read=state.last_read_message_id if state else 0,
        other=other,
        meetings=meetings,
        outcomes=outcomes,
        message_form=forms.get("message_form") or MessageForm(formdata=None),
        meeting_form=forms.get("meeting_form") or MeetingForm(formdata=None, timezone=default_timezone(current_user)),
        outcome_form=forms.get("outcome_form") or OutcomeForm(formdata=None),
        dispute_form=DisputeForm(formdata=None),
        confirm_form=ConfirmOutcomeForm(formdata=None),
        naming_form=NamingConsentForm(formdata=None),
        answer_form=MeetingAnswerForm(formdata=None),
        action_form=ActionForm(),
        contacts=company_users(other.id),
    ), status


@bp.route("/conversations/<int:conversation_id>/messages", methods=["POST"])
@member_required
@confirmed_required
@limited("message")
def post_message(conversation_id):
    conversation = party_conversation(conversation_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return render_conversation(conversation, 400, message_form=form)
    message = or_field_error(  # a form sent twice gets the message the first copy made, and the same answer
        form.body,
        lambda: create_once(
            Message,
            form.token,
            lambda: conversations.post_message(
                current_user, conversation, form.body.data, getattr(form, "upload", None)
            ),
            Message.author_id == current_user.id,
            Message.conversation_id == conversation.id,
        ),
    )
    if message is None:
        return render_conversation(conversation, 400, message_form=form)
    flash(_("Message sent."), "success")
    return to_conversation(conversation.id, f"message-{message.id}")


@bp.route("/conversations/read", methods=["POST"])
@member_required
def mark_all_read():
    if ActionForm().validate_on_submit():
        conversations.mark_all_read(current_user)
        db.session.commit()
        flash(_("All messages are marked as read."), "info")
    return redirect(url_for(".inbox", box="conversations"))
