"""What the privacy page promises to delete, deleted: the worker's daily `retention` job.

The privacy page (templates/pages/privacy.*.html, "How long we keep it") says technical logs are kept up to
90 days and audit records of decisions up to five years. The portal's technical logs in the database are
the outbox's delivered and given-up mail (each a copy of a message with the recipient's name, address and
links) and the login failures (already pruned after their window by portal.auth.services); and the rate
limits' expired counters (keyed by address or account; portal.limits prunes them only while requests come).
Pending mail is never deleted: it has not been delivered yet.

Audit rows are append-only for the application (portal.models.audit refuses an ORM delete); this bulk
DELETE is the one sanctioned removal, of rows past their retention, so it goes through Core, which the
refusal does not watch. The insight figures that read the audit log (membership history, decision times)
then start at the oldest row kept: "all time" means the retention period.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import AuditLog, LoginFailure, OutboxMessage, RateLimitCounter
from .models.base import utcnow


def enforce_retention(now=None) -> dict[str, int]:
    """Delete what is past its retention period; returns the rows deleted per table. Idempotent."""
    now = now or utcnow()
    logs_before = now - timedelta(days=current_app.config["RETENTION_LOG_DAYS"])
    audit_before = now - timedelta(days=current_app.config["RETENTION_AUDIT_DAYS"])
    done = sa.func.coalesce(OutboxMessage.sent_at, OutboxMessage.failed_at)
    deletes = {
        "outbox mail": sa.delete(OutboxMessage).where(done.is_not(None), done < logs_before),
        "login failures": sa.delete(LoginFailure).where(LoginFailure.at < logs_before),
        "expired rate-limit counters": sa.delete(RateLimitCounter).where(RateLimitCounter.expires_at < now),
        "audit rows": sa.delete(AuditLog.__table__).where(AuditLog.__table__.c.at < audit_before),
    }
    deleted = {
        name: db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
        for name, statement in deletes.items()
    }
    db.session.commit()
    return deleted
