"""Leather Bridge: the application factory."""

import os

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

from config import BASE_DIR, CONFIGS, Config

from .extensions import babel, csrf, db, login_manager, migrate


def create_app(config=None):
    """Build the app. `config` is a config class, a dict of overrides, or None for PORTAL_ENV's class."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(BASE_DIR / "instance"),
    )
    configure_settings(app, config)
    configure_logging(app)
    configure_extensions(app)
    configure_security(app)
    __import__("portal.static_files").static_files.init_app(app)  # page weight: portal/static_files.py
    configure_database(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_after_commit_work(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def configure_settings(app, config):
    env_name = os.environ.get("PORTAL_ENV", "development")
    base = CONFIGS.get(env_name, Config)
    if isinstance(config, type):
        base, config = config, None
    app.config.from_object(base)
    if config:
        app.config.update(config)
    if hasattr(base, "check") and not app.config.get("TESTING"):
        base.check()
    os.makedirs(app.instance_path, exist_ok=True)


def configure_logging(app):
    """JSON (or text) logs with request ids, and Prometheus metrics: portal/observability.py."""
    from . import observability

    observability.init_app(app)


def configure_extensions(app):
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.needs_refresh_message = _l("Please log in again to continue.")
    from .models.user import load_user

    login_manager.user_loader(load_user)


def configure_security(app):
    from . import security

    security.init_app(app)


def select_locale():
    """The user's saved language, then a ?lang=/session choice, then the browser's Accept-Language.

    While the database is down the user row is out of reach: skip it rather than fail the error page.
    Outside a request (the worker, the CLI) there is no one to ask: None means BABEL_DEFAULT_LOCALE,
    and code writing to one user wraps its gettext calls in force_locale(user.locale)."""
    from .errors import DATABASE_ERRORS, database_unavailable, is_outage, mark_database_unavailable

    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    if not database_unavailable():
        try:
            if current_user and current_user.is_authenticated and current_user.locale in languages:
                return current_user.locale
        except DATABASE_ERRORS as exc:
            if not is_outage(exc):
                raise
            mark_database_unavailable()
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or "en"


def select_timezone():
    """The signed-in user's zone (templating.user_zone: their setting, else their country's); anyone else,
    the worker and the CLI get None, which is BABEL_DEFAULT_TIMEZONE (UTC). Skipped while the database is down."""
    from .errors import DATABASE_ERRORS, database_unavailable, is_outage, mark_database_unavailable
    from .templating import user_zone

    if not has_request_context() or database_unavailable():
        return None
    try:
        if current_user and current_user.is_authenticated:
            return user_zone(current_user)
    except DATABASE_ERRORS as exc:
        if not is_outage(exc):
            raise
        mark_database_unavailable()
    return None


def configure_database(app):
    """SQLite: WAL so readers never block the writer, and a busy timeout so writers wait for each other.

    PostgreSQL: no JIT compilation. The portal's queries are short; the planner's cost estimates of the
    dashboard's aggregates made it compile them, which took longer than running them (1.3 s against 45 ms
    for the moderation queue's count at 100,000 listings: bench/insight_speed.py)."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":

            @sa.event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                if engine.url.database not in (None, "", ":memory:"):
                    cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA busy_timeout=10000")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

        elif engine.dialect.name == "postgresql":

            @sa.event.listens_for(engine, "connect")
            def _postgresql_settings(dbapi_conn, _record):
                with dbapi_conn.cursor() as cur:
                    cur.execute("SET jit = off")
                dbapi_conn.commit()  # end the transaction the SET opened; the setting lasts for the session


def register_blueprints(app):
    from .auth import bp as auth_bp
    from .companies import bp as companies_bp
    from .main import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(companies_bp, url_prefix="/companies")
    from .admin import bp as admin_bp
    from .verification import bp as verification_bp

    app.register_blueprint(verification_bp, url_prefix="/staff")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    from .listings import bp as listings_bp
    from .moderation import bp as moderation_bp

    app.register_blueprint(listings_bp, url_prefix="/listings")
    app.register_blueprint(moderation_bp, url_prefix="/staff")
    from .search import bp as search_bp

    app.register_blueprint(search_bp)
    from .alerts import bp as alerts_bp
    from .partnerships import bp as partnerships_bp
    from .partnerships import old_urls as old_partnership_urls

    app.register_blueprint(partnerships_bp, url_prefix="/partnerships")
    app.register_blueprint(old_partnership_urls, url_prefix="/deals")
    app.register_blueprint(alerts_bp, url_prefix="/alerts")
    from .insight import bp as insight_bp

    app.register_blueprint(insight_bp)  # its pages name their own paths: /insight/..., /scoreboard, /supply-calendar
    from . import api

    api.init_app(app)  # the JSON API at /api/v1 (flask-smorest), its spec and docs: portal/api/__init__.py


def register_errorhandlers(app):
    from . import errors, rules

    errors.init_app(app)
    rules.init_app(app)


def register_after_commit_work(app):
    """What follows a commit: mail delivery from the outbox (portal/mail.py) and applying the search
    journal (portal/search/sync.py). Both hook the shared session once per process."""
    from . import mail, search

    mail.init_app(app)
    search.init_app(app)


def register_template_helpers(app):
    from . import templating

    templating.init_app(app)


def register_cli(app):
    from . import cli

    cli.init_app(app)
    from .partnerships import cli as partnerships_cli

    partnerships_cli.init_app(app)
