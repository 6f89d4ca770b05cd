"""Account rules: hashing, throttled authentication, signed tokens, registration."""

from datetime import timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
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


def create_user(
    email, name, password=None, role=Role.member, association_id=None, locale=None, password_hash=None
) -> User:
    """A new account with `password` (hashed here) or an already made `password_hash` (the demo's)."""
    if (password is None) == (password_hash is None):
        raise ValueError("create_user needs a password or a password_hash, not both and not neither")
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        password_hash=password_hash or hash_password(password),
        role=role,
        association_id=association_id if role is Role.staff else None,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    return user


# --- throttling -----------------------------------------------------------------------------------
# Attempts are rows in the database, so every gunicorn worker counts the same ones. They are counted per
# (account, address) pair and per address: a stranger's wrong guesses lock only the stranger's own pair,
# never the owner typing the right password from elsewhere.


def _window_start():
    return utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])


class Attempt(NamedTuple):
    """A login attempt that may be checked. Plain values, not the row: a parallel right password may
    already have deleted the row, and reading an expired, deleted row would raise."""

    account: str
    address: str


def begin_attempt(email: str, address: str) -> Attempt | None:
    """Record the attempt and commit, then count it with every other one: the attempt if the password
    may be checked, None if the pair or the address is over its limit. Because each request counts after
    its own commit, at most LOGIN_MAX_FAILURES attempts of a pair are ever checked, even all in parallel."""
    cfg = current_app.config
    account, address = normalize_email(email)[:254], (address or "-")[:64]
    since = _window_start()
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.at < since))  # prune what no longer counts
    row = LoginFailure(account=account, address=address)
    db.session.add(row)
    db.session.flush()
    # The id before the commit: afterwards reading it would reload the row, which a parallel right
    # password for the same pair may already have deleted (ObjectDeletedError, a 500).
    row_id = row.id
    db.session.commit()

    def count(*conditions):
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(LoginFailure).where(LoginFailure.at >= since, *conditions)
        )

    pair = count(LoginFailure.account == account, LoginFailure.address == address)
    from_address = count(LoginFailure.address == address)
    if pair <= cfg["LOGIN_MAX_FAILURES"] and from_address <= cfg["LOGIN_IP_MAX_FAILURES"]:
        return Attempt(account, address)
    # Refused attempts leave no row, so hammering cannot grow the table; the checked ones keep the lock.
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.id == row_id))
    db.session.commit()
    return None


def attempt_succeeded(attempt: Attempt) -> None:
    """The password was right: the pair starts afresh (the caller commits)."""
    db.session.execute(
        sa.delete(LoginFailure).where(LoginFailure.account == attempt.account, LoginFailure.address == attempt.address)
    )


def clear_failures(email: str) -> None:
    """A new password (by reset) ends every lock on the account, from every address."""
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.account == normalize_email(email)))


def retry_after_seconds() -> int:
    return current_app.config["LOGIN_WINDOW_SECONDS"]


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


def user_for_confirm_token(token: str) -> User | None:
    """The account a confirmation link is for, while it is still unconfirmed; else None."""
    try:
        data = _serializer("confirm-email").loads(token, max_age=current_app.config["TOKEN_MAX_AGE_SECONDS"])
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("uid"))
    # Once confirmed, every confirmation link of the account is spent: a link works once.
    if user is None or user.email != data.get("email") or user.email_confirmed_at is not None:
        return None
    return user


def confirm_email(user: User, password: str | None = None) -> None:
    """Mark the address confirmed; with `password`, set it first (the link opened in a browser that did not
    register the account: see auth.routes.confirm), which also ends every other session of the account."""
    if password is not None:
        set_password(user, password)
        clear_failures(user.email)
    user.email_confirmed_at = utcnow()


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


def accept_terms(user: User, version: str) -> None:
    """Records that the user accepted the Terms of use and Privacy policy of this version, and when."""
    user.terms_accepted_at = utcnow()
    user.terms_version = version


def has_accepted(user: User, version: str) -> bool:
    return user.terms_version == version


def accept_updated_terms(user: User, version: str) -> None:
    """An existing account accepts the Terms now in force (the Terms gate's page, auth/consent.py).

    Audited like the other account events: the user row keeps only the latest acceptance, the audit trail
    keeps each one, so it can show later which text the account had agreed to on a given day."""
    previous = user.terms_version
    accept_terms(user, version)
    association_id = user.association_id
    if association_id is None and user.company is not None:
        association_id = user.company.association_id
    audit.record(
        user,
        "user.accept_terms",
        "user",
        user.id,
        association_id=association_id,
        detail={"email": user.email, "version": version, "previous": previous},
    )


def register(email: str, name: str, password: str, locale: str | None, terms_version: str) -> User | None:
    """A new unconfirmed account mailed its confirmation link; for an email that has an account already,
    a note to its holder instead and None. The caller answers both the same way, so the registration
    form cannot tell anyone which emails have accounts. The caller has checked the terms were accepted."""
    existing = user_by_email(email)
    if existing is None:
        user = create_user(email, name, password, locale=locale)
        accept_terms(user, terms_version)
        send_confirmation(user)
        return user
    hash_password(password)  # the same work as a new account, so the answer takes as long
    with force_locale(existing.locale or "en"):
        subject = _("Someone tried to register with your email on Leather Bridge")
        body = _(
            "Hello %(name)s,\n\nSomeone, perhaps you, tried to create a new Leather Bridge account with this "
            "email address. You already have an account: log in at %(login)s or, if you forgot your password, "
            "reset it at %(reset)s.\n\nIf it was not you, you can ignore this message; nothing was changed.",
            name=existing.name,
            login=public_url("auth.login"),
            reset=public_url("auth.reset_request"),
        )
    send_mail(existing.email, subject, body)
    return None


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
