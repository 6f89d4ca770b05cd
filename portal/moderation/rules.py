"""What moderation refuses on top of the lifecycle: approving a listing of a company its association does not verify."""

from flask_babel import gettext as _


def approval_refusal(listing, action: str) -> str | None:
    """Why staff cannot take this decision now (None when they can).

    The lifecycle refuses to submit or renew for an unverified company, but a company can lose its
    verification while its listing (or an edit of it) waits: approving it would publish nothing anyone
    can see, so staff verify the company first. Company.is_verified stays the one test of "verified".
    """
    if action == "approve" and not listing.company.is_verified:
        return _(
            "%(company)s is not verified by its association, so its listings cannot be approved. "
            "Verify the company first.",
            company=listing.company.name,
        )
    return None
