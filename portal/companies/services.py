"""Company rules: create and edit profiles, colleagues and invitations, the directory query (logos: `logos.py`)."""

import secrets
from datetime import date, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from .. import audit
from ..auth.services import create_user, normalize_email
from ..extensions import db
from ..mail import notify, public_url, send_mail
from ..models import Association, Certification, Company, CompanyCapability, Invitation, Listing, Role, User
from ..models.base import utcnow
from ..models.company import VerificationStatus
from ..rules import RuleError
from ..taxonomy import vocabulary
from ..templating import current_locale
from ..utils import sha256

# Only these keys of the profile data ever reach the model: status, owner and the like cannot be set here.
PROFILE_FIELDS = (
    "name",
    "country",
    "city",
    "membership_no",
    "description",
    "website",
    "phone",
    "year_founded",
    "employees_range",
    "languages",
    "capacity_amount",
    "capacity_unit",
    "hs_codes",
)
CAPABILITY_FACETS = ("hide", "stage", "tan", "segment", "service")
INVITATION_MAX_AGE = timedelta(days=14)


# --- profile ---------------------------------------------------------------------------------------


def _apply_profile(company: Company, data: dict) -> list[str]:
    """Copy the whitelisted answers onto the company; returns the names of what changed."""
    changed = [key for key in PROFILE_FIELDS if key in data and getattr(company, key) != data[key]]
    for key in PROFILE_FIELDS:
        if key in data:
            setattr(company, key, data[key])
    if "capabilities" in data and sorted(company.capability_ids) != sorted(data["capabilities"]):
        company.set_capabilities(data["capabilities"])
        changed.append("capabilities")
    if "certifications" in data and _set_certifications(company, data["certifications"]):
        changed.append("certifications")
    return changed


def _set_certifications(company: Company, entries: list[dict]) -> bool:
    """One row per certificate type, reusing the stored row so its id stays; True if anything changed."""
    keys = ("level", "name", "expires_on")
    before = sorted((c.term_id, *(getattr(c, k) for k in keys)) for c in company.certifications)
    existing = {}
    for cert in company.certifications:
        existing.setdefault(cert.term_id, cert)
    rows = []
    for entry in entries:
        cert = existing.get(entry["term_id"]) or Certification(term_id=entry["term_id"])
        for key in keys:
            setattr(cert, key, entry.get(key))
        rows.append(cert)
    company.certifications = rows
    after = sorted((c.term_id, *(getattr(c, k) for k in keys)) for c in rows)
    return before != after


def create_company(owner: User, data: dict) -> Company:
    """The owner's new company, unverified, in the association they chose; its staff are told."""
    association = db.session.get(Association, data.get("association_id"))
    if association is None:
        raise RuleError(_("Choose your association."))
    company = Company(association_id=association.id, owner_id=owner.id, status=VerificationStatus.unverified)
    _apply_profile(company, data)
    db.session.add(company)
    db.session.flush()
    owner.company_id = company.id
    audit.record(
        owner,
        "company.create",
        "company",
        company.id,
        association_id=company.association_id,
        detail={"association": association.code},
    )
    notify_staff(company, "new")
    return company


def update_company(company: Company, actor: User, data: dict) -> list[str]:
    """Edit the profile. The association can change only before verification; a rejected company
    that edits its profile goes back to the verification queue."""
    changed = _apply_profile(company, data)
    new_association = data.get("association_id")
    if new_association and new_association != company.association_id and not company.is_verified:
        if db.session.get(Association, new_association) is None:
            raise RuleError(_("Choose your association."))
        company.association_id = new_association
        changed.append("association")
    resubmitted = company.status is VerificationStatus.rejected
    if resubmitted:
        company.status = VerificationStatus.unverified
    if changed or resubmitted:
        action = "company.resubmit" if resubmitted else "company.update"
        audit.record(
            actor, action, "company", company.id, association_id=company.association_id, detail={"changed": changed}
        )
    if resubmitted:
        notify_staff(company, "resubmitted")
    elif "association" in changed:
        notify_staff(company, "new")
    return changed


