"""What a listing's owner and its association's staff may do to it: predicates, decisions, edits and
revisions, flags and expiry. The state machine itself is `lifecycle`; owners' notices are `notices`.

Views, the moderation pages, the CLI and the importer all change listings through these functions;
none of them commits: the caller does, once, so a failure leaves nothing half-done.
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..extensions import db
from ..language import detect_language
from ..models import Company, Listing, ListingFlag, ListingRevision, ListingStatus, ListingType, Role, base
from ..models.listing import Direction
from ..permissions import can_moderate, is_member_of
from . import hs
from .lifecycle import (
    REMINDER_DAYS,
    STAFF_DECISIONS,
    TRANSITIONS,
    ListingError,
    NotAllowed,
    StaleVersion,
    allowed,
    approval_refusal,
    is_owner,
    transition,
)
from .notices import notify_owner, status_label

S = ListingStatus

# The fields an owner edits; a revision's `data` holds exactly these, JSON-ready.
EDITABLE = (
    "direction",
    "type",
    "title",
    "summary",
    "description",
    "language",
    "target_countries",
    "details",
    "anonymous",
    "interest_deadline",
    "tags",
    "hs_headings",  # the chosen ones only: inferred headings follow the tags (hs.refresh)
    "available_months",
)


EDITABLE_STATUSES = (S.draft, S.submitted, S.changes_requested, S.published)


# --- who may see and do what ----------------------------------------------------------------------


def can_view_listing(user, listing) -> bool:
    """Live listings are public; any other status only to the owner, its association's staff and admins."""
    if listing.is_live:
        return True
    return bool(user.is_authenticated and (user.is_admin or is_owner(user, listing) or can_moderate(user, listing)))


def can_edit_listing(user, listing) -> bool:
    return is_owner(user, listing) and listing.status in EDITABLE_STATUSES


def can_flag(user, listing) -> bool:
    return bool(
        user.is_authenticated
        and user.role is Role.member
        and user.company_id
        and listing.is_live
        and not is_owner(user, listing)
    )


def owner_actions(user, listing) -> list[str]:
    """The buttons to show the owner, in a stable order."""
    if not is_owner(user, listing):
        return []
    return [
        n
        for n in ("submit", "renew", "fulfil", "withdraw")
        if listing.status in TRANSITIONS[n].sources and (n != "renew" or allowed(listing, n))
    ]


def waiting_since(listing) -> datetime:
    """When the thing staff must look at arrived: the pending edit, the submission, or the last change."""
    revision = listing.pending_revision
    if listing.status is S.published and revision is not None and revision.status is S.submitted:
        return revision.created_at
    return listing.submitted_at or listing.updated_at


# --- staff decisions --------------------------------------------------------------------------------


def decide(listing, action: str, actor, comment: str | None = None, *, version: int | None) -> Listing:
    """A staff decision on what awaits moderation: the listing itself, or the pending edit of a published one.

    `version` is the Listing.version staff looked at; the decision is refused (StaleVersion) when the
    listing or its pending edit changed since, so staff never approve text they did not see.
    """
    if action not in STAFF_DECISIONS:
        raise ListingError(_("Unknown action."))
    if version is None or version != listing.version:
        raise StaleVersion()
    revision = listing.pending_revision
    if listing.status is S.published and revision is not None and revision.status is S.submitted:
        return _decide_revision(listing, revision, action, actor, comment)
    return transition(listing, action, actor, comment)


def _decide_revision(listing, revision, action, actor, comment):
    if not can_moderate(actor, listing):
        raise NotAllowed(_("Only staff of the company's association can do that."))
    comment = (comment or "").strip() or None
    if action != "approve" and not comment:
        raise ListingError(_("Please write a comment or reason for the company."))
    if action == "approve" and (reason := approval_refusal(listing)):
        raise ListingError(reason)
    target = {"approve": S.published, "request_changes": S.changes_requested, "reject": S.rejected}[action]
    # Named before the edit is applied: afterwards the text it replaced is gone and the history could not say.
    changed = changed_fields(listing, revision)
    revision.status, revision.staff_comment, revision.decided_at = target, comment, base.utcnow()
    if action == "approve":
        apply_data(listing, revision.data)
    listing.bump_version()
    audit.record(
        actor,
        f"listing.revision_{action}",
        "listing",
        listing.id,
        association_id=listing.company.association_id,
        reason=comment,
        detail={"revision_id": revision.id, "changed": changed},
    )
    notify_owner(listing, f"revision_{action}", comment)
    return listing


