"""Interest pages: the partnerships inbox, expressing interest, answering or withdrawing it, closing a listing."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...idempotency import create_once
from ...limits import limited
from ...models import Conversation, Interest, InterestStatus, Listing
from ...permissions import confirmed_required, is_member_of, member_required
from ...rules import back_to
from ...utils import page_number, paginate
from .. import bp
from ..forms import ActionForm, AnswerForm, DeclineForm, InterestForm
from ..services import conversations, dashboard, interests
from ..services.common import count_of, is_listing_owner
from .common import need_company, to_conversation, visible_interest

BOXES = ("overview", "received", "sent", "conversations")


@bp.route("/")
@member_required
def inbox():
    """Opens on the overview of what needs an answer; the tabs list interests received, sent and conversations."""
    missing = need_company()
    if missing:
        return missing
    company_id = current_user.company_id
    box = request.args.get("box", "overview")
    box = box if box in BOXES else "overview"
    status = request.args.get("status")
    status = InterestStatus(status) if status in {s.value for s in InterestStatus} else None
    unread = conversations.unread_counts(current_user)
    counts = {
        "received": count_of(interests.received_interests_query(company_id, InterestStatus.open)),
        "sent": count_of(interests.sent_interests_query(company_id, InterestStatus.open)),
        "conversations": sum(unread.values()),
    }
    if box == "overview":
        if page_number() > 1:  # short lists, one page: the tabs have the pages
            abort(404)
        return render_template(
            "partnerships/inbox.html",
            box=box,
            status=None,
            counts=counts,
            unread=unread,
            overview=dashboard.overview(current_user),
        )
    if box == "conversations":
        query = conversations.conversations_query(company_id).options(
            selectinload(Conversation.listing),
            selectinload(Conversation.owner_company),
            selectinload(Conversation.partner_company),
        )
    else:
        query = (interests.sent_interests_query if box == "sent" else interests.received_interests_query)(
            company_id, status
        ).options(
            selectinload(Interest.listing).selectinload(Listing.company),
            selectinload(Interest.from_company),
            selectinload(Interest.conversation),
        )
    page = paginate(query, per_page=20)
    return render_template(
        "partnerships/inbox.html",
        box=box,
        status=status,
        page=page,
        counts=counts,
        unread=unread,
        action_form=ActionForm(),
    )


@bp.route("/listings/<int:listing_id>/interest", methods=["GET", "POST"])
@member_required
@confirmed_required
@limited("interest")
def express(listing_id):
    listing = db.get_or_404(Listing, listing_id)
    if not listing.is_live and not is_listing_owner(current_user, listing):
        abort(404)
    form = InterestForm()
    refusal = interests.interest_refusal(current_user, listing)
    if form.validate_on_submit():
        with back_to(url_for(".express", listing_id=listing.id)):
            # a form sent twice gets the interest the first copy made, and the same answer
            interest = create_once(
                Interest,
                form.token,
                lambda: interests.express_interest(current_user, listing, form.message.data, form.what_we_bring.data),
                Interest.from_company_id == current_user.company_id,
            )
        flash(_("Your expression of interest was sent. We will let you know when they answer."), "success")
        return redirect(url_for(".interest", interest_id=interest.id))
    status = 400 if form.errors else 200
    return render_template(
        "partnerships/express.html",
        listing=listing,
        form=form,
        refusal=refusal,
        mine=interests.current_interest(current_user.company_id, listing.id) if current_user.company_id else None,
    ), status


@bp.route("/interests/<int:interest_id>")
@member_required
def interest(interest_id):
    interest = visible_interest(interest_id)
    owner = is_listing_owner(current_user, interest.listing)
    return render_template(
        "partnerships/interest.html",
        interest=interest,
        owner=owner,
        answer_form=AnswerForm() if owner and interest.is_open else None,
        action_form=ActionForm(),
    )


@bp.route("/interests/<int:interest_id>/answer", methods=["POST"])
@member_required
def answer(interest_id):
    interest = visible_interest(interest_id)
    if not is_listing_owner(current_user, interest.listing):
        abort(403)
    form = AnswerForm()
    if not form.validate_on_submit():
        if form.decline.data:  # sent from the confirmation page: show its errors there
            decline_form = DeclineForm()
            decline_form.validate()
            return render_template(
                "partnerships/confirm_interest.html", interest=interest, action="decline", form=decline_form
            ), 400
        return render_template(
            "partnerships/interest.html", interest=interest, owner=True, answer_form=form, action_form=ActionForm()
        ), 400
    with back_to(url_for(".interest", interest_id=interest.id)):
        if form.accept.data:
            conversation = interests.accept_interest(current_user, interest, form.note.data)
        else:
            interests.decline_interest(current_user, interest, form.note.data)
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


@bp.route("/interests/<int:interest_id>/decline")
@member_required
def decline(interest_id):
    """The question before declining (GET changes nothing); its form posts to `answer`, which declines."""
    interest = visible_interest(interest_id)
    if not is_listing_owner(current_user, interest.listing):
        abort(403)
    if not interest.is_open:
        return _already_answered(interest)
    return render_template(
        "partnerships/confirm_interest.html", interest=interest, action="decline", form=DeclineForm()
    )


@bp.route("/interests/<int:interest_id>/withdraw", methods=["GET", "POST"])
@member_required
def withdraw(interest_id):
    """GET asks "Withdraw your interest?" and changes nothing; POST withdraws."""
    interest = visible_interest(interest_id)
    back = url_for(".interest", interest_id=interest.id)
    if request.method == "GET":
        if not is_member_of(current_user, interest.from_company):
            abort(403)  # the listing's company sees the interest but cannot withdraw it
        if not interest.is_open:
            return _already_answered(interest)
        return render_template(
            "partnerships/confirm_interest.html", interest=interest, action="withdraw", form=ActionForm()
        )
    if ActionForm().validate_on_submit():
        with back_to(back):
            interests.withdraw_interest(current_user, interest)
        db.session.commit()
        flash(_("Your expression of interest was withdrawn."), "info")
    return redirect(back)


def _already_answered(interest):
    flash(_("This interest was already answered or withdrawn."), "info")
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
    if not is_listing_owner(current_user, listing):
        abort(404)
    back = url_for("listings.detail", listing_id=listing.id)
    if ActionForm().validate_on_submit():
        with back_to(back):
            interests.set_interest_closed(current_user, listing, closed)
        db.session.commit()
        flash(
            _("The listing is closed to new interest.") if closed else _("The listing takes new interest again."),
            "info",
        )
    return redirect(back)
