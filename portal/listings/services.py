"""The listing lifecycle as one state machine, who may do what to a listing, revisions, flags and expiry.

Views, the moderation pages, the CLI and the importer all change listings through these functions;
none of them commits: the caller does, once, so a failure leaves nothing half-done.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale

from ..extensions import db
from ..language import detect_language
from ..mail import notify
from ..models import AuditLog, Company, Listing, ListingFlag, ListingRevision, ListingStatus, ListingType, Role, base
from ..models.listing import Direction
from ..permissions import can_moderate, is_member_of
from .text import _

log = logging.getLogger(__name__)

S = ListingStatus
REMINDER_DAYS = 14
OPEN_REVISION = (S.submitted, S.changes_requested)
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
)


class ListingError(Exception):
    """A rule said no; the message is for the user."""


class NotAllowed(ListingError):
    """The user may not act on this listing at all (views answer 404 or 403)."""


class StaleVersion(ListingError):
    """What awaits moderation changed after staff opened it: nothing was decided."""

    def __init__(self):
        super().__init__(
            _(
                "This listing changed after you opened it, so nothing was decided. "
                "Read the current version below and decide again."
            )
        )


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset
    target: ListingStatus
    by: str  # "owner" (a user of the listing's company), "staff" (of its association) or "system"
    needs_comment: bool = False


TRANSITIONS = {
    t.name: t
    for t in (
        Transition("submit", frozenset({S.draft, S.changes_requested}), S.submitted, "owner"),
        Transition("approve", frozenset({S.submitted}), S.published, "staff"),
        Transition("request_changes", frozenset({S.submitted}), S.changes_requested, "staff", needs_comment=True),
        Transition("reject", frozenset({S.submitted}), S.rejected, "staff", needs_comment=True),
        # A flagged listing goes back to its owner with the staff's comment.
        Transition("unpublish", frozenset({S.published}), S.changes_requested, "staff", needs_comment=True),
        Transition("withdraw", frozenset({S.submitted, S.changes_requested, S.published}), S.withdrawn, "owner"),
        Transition("fulfil", frozenset({S.published}), S.fulfilled, "owner"),
        Transition("renew", frozenset({S.published, S.expired}), S.published, "owner"),
        Transition("expire", frozenset({S.published}), S.expired, "system"),
    )
}
STAFF_DECISIONS = ("approve", "request_changes", "reject")
EDITABLE_STATUSES = (S.draft, S.submitted, S.changes_requested, S.published)


# --- who may see and do what ----------------------------------------------------------------------


def is_owner(user, listing) -> bool:
    return is_member_of(user, listing.company)


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


def lifetime() -> timedelta:
    return timedelta(days=int(current_app.config.get("LISTING_LIFETIME_DAYS", 365)))


def renewable_from(listing):
    return listing.expires_at - timedelta(days=REMINDER_DAYS) if listing.expires_at else None


def refusal(listing, name: str, comment: str | None = None) -> str | None:
    """Why the transition cannot happen now (None when it can); the actor's right is checked apart."""
    t = TRANSITIONS[name]
    if listing.status not in t.sources:
        return _("This is not possible while the listing is %(status)s.", status=status_label(listing.status))
    if t.needs_comment and not (comment or "").strip():
        return _("Please write a comment or reason for the company.")
    if name in ("submit", "renew") and not listing.company.is_verified:
        return _("Your company must be verified by your association before its listings can go online.")
    if name == "renew" and listing.status is S.published:
        start = renewable_from(listing)
        if start is None or base.utcnow() < start:
            return _("You can renew a listing from %(days)s days before it expires.", days=REMINDER_DAYS)
    return None


def allowed(listing, name: str) -> bool:
    return refusal(listing, name, comment="-") is None


def owner_actions(user, listing) -> list[str]:
    """The buttons to show the owner, in a stable order."""
    if not is_owner(user, listing):
        return []
    return [
        n
        for n in ("submit", "renew", "fulfil", "withdraw")
        if listing.status in TRANSITIONS[n].sources and (n != "renew" or allowed(listing, n))
    ]


