"""HTTP hardening: security headers on every response, the proxy's forwarded headers, idle staff sessions."""

import time

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_fresh, logout_user, user_logged_in
from flask_talisman import Talisman
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

# Scripts, styles, fonts and frames only from the portal itself, nothing inline. Images also as data:
# URIs, because Bootstrap draws its select arrows, checkboxes and toggler as data: SVG backgrounds;
# an image cannot run script. No one may frame a page, so the one-click buttons cannot be clickjacked.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The portal uses none of these browser features, so no page (nor anything injected into one) may ask.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), usb=(), "
    "browsing-topics=(), interest-cohort=()"
)
STAFF_SEEN_KEY = "_staff_seen"


def init_app(app) -> None:
    configure_proxy(app)
    configure_headers(app)
    configure_trusted_hosts(app)
    configure_staff_sessions(app)


def configure_proxy(app) -> None:
    """Trust X-Forwarded-For and -Proto from PROXY_HOPS proxies, so remote_addr and the scheme are the client's.

    X-Forwarded-Host is not trusted: nginx passes the (pinned) Host itself and does not overwrite a
    client's X-Forwarded-Host, so trusting it would hand the Host back to the client."""
    hops = app.config["PROXY_HOPS"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)


def configure_headers(app) -> None:
    """Flask-Talisman sets the headers; the cookie flags stay those of config.py (Talisman would force them).

    One Talisman per app: it keeps its settings on itself, so a shared instance would mix the apps' settings."""
    app.extensions["talisman"] = Talisman(
        app,
        force_https=app.config["FORCE_HTTPS"],
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        feature_policy={},
        document_policy={},
        referrer_policy="same-origin",  # reset and confirmation tokens travel in URLs
        strict_transport_security=app.config["HSTS_SECONDS"] > 0,
        strict_transport_security_max_age=app.config["HSTS_SECONDS"],
        strict_transport_security_include_subdomains=True,
        session_cookie_secure=False,
        session_cookie_http_only=app.config["SESSION_COOKIE_HTTPONLY"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        x_content_type_options=True,
        x_xss_protection=False,  # obsolete; its filter could itself be abused
    )


def allow_plain_http(view):
    """Exempt a view from the HTTPS redirect (Talisman's per-view options), e.g. an internal health probe."""
    return Talisman()(force_https=False)(view)


def configure_trusted_hosts(app) -> None:
    """Flask refuses a Host outside TRUSTED_HOSTS with SecurityError; answer it with a bare 400.

    The regular error page cannot be drawn for it: without a trusted host there is no URL adapter,
    so every url_for in the layout would fail and turn the 400 into a 500."""

    @app.errorhandler(SecurityError)
    def _untrusted_host(_error):
        return _("Bad request: this host name is not served here."), 400, {"Content-Type": "text/plain; charset=utf-8"}


def is_privileged(user) -> bool:
    return user.is_authenticated and (user.is_staff or user.is_admin)


def configure_staff_sessions(app) -> None:
    """Staff and admin sessions end after STAFF_IDLE_MINUTES without a request, and a remember cookie
    cannot bring them back: staff never get one, and a session it restored is refused."""

    @user_logged_in.connect_via(app)
    def _no_remember_cookie_for_staff(_app, user, **_extra):
        if user.is_staff or user.is_admin:
            session.pop("_remember", None)  # Flask-Login sets the cookie after the request only if this says "set"
            session.pop("_remember_seconds", None)
            session[STAFF_SEEN_KEY] = time.time()

    @app.before_request
    def _end_idle_staff_sessions():
        if request.url_rule is None or request.endpoint == "static" or not is_privileged(current_user):
            return None
        now = time.time()
        seen = session.get(STAFF_SEEN_KEY)
        idle_limit = app.config["STAFF_IDLE_MINUTES"] * 60
        if not login_fresh() or seen is None or now - seen > idle_limit:
            logout_user()  # also deletes a remember cookie
            session.pop(STAFF_SEEN_KEY, None)
            flash(_("You were logged out after a period of inactivity. Please log in again."), "info")
            target = request.full_path if request.method == "GET" else None
            return redirect(url_for("auth.login", next=target))
        session[STAFF_SEEN_KEY] = now
        return None
