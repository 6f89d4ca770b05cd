"""Hardening through the test client: links in mail, trusted hosts, security headers, the proxy, sessions."""

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import request
from flask_login.utils import encode_cookie

from portal import security
from portal.extensions import db
from portal.models import OutboxMessage, User

from .. import factories

PUBLIC_URL = "https://leather-bridge.example"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_config(app_config):
    # Not the test client's own host, so a link built from the request would show.
    return {**app_config, "PUBLIC_URL": PUBLIC_URL}


def mails_to(recipient) -> list[str]:
    return db.session.scalars(
        sa.select(OutboxMessage.body).where(OutboxMessage.recipient == recipient).order_by(OutboxMessage.id)
    ).all()


def links_in(body: str) -> list[str]:
    return re.findall(r"https?://\S+", body)


def assert_only_public_links(recipient):
    bodies = mails_to(recipient)
    assert bodies, f"no mail to {recipient}"
    links = [link for body in bodies for link in links_in(body)]
    assert links and all(link.startswith(PUBLIC_URL + "/") for link in links), links
    assert not any("evil.example" in body for body in bodies)


EVIL = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


def log_in_on_the_evil_host(client, login, user):
    """Log in, then let the session cookie go to the forged host too (as a browser at that name would send it)."""
    login(user)
    client.set_cookie("session", client.get_cookie("session").value, domain="evil.example")


# --- item 1: links in mail come from PORTAL_PUBLIC_URL -------------------------------------------------


def test_reset_mail_link_ignores_a_forged_host(client, member):
    response = client.post("/auth/reset", data={"email": member.email}, headers=EVIL)
    assert response.status_code == 302
    assert_only_public_links(member.email)
    assert any("/auth/reset/" in body for body in mails_to(member.email))


