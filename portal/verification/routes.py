"""Staff pages: the queue, one company's review page (where decisions are taken), the decisions, the audit log."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user

from ..audit_sentences import action_label, describe
from ..extensions import db
from ..models import Association
from ..models.base import utcnow
from ..models.company import VerificationStatus
from ..permissions import staff_required
from ..utils import paginate
from . import bp, services
from .forms import AuditFilterForm, RejectForm, RevokeForm, VerifyForm


def age(moment) -> str:
    # A high threshold keeps the unit small: "9 days" rather than "1 week" tells staff more.
    return format_timedelta(utcnow() - moment, threshold=2) if moment else ""


@bp.route("/verification")
@staff_required
def queue():
    status = VerificationStatus.__members__.get(request.args.get("status", ""), VerificationStatus.unverified)
    page = paginate(services.queue_select(current_user.association_id, status))
    return render_template(
        "verification/queue.html",
        page=page,
        status=status,
        counts=services.status_counts(current_user.association_id),
        age=age,
    )


@bp.route("/companies/<int:company_id>")
@staff_required
def review(company_id):
    company = services.staff_company_or_404(current_user, company_id)
    return render_review(company)


def render_review(company, reject_form=None, revoke_form=None, code=200):
    return (
        render_template(
            "verification/review.html",
            company=company,
            verify_form=VerifyForm(),
            reject_form=reject_form or RejectForm(formdata=None),
            revoke_form=revoke_form or RevokeForm(formdata=None),
            history=describe(services.company_history(company)),
            age=age,
        ),
        code,
    )


@bp.route("/companies/<int:company_id>/verify", methods=["POST"])
@staff_required
def verify(company_id):
    company = services.staff_company_or_404(current_user, company_id)
    if VerifyForm().validate_on_submit():
        return decide(services.verify_company, company, _("%(name)s is now verified.", name=company.name))
    return redirect(url_for(".review", company_id=company.id))


@bp.route("/companies/<int:company_id>/reject", methods=["POST"])
@staff_required
def reject(company_id):
    company = services.staff_company_or_404(current_user, company_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return render_review(company, reject_form=form, code=400)
    return decide(services.reject_company, company, _("%(name)s was rejected.", name=company.name), form.reason.data)


@bp.route("/companies/<int:company_id>/revoke", methods=["POST"])
@staff_required
def revoke(company_id):
    company = services.staff_company_or_404(current_user, company_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return render_review(company, revoke_form=form, code=400)
    message = _("The verification of %(name)s was revoked.", name=company.name)
    return decide(services.revoke_verification, company, message, form.reason.data)


def decide(decision, company, message, *reason):
    """Apply one decision in one transaction; a refused decision changes nothing and says why."""
    try:
        decision(current_user, company, *reason)
    except services.DecisionRefused as exc:
        db.session.rollback()
        flash(str(exc), "warning")
        return redirect(url_for(".review", company_id=company.id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".queue"))


@bp.route("/audit")
@staff_required
def audit():
    return render_audit(current_user.association_id, "verification.audit")


def render_audit(association_id, endpoint):
    """The audit log page, shared with the admin area (which passes association_id=None for all)."""
    form = AuditFilterForm(formdata=request.args, meta={"csrf": False})
    form.action.choices = [("", _("All actions"))] + [
        (a, action_label(a)) for a in services.audit_actions(association_id)
    ]
    action = form.action.data if form.validate() else None
    page = paginate(services.audit_select(association_id, action))
    associations = dict(db.session.execute(sa.select(Association.id, Association.code)).all())
    return render_template(
        "verification/audit.html",
        page=page,
        lines=describe(page.items),
        form=form,
        endpoint=endpoint,
        associations=associations,
        all_associations=association_id is None,
    )