def staff_of(association_id: int) -> list[User]:
    return db.session.scalars(
        sa.select(User).where(User.role == Role.staff, User.association_id == association_id, User.active.is_(True))
    ).all()


def notify_staff(company: Company, reason: str) -> None:
    """Each staff member of the company's association hears about it, in their own language."""
    link = url_for("companies.profile", company_id=company.id)
    for staff in staff_of(company.association_id):
        with force_locale(staff.locale or "en"):
            if reason == "resubmitted":
                subject = _("Member company updated its profile after rejection")
                text = _(
                    "%(name)s changed its profile after rejection and waits for verification again.", name=company.name
                )
            else:
                subject = _("New member company waiting for verification")
                text = _("New member company waiting for verification: %(name)s", name=company.name)
            notify(staff, text, link, email_subject=subject)


def profile_gaps(company: Company) -> list[str]:
    """What would make the profile more useful to partners, as short hints for the dashboard."""
    gaps = []
    if not company.capabilities:
        gaps.append(_("Tick your capabilities, so partners can find you in the directory and in matches."))
    if not company.certifications:
        gaps.append(_("Add your certifications, such as LWG or ISO 14001."))
    if not company.logo_filename:
        gaps.append(_("Upload your logo."))
    if not company.languages:
        gaps.append(_("Tell partners which languages you do business in."))
    if not (company.website or company.phone):
        gaps.append(_("Add a website or phone number so members can reach you."))
    if not company.capacity_amount:
        gaps.append(_("Give your production capacity."))
    return gaps


def capabilities_by_facet(company: Company) -> list[tuple[str, list[str]]]:
    """The company's capability labels grouped under their facet, in the reader's language."""
    vocab, locale = vocabulary(), current_locale()
    mine = set(company.capability_ids)
    groups = []
    for facet in CAPABILITY_FACETS:
        labels = [t.label(locale) for t in vocab.facet_terms(facet) if t.id in mine]
        if labels:
            groups.append((vocab.facet_label(facet, locale), labels))
    return groups


# --- colleagues and invitations --------------------------------------------------------------------


def pending_invitations(company: Company) -> list[Invitation]:
    return db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.company_id == company.id, Invitation.accepted_at.is_(None))
        .order_by(Invitation.created_at.desc())
    ).all()


def is_expired(invitation: Invitation) -> bool:
    return invitation.created_at < utcnow() - INVITATION_MAX_AGE


def invite(company: Company, actor: User, email: str) -> Invitation:
    """Mail a one-time link; only the token's hash is stored. A new invitation replaces a pending one.

    Only a confirmed account of a verified company invites: the mail carries the company's name, so an
    unchecked account could otherwise send anything to anyone under the portal's name."""
    if not actor.email_confirmed:
        raise RuleError(_("Please confirm your email address before you invite colleagues."))
    if not company.is_verified:
        raise RuleError(_("You can invite colleagues once your association has verified your company."))
    email = normalize_email(email)
    colleague = db.session.scalar(sa.select(User).where(User.email == email))
    if colleague is not None and colleague.company_id == company.id:
        raise RuleError(_("%(email)s already works with you on Leather Bridge.", email=email))
    db.session.execute(
        sa.delete(Invitation).where(
            Invitation.company_id == company.id, Invitation.email == email, Invitation.accepted_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(company_id=company.id, email=email, token_hash=sha256(token), invited_by_id=actor.id)
    db.session.add(invitation)
    db.session.flush()
    link = public_url("companies.accept_invitation", token=token)
    send_mail(
        email,
        _("%(name)s invites you to Leather Bridge", name=company.name),
        _(
            "Hello,\n\n%(person)s invites you to join %(company)s on Leather Bridge, the portal of the Pakistan "
            "Tanners Association and the Kazakhstan Leather Association.\n\nOpen this link within %(days)s days to "
            "accept:\n%(link)s\n\nIf you did not expect this, ignore this message.",
            person=actor.name,
            company=company.name,
            days=INVITATION_MAX_AGE.days,
            link=link,
        ),
    )
    audit.record(
        actor,
        "company.invite",
        "invitation",
        invitation.id,
        association_id=company.association_id,
        detail={"email": email},
    )
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == sha256(token)))


