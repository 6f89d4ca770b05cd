"""Error pages in the user's language for browsers, JSON for API clients; never a traceback.

A database that does not answer gets 503 + Retry-After and a static page whose language comes from
the session cookie or Accept-Language (never from the user row); a GET/HEAD whose connection was
dropped is run once more on a fresh connection; and no handler here ever raises, so gunicorn never
has to answer with its bare 500.
"""

import logging
import sys
from datetime import timedelta

import sqlalchemy as sa
from flask import Response, current_app, g, has_app_context, jsonify, make_response, render_template, request, session
from flask_babel import force_locale, format_timedelta
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db, login_manager
from .permissions import wants_json

log = logging.getLogger(__name__)


def _messages():
    return {
        400: _("The request could not be understood."),
        401: _("Please log in to continue."),
        403: _("You do not have permission to do that."),
        404: _("We could not find that page."),
        405: _("That action is not allowed here."),
        413: _("The file is too large."),
        429: _("Too many attempts. Please wait a few minutes and try again."),
        500: _("Something went wrong on our side. Please try again later."),
    }


def render_error(code: int, description: str | None = None):
    message = description or _messages().get(code, _messages()[500])
    if wants_json():
        return jsonify(error=code, message=message), code
    return render_template("errors/error.html", code=code, message=message), code


def render_too_many(retry_after: int | None):
    """429 with when to try again, in the reader's language and in a Retry-After header."""
    if retry_after:
        when = format_timedelta(timedelta(seconds=retry_after), threshold=1, add_direction=True)
        message = _("You did that too often. Please try again %(when)s.", when=when)
    else:
        message = _messages()[429]
    if wants_json():
        response = jsonify(error=429, message=message, retry_after=retry_after)
    else:
        response = make_response(render_template("errors/error.html", code=429, message=message))
    response.status_code = 429
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def handle_http_exception(exc: HTTPException):
    code = exc.code or 500
    return _never_raise(lambda: _http_error_page(exc, code), code)


def handle_csrf_error(_exc: CSRFError):
    """A missing or stale CSRF token: say the form expired rather than "bad request"."""
    return _never_raise(
        lambda: render_error(400, _("Your form expired or was sent from elsewhere. Please try again.")), 400
    )


def _http_error_page(exc: HTTPException, code: int):
    if code == 429:
        _rollback_quietly()
        return render_too_many(getattr(exc, "retry_after_seconds", None))
    return render_error(code)


def handle_exception(exc: Exception):
    _rollback_quietly()
    if database_unavailable():
        # e.g. PendingRollbackError after code that caught the outage and carried on
        return handle_database_error(exc)
    log.exception("unhandled error")
    return _never_raise(lambda: render_error(500), 500)


# --- the database does not answer -----------------------------------------------------------------

# What a database that is down, restarting or out of connections raises (also at pool checkout);
# any DBAPI error SQLAlchemy judged a disconnect (`connection_invalidated`) counts too.
OUTAGE_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError, sa.exc.TimeoutError)
DATABASE_ERRORS = (sa.exc.DBAPIError, sa.exc.DisconnectionError, sa.exc.TimeoutError)  # for `except`, then is_outage
_DOWN_FLAG = "_portal_database_unavailable"
RETRY_KEY = "portal.retry_dropped_connection"  # set in the WSGI environ: run this GET once more
_RETRIED_KEY = "portal.retried_dropped_connection"
SAFE_METHODS = ("GET", "HEAD")


def mark_database_unavailable() -> None:
    """Tell the rest of this request (locale selection, context processors) to keep off the database."""
    g.setdefault(_DOWN_FLAG, True)


def database_unavailable() -> bool:
    return bool(g.get(_DOWN_FLAG, False))


def outage_locale() -> str:
    """The page's language from the session cookie or the browser, never from the user's row."""
    languages = current_app.config["LANGUAGES"]
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or "en"


def is_outage(exc: BaseException) -> bool:
    return isinstance(exc, OUTAGE_ERRORS) or bool(getattr(exc, "connection_invalidated", False))


def handle_sqlalchemy_error(exc: Exception):
    return handle_database_error(exc) if is_outage(exc) else handle_exception(exc)


def _is_dropped_connection(exc: Exception) -> bool:
    return isinstance(exc, sa.exc.DisconnectionError) or bool(getattr(exc, "connection_invalidated", False))


