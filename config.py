"""Settings for every environment; each one can be overridden by a PORTAL_* environment variable.

The classes hold the defaults; the environment is read when `create_app` loads a class (see `FromEnv`)."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET = "dev-secret-change-me"  # noqa: S105 - the value production refuses


def env(name, default=None, cast=str):
    """Read PORTAL_<name> from the environment now, cast it, or fall back to the default."""
    raw = os.environ.get(f"PORTAL_{name}")
    if raw is None:
        return default
    if cast is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return cast(raw)


class FromEnv:
    """A setting that PORTAL_<name> overrides, read each time it is looked up (`create_app` does, through
    `app.config.from_object`), not when this module is imported: a process, a test or a WSGI host that
    sets PORTAL_* after `import config` still gets its value. Unset, the setting is `default`."""

    def __init__(self, name, default=None, cast=str):
        self.name, self.default, self.cast = name, default, cast

    def __get__(self, _obj, _owner=None):
        return env(self.name, self.default, self.cast)


def database_url(url):
    """The SQLAlchemy URL with PostgreSQL on psycopg 3 (`postgresql+psycopg://`), the one driver installed.

    Env files written for psycopg2 say `postgresql+psycopg2://` or `postgresql://` (which SQLAlchemy
    takes to mean psycopg2): both keep working, here for the portal and through this same function for
    the tests' PORTAL_TEST_DATABASE_URL."""
    for old in ("postgresql://", "postgresql+psycopg2://"):
        if url and url.startswith(old):
            return "postgresql+psycopg://" + url[len(old) :]
    return url


def comma_list(raw):
    return [item.strip() for item in raw.split(",") if item.strip()]


