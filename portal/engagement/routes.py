"""Partnership pages: the inbox, interests, conversations with files and meetings, outcomes."""

import math
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..idempotency import create_once
from ..limits import limited
from ..models import (
    Attachment,
    Conversation,
    Interest,
    InterestStatus,
    Listing,
    Meeting,
    MeetingStatus,
    Message,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
)
from ..permissions import confirmed_required, get_or_404_for, member_required
from ..utils import paginate
from . import bp, services
from .forms import (
    ActionForm,
    AnswerForm,
    DisputeForm,
    InterestForm,
    MeetingAnswerForm,
    MeetingForm,
    MessageForm,
    OutcomeForm,
)
from .services import EngagementError, NotAllowed

MESSAGES_PER_PAGE = 50
BOXES = ("received", "sent", "conversations")


# --- template helpers -----------------------------------------------------------------------------


@bp.app_template_global()
def interest_box(listing) -> dict:
    """What the listing page shows about interest: the owner's counts, or the viewer's state and form."""
    user = current_user
    box = {
        "owner": services.is_listing_owner(user, listing),
        "closed": services.closed_to_interest(listing),
        "deadline_passed": services.deadline_passed(listing),
        "action_form": ActionForm(),
    }
    if box["owner"]:
        box["counts"] = services.interest_counts(listing.id)
        return box
    box["mine"] = None
    if user.is_authenticated and user.company_id:
        box["mine"] = services.current_interest(user.company_id, listing.id)
    box["refusal"] = services.interest_refusal(user, listing)
    box["form"] = None if box["refusal"] else InterestForm()
    return box


@bp.app_template_global()
def engagement_summary() -> dict:
    """The member dashboard's figures: interests waiting, unread messages, meetings and outcomes to answer."""
    company_id = current_user.company_id
    if not company_id:
        return {}
    conversation_ids = sa.select(services.conversations_query(company_id).order_by(None).subquery().c.id)
    waiting = services.received_interests_query(company_id, InterestStatus.open)
    return {
        "waiting": services.count_of(waiting),
        "waiting_items": db.session.scalars(waiting.limit(5)).all(),
        "sent_open": services.count_of(services.sent_interests_query(company_id, InterestStatus.open)),
        "unread": sum(services.unread_counts(current_user).values()),
        "meetings": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Meeting)
            .where(
                Meeting.conversation_id.in_(conversation_ids),
                Meeting.status == MeetingStatus.proposed,
                Meeting.proposer_company_id != company_id,
            )
        ),
        "outcomes": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Outcome)
            .where(
                Outcome.conversation_id.in_(conversation_ids),
                Outcome.status == OutcomeStatus.recorded,
                Outcome.recorded_by_company_id != company_id,
            )
        ),
    }


for _helper in (
    services.outcome_label,
    services.format_when,
    services.listing_company_label,
    services.default_timezone,
):
    bp.add_app_template_global(_helper)


# --- helpers --------------------------------------------------------------------------------------


def need_company():
    if current_user.company is None:
        flash(_("Please describe your company first."), "info")
        return redirect(url_for("companies.create"))
    return None


def visible_interest(interest_id) -> Interest:
    return get_or_404_for(Interest, interest_id, services.can_view_interest)


def party_conversation(conversation_id) -> Conversation:
    return get_or_404_for(Conversation, conversation_id, services.is_party)


def party_object(model, object_id):
    """A meeting or outcome, for the two parties of its conversation only."""
    return get_or_404_for(model, object_id, lambda user, obj: services.is_party(user, obj.conversation))


def to_conversation(conversation_id, anchor=None):
    return redirect(url_for(".conversation", conversation_id=conversation_id, _anchor=anchor))


# --- inbox ----------------------------------------------------------------------------------------


