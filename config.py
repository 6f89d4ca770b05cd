"""Settings for every environment; each one can be overridden by a PORTAL_* environment variable."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET = "dev-secret-change-me"  # noqa: S105 - the value production refuses


def env(name, default=None, cast=str):
    """Read PORTAL_<name> from the environment, cast it, or fall back to the default."""
    raw = os.environ.get(f"PORTAL_{name}")
    if raw is None:
        return default
    if cast is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return cast(raw)


class Config:
    """Embedded default: SQLite and an on-disk Whoosh index under instance/."""

    SECRET_KEY = env("SECRET_KEY", DEFAULT_SECRET)
    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}")
    INDEX_DIR = env("INDEX_DIR", str(INSTANCE_DIR / "index"))
    UPLOAD_DIR = env("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    # Every link in every email is built from this, never from the request's Host header.
    PUBLIC_URL = env("PUBLIC_URL", "http://127.0.0.1:5000")
    # Hosts the portal answers to (Flask's TRUSTED_HOSTS); any other Host header gets 400. Empty: any.
    TRUSTED_HOSTS = [h.strip() for h in env("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
    # How many proxies in front of the portal set X-Forwarded-For/-Proto (nginx: 1). 0: trust none of them.
    PROXY_HOPS = env("PROXY_HOPS", 0, int)
    FORCE_HTTPS = env("FORCE_HTTPS", False, bool)  # redirect plain-HTTP requests to https://
    HSTS_SECONDS = env("HSTS_SECONDS", 0, int)  # Strict-Transport-Security max-age; 0: no header
    MAX_CONTENT_LENGTH = env("MAX_UPLOAD_BYTES", 6 * 1024 * 1024, int)
    ATTACHMENT_MAX_BYTES = env("ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024, int)
    LISTING_LIFETIME_DAYS = env("LISTING_LIFETIME_DAYS", 365, int)
    LOGO_MAX_BYTES = env("LOGO_MAX_BYTES", 2 * 1024 * 1024, int)

    MAIL_SERVER = env("MAIL_SERVER")  # unset: mail is stored in the outbox table and logged
    MAIL_PORT = env("MAIL_PORT", 25, int)
    MAIL_USE_TLS = env("MAIL_USE_TLS", False, bool)
    MAIL_USERNAME = env("MAIL_USERNAME")
    MAIL_PASSWORD = env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "Leather Bridge <no-reply@leather-bridge.example>")
    # `flask mail send-pending` retries unsent mail: wait RETRY_SECONDS * 2**(attempts-1), at most
    # RETRY_MAX_SECONDS; after MAX_ATTEMPTS the row is marked failed (and kept).
    MAIL_MAX_ATTEMPTS = env("MAIL_MAX_ATTEMPTS", 8, int)
    MAIL_RETRY_SECONDS = env("MAIL_RETRY_SECONDS", 60, int)
    MAIL_RETRY_MAX_SECONDS = env("MAIL_RETRY_MAX_SECONDS", 6 * 3600, int)
    # `flask worker` (portal/worker.py): how often each job runs, in seconds, and its lease.
    WORKER_POLL_SECONDS = env("WORKER_POLL_SECONDS", 1.0, float)  # the loop's nap between passes
    WORKER_JOURNAL_SECONDS = env("WORKER_JOURNAL_SECONDS", 2, int)  # per host, never leased
    WORKER_JOURNAL_BATCH = env("WORKER_JOURNAL_BATCH", 1000, int)
    WORKER_MAIL_SECONDS = env("WORKER_MAIL_SECONDS", 15, int)
    WORKER_MAIL_BATCH = env("WORKER_MAIL_BATCH", 500, int)
    WORKER_ALERTS_SECONDS = env("WORKER_ALERTS_SECONDS", 5 * 60, int)
    WORKER_DIGESTS_SECONDS = env("WORKER_DIGESTS_SECONDS", 5 * 60, int)
    WORKER_MATCHES_SECONDS = env("WORKER_MATCHES_SECONDS", 3600, int)
    WORKER_EXPIRY_SECONDS = env("WORKER_EXPIRY_SECONDS", 24 * 3600, int)  # expiry and reminders
    WORKER_LEASE_SECONDS = env("WORKER_LEASE_SECONDS", 15 * 60, int)  # a dead worker's job waits this long
    WORKER_RETRY_SECONDS = env("WORKER_RETRY_SECONDS", 60, int)  # a failed job runs again this soon
    # /readyz answers 503 when the oldest unapplied journal entry or unsent mail is older than this.
    READY_MAX_LAG_SECONDS = env("READY_MAX_LAG_SECONDS", 60, int)
    # Pages beyond this are 404 whatever the table holds, so no huge OFFSET reaches the database.
    MAX_PAGE = env("MAX_PAGE", 10_000, int)

    LANGUAGES = ["en", "ru", "kk", "ur"]
    RTL_LANGUAGES = {"ur"}
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # scrypt with N = 2**17 (r=8, p=1) costs ~128 MiB and ~0.3 s per hash: slow for attackers.
    PASSWORD_HASH_METHOD = env("PASSWORD_HASH_METHOD", "scrypt:131072:8:1")
    LOGIN_MAX_FAILURES = env("LOGIN_MAX_FAILURES", 5, int)
    LOGIN_IP_MAX_FAILURES = env("LOGIN_IP_MAX_FAILURES", 20, int)
    LOGIN_WINDOW_SECONDS = env("LOGIN_WINDOW_SECONDS", 15 * 60, int)
    # Rate limits (portal/limits.py), "N/second|minute|hour|day" per client address and per account;
    # an empty value turns one off. Counters live in the database, or in Redis if REDIS_URL is set.
    REDIS_URL = env("REDIS_URL")  # e.g. redis://127.0.0.1:6379/0
    RATELIMIT_KEY_PREFIX = env("RATELIMIT_KEY_PREFIX", "leather-bridge")  # Redis keys, if others share it
    RATELIMIT_ENABLED = env("RATELIMIT_ENABLED", True, bool)
    RATELIMIT_REGISTER_ADDRESS = env("RATELIMIT_REGISTER_ADDRESS", "5/hour")
    RATELIMIT_REGISTER_ACCOUNT = env("RATELIMIT_REGISTER_ACCOUNT", "3/hour")  # per email typed
    RATELIMIT_RESET_ADDRESS = env("RATELIMIT_RESET_ADDRESS", "5/hour")
    RATELIMIT_RESET_ACCOUNT = env("RATELIMIT_RESET_ACCOUNT", "3/hour")  # per email typed
    RATELIMIT_RESEND_ADDRESS = env("RATELIMIT_RESEND_ADDRESS", "10/hour")
    RATELIMIT_RESEND_ACCOUNT = env("RATELIMIT_RESEND_ACCOUNT", "3/hour")
    RATELIMIT_INVITE_ADDRESS = env("RATELIMIT_INVITE_ADDRESS", "30/day")
    RATELIMIT_INVITE_ACCOUNT = env("RATELIMIT_INVITE_ACCOUNT", "10/day")
    RATELIMIT_INTEREST_ADDRESS = env("RATELIMIT_INTEREST_ADDRESS", "60/day")
    RATELIMIT_INTEREST_ACCOUNT = env("RATELIMIT_INTEREST_ACCOUNT", "20/day")
    RATELIMIT_MESSAGE_ADDRESS = env("RATELIMIT_MESSAGE_ADDRESS", "200/hour")
    RATELIMIT_MESSAGE_ACCOUNT = env("RATELIMIT_MESSAGE_ACCOUNT", "60/hour")
    RATELIMIT_FLAG_ADDRESS = env("RATELIMIT_FLAG_ADDRESS", "30/day")
    RATELIMIT_FLAG_ACCOUNT = env("RATELIMIT_FLAG_ACCOUNT", "10/day")
    RATELIMIT_SAVED_SEARCH_ADDRESS = env("RATELIMIT_SAVED_SEARCH_ADDRESS", "60/day")
    RATELIMIT_SAVED_SEARCH_ACCOUNT = env("RATELIMIT_SAVED_SEARCH_ACCOUNT", "20/day")
    RATELIMIT_SEARCH_ADDRESS = env("RATELIMIT_SEARCH_ADDRESS", "60/minute")
    RATELIMIT_SEARCH_ACCOUNT = env("RATELIMIT_SEARCH_ACCOUNT", "120/minute")
    TOKEN_MAX_AGE_SECONDS = env("TOKEN_MAX_AGE_SECONDS", 24 * 3600, int)
    PAGE_SIZE = env("PAGE_SIZE", 20, int)
    # Logs and metrics (portal/observability.py). LOG_FORMAT: "json" (one object a line) or "text".
    LOG_FORMAT = env("LOG_FORMAT", "text")
    LOG_LEVEL = env("LOG_LEVEL", "INFO")
    # /metrics answers a bearer METRICS_TOKEN, or a direct (unproxied) client in METRICS_ALLOW; else 404.
    METRICS_TOKEN = env("METRICS_TOKEN")
    METRICS_ALLOW = [a.strip() for a in env("METRICS_ALLOW", "127.0.0.1,::1").split(",") if a.strip()]

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=env("REMEMBER_DAYS", 30, int))
    # Staff and admin sessions end after this much inactivity, and never come back from a remember cookie.
    STAFF_IDLE_MINUTES = env("STAFF_IDLE_MINUTES", 30, int)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # While the database does not answer, pages are 503 with this Retry-After (portal/errors.py).
    DB_RETRY_AFTER_SECONDS = env("DB_RETRY_AFTER_SECONDS", 5, int)


class TestConfig(Config):
    """Fast hashing, CSRF off (one test module turns it back on), a database and index given by the tests."""

    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105 - ~3 ms a hash: keeps a thousand tests fast
    SQLALCHEMY_DATABASE_URI = os.environ.get("PORTAL_TEST_DATABASE_URL", "sqlite://")
    SERVER_NAME = "localhost"
    PUBLIC_URL = "http://localhost"


class ProductionConfig(Config):
    """PostgreSQL under gunicorn; cookies only over HTTPS; refuses the default secret."""

    SESSION_COOKIE_SECURE = env("COOKIE_SECURE", True, bool)
    REMEMBER_COOKIE_SECURE = env("COOKIE_SECURE", True, bool)

    PUBLIC_URL = env("PUBLIC_URL")  # no default: production must say where it is reached
    FORCE_HTTPS = env("FORCE_HTTPS", True, bool)
    HSTS_SECONDS = env("HSTS_SECONDS", 365 * 24 * 3600, int)
    LOG_FORMAT = env("LOG_FORMAT", "json")

    @classmethod
    def check(cls):
        if cls.SECRET_KEY == DEFAULT_SECRET or len(cls.SECRET_KEY) < 16:
            raise RuntimeError("Set PORTAL_SECRET_KEY to a long random value before running in production.")
        if not cls.PUBLIC_URL or not cls.PUBLIC_URL.startswith(("https://", "http://")):
            raise RuntimeError("Set PORTAL_PUBLIC_URL (e.g. https://leather-bridge.example): links in emails use it.")


CONFIGS = {"development": Config, "testing": TestConfig, "production": ProductionConfig}