# --- creating and editing -------------------------------------------------------------------------


def snapshot(listing) -> dict:
    """The editable fields as JSON-ready data (what a revision stores and a form is filled from)."""
    return {
        "direction": listing.direction.value if listing.direction else None,
        "type": listing.type.value if listing.type else None,
        "title": listing.title,
        "summary": listing.summary or "",
        "description": listing.description or "",
        "language": listing.language,
        "target_countries": list(listing.target_countries or []),
        "details": dict(listing.details or {}),
        "anonymous": bool(listing.anonymous),
        "interest_deadline": listing.interest_deadline.isoformat() if listing.interest_deadline else None,
        "tags": sorted(listing.tag_ids),
        "hs_headings": hs.chosen(listing),
        "available_months": hs.month_numbers(listing),
    }


def apply_data(listing, data: dict) -> bool:
    """Write editable data onto the listing, touching only what differs (so updated_at means something);
    True when anything changed."""
    values = {
        "direction": Direction(data["direction"]),
        "type": ListingType(data["type"]),
        "title": data["title"],
        "summary": data.get("summary") or "",
        "description": data.get("description") or "",
        "language": data.get("language") or detect_language(f"{data['title']}\n{data.get('description') or ''}"),
        "target_countries": list(data.get("target_countries") or []),
        "details": dict(data.get("details") or {}),
        "anonymous": bool(data.get("anonymous")),
        "interest_deadline": date.fromisoformat(data["interest_deadline"]) if data.get("interest_deadline") else None,
    }
    changed = False
    for key, value in values.items():
        if getattr(listing, key) != value:
            setattr(listing, key, value)
            changed = True
    if "tags" in data and sorted(data["tags"] or []) != sorted(listing.tag_ids):
        listing.set_tags(data["tags"] or [])
        changed = True
    # Data from before headings and months existed (an older revision) has neither key: keep what is there.
    if hs.refresh(listing, data.get("hs_headings") or [] if "hs_headings" in data else None):
        changed = True
    if hs.set_months(
        listing, data["available_months"] or [] if "available_months" in data else hs.month_numbers(listing)
    ):
        changed = True
    return changed


def create_listing(company: Company, data: dict, actor) -> Listing:
    if not is_member_of(actor, company):
        raise NotAllowed(_("Only the company's own users can do that."))
    listing = Listing(company=company, status=S.draft, details={}, target_countries=[])
    apply_data(listing, data)
    db.session.add(listing)
    db.session.flush()
    audit.record(actor, "listing.create", "listing", listing.id, association_id=listing.company.association_id)
    return listing


def edit_listing(listing, data: dict, actor) -> ListingRevision | None:
    """Change the listing; for a published one, file a revision for moderation instead (returned)."""
    if not is_owner(actor, listing):
        raise NotAllowed(_("Only the company's own users can do that."))
    if listing.status not in EDITABLE_STATUSES:
        raise ListingError(
            _("A listing that is %(status)s can no longer be edited.", status=status_label(listing.status))
        )
    if listing.status is not S.published:
        if apply_data(listing, data):
            listing.bump_version()
            if listing.status is S.submitted:
                # Back to the queue as a new version: staff see it as just arrived, and a decision
                # taken on what they read before is refused.
                listing.submitted_at = base.utcnow()
                audit.record(
                    actor,
                    "listing.resubmit",
                    "listing",
                    listing.id,
                    association_id=listing.company.association_id,
                    detail={"version": listing.version},
                )
        return None
    revision = listing.pending_revision
    if {k: data.get(k) for k in EDITABLE} == snapshot(listing):
        if revision is not None:  # the owner changed their mind: nothing left to review
            revision.status, revision.decided_at = S.withdrawn, base.utcnow()
            listing.bump_version()
        return None
    if not listing.company.is_verified:
        raise ListingError(_("Your company must be verified by your association before its listings can go online."))
    if revision is None:
        revision = ListingRevision(data=data, status=S.submitted)
        listing.revisions.append(revision)
    elif revision.data == dict(data) and revision.status is S.submitted:
        return revision  # saved again unchanged: the same version still awaits review
    else:
        revision.data, revision.status, revision.staff_comment = dict(data), S.submitted, None
    listing.bump_version()
    db.session.flush()
    audit.record(
        actor,
        "listing.revision_submit",
        "listing",
        listing.id,
        association_id=listing.company.association_id,
        detail={"revision_id": revision.id, "changed": changed_fields(listing, revision)},
    )
    return revision