def _check_actor(t: Transition, listing, actor) -> None:
    if t.by == "owner" and not (actor is not None and is_owner(actor, listing)):
        raise NotAllowed(_("Only the company's own users can do that."))
    if t.by == "staff" and not (actor is not None and can_moderate(actor, listing)):
        raise NotAllowed(_("Only staff of the company's association can do that."))
    if t.by == "system" and actor is not None:
        raise NotAllowed("system transition")


# --- the state machine ----------------------------------------------------------------------------


def transition(listing, name: str, actor, comment: str | None = None) -> Listing:
    """Move the listing along one edge of TRANSITIONS, with its timestamps, audit row and notification."""
    t = TRANSITIONS[name]
    _check_actor(t, listing, actor)
    reason = refusal(listing, name, comment)
    if reason:
        raise ListingError(reason)
    now, old = base.utcnow(), listing.status
    comment = (comment or "").strip() or None
    listing.status = t.target
    listing.bump_version()  # a form read before this step must not act after it
    if name == "submit":
        listing.submitted_at = now
    elif name in ("approve", "renew"):
        if name == "approve":
            listing.published_at = now
        listing.expires_at, listing.reminded_at, listing.closed_at = now + lifetime(), None, None
    elif t.target in (S.withdrawn, S.fulfilled, S.expired):
        listing.closed_at = now
        _close_open_revision(listing)
    if t.by == "staff":
        listing.staff_comment = comment if name != "approve" else None
    audit(actor, listing, name, comment, {"from": old.value, "to": t.target.value})
    if t.by in ("staff", "system"):
        _notify_owner(listing, name, comment)
    if name == "approve":
        announce_matches(listing)
    return listing


def announce_matches(listing) -> None:
    """Tell the owner at once about the matches a newly published listing already has.

    `flask --app portal match notify` (cron) covers the other side and later matches. The index is a
    cache: if it cannot answer, the approval goes ahead and the cron run catches up.
    """
    from ..search.notices import notify_listing

    try:
        notify_listing(listing)
    except Exception:  # noqa: BLE001 - never let the search index block a moderation decision
        log.exception("could not compute matches for listing %s at approval", listing.id)


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
    target = {"approve": S.published, "request_changes": S.changes_requested, "reject": S.rejected}[action]
    revision.status, revision.staff_comment, revision.decided_at = target, comment, base.utcnow()
    if action == "approve":
        apply_data(listing, revision.data)
    listing.bump_version()
    audit(actor, listing, f"revision_{action}", comment, {"revision_id": revision.id})
    _notify_owner(listing, f"revision_{action}", comment)
    return listing


def _close_open_revision(listing) -> None:
    revision = listing.pending_revision
    if revision is not None:
        revision.status, revision.decided_at = S.withdrawn, base.utcnow()


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
    return changed


def create_listing(company: Company, data: dict, actor) -> Listing:
    if not is_member_of(actor, company):
        raise NotAllowed(_("Only the company's own users can do that."))
    listing = Listing(company=company, status=S.draft, details={}, target_countries=[])
    apply_data(listing, data)
    db.session.add(listing)
    db.session.flush()
    audit(actor, listing, "create", None, None)
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
                audit(actor, listing, "resubmit", None, {"version": listing.version})
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
    audit(actor, listing, "revision_submit", None, {"revision_id": revision.id})
    return revision


def form_data(listing) -> dict:
    """What the edit form starts from: the pending revision of a published listing, else the listing."""
    revision = listing.pending_revision
    return dict(revision.data) if listing.status is S.published and revision else snapshot(listing)


def revision_changes(listing, revision) -> list[tuple[str, object, object]]:
    current = snapshot(listing)
    return [(k, current.get(k), revision.data.get(k)) for k in EDITABLE if current.get(k) != revision.data.get(k)]


