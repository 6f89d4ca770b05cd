"""Rate limits on everything that mails someone or creates rows for others; the only module that counts.

Each action has a limit per client address and one per account, read from the RATELIMIT_<ACTION>_ADDRESS
and RATELIMIT_<ACTION>_ACCOUNT settings ("5/hour"; empty turns it off). The counters are fixed windows
of the `limits` library, kept where every gunicorn worker sees them: in Redis when PORTAL_REDIS_URL is
set, otherwise in the portal's own database (one upserted row per key in `rate_limit_counter`).
"""

import logging
import math
import secrets
import time
from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from flask import current_app, request
from flask_login import current_user
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.exceptions import TooManyRequests

from .extensions import db
from .models import RateLimitCounter
from .models.base import utcnow

log = logging.getLogger(__name__)

ACTIONS = (
    "register",
    "reset",
    "resend",
    "invite",
    "interest",
    "message",
    "flag",
    "saved_search",
    "search",
    "export",
)
PRUNE_ONE_IN = 50  # one hit in this many also deletes long-expired counters


class RateLimited(TooManyRequests):
    """A 429 that knows when the window ends; portal/errors.py turns it into a page or JSON."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after=retry_after)
        self.retry_after_seconds = retry_after


class DatabaseStorage(Storage):
    """A `limits` storage in the portal's database: one row per key, incremented by an atomic upsert."""

    STORAGE_SCHEME = ["portal+db"]

    @property
    def base_exceptions(self):
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        table = RateLimitCounter.__table__
        now = utcnow()
        new_expiry = now + timedelta(seconds=expiry)
        insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(table).values(key=key, count=amount, expires_at=new_expiry)
        expired = table.c.expires_at <= now
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": sa.case((expired, amount), else_=table.c.count + amount),
                "expires_at": sa.case((expired, new_expiry), else_=table.c.expires_at),
            },
        ).returning(table.c.count)
        # A connection of its own: the count stays even if the request's transaction rolls back.
        with db.engine.begin() as conn:
            count = conn.execute(stmt).scalar_one()
            if secrets.randbelow(PRUNE_ONE_IN) == 0:
                conn.execute(sa.delete(table).where(table.c.expires_at < now - timedelta(days=1)))
        return count

    def _row(self, key: str):
        table = RateLimitCounter.__table__
        with db.engine.connect() as conn:
            return conn.execute(
                sa.select(table.c.count, table.c.expires_at).where(table.c.key == key, table.c.expires_at > utcnow())
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        if row is None:
            return time.time()
        return time.time() + (row.expires_at - utcnow()).total_seconds()

    def check(self) -> bool:
        with db.engine.connect() as conn:
            return conn.execute(sa.select(1)).scalar() == 1

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(sa.delete(RateLimitCounter.__table__)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(sa.delete(RateLimitCounter.__table__).where(RateLimitCounter.__table__.c.key == key))


def storage() -> Storage:
    """Redis when PORTAL_REDIS_URL is set, else the database; one per app."""
    state = current_app.extensions.get("portal_limits")
    if state is None:
        url = current_app.config.get("REDIS_URL")
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "leather-bridge"
        state = storage_from_string(url, key_prefix=prefix) if url else DatabaseStorage()
        current_app.extensions["portal_limits"] = state
    return state


def rule(action: str, per: str) -> RateLimitItem | None:
    text = current_app.config.get(f"RATELIMIT_{action.upper()}_{per.upper()}")
    return parse(text) if text else None


def client_address() -> str:
    # With PORTAL_PROXY_HOPS set, ProxyFix has already put the client's address here.
    return request.remote_addr or "-"


def hit(action: str, account: str | int | None = None) -> None:
    """Count one attempt at `action` by this address and account (default: the logged-in user);
    raise RateLimited (429) when either limit is used up."""
    if action not in ACTIONS:
        raise ValueError(f"unknown rate-limited action {action!r}")
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    if account is None and current_user and current_user.is_authenticated:
        account = current_user.id
    checks = [("address", client_address())]
    if account is not None:
        checks.append(("account", str(account).strip().lower()))
    limiter = FixedWindowRateLimiter(storage())
    for per, identity in checks:
        item = rule(action, per)
        if item is None:
            continue
        try:
            allowed = limiter.hit(item, action, per, identity)
            if not allowed:
                reset_at = limiter.get_window_stats(item, action, per, identity).reset_time
        except Exception:  # noqa: BLE001 - a broken counter store must not take the portal down
            log.exception("rate limit store failed; letting %s through", action)
            return
        if not allowed:
            raise RateLimited(max(1, math.ceil(reset_at - time.time())))


def limited(action: str, methods=("POST",)):
    """View decorator: every request with one of these methods counts as one attempt at `action`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if methods is None or request.method in methods:
                hit(action)
            return view(*args, **kwargs)

        return wrapped

    return decorator