@bp.route("/")
@member_required
def inbox():
    missing = need_company()
    if missing:
        return missing
    company_id = current_user.company_id
    box = request.args.get("box", "received")
    box = box if box in BOXES else "received"
    status = request.args.get("status")
    status = InterestStatus(status) if status in {s.value for s in InterestStatus} else None
    unread = services.unread_counts(current_user)
    counts = {
        "received": services.count_of(services.received_interests_query(company_id, InterestStatus.open)),
        "sent": services.count_of(services.sent_interests_query(company_id, InterestStatus.open)),
        "conversations": sum(unread.values()),
    }
    if box == "conversations":
        query = services.conversations_query(company_id).options(
            selectinload(Conversation.listing),
            selectinload(Conversation.owner_company),
            selectinload(Conversation.partner_company),
        )
    elif box == "sent":
        query = services.sent_interests_query(company_id, status)
    else:
        query = services.received_interests_query(company_id, status)
    if box != "conversations":
        query = query.options(
            selectinload(Interest.listing).selectinload(Listing.company),
            selectinload(Interest.from_company),
            selectinload(Interest.conversation),
        )
    page = paginate(query, per_page=20)
    return render_template(
        "engagement/inbox.html",
        box=box,
        status=status,
        page=page,
        counts=counts,
        unread=unread,
        action_form=ActionForm(),
    )


# --- interests ------------------------------------------------------------------------------------


@bp.route("/listings/<int:listing_id>/interest", methods=["GET", "POST"])
@member_required
@confirmed_required
@limited("interest")
def express(listing_id):
    listing = db.get_or_404(Listing, listing_id)
    if not listing.is_live and not services.is_listing_owner(current_user, listing):
        abort(404)
    form = InterestForm()
    refusal = services.interest_refusal(current_user, listing)
    if form.validate_on_submit():
        try:  # a form sent twice gets the interest the first copy made, and the same answer
            interest = create_once(
                Interest,
                form.token,
                lambda: services.express_interest(current_user, listing, form.message.data, form.what_we_bring.data),
                Interest.from_company_id == current_user.company_id,
            )
        except EngagementError as exc:
            flash(str(exc), "warning")
            return redirect(url_for(".express", listing_id=listing.id))
        flash(_("Your expression of interest was sent. We will let you know when they answer."), "success")
        return redirect(url_for(".interest", interest_id=interest.id))
    status = 400 if form.errors else 200
    return render_template(
        "engagement/express.html",
        listing=listing,
        form=form,
        refusal=refusal,
        mine=services.current_interest(current_user.company_id, listing.id) if current_user.company_id else None,
    ), status


@bp.route("/interests/<int:interest_id>")
@member_required
def interest(interest_id):
    interest = visible_interest(interest_id)
    owner = services.is_listing_owner(current_user, interest.listing)
    return render_template(
        "engagement/interest.html",
        interest=interest,
        owner=owner,
        answer_form=AnswerForm() if owner and interest.is_open else None,
        action_form=ActionForm(),
    )


@bp.route("/interests/<int:interest_id>/answer", methods=["POST"])
@member_required
def answer(interest_id):
    interest = visible_interest(interest_id)
    if not services.is_listing_owner(current_user, interest.listing):
        abort(403)
    form = AnswerForm()
    if not form.validate_on_submit():
        return render_template(
            "engagement/interest.html", interest=interest, owner=True, answer_form=form, action_form=ActionForm()
        ), 400
    try:
        if form.accept.data:
            conversation = services.accept_interest(current_user, interest, form.note.data)
        else:
            services.decline_interest(current_user, interest, form.note.data)
    except NotAllowed:
        abort(403)
    except EngagementError as exc:
        flash(str(exc), "warning")
        return redirect(url_for(".interest", interest_id=interest.id))
    db.session.commit()
    if form.accept.data:
        flash(
            _(
                "Interest accepted. %(company)s can now see who you are and talk to you.",
                company=interest.from_company.name,
            ),
            "success",
        )
        return to_conversation(conversation.id)
    flash(_("Interest declined."), "info")
    return redirect(url_for(".inbox"))


@bp.route("/interests/<int:interest_id>/withdraw", methods=["POST"])
@member_required
def withdraw(interest_id):
    interest = visible_interest(interest_id)
    if ActionForm().validate_on_submit():
        try:
            services.withdraw_interest(current_user, interest)
        except NotAllowed:
            abort(403)
        except EngagementError as exc:
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(_("Your expression of interest was withdrawn."), "info")
    return redirect(url_for(".interest", interest_id=interest.id))


@bp.route("/listings/<int:listing_id>/close-interest", methods=["POST"])
@member_required
def close_interest(listing_id):
    return _set_closed(listing_id, True)


@bp.route("/listings/<int:listing_id>/open-interest", methods=["POST"])
@member_required
def open_interest(listing_id):
    return _set_closed(listing_id, False)