def handle_database_error(exc: Exception):
    """503 with Retry-After; a dropped connection on a GET/HEAD asks `RetryDroppedConnection` for one more run."""
    mark_database_unavailable()
    _rollback_quietly()
    environ = request.environ
    if _is_dropped_connection(exc) and request.method in SAFE_METHODS and not environ.get(_RETRIED_KEY):
        environ[RETRY_KEY] = True
        log.warning("database connection dropped during %s %s; retrying once", request.method, request.path)
    else:
        log.error("database unavailable during %s %s: %s", request.method, request.path, exc.__class__.__name__)
    # Flask-Login's context processor would call the user loader, which needs the database.
    g._login_user = login_manager.anonymous_user()
    retry_after = str(current_app.config.get("DB_RETRY_AFTER_SECONDS", 5))
    try:
        with force_locale(outage_locale()):
            message = _("The portal is briefly unavailable. Please try again in a few seconds.")
            if wants_json():
                response = jsonify(error=503, message=message, retry_after=int(retry_after))
            else:
                response = make_response(_render_unavailable(message))
    except Exception:
        log.exception("the outage page could not be rendered")
        response = _plain(503)
    response.status_code = 503
    response.headers["Retry-After"] = retry_after
    response.headers["Cache-Control"] = "no-store"
    return response


def _render_unavailable(message: str) -> str:
    """Rendered straight from the Jinja environment: no context processor runs, so none can query."""
    locale = outage_locale()
    template = current_app.jinja_env.get_template("errors/unavailable.html")
    return template.render(
        message=message,
        locale=locale,
        text_direction="rtl" if locale in current_app.config["RTL_LANGUAGES"] else "ltr",
    )


def _plain(code: int) -> Response:
    """The last resort when no page can be rendered: still ours, still no traceback."""
    text = "Service temporarily unavailable" if code == 503 else "Internal server error"
    response = Response(text + "\n", status=code, mimetype="text/plain")
    if code == 503:
        response.headers["Retry-After"] = str(current_app.config.get("DB_RETRY_AFTER_SECONDS", 5))
    return response


def _never_raise(build, code: int):
    """Run a page builder; when the database fails underneath it, answer 503, on anything else plain text."""
    try:
        return build()
    except Exception as exc:
        if is_outage(exc):
            return handle_database_error(exc)
        log.exception("the error page for %s could not be rendered", code)
        return _plain(503 if database_unavailable() else code)


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:  # a dead connection may refuse even that; the pool replaces it
        log.warning("rollback failed", exc_info=True)


class RetryDroppedConnection:
    """WSGI wrapper: a GET/HEAD whose database connection dropped (the handler set RETRY_KEY) runs again,
    once, as a whole new request, so before_request checks, the user loader and the view all see a fresh
    connection (SQLAlchemy already invalidated the pool's older connections on the disconnect); the
    first attempt's response is thrown away before anything was sent. Whatever still escapes Flask is
    answered in plain text here rather than by gunicorn."""

    def __init__(self, wsgi_app, retry_after: int = 5):
        self.wsgi_app, self.retry_after = wsgi_app, str(retry_after)

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in SAFE_METHODS:
            return self._guarded(environ, start_response)
        pristine = dict(environ)  # before middlewares such as ProxyFix rewrite it
        held = []
        body = self._guarded(environ, lambda status, headers, exc_info=None: held.append((status, headers)))
        if not environ.get(RETRY_KEY):
            start_response(*held[-1])
            return body
        if hasattr(body, "close"):
            body.close()
        if has_app_context():  # an app context pushed around us (the test client's) outlives the attempt
            for key in (_DOWN_FLAG, "_login_user"):
                g.pop(key, None)
        retry = {**pristine, _RETRIED_KEY: True}
        return self._guarded(retry, start_response)

    def _guarded(self, environ, start_response):
        try:
            return self.wsgi_app(environ, start_response)
        except Exception:
            log.exception("an error escaped the error handlers")
            is_down = is_outage(sys.exc_info()[1])
            status = "503 Service Unavailable" if is_down else "500 Internal Server Error"
            text = b"Service temporarily unavailable\n" if is_down else b"Internal server error\n"
            headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(text)))]
            if is_down:
                headers.append(("Retry-After", self.retry_after))
            start_response(status, headers, sys.exc_info())
            return [text]


def init_app(app):
    app.register_error_handler(CSRFError, handle_csrf_error)  # Flask picks it over its base, HTTPException
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(sa.exc.SQLAlchemyError, handle_sqlalchemy_error)
    app.register_error_handler(Exception, handle_exception)
    app.wsgi_app = RetryDroppedConnection(app.wsgi_app, app.config.get("DB_RETRY_AFTER_SECONDS", 5))
