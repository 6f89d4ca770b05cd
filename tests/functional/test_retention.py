"""The privacy page's retention periods, kept by the worker's `retention` job (portal/retention.py): what
is past its period goes, what is within it or still needed stays, through `flask worker --once`."""

from datetime import timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditLog, LoginFailure, OutboxMessage, RateLimitCounter
from portal.models.base import utcnow

DAY = timedelta(days=1)


def run_worker(app):
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def left(column):
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(column)).all())


def test_delivered_and_abandoned_mail_goes_after_90_days_pending_mail_never(app):
    now = utcnow()
    db.session.add_all(
        [
            OutboxMessage(recipient="old-sent@example.org", subject="s", body="b", sent_at=now - 91 * DAY),
            OutboxMessage(recipient="old-failed@example.org", subject="s", body="b", failed_at=now - 91 * DAY),
            OutboxMessage(recipient="recent@example.org", subject="s", body="b", sent_at=now - 89 * DAY),
            OutboxMessage(recipient="pending@example.org", subject="s", body="b", created_at=now - 200 * DAY),
        ]
    )
    db.session.add(LoginFailure(account="someone@example.org", address="203.0.113.9", at=now - 91 * DAY))
    db.session.add_all(
        [
            RateLimitCounter(key="login/203.0.113.9", count=3, expires_at=now - DAY),
            RateLimitCounter(key="login/198.51.100.7", count=1, expires_at=now + DAY),
        ]
    )
    db.session.commit()

    output = run_worker(app)

    assert left(OutboxMessage.recipient) == ["pending@example.org", "recent@example.org"]
    assert left(LoginFailure.account) == []
    assert left(RateLimitCounter.key) == ["login/198.51.100.7"]
    assert "2 outbox mail, 1 login failures, 1 expired rate-limit counters, 0 audit rows deleted" in output


def test_audit_rows_go_after_five_years_though_the_application_never_deletes_one(app):
    now = utcnow()
    for action, age in (("company.verify", 5 * 365 + 2), ("company.reject", 5 * 365 - 1), ("listing.approve", 30)):
        db.session.add(AuditLog(action=action, object_type=action.split(".")[0], object_id=1, at=now - age * DAY))
    db.session.commit()

    run_worker(app)

    assert left(AuditLog.action) == ["company.reject", "listing.approve"]


def test_the_periods_are_settings(app):
    app.config["RETENTION_LOG_DAYS"] = 10
    db.session.add(OutboxMessage(recipient="a@example.org", subject="s", body="b", sent_at=utcnow() - 11 * DAY))
    db.session.commit()

    run_worker(app)

    assert left(OutboxMessage.recipient) == []
