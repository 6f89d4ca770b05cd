"""The pages every role starts from."""

import logging

import sqlalchemy as sa
from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from .. import search
from ..companies.services import profile_gaps
from ..extensions import csrf, db
from ..listings.services import status_counts
from ..models import Company, Listing, Notification, Role
from ..models.base import utcnow
from ..models.company import VerificationStatus
from ..partnerships.panels import dashboard_summary
from ..security import allow_plain_http
from ..utils import paginate
from . import bp

log = logging.getLogger(__name__)


@bp.route("/")
def index():
    counts = dict(
        db.session.execute(
            sa.select(Company.country, sa.func.count())
            .where(Company.status == VerificationStatus.verified)
            .group_by(Company.country)
        ).all()
    )
    latest = db.session.scalars(
        sa.select(Listing)
        .where(Listing.live_clause())
        .options(selectinload(Listing.company), selectinload(Listing.tags))
        .order_by(Listing.published_at.desc(), Listing.id.desc())
        .limit(6)
    ).all()
    return render_template("main/index.html", counts=counts, latest=latest)


@bp.route("/dashboard")
@login_required
def dashboard():
    if current_user.role is Role.staff:
        return redirect(url_for("verification.queue"))
    if current_user.role is Role.admin:
        return redirect(url_for("admin.index"))
    if current_user.company is None:
        return redirect(url_for("companies.create"))
    company = current_user.company
    return render_template(
        "main/dashboard.html",
        company=company,
        listing_counts=status_counts(company),
        gaps=profile_gaps(company),
        partnerships_summary=dashboard_summary(),
        match_groups=search.dashboard_matches(company),
        suggestions=search.company_suggestions(company, limit=5) if company.is_verified else None,
    )


@bp.route("/notifications")
@login_required
def notifications():
    page = paginate(
        sa.select(Notification).where(Notification.user_id == current_user.id).order_by(Notification.id.desc())
    )
    return render_template("main/notifications.html", page=page)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def notifications_read():
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return redirect(url_for("main.notifications"))


@bp.route("/healthz")
@csrf.exempt
@allow_plain_http  # load balancers probe over plain HTTP on the inside
def healthz():
    """For the load balancer: 200 when the database answers, else 503; why goes to the log, not to the caller."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        log.exception("health check: the database does not answer")
        return jsonify(status="unavailable"), 503
    # Liveness only: the index is never touched here (a writer holding its lock must not stall the
    # probe); /readyz reports the index, the backlogs and the worker.
    return jsonify(status="ok"), 200


@bp.route("/readyz")
@csrf.exempt
@allow_plain_http
def readyz():
    """For operators and load balancers: figures on the database, index, journal, mail and worker.

    503 when the database fails or the search journal or the mail outbox has waited longer than
    PORTAL_READY_MAX_LAG_SECONDS. Only states and numbers are shown, never exception text or paths."""
    from .readiness import readiness

    report, ready = readiness()
    return jsonify(status="ok" if ready else "unavailable", **report), 200 if ready else 503
