"""The hardening holds over real HTTP against gunicorn in production mode, behind a (simulated) nginx.

One server for the module. Every request carries what nginx would add (X-Forwarded-For and -Proto);
the addresses are TEST-NET ones, only ever header text."""

import http.client
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from ..e2e.liveserver import build_schema, fresh_database, gunicorn, server_env
from .test_throttle_gunicorn import Browserless

PUBLIC_URL = "https://leather-bridge.example"
IP_MAX_FAILURES = 5
VICTIM = "victim@tannery.example"
PASSWORD = "Sialkot-wet-blue-2026!"
ATTACKER_IP, VICTIM_IP = "203.0.113.7", "203.0.113.8"


class Server:
    def __init__(self, url, database_url, log_path):
        self.url, self.database_url, self.log_path = url, database_url, log_path
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def fetch(self, path, headers=None, method="GET"):
        """One plain request; the status, the headers and the body."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read().decode(errors="replace")
        finally:
            conn.close()

    def client(self, ip):
        """A CSRF-aware client whose requests come through the proxy from this address, over HTTPS."""
        client = Browserless(self.url)
        # Over HTTPS Flask-WTF also wants a same-origin Referer, which browsers send (Referrer-Policy: same-origin).
        client.headers = {**proxied(ip), "Referer": f"https://{self.host}:{self.port}/"}
        return client

    def outbox(self, recipient) -> list[str]:
        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                query = sa.text("SELECT body FROM outbox_message WHERE recipient = :to ORDER BY id")
                return list(conn.execute(query, {"to": recipient}).scalars())
        finally:
            engine.dispose()

    def log_tail(self) -> str:
        return "the server log ends with:\n" + self.log_path.read_text(errors="replace")[-3000:]


def proxied(ip):
    return {"X-Forwarded-For": ip, "X-Forwarded-Proto": "https"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    with fresh_database(tmp) as database_url:
        env = server_env(
            database_url,
            tmp,
            PUBLIC_URL=PUBLIC_URL,
            TRUSTED_HOSTS="leather-bridge.example,127.0.0.1",
            PROXY_HOPS=1,
            LOGIN_IP_MAX_FAILURES=IP_MAX_FAILURES,
        )
        env["PORTAL_ENV"] = "production"
        build_schema(env, migrations=False)
        with gunicorn(env, tmp / "gunicorn.log") as url:
            server = Server(url, database_url, tmp / "gunicorn.log")
            victim = server.client(VICTIM_IP)
            victim.start_session("/auth/register")
            form = {
                "name": "Victim",
                "email": VICTIM,
                "password": PASSWORD,
                "password2": PASSWORD,
                "locale": "en",
                "accept_terms": "y",
            }
            status, _, _ = victim.request("POST", "/auth/register", form)
            assert status == 302, "registration failed; " + server.log_tail()
            yield server


@pytest.mark.parametrize("path", ["/auth/login", "/no-such-page", "/static/css/portal.css"])
def test_security_headers_and_hsts_on_pages_errors_and_static_files(server, path):
    status, headers, _ = server.fetch(path, proxied(VICTIM_IP))
    assert status == (404 if path == "/no-such-page" else 200)
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]


def test_session_cookie_is_secure_in_production(server):
    _, headers, _ = server.fetch("/auth/login", proxied(VICTIM_IP))
    assert "Secure" in headers["Set-Cookie"] and "HttpOnly" in headers["Set-Cookie"]


def test_plain_http_is_sent_to_https(server):
    status, headers, _ = server.fetch("/auth/login", {"X-Forwarded-For": VICTIM_IP})
    assert status == 302 and headers["Location"].startswith("https://")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example"])
def test_a_foreign_host_gets_400(server, host):
    status, headers, _ = server.fetch("/auth/reset", {**proxied(ATTACKER_IP), "Host": host})
    assert status == 400
    assert headers["X-Frame-Options"] == "DENY"


def test_a_reset_requested_with_a_forged_forwarded_host_mails_the_public_link(server):
    attacker = server.client(ATTACKER_IP)
    attacker.headers["X-Forwarded-Host"] = "evil.example"  # Host itself is trusted, so the request passes
    attacker.start_session("/auth/reset")
    status, _, _ = attacker.request("POST", "/auth/reset", {"email": VICTIM})
    assert status == 302, server.log_tail()
    links = [link for body in server.outbox(VICTIM) for link in re.findall(r"https?://\S+", body)]
    assert any(link.startswith(PUBLIC_URL + "/auth/reset/") for link in links), links
    assert all(link.startswith(PUBLIC_URL + "/") for link in links), links


def test_behind_the_proxy_one_address_failing_does_not_lock_out_another(server):
    """Holds under per-address and per-(account, address) counting alike: the attacker's failures are
    against another account, and exceed the per-address limit from one address."""
    attacker = server.client(ATTACKER_IP)
    attacker.start_session("/auth/login")
    statuses = [
        attacker.request("POST", "/auth/login", {"email": f"nobody{n}@tannery.example", "password": "wrong-1"})[0]
        for n in range(4 * IP_MAX_FAILURES)
    ]
    assert statuses[-1] == 429, f"the attacker's address was never throttled: {statuses}"

    victim = server.client(VICTIM_IP)
    victim.start_session("/auth/login")
    status, _, html = victim.request("POST", "/auth/login", {"email": VICTIM, "password": PASSWORD})
    assert status == 302, f"the victim was locked out by another address ({status}); " + server.log_tail()