def test_confirmation_mail_link_ignores_a_forged_host(client):
    response = client.post(
        "/auth/register",
        data={
            "name": "New Member",
            "email": "new@tannery.example",
            "password": "Kz-hides-and-skins-2026",
            "password2": "Kz-hides-and-skins-2026",
            "accept_terms": "y",
            "locale": "en",
        },
        headers=EVIL,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert_only_public_links("new@tannery.example")


def test_invitation_mail_link_ignores_a_forged_host(client, login, member):
    log_in_on_the_evil_host(client, login, member)
    response = client.post("/companies/mine/colleagues", data={"email": "colleague@tannery.example"}, headers=EVIL)
    assert response.status_code == 302
    assert_only_public_links("colleague@tannery.example")


def test_staff_password_mail_link_ignores_a_forged_host(client, login, admin):
    log_in_on_the_evil_host(client, login, admin)
    response = client.post(
        "/admin/staff/new",
        data={"name": "Aruzhan Bekova", "email": "aruzhan@kla.example", "association": factories.association("KLA").id},
        headers=EVIL,
    )
    assert response.status_code == 302
    assert_only_public_links("aruzhan@kla.example")


def test_notification_mail_link_ignores_a_forged_host(client, login, pta_staff):
    company = factories.make_company(association="PTA")
    factories.make_user(email="owner@new-tannery.example", company=company, owner=True)
    log_in_on_the_evil_host(client, login, pta_staff)
    response = client.post(f"/staff/companies/{company.id}/verify", headers=EVIL)
    assert response.status_code == 302
    assert_only_public_links("owner@new-tannery.example")


def test_production_refuses_to_start_without_public_url():
    """Settings are read at import, so a fresh interpreter with the production environment tries to start."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PORTAL_ENV": "production",
        "PORTAL_SECRET_KEY": "a-long-random-production-secret-value",
        "PORTAL_DATABASE_URL": "sqlite://",
    }
    result = subprocess.run(
        [sys.executable, "-c", "from portal import create_app; create_app()"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "PORTAL_PUBLIC_URL" in result.stderr


@pytest.mark.parametrize("host", ["evil.example", "evil.example:443", "leather-bridge.example.evil.example"])
def test_a_foreign_host_gets_400_when_trusted_hosts_is_set(app, client, host):
    app.config["TRUSTED_HOSTS"] = ["leather-bridge.example", "localhost"]
    response = client.get("/auth/reset", headers={"Host": host})
    assert response.status_code == 400
    assert response.headers["X-Frame-Options"] == "DENY"  # an error still carries the headers


def test_a_trusted_host_with_a_port_is_served(app, client):
    app.config["TRUSTED_HOSTS"] = ["leather-bridge.example"]
    assert client.get("/auth/reset", headers={"Host": "leather-bridge.example:8443"}).status_code == 200


# --- item 2: security headers on every response ----------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/auth/login", "/no-such-page", "/static/css/portal.css", "/healthz", "/companies/"]
)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    permissions = response.headers["Permissions-Policy"]
    assert all(f"{feature}=()" in permissions for feature in ("camera", "microphone", "geolocation", "payment"))
    assert "Strict-Transport-Security" not in response.headers  # development and tests run on plain HTTP


def test_the_one_click_verify_page_cannot_be_framed(client, login, pta_staff):
    company = factories.make_company(association="PTA")
    login(pta_staff)
    response = client.get(f"/staff/companies/{company.id}")
    assert response.status_code == 200 and "verify" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_hsts_is_sent_over_https_when_configured():
    from config import TestConfig
    from portal import create_app

    from ..conftest import vars_of

    app = create_app({**vars_of(TestConfig), "SQLALCHEMY_DATABASE_URI": "sqlite://", "HSTS_SECONDS": 31536000})
    secure = app.test_client().get("/healthz", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_no_template_has_inline_style_script_or_event_handlers():
    """The CSP forbids them, so a browser would silently drop them: catch them here instead. A JSON data
    block (`<script type="application/json">`, filled through |tojson) runs nothing and is allowed."""
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for pattern in (
            r"\sstyle=",
            r"<style",
            r'<script(?![^>]*\s(?:src=|type="application/json"))',
            r"\son[a-z]+=",
            r"javascript:",
        ):
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{template.relative_to(ROOT)}: {pattern}")
    assert not offenders, offenders


# --- item 3: behind a proxy, each client is itself -----------------------------------------------------------


def add_echo_route(app):
    """What the app believes about the client, for the proxy tests."""
    app.add_url_rule("/_echo", "echo", lambda: {"addr": request.remote_addr, "scheme": request.scheme})


def test_forwarded_headers_are_ignored_without_a_proxy(app, client):
    add_echo_route(app)
    seen = client.get("/_echo", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}).get_json()
    assert seen == {"addr": "127.0.0.1", "scheme": "http"}


def test_behind_one_proxy_the_address_it_appended_is_the_client(app_config, monkeypatch):
    from config import TestConfig
    from portal import create_app

    from ..conftest import vars_of

    app = create_app({**vars_of(TestConfig), **app_config, "PROXY_HOPS": 1})
    add_echo_route(app)
    client = app.test_client()
    # The client wrote the first address itself; nginx appended the one it saw.
    headers = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7", "X-Forwarded-Proto": "https"}
    assert client.get("/_echo", headers=headers).get_json() == {"addr": "203.0.113.7", "scheme": "https"}


def test_behind_a_proxy_a_forwarded_host_does_not_reach_the_reset_link(app_config, member):
    from config import TestConfig
    from portal import create_app

    from ..conftest import vars_of

    app = create_app(
        {**vars_of(TestConfig), **app_config, "PROXY_HOPS": 1, "TRUSTED_HOSTS": ["leather-bridge.example"]}
    )
    client = app.test_client()
    headers = {"Host": "leather-bridge.example", "X-Forwarded-Host": "evil.example"}
    assert client.post("/auth/reset", data={"email": member.email}, headers=headers).status_code == 302
    with app.app_context():
        assert_only_public_links(member.email)


# --- item 12: language switch, remember cookie, idle staff sessions ------------------------------------------


def test_language_switch_by_get_changes_nothing(client, login, member):
    login(member)
    assert client.get("/auth/language/ru").status_code in (404, 405)
    assert client.get("/auth/language?code=ru").status_code == 405
    assert db.session.get(User, member.id).locale != "ru"


def test_language_switch_by_post_saves_the_account_language(client, login, member):
    login(member)
    response = client.post("/auth/language", data={"code": "kk", "next": "/companies/"})
    assert response.status_code == 302 and response.headers["Location"] == "/companies/"
    assert db.session.get(User, member.id).locale == "kk"


def test_language_switch_ignores_an_unknown_language(client, login, member):
    login(member)
    client.post("/auth/language", data={"code": "xx"})
    assert db.session.get(User, member.id).locale != "xx"


def test_remember_cookie_lasts_30_days(client, login, member):
    response = login(member, remember=True)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    lifetime = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(days=29) < lifetime <= timedelta(days=30)


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admin_never_get_a_remember_cookie(client, login, role):
    user = factories.make_user(role=role, association="PTA" if role == "staff" else None)
    response = login(user, remember=True)
    assert not any(h.startswith("remember_token=") for h in response.headers.getlist("Set-Cookie"))


def test_a_remember_cookie_does_not_bring_back_a_staff_session(app, pta_staff):
    """A cookie issued before this rule (they lasted a year) is refused and deleted."""
    with app.test_request_context():
        value = encode_cookie(pta_staff.get_id())
    client = app.test_client()
    client.set_cookie("remember_token", value, domain="localhost")
    response = client.get("/staff/verification")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get("/staff/verification").status_code == 302


def test_a_remember_cookie_still_works_for_members(app, member):
    with app.test_request_context():
        value = encode_cookie(member.get_id())
    client = app.test_client()
    client.set_cookie("remember_token", value, domain="localhost")
    assert client.get("/auth/settings").status_code == 200


class Clock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now


def test_an_idle_staff_session_ends(app, client, login, pta_staff, monkeypatch):
    app.config["STAFF_IDLE_MINUTES"] = 30
    clock = Clock(1_000_000.0)
    monkeypatch.setattr(security, "time", SimpleNamespace(time=clock))
    login(pta_staff)
    clock.now += 29 * 60
    assert client.get("/staff/verification").status_code == 200  # active: the clock restarts
    clock.now += 29 * 60
    assert client.get("/staff/verification").status_code == 200
    clock.now += 31 * 60
    response = client.get("/staff/verification")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    clock.now += 1
    assert client.get("/staff/verification").status_code == 302  # logged out, not just redirected once


def test_members_have_no_idle_timeout(app, client, login, member, monkeypatch):
    clock = Clock(1_000_000.0)
    monkeypatch.setattr(security, "time", SimpleNamespace(time=clock))
    login(member)
    clock.now += 24 * 3600
    assert client.get("/auth/settings").status_code == 200
