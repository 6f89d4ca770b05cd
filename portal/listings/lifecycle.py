"""The listing lifecycle as one state machine: TRANSITIONS, who may take each edge, and `transition()`.

Every status change goes through `transition()` (the owner's buttons, staff decisions, expiry and the
importer), so timestamps, the version, the audit row and the owner's notification never drift apart.
Nothing here commits: the caller does, once.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from .. import audit, search
from ..models import Listing, ListingStatus, base
from ..permissions import can_moderate, is_member_of
from .notices import notify_owner, status_label

log = logging.getLogger(__name__)

S = ListingStatus
REMINDER_DAYS = 14


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
    by: str  # "owner" (a user of the listing's company), "staff" (of its association), "system" or "import"
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
        # The importer sets the status a file asks for on listings not yet past publication; the
        # import itself is audited once and nobody is notified (see importer.import_records).
        Transition("import_draft", frozenset({S.submitted, S.published}), S.draft, "import"),
        Transition("import_submitted", frozenset({S.draft, S.published}), S.submitted, "import"),
        Transition("import_published", frozenset({S.draft, S.submitted}), S.published, "import"),
    )
}
STAFF_DECISIONS = ("approve", "request_changes", "reject")


# --- who may take which edge ---------------------------------------------------------------------


def is_owner(user, listing) -> bool:
    return is_member_of(user, listing.company)


def lifetime() -> timedelta:
    return timedelta(days=int(current_app.config.get("LISTING_LIFETIME_DAYS", 365)))


def renewable_from(listing):
    return listing.expires_at - timedelta(days=REMINDER_DAYS) if listing.expires_at else None


def approval_refusal(listing) -> str | None:
    """Why staff cannot approve the listing, or its pending edit, now (None when they can).

    Submitting and renewing are refused for an unverified company, but a company can lose its verification
    while its listing (or an edit of it) waits: approving it would publish what no one can see, so staff
    verify the company first. Company.is_verified stays the one test of "verified". Imports take their own
    edges and are not refused here: an operator's import states each company's verification itself.
    """
    if listing.company.is_verified:
        return None
    return _(
        "%(company)s is not verified by its association, so its listings cannot be approved. Verify the company first.",
        company=listing.company.name,
    )


def refusal(listing, name: str, comment: str | None = None) -> str | None:
    """Why the transition cannot happen now (None when it can); the actor's right is checked apart."""
    t = TRANSITIONS[name]
    if listing.status not in t.sources:
        return _("This is not possible while the listing is %(status)s.", status=status_label(listing.status))
    if t.needs_comment and not (comment or "").strip():
        return _("Please write a comment or reason for the company.")
    if name in ("submit", "renew") and not listing.company.is_verified:
        return _("Your company must be verified by your association before its listings can go online.")
    if name == "approve" and (reason := approval_refusal(listing)):
        return reason
    if name == "renew" and listing.status is S.published:
        start = renewable_from(listing)
        if start is None or base.utcnow() < start:
            return _("You can renew a listing from %(days)s days before it expires.", days=REMINDER_DAYS)
    return None


def allowed(listing, name: str) -> bool:
    return refusal(listing, name, comment="-") is None


def _check_actor(t: Transition, listing, actor) -> None:
    if t.by == "owner" and not (actor is not None and is_owner(actor, listing)):
        raise NotAllowed(_("Only the company's own users can do that."))
    if t.by == "staff" and not (actor is not None and can_moderate(actor, listing)):
        raise NotAllowed(_("Only staff of the company's association can do that."))
    if t.by == "system" and actor is not None:
        raise NotAllowed("system transition")
    # "import": the import page and command check who may import before anything is read.


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
    if t.target is S.submitted:
        listing.submitted_at = now
    elif name in ("approve", "renew", "import_published"):
        if name != "renew":
            listing.published_at = now
        listing.expires_at, listing.reminded_at, listing.closed_at = now + lifetime(), None, None
    elif t.target in (S.withdrawn, S.fulfilled, S.expired):
        listing.closed_at = now
        _close_open_revision(listing)
    if t.by == "staff":
        listing.staff_comment = comment if name != "approve" else None
    if t.by == "import":
        return listing
    audit.record(
        actor,
        f"listing.{name}",
        "listing",
        listing.id,
        association_id=listing.company.association_id,
        reason=comment,
        detail={"from": old.value, "to": t.target.value},
    )
    if t.by in ("staff", "system"):
        notify_owner(listing, name, comment)
    if name == "approve":
        announce_matches(listing)
    return listing


def announce_matches(listing) -> None:
    """Tell the owner at once about the matches a newly published listing already has.

    `flask --app portal match notify` (cron) covers the other side and later matches. The index is a
    cache: if it cannot answer, the approval goes ahead and the cron run catches up.
    """
    try:
        search.notify_listing(listing)
    except Exception:  # noqa: BLE001 - never let the search index block a moderation decision
        log.exception("could not compute matches for listing %s at approval", listing.id)


def _close_open_revision(listing) -> None:
    revision = listing.pending_revision
    if revision is not None:
        revision.status, revision.decided_at = S.withdrawn, base.utcnow()
