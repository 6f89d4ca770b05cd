"""Outcome pages: record what came of a partnership, and the other company's confirmation or dispute."""

from flask import flash, redirect
from flask_babel import gettext as _
from flask_login import current_user

from ...idempotency import create_once
from ...models import Outcome, OutcomeKind
from ...permissions import member_required
from ...rules import or_field_error
from .. import bp
from ..forms import ConfirmOutcomeForm, DisputeForm, NamingConsentForm, OutcomeForm
from ..services import outcomes
from .common import party_action, party_conversation, to_conversation
from .conversations import render_conversation


@bp.route("/conversations/<int:conversation_id>/outcomes", methods=["POST"])
@member_required
def record_outcome(conversation_id):
    conversation = party_conversation(conversation_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        kind = OutcomeKind(form.kind.data)
        outcome = or_field_error(  # a form sent twice gets the outcome the first copy made, and the same answer
            form.kind,
            lambda: create_once(
                Outcome,
                form.token,
                lambda: outcomes.record_outcome(
                    current_user,
                    conversation,
                    kind,
                    form.value_usd.data,
                    form.note.data,
                    agrees_to_be_named=form.agrees_to_be_named.data,
                ),
                Outcome.recorded_by_id == current_user.id,
                Outcome.conversation_id == conversation.id,
            ),
        )
        if outcome is not None:
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
    form = ConfirmOutcomeForm()
    _outcome, back, done = party_action(
        Outcome,
        outcome_id,
        "outcome",
        form,
        lambda outcome: outcomes.confirm_outcome(
            current_user, outcome, agrees_to_be_named=form.agrees_to_be_named.data
        ),
    )
    if done:
        flash(_("Outcome confirmed. Congratulations on your partnership!"), "success")
    return redirect(back)


@bp.route("/outcomes/<int:outcome_id>/naming", methods=["POST"])
@member_required
def naming_consent(outcome_id):
    """Allow or withdraw the company's consent to be named on the public scoreboard for this outcome."""
    form = NamingConsentForm()
    agrees = form.agrees.data == "1"
    _outcome, back, done = party_action(
        Outcome, outcome_id, "outcome", form, lambda outcome: outcomes.set_naming_consent(current_user, outcome, agrees)
    )
    if not done:  # only a forged request sends another value than the page's buttons
        flash(_("That choice was not understood; your consent is as it was."), "warning")
    elif agrees:
        flash(_("Your company may be named with this agreement once both companies allow it."), "success")
    else:
        flash(_("Your company's consent is withdrawn: the scoreboard shows this agreement without names."), "info")
    return redirect(back)


@bp.route("/outcomes/<int:outcome_id>/dispute", methods=["POST"])
@member_required
def dispute_outcome(outcome_id):
    form = DisputeForm()
    outcome, back, done = party_action(
        Outcome,
        outcome_id,
        "outcome",
        form,
        lambda outcome: outcomes.dispute_outcome(current_user, outcome, form.reason.data),
    )
    if done:
        flash(
            _("You disputed this outcome; %(company)s was told why.", company=outcome.recorded_by_company.name),
            "info",
        )
    else:
        flash(_("Please say what is not right."), "warning")
    return redirect(back)
