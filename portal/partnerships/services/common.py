"""Who is who in a partnership, and how a company is told: shared by every room."""

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from ...extensions import db
from ...mail import notify
from ...models import Role, User
from ...permissions import can_see_listing_company, is_member_of
from ...rules import RuleError


def company_users(company_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.company_id == company_id, User.active, User.role == Role.member)
            .order_by(User.id)
        )
    )


def is_listing_owner(user, listing) -> bool:
    return is_member_of(user, listing.company)


def is_party(user, conversation) -> bool:
    """Only the users of the two companies: no staff, no admin, no third company."""
    return bool(user.is_authenticated and user.role is Role.member and user.company_id in conversation.company_ids)


def require_party(user, conversation) -> None:
    """Others' conversations seem not to exist (404), as in `get_or_404_for`."""
    if not is_party(user, conversation):
        raise RuleError(kind="not_found")


def other_company_id(conversation, company_id: int) -> int:
    return (
        conversation.partner_company_id
        if company_id == conversation.owner_company_id
        else conversation.owner_company_id
    )


def listing_company_label(user, listing) -> str:
    """The listing's company name, or a neutral description while it stays anonymous to this user."""
    if can_see_listing_company(user, listing):
        return listing.company.name
    return _("A %(association)s member company", association=listing.company.association.code)


def notify_company(company_id: int, make_text, link: str, make_subject) -> None:
    """Notify every user of the company, each in their own language."""
    for user in company_users(company_id):
        with force_locale(user.locale or "en"):
            notify(user, make_text(user)[:500], link, email_subject=make_subject(user))


def count_of(query) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
