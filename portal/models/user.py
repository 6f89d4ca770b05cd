"""Accounts, roles, login throttling counters, the mail outbox and in-portal notifications."""

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class Role(enum.Enum):
    member = "member"
    staff = "staff"
    admin = "admin"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, name="user_role", native_enum=False, length=16), default=Role.member
    )
    association_id: Mapped[int | None] = mapped_column(sa.ForeignKey("association.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id", use_alter=True), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    # An IANA zone name ("Asia/Karachi"); None: the company's country's zone (templating.user_zone).
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    # When the user accepted the terms of use, and which version (the Terms page's date).
    terms_accepted_at: Mapped[datetime | None]
    terms_version: Mapped[str | None] = mapped_column(sa.String(16))
    email_confirmed_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    # Flask-Login's alternative id: rotating it ends every session and remember cookie of the user.
    session_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    association = relationship("Association", foreign_keys=[association_id])
    company = relationship("Company", foreign_keys=[company_id], back_populates="users")

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    @property
    def is_staff(self) -> bool:
        return self.role is Role.staff

    @property
    def is_member(self) -> bool:
        return self.role is Role.member

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


def load_user(token: str):
    """Flask-Login loader keyed by the rotating session token, so old cookies stop working."""
    user = db.session.scalar(sa.select(User).where(User.session_token == token))
    return user if user and user.active else None


class LoginFailure(db.Model):
    """One login attempt not (yet) known to be right, counted per (account, address) and per address.

    The row is written before the password is checked and deleted when it was right, so parallel
    attempts cannot all slip under the limit; rows older than the window are pruned.
    """

    __tablename__ = "login_failure"
    __table_args__ = (
        sa.Index("ix_login_failure_pair", "account", "address"),
        sa.Index("ix_login_failure_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(sa.String(254))  # the normalized email typed, known or not
    address: Mapped[str] = mapped_column(sa.String(64))  # the client's IP address
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RateLimitCounter(db.Model):
    """A fixed-window counter of portal/limits.py when no Redis is configured; shared by all workers."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class OutboxMessage(db.Model):
    """Every email the portal sends; without SMTP it stays here (and in the log) for the demo.

    Pending means sent_at and failed_at are both empty; `flask mail send-pending` retries those whose
    next_attempt_at has come (empty: at once), and gives up (failed_at) after MAIL_MAX_ATTEMPTS."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_message_pending", "sent_at", "failed_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(sa.Text)  # the last attempt's error
    headers: Mapped[dict | None] = mapped_column(
        sa.JSON(none_as_null=True)
    )  # extra email headers, e.g. List-Unsubscribe
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # given up for good; the row stays for the record


class Notification(db.Model):
    """A message in the user's in-portal notification list."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.String(500))
    link: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    user = relationship("User")
