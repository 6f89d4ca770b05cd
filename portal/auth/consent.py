"""The Terms gate: a signed-in account that has not accepted the Terms now in force accepts them first."""

from urllib.parse import urlsplit

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..main.pages import current_terms_version
from ..permissions import wants_json
from ..utils import is_safe_next
from .services import has_accepted

# What an account that has not accepted may still reach, each for a reason: the texts it is asked to
# accept and the rest of the footer; the way out (logout) and the language switch (to read them in its
# own language); links it was mailed (confirm the address, choose a password, stop alerts), which must
# work whenever they are opened; probes, which carry no session; and the page that asks.
EXEMPT_ENDPOINTS = frozenset(
    {
        "static",
        "main.healthz",
        "main.readyz",
        "observability.metrics",
        "main.about",
        "main.contact",
        "main.privacy",
        "main.terms",
        "auth.logout",
        "auth.set_language",
        "auth.confirm",
        "auth.reset_password",
        "alerts.unsubscribe",
        "auth.accept_terms",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD"})


def require_current_terms():
    """Before every request: an account whose terms_version is not the current TERMS_VERSION goes to the
    accept page, whatever route it asks for.

    One hook for the whole app rather than a decorator per view, so a route added later is covered
    without anyone remembering it, and accounts that never ticked the box (created before it existed, or
    by an admin or `flask create-admin`) are asked, as is everyone when TERMS_VERSION changes. A GET is
    sent on with `next`, to come back after accepting; any other method is not carried out: browsers get
    a 303 to the page with a flash saying so (a bare 403 would strand someone mid-session on an error
    page), coming back to the page the form was on; JSON clients get 403. Registered once, on the auth
    blueprint as an app-wide hook (auth/__init__.py), after CSRF and the staff idle check."""
    if request.url_rule is None or request.endpoint in EXEMPT_ENDPOINTS:
        return None  # a 404/405 stays one; exempt routes never load the account
    if not current_user.is_authenticated or has_accepted(current_user, current_terms_version()):
        return None
    if wants_json():
        message = _("Please accept the updated Terms of use and the Privacy policy first.")
        return jsonify(error=403, message=message, accept_url=url_for("auth.accept_terms")), 403
    if request.method in SAFE_METHODS:
        return redirect(url_for("auth.accept_terms", next=same_site_path(request.full_path)))
    flash(_("Nothing was done: please accept the updated Terms of use and the Privacy policy first."), "warning")
    return redirect(url_for("auth.accept_terms", next=referring_path()), 303)


def same_site_path(target: str | None) -> str | None:
    """`target` if it is a safe `next` (utils.is_safe_next), without the bare "?" of an empty query."""
    if target and target.endswith("?"):
        target = target[:-1]
    return target if is_safe_next(target) else None


def referring_path() -> str | None:
    """The page a refused form was sent from, if it is one of ours: where to come back after accepting."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    return same_site_path(f"{referrer.path}?{referrer.query}" if referrer.query else referrer.path)
