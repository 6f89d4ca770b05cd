"""The main navigation for the viewer's role, with what waits for staff and admins ("Verification 3").

Counts are two cheap COUNT queries, made only for staff and admins; while the database is down they
are left out, so no page fails for a badge.
"""

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .errors import DATABASE_ERRORS, database_unavailable, is_outage, mark_database_unavailable
from .extensions import db
from .models import Company, Listing, Role
from .models.company import VerificationStatus
from .moderation.clauses import waiting_clause


def nav_items() -> list[tuple[str, str, int]]:
    """(endpoint, label, waiting count or 0) for the viewer; endpoints not registered are left out."""
    items = [("companies.directory", _l("Companies")), ("listings.index", _l("Listings"))]
    role = current_user.role if current_user.is_authenticated else None
    if role is Role.member:
        items[:0] = [("main.dashboard", _l("Dashboard")), ("partnerships.inbox", _l("Partnerships"))]
    elif role is Role.staff:
        items[:0] = [
            ("insight.dashboard", _l("Dashboard")),
            ("verification.queue", _l("Verification")),
            ("moderation.queue", _l("Moderation")),
        ]
    elif role is Role.admin:
        items[:0] = [
            ("admin.index", _l("Administration")),
            ("insight.dashboard", _l("Dashboard")),
            ("moderation.queue", _l("Moderation")),
            ("moderation.import_data", _l("Import")),
        ]
    counts = waiting_counts(role) if role in (Role.staff, Role.admin) else {}
    return [(e, label, counts.get(e, 0)) for e, label in items if e in current_app.view_functions]


def waiting_counts(role) -> dict[str, int]:
    """Companies waiting for verification (staff: their association) and listings waiting for moderation."""
    if database_unavailable():
        return {}
    try:
        listings = sa.select(sa.func.count(Listing.id)).join(Company, Listing.company_id == Company.id)
        listings = listings.where(waiting_clause())
        counts = {}
        if role is Role.staff:
            listings = listings.where(Company.association_id == current_user.association_id)
            counts["verification.queue"] = db.session.scalar(
                sa.select(sa.func.count(Company.id)).where(
                    Company.association_id == current_user.association_id,
                    Company.status == VerificationStatus.unverified,
                )
            )
        counts["moderation.queue"] = db.session.scalar(listings)
        return counts
    except DATABASE_ERRORS as exc:
        if not is_outage(exc):
            raise
        mark_database_unavailable()
        return {}
