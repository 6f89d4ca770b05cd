"""The pages every role starts from."""

import logging
import os

import sqlalchemy as sa
from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ..extensions import csrf, db
from ..models import Company, Listing, Notification, Role
from ..models.base import utcnow
from ..models.company import VerificationStatus
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
    return render_template("main/dashboard.html", company=current_user.company)


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
    index = index_state()
    if index != "ok":
        log.warning("health check: the search index is %s", index)  # a cache: search degrades, the portal runs
    return jsonify(status="ok"), 200


def index_state() -> str:
    try:
        from ..search import index_status

        return index_status()
    except ImportError:
        index_dir = current_app.config["INDEX_DIR"]
        return "ok" if os.path.isdir(index_dir) else "missing"


@bp.app_context_processor
def inject_unread():
    if request.endpoint and current_user.is_authenticated:
        unread = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        )
        return {"unread_notifications": unread}
    return {"unread_notifications": 0}
