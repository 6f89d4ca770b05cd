"""Errors inside /api/v1 as JSON with a stable code: {"error": {"code", "message", "details"}}.

The portal's own handlers (portal/errors.py, portal/rules.py) already answer API paths with JSON, in their
older shape {"error": <status>, "message": ...}; `reshape` turns every such answer into the envelope after
the fact, so the Terms gate, rate limits, rule refusals and 500s all read the same without a second set of
handlers. `ApiError` is what API code raises itself; validation errors keep their field details.
"""

import json

from flask import jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, UnprocessableEntity

from .. import errors as portal_errors

API_PREFIX = "/api/v1"

# The stable codes, by HTTP status, for errors that carry none of their own.
CODES = {
    400: "validation_failed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An API refusal with its status, stable code, message (for people, translated) and details."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None, details=None, headers=None):
        super().__init__(message or code)
        self.status, self.code, self.message = status, code or CODES.get(status, "error"), message
        self.details, self.headers = details or {}, headers or {}


def is_api_request() -> bool:
    """A call of the JSON API (the docs page under /api/v1/docs is an ordinary page of the portal)."""
    inside = request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")
    return inside and request.blueprint != "api_docs"


def envelope(status: int, code: str | None, message: str | None, details=None):
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message or "", "details": details or {}}}
    response = jsonify(body)
    response.status_code = status
    return response


def handle_api_error(exc: ApiError):
    response = envelope(exc.status, exc.code, exc.message or _default_message(exc.status), exc.details)
    response.headers.update(exc.headers)
    return response


def handle_bad_input(exc):
    """400 and 422 inside the API keep what was wrong with which field; elsewhere, the portal's page."""
    if not is_api_request():
        return portal_errors.handle_http_exception(exc)
    data = getattr(exc, "data", None) or {}
    details = data.get("messages") or data.get("errors") or {}
    message = _("Some values are not valid.") if exc.code == 422 else _("The request could not be understood.")
    return envelope(exc.code, "validation_failed", message, details)


def _default_message(status: int) -> str:
    return portal_errors._messages().get(status, portal_errors._messages()[500])


def reshape(response):
    """after_request inside /api/v1: an error in the portal's older JSON shape becomes the envelope."""
    if response.status_code < 400 or not response.is_json:
        return response
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or isinstance(body.get("error"), dict):
        return response
    status = response.status_code
    details = {k: v for k, v in body.items() if k not in ("error", "message")}
    payload = {"error": {"code": CODES.get(status, "error"), "message": body.get("message") or "", "details": details}}
    response.set_data(json.dumps(payload))
    return response


def init_app(app) -> None:
    app.register_error_handler(ApiError, handle_api_error)
    # CSRFError is a BadRequest too, but Flask picks its own, more specific, handler (portal/errors.py).
    app.register_error_handler(BadRequest, handle_bad_input)
    app.register_error_handler(UnprocessableEntity, handle_bad_input)