def revoke_invitation(company: Company, actor: User, invitation_id: int) -> bool:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.company_id != company.id or invitation.accepted_at is not None:
        return False
    audit.record(
        actor,
        "company.invite_revoke",
        "invitation",
        invitation.id,
        association_id=company.association_id,
        detail={"email": invitation.email},
    )
    db.session.delete(invitation)
    return True


def invitation_is_for(invitation: Invitation, user: User) -> bool:
    """An invitation is for the address it was mailed to, and no other account."""
    return normalize_email(user.email) == normalize_email(invitation.email)


def join(user: User, invitation: Invitation) -> bool:
    """Claim the invitation once, even if two requests race for it, and add the user to the company.
    Only the account of the invited email can: anyone else holding the link joins nothing."""
    if not invitation_is_for(invitation, user):
        return False
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    company = invitation.company
    user.company_id = company.id
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # the link reached this address
    audit.record(
        user,
        "company.join",
        "user",
        user.id,
        association_id=company.association_id,
        detail={"invitation": invitation.id},
    )
    if company.owner and company.owner.id != user.id:
        with force_locale(company.owner.locale or "en"):
            notify(
                company.owner,
                _("%(name)s joined %(company)s.", name=user.name, company=company.name),
                url_for("companies.colleagues"),
            )
    return True


def register_and_join(invitation: Invitation, name: str, password: str, locale: str | None) -> User | None:
    """A visitor becomes a member with the invited email, confirmed by following the mailed link."""
    user = create_user(invitation.email, name, password, locale=locale)
    user.email_confirmed_at = utcnow()
    if not join(user, invitation):
        return None
    return user


def colleagues_of(company: Company) -> list[User]:
    return db.session.scalars(sa.select(User).where(User.company_id == company.id).order_by(User.name)).all()


def remove_colleague(company: Company, actor: User, colleague: User) -> None:
    if colleague.company_id != company.id:
        raise RuleError(_("This person does not work for your company."))
    if colleague.id == company.owner_id:
        raise RuleError(_("You cannot remove the owner of the company."))
    colleague.company_id = None
    audit.record(actor, "company.colleague_remove", "user", colleague.id, association_id=company.association_id)
    with force_locale(colleague.locale or "en"):
        notify(colleague, _("You no longer work with %(company)s on Leather Bridge.", company=company.name))


# --- directory -------------------------------------------------------------------------------------


def directory_query(filters: dict):
    """Verified companies matching the filters, by name; capabilities and association loaded up front."""
    query = (
        sa.select(Company)
        .where(Company.status == VerificationStatus.verified)
        .options(selectinload(Company.capabilities), selectinload(Company.association))
        .order_by(Company.name, Company.id)
    )
    text = (filters.get("q") or "").strip()
    if text:
        query = query.where(
            sa.or_(Company.name.icontains(text, autoescape=True), Company.city.icontains(text, autoescape=True))
        )
    if filters.get("country"):
        query = query.where(Company.country == filters["country"])
    if filters.get("association"):
        query = query.where(Company.association.has(Association.code == filters["association"]))
    if filters.get("capability"):
        query = query.where(
            Company.id.in_(
                sa.select(CompanyCapability.company_id).where(CompanyCapability.term_id == filters["capability"])
            )
        )
    if filters.get("certification"):
        query = query.where(
            Company.id.in_(
                sa.select(Certification.company_id).where(
                    Certification.term_id == filters["certification"],
                    sa.or_(Certification.expires_on.is_(None), Certification.expires_on >= date.today()),
                )
            )
        )
    return query


def public_listings(company, limit: int = 20) -> list:
    """The company's live offers and requests that carry its name (anonymous ones never do), newest first."""
    return db.session.scalars(
        sa.select(Listing)
        .where(Listing.company_id == company.id, Listing.live_clause(), Listing.anonymous.is_(False))
        .options(selectinload(Listing.tags), selectinload(Listing.company))
        .order_by(Listing.published_at.desc(), Listing.id.desc())
        .limit(limit)
    ).all()