class Config:
    """Embedded default: SQLite and an on-disk Whoosh index under instance/."""

    SECRET_KEY = FromEnv("SECRET_KEY", DEFAULT_SECRET)
    SQLALCHEMY_DATABASE_URI = FromEnv("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}", database_url)
    INDEX_DIR = FromEnv("INDEX_DIR", str(INSTANCE_DIR / "index"))
    UPLOAD_DIR = FromEnv("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    # Every link in every email is built from this, never from the request's Host header.
    PUBLIC_URL = FromEnv("PUBLIC_URL", "http://127.0.0.1:5000")
    # Hosts the portal answers to (Flask's TRUSTED_HOSTS); any other Host header gets 400. Empty: any.
    TRUSTED_HOSTS = FromEnv("TRUSTED_HOSTS", None, lambda raw: comma_list(raw) or None)
    # How many proxies in front of the portal set X-Forwarded-For/-Proto (nginx: 1). 0: trust none of them.
    PROXY_HOPS = FromEnv("PROXY_HOPS", 0, int)
    FORCE_HTTPS = FromEnv("FORCE_HTTPS", False, bool)  # redirect plain-HTTP requests to https://
    HSTS_SECONDS = FromEnv("HSTS_SECONDS", 0, int)  # Strict-Transport-Security max-age; 0: no header
    MAX_CONTENT_LENGTH = FromEnv("MAX_UPLOAD_BYTES", 6 * 1024 * 1024, int)
    ATTACHMENT_MAX_BYTES = FromEnv("ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024, int)
    LISTING_LIFETIME_DAYS = FromEnv("LISTING_LIFETIME_DAYS", 365, int)
    LOGO_MAX_BYTES = FromEnv("LOGO_MAX_BYTES", 2 * 1024 * 1024, int)

    MAIL_SERVER = FromEnv("MAIL_SERVER")  # unset: mail is stored in the outbox table and logged
    MAIL_PORT = FromEnv("MAIL_PORT", 25, int)
    MAIL_USE_TLS = FromEnv("MAIL_USE_TLS", False, bool)
    MAIL_USERNAME = FromEnv("MAIL_USERNAME")
    MAIL_PASSWORD = FromEnv("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = FromEnv("MAIL_DEFAULT_SENDER", "Leather Bridge <no-reply@leather-bridge.example>")
    # `flask mail send-pending` retries unsent mail: wait RETRY_SECONDS * 2**(attempts-1), at most
    # RETRY_MAX_SECONDS; after MAX_ATTEMPTS the row is marked failed (and kept).
    MAIL_MAX_ATTEMPTS = FromEnv("MAIL_MAX_ATTEMPTS", 8, int)
    MAIL_RETRY_SECONDS = FromEnv("MAIL_RETRY_SECONDS", 60, int)
    MAIL_RETRY_MAX_SECONDS = FromEnv("MAIL_RETRY_MAX_SECONDS", 6 * 3600, int)
    # `flask worker` (portal/worker.py): how often each job runs, in seconds, and its lease.
    WORKER_POLL_SECONDS = FromEnv("WORKER_POLL_SECONDS", 1.0, float)  # the loop's nap between passes
    WORKER_JOURNAL_SECONDS = FromEnv("WORKER_JOURNAL_SECONDS", 1, int)  # per host, never leased (2 s: p99 2.3 s)
    WORKER_JOURNAL_BATCH = FromEnv("WORKER_JOURNAL_BATCH", 1000, int)
    WORKER_MAIL_SECONDS = FromEnv("WORKER_MAIL_SECONDS", 15, int)
    WORKER_MAIL_BATCH = FromEnv("WORKER_MAIL_BATCH", 500, int)
    WORKER_ALERTS_SECONDS = FromEnv("WORKER_ALERTS_SECONDS", 5 * 60, int)
    WORKER_DIGESTS_SECONDS = FromEnv("WORKER_DIGESTS_SECONDS", 5 * 60, int)
    WORKER_MATCHES_SECONDS = FromEnv("WORKER_MATCHES_SECONDS", 3600, int)
    WORKER_EXPIRY_SECONDS = FromEnv("WORKER_EXPIRY_SECONDS", 24 * 3600, int)  # expiry and reminders
    # The staff dashboard's figures, computed ahead by the worker (portal/insight/snapshots.py); a page uses
    # them while younger than the max age, else computes live (0 turns the snapshots off).
    WORKER_INSIGHT_SECONDS = FromEnv("WORKER_INSIGHT_SECONDS", 5 * 60, int)
    INSIGHT_SNAPSHOT_MAX_AGE = FromEnv("INSIGHT_SNAPSHOT_MAX_AGE", 20 * 60, int)
    WORKER_RETENTION_SECONDS = FromEnv("WORKER_RETENTION_SECONDS", 24 * 3600, int)  # portal/retention.py
    RETENTION_LOG_DAYS = FromEnv("RETENTION_LOG_DAYS", 90, int)  # delivered mail, login failures (privacy page)
    RETENTION_AUDIT_DAYS = FromEnv("RETENTION_AUDIT_DAYS", 5 * 365 + 1, int)  # decisions: up to five years
    WORKER_LEASE_SECONDS = FromEnv("WORKER_LEASE_SECONDS", 15 * 60, int)  # a dead worker's job waits this long
    WORKER_RETRY_SECONDS = FromEnv("WORKER_RETRY_SECONDS", 60, int)  # a failed job runs again this soon
    # /readyz answers 503 when the oldest unapplied journal entry or unsent mail is older than this.
    READY_MAX_LAG_SECONDS = FromEnv("READY_MAX_LAG_SECONDS", 60, int)
    # Pages beyond this are 404 whatever the table holds, so no huge OFFSET reaches the database.
    MAX_PAGE = FromEnv("MAX_PAGE", 10_000, int)

    LANGUAGES = ["en", "ru", "kk", "ur"]
    RTL_LANGUAGES = {"ur"}
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # scrypt with N = 2**17 (r=8, p=1) costs ~128 MiB and ~0.3 s per hash: slow for attackers.
    PASSWORD_HASH_METHOD = FromEnv("PASSWORD_HASH_METHOD", "scrypt:131072:8:1")
    LOGIN_MAX_FAILURES = FromEnv("LOGIN_MAX_FAILURES", 5, int)
    LOGIN_IP_MAX_FAILURES = FromEnv("LOGIN_IP_MAX_FAILURES", 20, int)
    LOGIN_WINDOW_SECONDS = FromEnv("LOGIN_WINDOW_SECONDS", 15 * 60, int)
    # Rate limits (portal/limits.py), "N/second|minute|hour|day" per client address and per account;
    # an empty value turns one off. Counters live in the database, or in Redis if REDIS_URL is set.
    REDIS_URL = FromEnv("REDIS_URL")  # e.g. redis://127.0.0.1:6379/0
    RATELIMIT_KEY_PREFIX = FromEnv("RATELIMIT_KEY_PREFIX", "leather-bridge")  # Redis keys, if others share it
    RATELIMIT_ENABLED = FromEnv("RATELIMIT_ENABLED", True, bool)
    RATELIMIT_REGISTER_ADDRESS = FromEnv("RATELIMIT_REGISTER_ADDRESS", "5/hour")
    RATELIMIT_REGISTER_ACCOUNT = FromEnv("RATELIMIT_REGISTER_ACCOUNT", "3/hour")  # per email typed
    RATELIMIT_RESET_ADDRESS = FromEnv("RATELIMIT_RESET_ADDRESS", "5/hour")
    RATELIMIT_RESET_ACCOUNT = FromEnv("RATELIMIT_RESET_ACCOUNT", "3/hour")  # per email typed
    RATELIMIT_RESEND_ADDRESS = FromEnv("RATELIMIT_RESEND_ADDRESS", "10/hour")
    RATELIMIT_RESEND_ACCOUNT = FromEnv("RATELIMIT_RESEND_ACCOUNT", "3/hour")
    RATELIMIT_INVITE_ADDRESS = FromEnv("RATELIMIT_INVITE_ADDRESS", "30/day")
    RATELIMIT_INVITE_ACCOUNT = FromEnv("RATELIMIT_INVITE_ACCOUNT", "10/day")
    RATELIMIT_INTEREST_ADDRESS = FromEnv("RATELIMIT_INTEREST_ADDRESS", "60/day")
    RATELIMIT_INTEREST_ACCOUNT = FromEnv("RATELIMIT_INTEREST_ACCOUNT", "20/day")
    RATELIMIT_MESSAGE_ADDRESS = FromEnv("RATELIMIT_MESSAGE_ADDRESS", "200/hour")
    RATELIMIT_MESSAGE_ACCOUNT = FromEnv("RATELIMIT_MESSAGE_ACCOUNT", "60/hour")
    RATELIMIT_FLAG_ADDRESS = FromEnv("RATELIMIT_FLAG_ADDRESS", "30/day")
    RATELIMIT_FLAG_ACCOUNT = FromEnv("RATELIMIT_FLAG_ACCOUNT", "10/day")
    RATELIMIT_SAVED_SEARCH_ADDRESS = FromEnv("RATELIMIT_SAVED_SEARCH_ADDRESS", "60/day")
    RATELIMIT_SAVED_SEARCH_ACCOUNT = FromEnv("RATELIMIT_SAVED_SEARCH_ACCOUNT", "20/day")
    RATELIMIT_SEARCH_ADDRESS = FromEnv("RATELIMIT_SEARCH_ADDRESS", "60/minute")
    RATELIMIT_SEARCH_ACCOUNT = FromEnv("RATELIMIT_SEARCH_ACCOUNT", "120/minute")
    RATELIMIT_EXPORT_ADDRESS = FromEnv("RATELIMIT_EXPORT_ADDRESS", "120/hour")  # the dashboard's CSV and XLSX files
    RATELIMIT_EXPORT_ACCOUNT = FromEnv("RATELIMIT_EXPORT_ACCOUNT", "60/hour")
    TOKEN_MAX_AGE_SECONDS = FromEnv("TOKEN_MAX_AGE_SECONDS", 24 * 3600, int)
    PAGE_SIZE = FromEnv("PAGE_SIZE", 20, int)
    # Logs and metrics (portal/observability.py). LOG_FORMAT: "json" (one object a line) or "text".
    LOG_FORMAT = FromEnv("LOG_FORMAT", "text")
    LOG_LEVEL = FromEnv("LOG_LEVEL", "INFO")
    # /metrics answers a bearer METRICS_TOKEN, or a direct (unproxied) client in METRICS_ALLOW; else 404.
    METRICS_TOKEN = FromEnv("METRICS_TOKEN")
    METRICS_ALLOW = FromEnv("METRICS_ALLOW", ["127.0.0.1", "::1"], comma_list)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = FromEnv("REMEMBER_DAYS", timedelta(days=30), lambda raw: timedelta(days=int(raw)))
    # Staff and admin sessions end after this much inactivity, and never come back from a remember cookie.
    STAFF_IDLE_MINUTES = FromEnv("STAFF_IDLE_MINUTES", 30, int)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # While the database does not answer, pages are 503 with this Retry-After (portal/errors.py).
    DB_RETRY_AFTER_SECONDS = FromEnv("DB_RETRY_AFTER_SECONDS", 5, int)


class TestConfig(Config):
    """Fast hashing, CSRF off (one test module turns it back on), a database and index given by the tests."""

    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105 - ~3 ms a hash: keeps a thousand tests fast
    SQLALCHEMY_DATABASE_URI = FromEnv("TEST_DATABASE_URL", "sqlite://", database_url)
    SERVER_NAME = "localhost"
    PUBLIC_URL = "http://localhost"


class ProductionConfig(Config):
    """PostgreSQL under gunicorn; cookies only over HTTPS; refuses the default secret."""

    SESSION_COOKIE_SECURE = FromEnv("COOKIE_SECURE", True, bool)
    REMEMBER_COOKIE_SECURE = FromEnv("COOKIE_SECURE", True, bool)

    PUBLIC_URL = FromEnv("PUBLIC_URL")  # no default: production must say where it is reached
    FORCE_HTTPS = FromEnv("FORCE_HTTPS", True, bool)
    HSTS_SECONDS = FromEnv("HSTS_SECONDS", 365 * 24 * 3600, int)
    LOG_FORMAT = FromEnv("LOG_FORMAT", "json")

    @classmethod
    def check(cls):
        if cls.SECRET_KEY == DEFAULT_SECRET or len(cls.SECRET_KEY) < 16:
            raise RuntimeError("Set PORTAL_SECRET_KEY to a long random value before running in production.")
        if not cls.PUBLIC_URL or not cls.PUBLIC_URL.startswith(("https://", "http://")):
            raise RuntimeError("Set PORTAL_PUBLIC_URL (e.g. https://leather-bridge.example): links in emails use it.")


CONFIGS = {"development": Config, "testing": TestConfig, "production": ProductionConfig}
