"""Who calls the API: a personal access token (`Authorization: Bearer lb_...`) and nothing else.

The session cookie is ignored inside /api/v1, so a page on another site cannot make a logged-in browser
write through the API (no CSRF token is needed because no ambient credential is accepted). The token is
read before any other before_request hook, with the cookie's user replaced by an anonymous one, so the
staff idle timeout and the Terms gate (which redirect browsers) leave API calls alone; the token's user
then becomes `current_user` for the view, so rate limits, permissions and services see the token's owner.
The Terms gate's rule is applied here instead, as a JSON refusal.
"""

from functools import wraps

from flask import g, request
from flask_babel import gettext as _

from ..auth.services import has_accepted
from ..extensions import login_manager
from ..main.pages import current_terms_version
from ..models import Role
from . import tokens
from .errors import ApiError, is_api_request

BEARER = "bearer "
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="Leather Bridge API"'}


def read_token(_endpoint=None, _values=None) -> None:
    """App-wide url_value_preprocessor: for API paths, forget the cookie's user and read the token."""
    if not is_api_request():
        return
    g._login_user = login_manager.anonymous_user()  # Flask-Login's per-request user: never the cookie's
    g.api_user = g.api_token = None
    header = request.headers.get("Authorization")
    if header is None:
        return
    if not header.lower().startswith(BEARER):
        raise ApiError(
            401, "unauthorized", _("Send your API token as: Authorization: Bearer <token>."), headers=CHALLENGE
        )
    token = tokens.find_active(header[len(BEARER) :].strip())
    if token is None:
        raise ApiError(401, "unauthorized", _("This API token is not valid or was revoked."), headers=CHALLENGE)
    if not has_accepted(token.user, current_terms_version()):
        raise ApiError(
            403, "terms_not_accepted", _("Please accept the updated Terms of use and the Privacy policy first.")
        )
    tokens.note_use(token)
    g.api_user, g.api_token = token.user, token


def become_token_user() -> None:
    """Blueprint before_request (after the app-wide hooks): the token's user is the request's user."""
    if g.get("api_user") is not None:
        g._login_user = g.api_user


def api_user():
    return g.get("api_user")


def requires(scope: str = "read", roles: tuple = ()):
    """The view needs a token (401 without), of `scope` ("write" refuses read tokens: 403 insufficient_scope),
    and, when `roles` are given, a user in one of them (403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = g.get("api_token")
            if token is None:
                raise ApiError(401, "unauthorized", _("This needs an API token."), headers=CHALLENGE)
            if scope == "write" and token.scope != "write":
                raise ApiError(
                    403, "insufficient_scope", _("This token may only read. Create a token with write access.")
                )
            if roles and token.user.role not in roles:
                raise ApiError(403, "forbidden", _("You do not have permission to do that."))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def member_company():
    """The token user's company; 403 for staff, admins and members who have not described their company yet."""
    user = api_user()
    if user is None or user.role is not Role.member or user.company is None:
        raise ApiError(403, "forbidden", _("Only members with a company profile can do that."))
    return user.company
