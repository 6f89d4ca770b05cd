"""Account rules: hashing, throttled authentication, signed tokens, registration."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..mail import public_url, send_mail
from ..models import LoginFailure, Role, User
from ..models.base import utcnow
from ..utils import sha256


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def create_user(email, name, password, role=Role.member, association_id=None, locale=None) -> User:
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        association_id=association_id if role is Role.staff else None,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    return user


# --- throttling -----------------------------------------------------------------------------------
# Failures are rows in the database, so every gunicorn worker counts the same attempts.


def _keys(email: str, ip: str) -> tuple[str, str]:
    return f"acct:{normalize_email(email)}", f"ip:{ip or '-'}"


def is_throttled(email: str, ip: str) -> bool:
    cfg = current_app.config
    since = utcnow() - timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    acct, ipkey = _keys(email, ip)

    def count(key):
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at >= since)
        )

    return count(acct) >= cfg["LOGIN_MAX_FAILURES"] or count(ipkey) >= cfg["LOGIN_IP_MAX_FAILURES"]


def record_failure(email: str, ip: str) -> None:
    for key in _keys(email, ip):
        db.session.add(LoginFailure(key=key))
    db.session.commit()


def clear_failures(email: str) -> None:
    acct, _ip = _keys(email, "")
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key == acct))


# A real hash to check against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = None


def authenticate(email: str, password: str) -> User | None:
    """The user if the password is right; None otherwise, taking as long for unknown emails."""
    global _DUMMY_HASH
    user = user_by_email(email)
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password("not-a-real-password")
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


# --- signed tokens ---------------------------------------------------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_confirm_token(user: User) -> str:
    return _serializer("confirm-email").dumps({"uid": user.id, "email": user.email})


def confirm_email(token: str) -> User | None:
    try:
        data = _serializer("confirm-email").loads(token, max_age=current_app.config["TOKEN_MAX_AGE_SECONDS"])
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        return None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def make_reset_token(user: User) -> str:
    # Binding the token to the current hash makes it single-use: a new password voids it.
    return _serializer("reset-password").dumps({"uid": user.id, "ph": sha256(user.password_hash)[:16]})


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _serializer("reset-password").loads(token, max_age=3600)
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or sha256(user.password_hash)[:16] != data.get("ph"):
        return None
    return user


def set_password(user: User, password: str) -> None:
    """New hash and a new session token: every other session and remember cookie stops working."""
    user.password_hash = hash_password(password)
    user.rotate_session_token()


def send_confirmation(user: User) -> None:
    link = public_url("auth.confirm", token=make_confirm_token(user))
    send_mail(
        user.email,
        _("Confirm your email for Leather Bridge"),
        _(
            "Hello %(name)s,\n\nPlease confirm your email address by opening this link:\n%(link)s\n",
            name=user.name,
            link=link,
        ),
    )


def send_reset(email: str) -> None:
    """Mails a reset link if the account exists; the caller answers the same either way."""
    user = user_by_email(email)
    if user is None or not user.active:
        return
    link = public_url("auth.reset_password", token=make_reset_token(user))
    send_mail(
        user.email,
        _("Reset your Leather Bridge password"),
        _(
            "Hello %(name)s,\n\nSomeone asked to reset your password. If it was you, open this link within an hour:\n%(link)s\n\nIf not, ignore this message.",
            name=user.name,
            link=link,
        ),
    )
