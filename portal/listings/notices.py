"""What a listing's owner is told when staff or the system move it, and the status names they read."""

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from ..mail import notify
from ..models import ListingStatus

S = ListingStatus


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


def notify_owner(listing, name: str, comment) -> None:
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