def form_data(listing) -> dict:
    """What the edit form starts from: the pending revision of a published listing, else the listing."""
    revision = listing.pending_revision
    return dict(revision.data) if listing.status is S.published and revision else snapshot(listing)


def revision_changes(listing, revision) -> list[tuple[str, object, object]]:
    current = snapshot(listing)
    # A revision filed before a field existed does not propose to change it.
    return [
        (k, current.get(k), revision.data.get(k))
        for k in EDITABLE
        if k in revision.data and current.get(k) != revision.data.get(k)
    ]


def changed_fields(listing, revision) -> list[str]:
    """The names of the fields a pending edit changes, as its audit rows keep them."""
    return [name for name, _old, _new in revision_changes(listing, revision)]


# --- flags ----------------------------------------------------------------------------------------


def flag_listing(listing, user, reason: str) -> ListingFlag:
    if not can_flag(user, listing):
        raise NotAllowed(_("You cannot report this listing."))
    exists = db.session.scalar(
        sa.select(ListingFlag.id).where(ListingFlag.listing_id == listing.id, ListingFlag.user_id == user.id)
    )
    if exists:
        raise ListingError(_("You have already reported this listing. Its association's staff will look at it."))
    flag = ListingFlag(listing_id=listing.id, user_id=user.id, reason=reason.strip())
    db.session.add(flag)
    return flag


def open_flags(listing) -> list[ListingFlag]:
    return list(
        db.session.scalars(
            sa.select(ListingFlag)
            .where(ListingFlag.listing_id == listing.id, ListingFlag.resolved_at.is_(None))
            .order_by(ListingFlag.id)
        )
    )


def resolve_flags(listing, actor, action: str, comment: str | None = None) -> int:
    """Staff dismiss the open flags, or unpublish the listing back to its owner with a comment."""
    if not can_moderate(actor, listing):
        raise NotAllowed(_("Only staff of the company's association can do that."))
    flags = open_flags(listing)
    if not flags:
        raise ListingError(_("There are no open reports on this listing."))
    if action == "unpublish":
        transition(listing, "unpublish", actor, comment)
    elif action == "dismiss":
        audit.record(
            actor,
            "listing.flags_dismiss",
            "listing",
            listing.id,
            association_id=listing.company.association_id,
            reason=(comment or "").strip() or None,
            detail={"flags": [f.id for f in flags]},
        )
    else:
        raise ListingError(_("Unknown action."))
    now = base.utcnow()
    for flag in flags:
        flag.resolved_at, flag.resolved_by_id = now, actor.id
    return len(flags)


# --- expiry ---------------------------------------------------------------------------------------


def expire_and_remind() -> tuple[int, int]:
    """Expire published listings past their date; remind owners once, 14 days before. Safe to run again."""
    now = base.utcnow()
    due = db.session.scalars(
        sa.select(Listing).where(Listing.status == S.published, Listing.expires_at <= now).order_by(Listing.id)
    ).all()
    for listing in due:
        transition(listing, "expire", None)
    soon = db.session.scalars(
        sa.select(Listing)
        .where(
            Listing.status == S.published,
            Listing.expires_at > now,
            Listing.expires_at <= now + timedelta(days=REMINDER_DAYS),
            Listing.reminded_at.is_(None),
        )
        .order_by(Listing.id)
    ).all()
    for listing in soon:
        listing.reminded_at = now
        notify_owner(listing, "remind", None)
    return len(due), len(soon)


def status_counts(company) -> dict:
    rows = db.session.execute(
        sa.select(Listing.status, sa.func.count()).where(Listing.company_id == company.id).group_by(Listing.status)
    ).all()
    found = dict(rows)
    return {status: found[status] for status in ListingStatus if status in found}  # in lifecycle order
