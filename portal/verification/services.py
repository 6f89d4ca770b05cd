"""Membership decisions and the audit log: the rules staff (and admins) act by."""

import sqlalchemy as sa
from flask import abort, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..mail import notify
from ..models import AuditLog, Company
from ..models.base import utcnow
from ..models.company import VerificationStatus
from ..permissions import can_verify


class DecisionRefused(Exception):
    """The company is not in a state where this decision makes sense; the message is for the user."""


# --- the verification queue -----------------------------------------------------------------------


def staff_company_or_404(user, company_id: int) -> Company:
    """The company if the user is staff of its association; otherwise 404, so other associations' ids stay hidden."""
    company = db.session.get(Company, company_id)
    if company is None or not can_verify(user, company):
        abort(404)
    return company


_ORDER = {
    VerificationStatus.unverified: (Company.created_at.asc(), Company.id.asc()),  # the longest waiting first
    VerificationStatus.verified: (Company.verified_at.desc(), Company.id.desc()),
    VerificationStatus.rejected: (Company.updated_at.desc(), Company.id.desc()),
}


def queue_select(association_id: int, status: VerificationStatus):
    return (
        sa.select(Company)
        .where(Company.association_id == association_id, Company.status == status)
        .options(selectinload(Company.owner))
        .order_by(*_ORDER[status])
    )


def status_counts(association_id: int) -> dict:
    rows = db.session.execute(
        sa.select(Company.status, sa.func.count())
        .where(Company.association_id == association_id)
        .group_by(Company.status)
    ).all()
    counts = {status.value: 0 for status in VerificationStatus}
    counts.update({status.value: n for status, n in rows})
    return counts


# --- decisions -------------------------------------------------------------------------------------


def verify_company(actor, company: Company) -> None:
    if company.status is VerificationStatus.verified:
        raise DecisionRefused(_("%(name)s is already verified.", name=company.name))
    company.status = VerificationStatus.verified
    company.verified_at = utcnow()
    company.status_reason = None
    audit.record(actor, "company.verify", "company", company.id, association_id=company.association_id)
    _tell_owner(
        company,
        lambda: _(
            "Your association verified %(name)s. Your profile and listings can now be seen by all members.",
            name=company.name,
        ),
        lambda: _("Your company is verified on Leather Bridge"),
    )


def reject_company(actor, company: Company, reason: str) -> None:
    if company.status is not VerificationStatus.unverified:
        raise DecisionRefused(_("Only companies waiting for verification can be rejected."))
    _set_rejected(company, reason)
    audit.record(actor, "company.reject", "company", company.id, association_id=company.association_id, reason=reason)
    _tell_owner(
        company,
        lambda: _("Your association could not verify %(name)s. Reason: %(reason)s", name=company.name, reason=reason),
        lambda: _("Your company could not be verified on Leather Bridge"),
    )


def revoke_verification(actor, company: Company, reason: str) -> None:
    if company.status is not VerificationStatus.verified:
        raise DecisionRefused(_("Only verified companies can have their verification revoked."))
    _set_rejected(company, reason)
    audit.record(actor, "company.revoke", "company", company.id, association_id=company.association_id, reason=reason)
    _tell_owner(
        company,
        lambda: _(
            "Your association revoked the verification of %(name)s. Reason: %(reason)s",
            name=company.name,
            reason=reason,
        ),
        lambda: _("The verification of your company on Leather Bridge was revoked"),
    )


def _set_rejected(company: Company, reason: str) -> None:
    company.status = VerificationStatus.rejected
    company.status_reason = reason
    company.verified_at = None


def _tell_owner(company: Company, text, subject) -> None:
    """Notify the owner in their own language, not the deciding staff member's."""
    owner = company.owner
    if owner is None:
        return
    with force_locale(owner.locale or "en"):
        notify(owner, text(), url_for("companies.profile", company_id=company.id), email_subject=subject())


# --- the audit log ---------------------------------------------------------------------------------


def audit_select(association_id: int | None = None, action: str | None = None):
    """Newest first; None for association_id means every association (admins)."""
    query = sa.select(AuditLog).options(selectinload(AuditLog.actor)).order_by(AuditLog.id.desc())
    if association_id is not None:
        query = query.where(AuditLog.association_id == association_id)
    if action:
        query = query.where(AuditLog.action == action)
    return query


def audit_actions(association_id: int | None = None) -> list[str]:
    query = sa.select(AuditLog.action).distinct().order_by(AuditLog.action)
    if association_id is not None:
        query = query.where(AuditLog.association_id == association_id)
    return list(db.session.scalars(query))


def company_history(company: Company) -> list[AuditLog]:
    return list(
        db.session.scalars(
            audit_select(company.association_id).where(
                AuditLog.object_type == "company", AuditLog.object_id == company.id
            )
        )
    )
