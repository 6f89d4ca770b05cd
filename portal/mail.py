"""Outgoing mail and in-portal notifications.

Every message is stored in the outbox inside the caller's transaction, so a rolled-back request sends
nothing. After the commit it goes out by SMTP when PORTAL_MAIL_SERVER is set; otherwise it stays in
the outbox and the log, which is enough for the demo.
"""

import logging
import smtplib
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, url_for

from .extensions import db
from .models import Notification, OutboxMessage
from .models.base import utcnow

log = logging.getLogger(__name__)
PENDING_KEY = "portal_outbox_pending"


def send_mail(recipient: str, subject: str, body: str, headers: dict | None = None) -> OutboxMessage:
    """Queue one email; `headers` adds extra ones (e.g. List-Unsubscribe) to those the portal sets."""
    message = OutboxMessage(recipient=recipient, subject=subject, body=body, headers=headers or None)
    db.session.add(message)
    db.session.flush()  # the id is needed after the commit, when the session can no longer load it
    db.session.info.setdefault(PENDING_KEY, []).append(message.id)
    log.info("mail to %s: %s", recipient, subject)
    return message


def notify(user, text: str, link: str | None = None, *, email_subject: str | None = None) -> None:
    """An in-portal notification, and an email too when a subject is given."""
    db.session.add(Notification(user_id=user.id, text=text, link=link))
    if email_subject:
        url = (public_base_url() + link) if link else ""
        send_mail(user.email, email_subject, f"{text}\n\n{url}".strip())


def public_base_url() -> str:
    """Where the portal is reached, for links in emails: always PORTAL_PUBLIC_URL.

    Never the request's Host header: an attacker who sends `Host: evil.example` to the reset form
    would otherwise receive the victim's reset link on his own server."""
    return current_app.config["PUBLIC_URL"].rstrip("/")


def public_url(endpoint: str, **values) -> str:
    """An absolute link for an email: PUBLIC_URL plus the endpoint's path."""
    return public_base_url() + url_for(endpoint, **values)


def deliver(message_ids) -> None:
    """Send stored messages over SMTP; failures are recorded on the row and never raised."""
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER") or not message_ids:
        return
    with db.engine.begin() as conn:
        rows = conn.execute(sa.select(OutboxMessage.__table__).where(OutboxMessage.id.in_(message_ids))).all()
    sent, failed = [], {}
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            for row in rows:
                email = EmailMessage()
                email["From"] = cfg["MAIL_DEFAULT_SENDER"]
                email["To"] = row.recipient
                email["Subject"] = row.subject
                for name, value in (row.headers or {}).items():
                    email[name] = value
                email.set_content(row.body)
                try:
                    smtp.send_message(email)
                    sent.append(row.id)
                except smtplib.SMTPException as exc:
                    failed[row.id] = str(exc)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("SMTP unavailable, mail stays in the outbox: %s", exc)
        failed = {row.id: str(exc) for row in rows}
    table = OutboxMessage.__table__
    with db.engine.begin() as conn:
        if sent:
            conn.execute(table.update().where(table.c.id.in_(sent)).values(sent_at=utcnow()))
        for mid, err in failed.items():
            conn.execute(table.update().where(table.c.id == mid).values(error=err[:1000]))


def _after_commit(session):
    pending = session.info.pop(PENDING_KEY, [])
    if pending and current_app.config.get("MAIL_SERVER"):
        deliver(pending)


def _after_rollback(session):
    session.info.pop(PENDING_KEY, None)


def init_app(app):
    """Hook delivery to the shared session once, however many apps the process builds."""
    if not sa.event.contains(db.session, "after_commit", _after_commit):
        sa.event.listen(db.session, "after_commit", _after_commit)
        sa.event.listen(db.session, "after_rollback", _after_rollback)