def set_tags_by_staff(listing, term_ids, actor) -> None:
    if not can_moderate(actor, listing):
        raise NotAllowed(_("Only staff of the company's association can do that."))
    old = sorted(listing.tag_ids)
    listing.set_tags(term_ids)
    if sorted(listing.tag_ids) != old:
        listing.bump_version()
    audit(actor, listing, "tags", None, {"from": old, "to": sorted(term_ids)})


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
        audit(actor, listing, "flags_dismiss", (comment or "").strip() or None, {"flags": [f.id for f in flags]})
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
        _notify_owner(listing, "remind", None)
    return len(due), len(soon)


# --- audit and notifications ----------------------------------------------------------------------


def audit(actor, listing, action: str, reason, detail) -> None:
    db.session.add(
        AuditLog(
            actor_id=actor.id if actor is not None else None,
            association_id=listing.company.association_id,
            action=f"listing.{action}",
            object_type="listing",
            object_id=listing.id,
            reason=reason,
            detail=detail,
        )
    )


def link(endpoint: str, **values) -> str:
    """A site path; the CLI has no request, so it builds against a neutral one."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def recipients(company) -> list:
    """The company's owner, or all its active users when it has no owner account."""
    if company.owner is not None and company.owner.active:
        return [company.owner]
    return [u for u in company.users if u.active]


def _message(name: str, listing, comment) -> tuple[str, str]:
    """(subject, text) of the owner's notification, in the language active when called."""
    title = listing.title
    deadline = listing.expires_at.strftime("%Y-%m-%d") if listing.expires_at else ""
    messages = {
        "approve": (_("Your listing is published"), _("Your listing “%(title)s” is published.", title=title)),
        "request_changes": (
            _("Changes requested on your listing"),
            _("Your association asks for changes to “%(title)s”: %(comment)s", title=title, comment=comment),
        ),
        "reject": (
            _("Your listing was rejected"),
            _("Your listing “%(title)s” was rejected: %(comment)s", title=title, comment=comment),
        ),
        "unpublish": (
            _("Your listing was taken offline"),
            _(
                "“%(title)s” was taken offline after a report. Please change it: %(comment)s",
                title=title,
                comment=comment,
            ),
        ),
        "revision_approve": (
            _("Your changes are published"),
            _("Your changes to “%(title)s” are published.", title=title),
        ),
        "revision_request_changes": (
            _("Changes requested on your edit"),
            _(
                "Your association asks for changes to your edit of “%(title)s”: %(comment)s",
                title=title,
                comment=comment,
            ),
        ),
        "revision_reject": (
            _("Your edit was rejected"),
            _(
                "Your edit of “%(title)s” was rejected; the published version stays online: %(comment)s",
                title=title,
                comment=comment,
            ),
        ),
        "expire": (
            _("Your listing has expired"),
            _("“%(title)s” has expired. You can renew it from My listings.", title=title),
        ),
        "remind": (
            _("Your listing expires soon"),
            _(
                "“%(title)s” expires on %(date)s. Renew it from My listings to keep it online.",
                title=title,
                date=deadline,
            ),
        ),
    }
    return messages[name]


def _notify_owner(listing, name: str, comment) -> None:
    path = link("listings.mine") if name in ("expire", "remind") else link("listings.detail", listing_id=listing.id)
    for user in recipients(listing.company):
        with force_locale(user.locale or "en"):
            subject, text = _message(name, listing, comment)
            notify(user, text[:500], path, email_subject=subject)


def status_label(status: ListingStatus) -> str:
    labels = {
        S.draft: _("draft"),
        S.submitted: _("submitted for review"),
        S.changes_requested: _("waiting for changes"),
        S.published: _("published"),
        S.rejected: _("rejected"),
        S.expired: _("expired"),
        S.withdrawn: _("withdrawn"),
        S.fulfilled: _("fulfilled"),
    }
    return labels[status]


def status_counts(company) -> dict:
    rows = db.session.execute(
        sa.select(Listing.status, sa.func.count()).where(Listing.company_id == company.id).group_by(Listing.status)
    ).all()
    found = dict(rows)
    return {status: found[status] for status in ListingStatus if status in found}  # in lifecycle order
