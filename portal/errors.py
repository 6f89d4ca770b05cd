"""Error pages in the user's language for browsers, JSON for API clients; never a traceback."""

import logging
from datetime import timedelta

from flask import jsonify, make_response, render_template
from flask_babel import format_timedelta
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from .extensions import db
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
    if code in (400,) and getattr(exc, "description", None) and "CSRF" in str(exc.description):
        return render_error(400, _("Your form expired or was sent from elsewhere. Please try again."))
    if code == 429:
        db.session.rollback()
        return render_too_many(getattr(exc, "retry_after_seconds", None))
    return render_error(code)


def handle_exception(exc: Exception):
    db.session.rollback()
    log.exception("unhandled error")
    return render_error(500)


def init_app(app):
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_exception)
