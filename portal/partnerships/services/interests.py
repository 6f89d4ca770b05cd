"""Expressions of interest: who may express one, answering (accepting opens the conversation), withdrawing,
closing a listing to new interest, and the inbox queries."""

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ... import audit
from ...extensions import db
from ...models import Conversation, Interest, InterestStatus, Listing, Role
from ...models.base import utcnow
from ...permissions import is_member_of
from ...rules import RuleError
from .common import is_listing_owner, notify_company

IS = InterestStatus


def can_view_interest(user, interest) -> bool:
    return is_member_of(user, interest.from_company) or is_listing_owner(user, interest.listing)


def current_interest(company_id: int, listing_id: int) -> Interest | None:
    """The company's open or accepted interest on the listing, if any."""
    return db.session.scalar(
        sa.select(Interest)
        .where(
            Interest.listing_id == listing_id,
            Interest.from_company_id == company_id,
            Interest.status.in_((IS.open, IS.accepted)),
        )
        .order_by(Interest.id.desc())
    )


def deadline_passed(listing) -> bool:
    return listing.interest_deadline is not None and utcnow().date() > listing.interest_deadline


def closed_to_interest(listing) -> bool:
    return not listing.is_live or listing.closed_at is not None or deadline_passed(listing)


def interest_refusal(user, listing) -> str | None:
    """Why this user cannot express interest in the listing now; None when they can."""
    if not user.is_authenticated:
        return _("Log in with your company account to express interest.")
    if user.role is not Role.member or user.company is None:
        return _("Only member companies can express interest.")
    if is_listing_owner(user, listing):
        return _("This is your own listing.")
    if not user.company.is_verified:
        return _("Your company must be verified by its association before it can express interest.")
    if not listing.company.is_verified:  # a revoked or rejected company is off the portal
        return _("This listing's company is not verified by its association, so it takes no interest.")
    if not listing.is_live or listing.closed_at is not None:
        return _("This listing is closed to new interest.")
    if deadline_passed(listing):
        return _("The deadline for interest was %(date)s.", date=listing.interest_deadline.isoformat())
    existing = current_interest(user.company_id, listing.id)
    if existing is not None and existing.is_open:
        return _("Your company has already expressed interest in this listing; please wait for the answer.")
    if existing is not None:
        return _("Your interest was accepted: continue in your conversation.")
    return None


def express_interest(user, listing, message: str, what_we_bring: str = "") -> Interest:
    reason = interest_refusal(user, listing)
    if reason:
        raise RuleError(reason)
    interest = Interest(
        listing_id=listing.id,
        from_company_id=user.company_id,
        sender_id=user.id,
        message=message.strip(),
        what_we_bring=(what_we_bring or "").strip(),
    )
    try:
        with db.session.begin_nested():  # a double click racing past the check above loses here
            db.session.add(interest)
    except IntegrityError:
        raise RuleError(
            _("Your company has already expressed interest in this listing; please wait for the answer."),
            "conflict",
        ) from None
    audit.record(
        user,
        "interest.express",
        "interest",
        interest.id,
        association_id=user.company.association_id,
        detail={"listing_id": listing.id},
    )
    sender = user.company.name
    notify_company(
        listing.company_id,
        lambda _u: _("%(company)s is interested in your listing “%(title)s”.", company=sender, title=listing.title),
        url_for("partnerships.interest", interest_id=interest.id),
        lambda _u: _("New interest in your listing “%(title)s”", title=listing.title),
    )
    return interest


def _answerable(user, interest) -> None:
    """The listing's company answers; the sender sees the interest but may not answer it (403)."""
    if not is_listing_owner(user, interest.listing):
        raise RuleError(kind="forbidden")
    if not interest.is_open:
        raise RuleError(_("This interest was already answered or withdrawn."))


def accept_interest(user, interest, note: str | None = None) -> Conversation:
    """Accepting opens the conversation and reveals an anonymous listing's company to the sender."""
    _answerable(user, interest)
    _answer(user, interest, IS.accepted, note)
    conversation = Conversation(
        interest=interest,
        listing_id=interest.listing_id,
        owner_company_id=interest.listing.company_id,
        partner_company_id=interest.from_company_id,
    )
    db.session.add(conversation)
    db.session.flush()
    listing, owner = interest.listing, interest.listing.company.name
    notify_company(
        interest.from_company_id,
        lambda _u: _(
            "%(company)s accepted your interest in “%(title)s”. You can now talk to them.",
            company=owner,
            title=listing.title,
        ),
        url_for("partnerships.conversation", conversation_id=conversation.id),
        lambda _u: _("Your interest in “%(title)s” was accepted", title=listing.title),
    )
    return conversation


def decline_interest(user, interest, note: str | None = None) -> Interest:
    _answerable(user, interest)
    _answer(user, interest, IS.declined, note)
    listing = interest.listing
    # The sender never learns an anonymous listing's company from a refusal.
    notify_company(
        interest.from_company_id,
        lambda _u: _("Your interest in “%(title)s” was declined.", title=listing.title),
        url_for("partnerships.interest", interest_id=interest.id),
        lambda _u: _("Your interest in “%(title)s” was declined", title=listing.title),
    )
    return interest


def _answer(user, interest, status, note) -> None:
    interest.status, interest.responded_by_id, interest.responded_at = status, user.id, utcnow()
    interest.response_note = (note or "").strip() or None
    audit.record(
        user,
        f"interest.{status.value}",
        "interest",
        interest.id,
        association_id=interest.listing.company.association_id,
        reason=interest.response_note,
    )


def withdraw_interest(user, interest) -> Interest:
    if not is_member_of(user, interest.from_company):
        raise RuleError(kind="forbidden")  # the listing's company sees the interest but cannot withdraw it
    if not interest.is_open:
        raise RuleError(_("Only an interest still waiting for an answer can be withdrawn."))
    interest.status, interest.responded_at = IS.withdrawn, utcnow()
    audit.record(
        user, "interest.withdraw", "interest", interest.id, association_id=interest.from_company.association_id
    )
    return interest


def set_interest_closed(user, listing, closed: bool) -> None:
    """The owner closes a listing to new interest (or opens it again); open interests stay answerable."""
    if not is_listing_owner(user, listing):
        raise RuleError(kind="not_found")
    if not closed and not listing.is_live:
        raise RuleError(_("Only a published listing can take new interest."))
    listing.closed_at = utcnow() if closed else None
    audit.record(
        user,
        "listing.interest_closed" if closed else "listing.interest_opened",
        "listing",
        listing.id,
        association_id=listing.company.association_id,
    )


def interest_counts(listing_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Interest.status, sa.func.count()).where(Interest.listing_id == listing_id).group_by(Interest.status)
    ).all()
    counts = {status.value: n for status, n in rows}
    counts["total"] = sum(counts.values())
    return counts


def received_interests_query(company_id: int, status: InterestStatus | None = None):
    query = (
        sa.select(Interest)
        .join(Listing, Interest.listing_id == Listing.id)
        .where(Listing.company_id == company_id)
        .order_by(Interest.id.desc())
    )
    return query.where(Interest.status == status) if status else query


def sent_interests_query(company_id: int, status: InterestStatus | None = None):
    query = sa.select(Interest).where(Interest.from_company_id == company_id).order_by(Interest.id.desc())
    return query.where(Interest.status == status) if status else query
