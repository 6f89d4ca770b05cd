"""Meeting pages: propose, answer, propose another time, cancel, and the .ics download of an agreed meeting."""

from flask import Response, abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...models import Meeting, MeetingStatus
from ...permissions import member_required
from ...rules import or_field_error
from ...utils import as_download
from .. import bp
from ..forms import ActionForm, MeetingAnswerForm, MeetingForm
from ..services import meetings
from .common import party_action, party_conversation, party_object, to_conversation
from .conversations import render_conversation


def _proposal(form) -> tuple:
    """The form's answers in the order the meeting services take them."""
    return (
        form.local_start,
        form.timezone.data,
        form.duration.data,
        form.online_url.data,
        form.place.data,
        form.note.data,
    )


@bp.route("/conversations/<int:conversation_id>/meetings", methods=["POST"])
@member_required
def propose_meeting(conversation_id):
    conversation = party_conversation(conversation_id)
    form = MeetingForm()
    if form.validate_on_submit():
        meeting = or_field_error(
            form.time, lambda: meetings.propose_meeting(current_user, conversation, *_proposal(form))
        )
        if meeting is not None:
            db.session.commit()
            flash(_("Your meeting proposal was sent."), "success")
            return to_conversation(conversation.id, f"meeting-{meeting.id}")
    return render_conversation(conversation, 400, meeting_form=form)


@bp.route("/meetings/<int:meeting_id>/answer", methods=["POST"])
@member_required
def answer_meeting(meeting_id):
    form = MeetingAnswerForm()
    accept = bool(form.accept.data)
    _meeting, back, done = party_action(
        Meeting, meeting_id, "meeting", form, lambda meeting: meetings.answer_meeting(current_user, meeting, accept)
    )
    if done:
        flash(
            _("Meeting accepted. Add it to your calendar.") if accept else _("Meeting declined."),
            "success" if accept else "info",
        )
    return redirect(back)


@bp.route("/meetings/<int:meeting_id>/counter", methods=["GET", "POST"])
@member_required
def counter_meeting(meeting_id):
    """Propose another time instead of the one on the table."""
    meeting = party_object(Meeting, meeting_id)
    if meeting.status is not MeetingStatus.proposed or current_user.company_id == meeting.proposer_company_id:
        flash(_("Only the other company can propose another time, while the proposal is open."), "warning")
        return to_conversation(meeting.conversation_id, f"meeting-{meeting.id}")
    if request.method == "GET":
        local = meetings.local_time(meeting)
        form = MeetingForm(
            formdata=None,
            day=local.date(),
            time=local.time(),
            timezone=meeting.timezone,
            duration=meeting.duration_minutes,
            online_url=meeting.online_url,
            place=meeting.place,
        )
    else:
        form = MeetingForm()
    if form.validate_on_submit():
        new = or_field_error(form.time, lambda: meetings.counter_meeting(current_user, meeting, *_proposal(form)))
        if new is not None:
            db.session.commit()
            flash(_("Your new proposal was sent."), "success")
            return to_conversation(meeting.conversation_id, f"meeting-{new.id}")
    return render_template("partnerships/counter.html", meeting=meeting, form=form), 400 if form.errors else 200


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@member_required
def cancel_meeting(meeting_id):
    _meeting, back, done = party_action(
        Meeting, meeting_id, "meeting", ActionForm(), lambda meeting: meetings.cancel_meeting(current_user, meeting)
    )
    if done:
        flash(_("The meeting is cancelled."), "info")
    return redirect(back)


@bp.route("/meetings/<int:meeting_id>/calendar.ics")
@member_required
def meeting_ics(meeting_id):
    meeting = party_object(Meeting, meeting_id)
    if meeting.status is not MeetingStatus.accepted:
        abort(404)
    return as_download(Response(meetings.meeting_ics(meeting), mimetype="text/calendar"), f"meeting-{meeting.id}.ics")