def _set_closed(listing_id, closed):
    listing = db.get_or_404(Listing, listing_id)
    if not services.is_listing_owner(current_user, listing):
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            services.set_interest_closed(current_user, listing, closed)
        except EngagementError as exc:
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(
                _("The listing is closed to new interest.") if closed else _("The listing takes new interest again."),
                "info",
            )
    return redirect(url_for("listings.detail", listing_id=listing.id))


# --- conversations --------------------------------------------------------------------------------


@bp.route("/conversations/<int:conversation_id>")
@member_required
def conversation(conversation_id):
    conversation = party_conversation(conversation_id)
    response = render_conversation(conversation)
    services.mark_read(current_user, conversation)  # after rendering, so the page can mark what was new
    db.session.commit()
    return response


def render_conversation(conversation, status=200, **forms):
    query = sa.select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
    total = services.count_of(query)
    last_page = max(1, math.ceil(total / MESSAGES_PER_PAGE))
    page = paginate(
        query.options(selectinload(Message.author), selectinload(Message.attachments), selectinload(Message.company)),
        per_page=MESSAGES_PER_PAGE,
        default_page=last_page,
    )
    state = db.session.get(services.ConversationState, (conversation.id, current_user.id))
    meetings = db.session.scalars(
        sa.select(Meeting).where(Meeting.conversation_id == conversation.id).order_by(Meeting.id.desc())
    ).all()
    outcomes = db.session.scalars(
        sa.select(Outcome).where(Outcome.conversation_id == conversation.id).order_by(Outcome.id)
    ).all()
    meeting_form = forms.get("meeting_form") or MeetingForm(
        formdata=None, timezone=services.default_timezone(current_user)
    )
    return render_template(
        "engagement/conversation.html",
        conversation=conversation,
        page=page,
        last_read=state.last_read_message_id if state else 0,
        other=conversation.other_company(current_user.company_id),
        meetings=meetings,
        outcomes=outcomes,
        message_form=forms.get("message_form") or MessageForm(formdata=None),
        meeting_form=meeting_form,
        outcome_form=forms.get("outcome_form") or OutcomeForm(formdata=None),
        dispute_form=DisputeForm(formdata=None),
        answer_form=MeetingAnswerForm(formdata=None),
        action_form=ActionForm(),
        contacts=services.company_users(conversation.other_company(current_user.company_id).id),
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
    try:  # a form sent twice gets the message the first copy made, and the same answer
        message = create_once(
            Message,
            form.token,
            lambda: services.post_message(current_user, conversation, form.body.data, getattr(form, "upload", None)),
            Message.author_id == current_user.id,
            Message.conversation_id == conversation.id,
        )
    except EngagementError as exc:
        form.body.errors.append(str(exc))
        return render_conversation(conversation, 400, message_form=form)
    flash(_("Message sent."), "success")
    return to_conversation(conversation.id, f"message-{message.id}")


@bp.route("/conversations/read", methods=["POST"])
@member_required
def mark_all_read():
    if ActionForm().validate_on_submit():
        services.mark_all_read(current_user)
        db.session.commit()
        flash(_("All messages are marked as read."), "info")
    return redirect(url_for(".inbox", box="conversations"))


@bp.route("/attachments/<int:attachment_id>")
@member_required
def attachment(attachment_id):
    """Only the two companies' users, as a download, with the type our own check found."""
    item = get_or_404_for(Attachment, attachment_id, lambda user, a: services.is_party(user, a.message.conversation))
    path = services.attachment_path(item)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=item.content_type, conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return as_download(response, item.original_name)


def as_download(response, filename: str):
    """Private file headers: saved, never rendered or sniffed by the browser, never cached on the way."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- meetings -------------------------------------------------------------------------------------


@bp.route("/conversations/<int:conversation_id>/meetings", methods=["POST"])
@member_required
def propose_meeting(conversation_id):
    conversation = party_conversation(conversation_id)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            meeting = services.propose_meeting(
                current_user,
                conversation,
                form.local_start,
                form.timezone.data,
                form.duration.data,
                form.online_url.data,
                form.place.data,
                form.note.data,
            )
        except EngagementError as exc:
            form.time.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Your meeting proposal was sent."), "success")
            return to_conversation(conversation.id, f"meeting-{meeting.id}")
    return render_conversation(conversation, 400, meeting_form=form)


@bp.route("/meetings/<int:meeting_id>/answer", methods=["POST"])
@member_required
def answer_meeting(meeting_id):
    meeting = party_object(Meeting, meeting_id)
    form = MeetingAnswerForm()
    if form.validate_on_submit():
        try:
            services.answer_meeting(current_user, meeting, accept=bool(form.accept.data))
        except NotAllowed:
            abort(404)
        except EngagementError as exc:
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(
                _("Meeting accepted. Add it to your calendar.") if form.accept.data else _("Meeting declined."),
                "success" if form.accept.data else "info",
            )
    return to_conversation(meeting.conversation_id, f"meeting-{meeting.id}")


@bp.route("/meetings/<int:meeting_id>/counter", methods=["GET", "POST"])
@member_required
def counter_meeting(meeting_id):
    """Propose another time instead of the one on the table."""
    meeting = party_object(Meeting, meeting_id)
    if meeting.status is not MeetingStatus.proposed or current_user.company_id == meeting.proposer_company_id:
        flash(_("Only the other company can propose another time, while the proposal is open."), "warning")
        return to_conversation(meeting.conversation_id, f"meeting-{meeting.id}")
    if request.method == "GET":
        local = services.local_time(meeting)
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
        try:
            new = services.counter_meeting(
                current_user,
                meeting,
                form.local_start,
                form.timezone.data,
                form.duration.data,
                form.online_url.data,
                form.place.data,
                form.note.data,
            )
        except NotAllowed:
            abort(404)
        except EngagementError as exc:
            form.time.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Your new proposal was sent."), "success")
            return to_conversation(meeting.conversation_id, f"meeting-{new.id}")
    return render_template("engagement/counter.html", meeting=meeting, form=form), 400 if form.errors else 200


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@member_required
def cancel_meeting(meeting_id):
    meeting = party_object(Meeting, meeting_id)
    if ActionForm().validate_on_submit():
        try:
            services.cancel_meeting(current_user, meeting)
        except EngagementError as exc:
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(_("The meeting is cancelled."), "info")
    return to_conversation(meeting.conversation_id, f"meeting-{meeting.id}")


@bp.route("/meetings/<int:meeting_id>/calendar.ics")
@member_required
def meeting_ics(meeting_id):
    meeting = party_object(Meeting, meeting_id)
    if meeting.status is not MeetingStatus.accepted:
        abort(404)
    return as_download(Response(services.meeting_ics(meeting), mimetype="text/calendar"), f"meeting-{meeting.id}.ics")


# --- outcomes -------------------------------------------------------------------------------------


@bp.route("/conversations/<int:conversation_id>/outcomes", methods=["POST"])
@member_required
def record_outcome(conversation_id):
    conversation = party_conversation(conversation_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        kind = OutcomeKind(form.kind.data)
        try:  # a form sent twice gets the outcome the first copy made, and the same answer
            outcome = create_once(
                Outcome,
                form.token,
                lambda: services.record_outcome(current_user, conversation, kind, form.value_usd.data, form.note.data),
                Outcome.recorded_by_id == current_user.id,
                Outcome.conversation_id == conversation.id,
            )
        except EngagementError as exc:
            form.kind.errors.append(str(exc))
        else:
            flash(
                _(
                    "Outcome recorded. %(company)s is asked to confirm it.",
                    company=conversation.other_company(current_user.company_id).name,
                ),
                "success",
            )
            return to_conversation(conversation.id, f"outcome-{outcome.id}")
    return render_conversation(conversation, 400, outcome_form=form)


@bp.route("/outcomes/<int:outcome_id>/confirm", methods=["POST"])
@member_required
def confirm_outcome(outcome_id):
    outcome = party_object(Outcome, outcome_id)
    if ActionForm().validate_on_submit():
        try:
            services.confirm_outcome(current_user, outcome)
        except EngagementError as exc:
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(_("Outcome confirmed. Congratulations on your partnership!"), "success")
    return to_conversation(outcome.conversation_id, f"outcome-{outcome.id}")


@bp.route("/outcomes/<int:outcome_id>/dispute", methods=["POST"])
@member_required
def dispute_outcome(outcome_id):
    outcome = party_object(Outcome, outcome_id)
    form = DisputeForm()
    if form.validate_on_submit():
        try:
            services.dispute_outcome(current_user, outcome, form.reason.data)
        except EngagementError as exc:
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(
                _("You disputed this outcome; %(company)s was told why.", company=outcome.recorded_by_company.name),
                "info",
            )
    else:
        flash(_("Please say what is not right."), "warning")
    return to_conversation(outcome.conversation_id, f"outcome-{outcome.id}")
