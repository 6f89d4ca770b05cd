"""Error pages in the user's language for browsers, JSON for API clients; never a traceback."""

import logging

from flask import jsonify, render_template
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


def handle_http_exception(exc: HTTPException):
    code = exc.code or 500
    if code in (400,) and getattr(exc, "description", None) and "CSRF" in str(exc.description):
        return render_error(400, _("Your form expired or was sent from elsewhere. Please try again."))
    return render_error(code)


def handle_exception(exc: Exception):
    db.session.rollback()
    log.exception("unhandled error")
    return render_error(500)


def init_app(app):
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_exception)
