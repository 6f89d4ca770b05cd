"""Outgoing mail and in-portal notifications.

Every message is stored in the outbox inside the caller's transaction, so a rolled-back request sends
nothing. After the commit it goes out by SMTP when PORTAL_MAIL_SERVER is set; otherwise it stays in
the outbox and the log, which is enough for the demo. What could not go out (server down, a refused
message) stays pending and `flask mail send-pending` retries it with backoff, so an outage loses nothing.
"""

import logging
import re
import smtplib
from datetime import timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, url_for

from .extensions import db
from .models import Notification, OutboxMessage
from .models.base import utcnow
from .utils import clean_line, has_unsafe_chars

log = logging.getLogger(__name__)
PENDING_KEY = "portal_outbox_pending"
SUBJECT_MAX = 200
HEADER_VALUE_MAX = 900  # under the 998-octet line limit of RFC 5322
HEADER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,75}$")
# Set by the portal itself; a caller's extra headers may not replace or add to them.
RESERVED_HEADERS = {"from", "to", "cc", "bcc", "subject", "sender", "reply-to", "date", "message-id"}


def safe_headers(headers: dict | None) -> dict | None:
    """Extra headers with valid names only, each value on one line and capped."""
    clean = {}
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
            log.warning("mail header dropped: %r", name)
            continue
        clean[name] = clean_line(str(value), HEADER_VALUE_MAX)
    return clean or None


def send_mail(recipient: str, subject: str, body: str, headers: dict | None = None) -> OutboxMessage:
    """Queue one email; `headers` adds extra ones (e.g. List-Unsubscribe) to those the portal sets.

    The one place where every subject and header is made safe: control characters become spaces,
    whitespace collapses, the subject is capped, so a company or alert name can never add a header."""
    recipient = (recipient or "").strip()
    message = OutboxMessage(
        recipient=recipient[:254],
        subject=clean_line(subject, SUBJECT_MAX),
        body=body,
        headers=safe_headers(headers),
    )
    if has_unsafe_chars(recipient) or "@" not in recipient or len(recipient) > 254:
        # never raise here: the caller's transaction (a registration, an alert batch) must not fail
        message.failed_at, message.error = utcnow(), "refused: not a single email address"
    db.session.add(message)
    db.session.flush()  # the id is needed after the commit, when the session can no longer load it
    if message.failed_at is None:
        db.session.info.setdefault(PENDING_KEY, []).append(message.id)
    log.info("mail to %r: %s", recipient, message.subject)
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


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt, capped."""
    cfg = current_app.config
    seconds = cfg["MAIL_RETRY_SECONDS"] * 2 ** max(0, min(attempts - 1, 30))
    return timedelta(seconds=min(seconds, cfg["MAIL_RETRY_MAX_SECONDS"]))


def _due(table, now):
    return sa.and_(
        table.c.sent_at.is_(None),
        table.c.failed_at.is_(None),
        sa.or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
    )


def _claim(conn, table, message_id, now) -> bool:
    """Take one due row for this run: counts the attempt and holds the row off for a while, so two runs
    (cron and an after-commit delivery) never send it twice and a crash mid-send still counts."""
    result = conn.execute(
        table.update()
        .where(table.c.id == message_id, _due(table, now))
        .values(attempts=table.c.attempts + 1, next_attempt_at=now + timedelta(minutes=10))
    )
    return result.rowcount == 1


def _build(cfg, row) -> EmailMessage:
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = row.recipient
    email["Subject"] = clean_line(row.subject, SUBJECT_MAX)  # rows written before the cleaning, too
    for name, value in (safe_headers(row.headers) or {}).items():
        email[name] = value
    email.set_content(row.body)
    return email


class _Connection:
    """One SMTP connection for a batch, opened on first use and again after it drops."""

    def __init__(self, cfg):
        self.cfg, self.smtp, self.down = cfg, None, None

    def send(self, email) -> None:
        if self.down is not None:
            raise self.down  # the server did not answer this run: the rest wait for the next one
        if self.smtp is None:
            try:
                self.smtp = self._connect()
            except (OSError, smtplib.SMTPException) as exc:
                self.down = exc
                raise
        try:
            self.smtp.send_message(email)
        except (OSError, smtplib.SMTPServerDisconnected):
            self.close()
            raise

    def _connect(self) -> smtplib.SMTP:
        cfg = self.cfg
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10)
        try:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def deliver(message_ids) -> tuple[int, int]:
    """Send stored messages over SMTP, each in its own try; returns (sent, not sent). Never raises.

    A message that cannot be built (a bad stored header) fails for good at once; one the server
    refuses or cannot take (down, timeout) is retried later with backoff, until MAIL_MAX_ATTEMPTS."""
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER") or not message_ids:
        return 0, 0
    table = OutboxMessage.__table__
    sent = failed = 0
    connection = _Connection(cfg)
    try:
        for message_id in message_ids:
            now = utcnow()
            with db.engine.begin() as conn:
                if not _claim(conn, table, message_id, now):
                    continue  # sent, given up, not due, or another run has it
                row = conn.execute(sa.select(table).where(table.c.id == message_id)).one()
            permanent, error = False, None
            try:
                email = _build(cfg, row)
            except Exception as exc:  # noqa: BLE001 - one bad row must not stop the batch
                permanent, error = True, f"cannot build the message: {exc}"
            else:
                try:
                    connection.send(email)
                except (OSError, smtplib.SMTPException) as exc:
                    error = f"{type(exc).__name__}: {exc}"
            with db.engine.begin() as conn:
                if error is None:
                    conn.execute(table.update().where(table.c.id == message_id).values(sent_at=utcnow(), error=None))
                    sent += 1
                    continue
                failed += 1
                # row.attempts already counts this attempt (see _claim)
                values = {"error": error[:1000], "next_attempt_at": utcnow() + retry_delay(row.attempts)}
                if permanent or row.attempts >= cfg["MAIL_MAX_ATTEMPTS"]:
                    values["failed_at"] = utcnow()
                    log.error("mail %s to %s failed for good: %s", message_id, row.recipient, error)
                else:
                    log.warning("mail %s stays in the outbox for a retry: %s", message_id, error)
                conn.execute(table.update().where(table.c.id == message_id).values(**values))
    finally:
        connection.close()
    return sent, failed


def send_pending(limit: int = 500) -> tuple[int, int]:
    """Deliver what is due in the outbox (never sent, or failed and waiting out its backoff), oldest first."""
    table = OutboxMessage.__table__
    with db.engine.begin() as conn:
        ids = (
            conn.execute(sa.select(table.c.id).where(_due(table, utcnow())).order_by(table.c.id).limit(limit))
            .scalars()
            .all()
        )
    return deliver(ids)


def _after_commit(session):
    pending = session.info.pop(PENDING_KEY, [])
    if pending and current_app.config.get("MAIL_SERVER"):
        try:
            deliver(pending)
        except Exception:  # noqa: BLE001 - the user's commit is done; send-pending retries what is left
            log.exception("mail delivery after commit failed; the messages stay pending")


def _after_rollback(session):
    session.info.pop(PENDING_KEY, None)


def init_app(app):
    """Hook delivery to the shared session once, however many apps the process builds."""
    if not sa.event.contains(db.session, "after_commit", _after_commit):
        sa.event.listen(db.session, "after_commit", _after_commit)
        sa.event.listen(db.session, "after_rollback", _after_rollback)
