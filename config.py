"""Settings for every environment; each one can be overridden by a PORTAL_* environment variable."""

import os
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

    LANGUAGES = ["en", "ru", "kk", "ur"]
    RTL_LANGUAGES = {"ur"}
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # scrypt with N = 2**17 (r=8, p=1) costs ~128 MiB and ~0.3 s per hash: slow for attackers.
    PASSWORD_HASH_METHOD = env("PASSWORD_HASH_METHOD", "scrypt:131072:8:1")
    LOGIN_MAX_FAILURES = env("LOGIN_MAX_FAILURES", 5, int)
    LOGIN_IP_MAX_FAILURES = env("LOGIN_IP_MAX_FAILURES", 20, int)
    LOGIN_WINDOW_SECONDS = env("LOGIN_WINDOW_SECONDS", 15 * 60, int)
    TOKEN_MAX_AGE_SECONDS = env("TOKEN_MAX_AGE_SECONDS", 24 * 3600, int)
    PAGE_SIZE = env("PAGE_SIZE", 20, int)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}


class TestConfig(Config):
    """Fast hashing, CSRF off (one test module turns it back on), a database and index given by the tests."""

    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_METHOD = "scrypt:16384:8:1"  # noqa: S105 - cheap hashing keeps tests fast
    SQLALCHEMY_DATABASE_URI = os.environ.get("PORTAL_TEST_DATABASE_URL", "sqlite://")
    SERVER_NAME = "localhost"
    PUBLIC_URL = "http://localhost"


class ProductionConfig(Config):
    """PostgreSQL under gunicorn; cookies only over HTTPS; refuses the default secret."""

    SESSION_COOKIE_SECURE = env("COOKIE_SECURE", True, bool)
    REMEMBER_COOKIE_SECURE = env("COOKIE_SECURE", True, bool)

    PUBLIC_URL = env("PUBLIC_URL")  # no default: production must say where it is reached

    @classmethod
    def check(cls):
        if cls.SECRET_KEY == DEFAULT_SECRET or len(cls.SECRET_KEY) < 16:
            raise RuntimeError("Set PORTAL_SECRET_KEY to a long random value before running in production.")
        if not cls.PUBLIC_URL or not cls.PUBLIC_URL.startswith(("https://", "http://")):
            raise RuntimeError("Set PORTAL_PUBLIC_URL (e.g. https://leather-bridge.example): links in emails use it.")


CONFIGS = {"development": Config, "testing": TestConfig, "production": ProductionConfig}
