"""The JSON API at /api/v1 (flask-smorest): its OpenAPI 3 description at /api/v1/openapi.json, our own
browsable docs page at /api/v1/docs (the CDN pages of Swagger UI or ReDoc would break the strict CSP).

Modules: `auth` (tokens in, the cookie out), `tokens` (the token services, shared with Settings),
`errors` (the JSON envelope), `pagination` (cursors), `schemas`, `present` (rows as shown to a viewer),
and the endpoints by audience: `public`, `member`, `staff`; `docs` the page.
"""

from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint

from ..extensions import csrf
from . import auth, errors
from .schemas import ErrorSchema

SETTINGS = {
    "API_TITLE": "Leather Bridge API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": errors.API_PREFIX,
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": "Listings, companies, a member's own listings, matches and interests, and the "
            "associations' statistics. Authenticate with a personal access token from Settings: "
            '`Authorization: Bearer lb_...`. Errors are `{"error": {"code", "message", "details"}}`.'
        },
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
    },
}
TOKEN = [{"token": []}]  # an operation's `security` in the spec


class PortalApi(Api):
    """Errors are the portal's: its handlers answer every path, with the API's envelope inside /api/v1."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        errors.init_app(self._app)


def blueprint(name: str, description: str) -> SmorestBlueprint:
    """An API blueprint: no CSRF (no cookie is accepted: auth.py), and the token's user as current_user."""
    bp = SmorestBlueprint(name, __name__, description=description)
    bp.before_request(auth.become_token_user)
    csrf.exempt(bp)
    return bp


def init_app(app) -> None:
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    api = PortalApi(app)
    app.url_value_preprocessor(auth.read_token)
    app.after_request(_reshape_api_errors)
    from . import docs, member, public, staff

    mounts = (
        (public.listings_bp, "/listings"),
        (public.companies_bp, "/companies"),
        (member.bp, "/me"),
        (staff.bp, "/staff"),
    )
    for bp, path in mounts:
        api.register_blueprint(bp, url_prefix=errors.API_PREFIX + path)
    app.register_blueprint(docs.bp, url_prefix=errors.API_PREFIX)
    app.extensions["portal_api"] = api


def _reshape_api_errors(response):
    return errors.reshape(response) if errors.is_api_request() else response
