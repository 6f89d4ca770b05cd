"""Admin rules: counts, associations, staff accounts, (de)activation and taxonomy overrides, each one audited."""

import secrets

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from .. import audit
from ..auth.services import create_user, make_reset_token, send_reset
from ..extensions import db
from ..mail import public_url, send_mail
from ..models import Association, Company, Role, TaxonomyTerm, User
from ..models.company import VerificationStatus
from ..taxonomy import builtin


class ActionRefused(Exception):
    """The admin asked for something the portal will not do; the message is for the user."""


# --- overview --------------------------------------------------------------------------------------


def company_counts() -> list[tuple[Association, dict]]:
    """Per association: {status value: count} including zeros."""
    rows = db.session.execute(
        sa.select(Company.association_id, Company.status, sa.func.count()).group_by(
            Company.association_id, Company.status
        )
    ).all()
    found = {(aid, status.value): n for aid, status, n in rows}
    associations = db.session.scalars(sa.select(Association).order_by(Association.code)).all()
    return [(a, {s.value: found.get((a.id, s.value), 0) for s in VerificationStatus}) for a in associations]


def user_counts() -> dict:
    rows = db.session.execute(sa.select(User.role, User.active, sa.func.count()).group_by(User.role, User.active)).all()
    counts = {role.value: {"active": 0, "inactive": 0} for role in Role}
    for role, active, n in rows:
        counts[role.value]["active" if active else "inactive"] += n
    return counts


# --- associations ----------------------------------------------------------------------------------

ASSOCIATION_FIELDS = ("code", "name", "country", "website")


def save_association(actor, association: Association | None, data: dict) -> Association:
    """Create (association=None) or update; the audit detail records what changed."""
    creating = association is None
    if creating:
        association = Association()
        db.session.add(association)
    changes = {f: [getattr(association, f), data.get(f) or None] for f in ASSOCIATION_FIELDS}
    changes = {f: pair for f, pair in changes.items() if pair[0] != pair[1]}
    for field, (_old, new) in changes.items():
        setattr(association, field, new)
    db.session.flush()
    detail = (
        {f: new for f, (_old, new) in changes.items()}
        if creating
        else {f: f"{old} → {new}" for f, (old, new) in changes.items()}
    )
    audit.record(
        actor,
        "association.create" if creating else "association.update",
        "association",
        association.id,
        association_id=association.id,
        detail=detail,
    )
    return association


# --- accounts --------------------------------------------------------------------------------------


def create_staff(actor, email: str, name: str, association: Association) -> User:
    """A staff account with an unguessable password nobody knows; the person sets their own through a mailed link."""
    user = create_user(email, name, secrets.token_urlsafe(32), role=Role.staff, association_id=association.id)
    link = public_url("auth.reset_password", token=make_reset_token(user))
    send_mail(
        user.email,
        _("Your Leather Bridge staff account"),
        _(
            "Hello %(name)s,\n\nAn administrator created a staff account for you at Leather Bridge for %(association)s.\n"
            "Choose your password with this link within an hour:\n%(link)s\n\n"
            'If the link has expired, use "Forgot your password?" on the login page with this email address.\n',
            name=user.name,
            association=association.name,
            link=link,
        ),
    )
    audit.record(actor, "staff.create", "user", user.id, association_id=association.id, detail={"email": user.email})
    return user


def user_association_id(user: User) -> int | None:
    """The association a user belongs to: their own as staff, their company's as a member."""
    if user.association_id is not None:
        return user.association_id
    return user.company.association_id if user.company is not None else None


def set_active(actor, user: User, active: bool) -> None:
    if user.id == actor.id:
        raise ActionRefused(_("You cannot deactivate your own account."))
    if user.active == active:
        return
    user.active = active
    if not active:
        user.rotate_session_token()  # ends every session and remember cookie the person has
    audit.record(
        actor,
        "user.reactivate" if active else "user.deactivate",
        "user",
        user.id,
        association_id=user_association_id(user),
        detail={"email": user.email},
    )


def send_new_link(actor, user: User) -> None:
    if not user.active:
        raise ActionRefused(_("Reactivate the account before sending a password link."))
    send_reset(user.email)
    audit.record(
        actor,
        "user.password_link",
        "user",
        user.id,
        association_id=user_association_id(user),
        detail={"email": user.email},
    )


def users_select(q: str | None = None, role: str | None = None, state: str | None = None):
    query = sa.select(User).options(selectinload(User.association), selectinload(User.company)).order_by(User.email)
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.email).like(pattern, escape="\\"),
                sa.func.lower(User.name).like(pattern, escape="\\"),
            )
        )
    if role in Role.__members__:
        query = query.where(User.role == Role[role])
    if state in ("active", "inactive"):
        query = query.where(User.active.is_(state == "active"))
    return query


# --- taxonomy --------------------------------------------------------------------------------------


def save_term(actor, term_id: str, facet: str, labels: dict, synonyms: dict) -> TaxonomyTerm:
    """Store a new term or an override of any term: labels replace, synonyms add to the built-in ones."""
    row = db.session.get(TaxonomyTerm, term_id)
    creating = row is None
    if creating:
        row = TaxonomyTerm(id=term_id, facet=facet)
        db.session.add(row)
    row.labels = labels
    row.synonyms = synonyms
    action = "taxonomy.create" if creating and term_id not in builtin().terms else "taxonomy.update"
    audit.record(actor, action, "taxonomy_term", None, detail={"term": term_id, "labels": labels, "synonyms": synonyms})
    return row


def term_override(term_id: str) -> TaxonomyTerm | None:
    return db.session.get(TaxonomyTerm, term_id)
