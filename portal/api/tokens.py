"""Personal access tokens for the JSON API: made, found and revoked here only (Settings pages and the API
both call these). A token is shown once; the database keeps its SHA-256, never the token itself."""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..extensions import db
from ..models.base import utcnow
from ..models.insight import ApiToken
from ..rules import RuleError
from ..utils import sha256

TOKEN_PREFIX = "lb_"  # noqa: S105 - not a secret: makes a leaked token recognisable to secret scanners
SHOWN_PREFIX_LENGTH = 10  # "lb_" and 7 characters: enough to tell one's tokens apart, useless to guess with
SCOPES = ("read", "write")
MAX_ACTIVE_TOKENS = 20
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often, to spare writes


def tokens_of(user) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included (so the list says what happened to them)."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def active_count(user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(ApiToken.id)).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )


def create_token(user, name: str, scope: str) -> tuple[ApiToken, str]:
    """A new token for `user` and its secret, to show once; the caller commits."""
    if scope not in SCOPES:
        raise RuleError(_("Choose read or write."), "invalid")
    if active_count(user) >= MAX_ACTIVE_TOKENS:
        raise RuleError(
            _("You have %(count)s active tokens. Revoke one you no longer use first.", count=MAX_ACTIVE_TOKENS),
            "conflict",
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        token_hash=sha256(secret),
        scope=scope,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(user, "api_token.create", "api_token", token.id, detail=_audit_detail(token))
    return token, secret


def own_token(user, token_id: int) -> ApiToken:
    """The user's own token; anyone else's seems not to exist."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise RuleError(kind="not_found")
    return token


def revoke_token(user, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens: from now on it is refused. The caller commits."""
    token = own_token(user, token_id)
    if token.revoked_at is not None:
        raise RuleError(_("This token was already revoked."), "conflict")
    token.revoked_at = utcnow()
    audit.record(user, "api_token.revoke", "api_token", token.id, detail=_audit_detail(token))
    return token


def _audit_detail(token) -> dict:
    return {"name": token.name, "prefix": token.prefix, "scope": token.scope}


def find_active(secret: str) -> ApiToken | None:
    """The live token with this secret (not revoked, of an active account), or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == sha256(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token


def note_use(token: ApiToken) -> None:
    """Record that the token was used now, at most once a minute, in its own small commit."""
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        token.last_used_at = now
        db.session.commit()
