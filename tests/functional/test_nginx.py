"""deploy/nginx/leather-bridge.conf for real: Debian's nginx in front of gunicorn (deploy/gunicorn.conf.py)
on the loopback, the portal in production mode behind it. Plain HTTP: the sample's TLS lines are left out.

nginx comes from `make test` (apt). Without it the module is skipped, except in CI, where it fails."""

import getpass
import gzip
import http.client
import os
import re
import shutil
import socket
import subprocess
import time

import pytest
import sqlalchemy as sa

from ..e2e.liveserver import BIN, ROOT, build_schema, flask, free_port, fresh_database, gunicorn, server_env
from .test_throttle_gunicorn import Browserless

SAMPLE = ROOT / "deploy" / "nginx" / "leather-bridge.conf"
SERVER_NAME = "leather-bridge.test"
DEMO_PASSWORD = "leather-demo-2026"  # what `flask seed-demo` gives every demo account (tests/e2e/liveserver.py)
BOOTSTRAP_CSS = "/static/vendor/bootstrap-5.3.9/css/bootstrap.min.css"
CLIENT_ADDRESS = "127.0.0.2"  # a loopback address other than nginx's own, so "the address nginx saw" shows


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("nginx is missing: `make test` installs Debian's nginx (the `nginx` prerequisite)")
    pytest.skip("nginx is not installed (`apt-get install nginx`, or run `make test`)")


def render_site(listen_port: int, upstream_port: int) -> str:
    """The sample site with this test's ports, name and static root, over plain HTTP.

    Each substitution must find its text, so a reshaped sample fails here instead of being half-tested."""
    text = SAMPLE.read_text()
    steps = [
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{upstream_port};"),
        (r"\n# Plain HTTP for the portal's name.*?\n}\n", "\n"),  # the redirect to HTTPS
        (
            r"listen 80 default_server;\n\s*listen 443 ssl default_server;",
            f"listen 127.0.0.1:{listen_port} default_server;",
        ),
        (r"\n\s*ssl_reject_handshake on;[^\n]*", ""),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{listen_port};"),
        (r"\n\s*ssl_(certificate|certificate_key|protocols) [^\n]*", ""),
        (r"/srv/leather-bridge/static/", f"{ROOT / 'static'}/"),
        (r"leather-bridge\.example", SERVER_NAME),
    ]
    for pattern, replacement in steps:
        text, count = re.subn(pattern, replacement, text, flags=re.DOTALL)
        assert count, f"the sample no longer has {pattern!r}"
    assert "ssl" not in text, text
    return text


def main_config(prefix, site_path) -> str:
    """What /etc/nginx/nginx.conf gives a site, with every path in the test's own directory."""
    return f"""
user {getpass.getuser()};
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    gzip on;                      # as Debian's nginx.conf has it: the site must turn it off for pages
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site_path};
}}
"""


def wait_for_port(proc, port, log_path, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not listen on {port}:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """gunicorn with the production config file behind nginx with the sample site, for the whole module."""
    nginx = nginx_binary()
    tmp_path = tmp_path_factory.mktemp("nginx")
    port = free_port()
    with fresh_database(tmp_path) as database_url:
        env = server_env(
            database_url,
            tmp_path,
            ENV="production",
            PROXY_HOPS=1,
            # 127.0.0.1 only for liveserver's readiness probe, which talks to gunicorn directly
            TRUSTED_HOSTS=f"{SERVER_NAME},127.0.0.1",
            PUBLIC_URL=f"http://{SERVER_NAME}:{port}",
            FORCE_HTTPS="false",  # plain HTTP on the loopback: no HTTPS redirect, no secure cookies
            COOKIE_SECURE="false",
        )
        env["GUNICORN_CMD_ARGS"] = f"-c {ROOT / 'deploy' / 'gunicorn.conf.py'}"
        env["GUNICORN_ALLOW_ROOT"] = "1"  # CI runs as root; production refuses (test_gunicorn_refuses_root)
        build_schema(env, migrations=False)
        seeded = flask(env, "seed-demo")
        member = next(
            email
            for email, who in re.findall(r"^\s+(\S+@\S+)\s+(.+)$", seeded, flags=re.MULTILINE)
            if who.strip() != "admin" and not who.startswith("staff")
        )
        log = tmp_path / "gunicorn.log"
        with gunicorn(env, log, workers=2) as upstream:
            prefix = tmp_path / "nginx"
            prefix.mkdir()
            site = prefix / "leather-bridge.conf"
            site.write_text(render_site(port, int(upstream.rsplit(":", 1)[1])))
            conf = prefix / "nginx.conf"
            conf.write_text(main_config(prefix, site))
            test = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(prefix), "-e", str(prefix / "error.log")],
                                  capture_output=True, text=True, check=False)  # fmt: skip
            assert test.returncode == 0, test.stderr
            proc = subprocess.Popen(
                [nginx, "-c", str(conf), "-p", str(prefix), "-e", str(prefix / "error.log"), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_for_port(proc, port, prefix / "error.log")
                yield {"port": port, "database_url": database_url, "member": member, "log": log}
            finally:
                proc.terminate()
                proc.wait(timeout=10)


def get(port, path, host=SERVER_NAME, headers=None, source=None, method="GET", body=None):
    """One request to nginx on a new connection; the response with its body read."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20, source_address=source)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        response.body = response.read()
        return response
    finally:
        conn.close()


def client(stack) -> Browserless:
    browser = Browserless(f"http://127.0.0.1:{stack['port']}")
    browser.headers["Host"] = SERVER_NAME
    return browser


def test_pages_are_served_by_the_portal_through_nginx(stack):
    response = get(stack["port"], "/")
    assert response.status == 200
    assert b"<html" in response.body
    assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy")  # the portal's own headers
    assert response.getheader("Server") == "nginx"  # no version number
    assert response.getheader("Content-Encoding") is None
    # A visitor's page: compressed by the portal (nothing secret on it), passed on by nginx as it is
    compressed = get(stack["port"], "/", headers={"Accept-Encoding": "gzip"})
    assert compressed.getheader("Content-Encoding") == "gzip"
    assert b"<html" in gzip.decompress(compressed.body)
    assert get(stack["port"], "/", host=f"{SERVER_NAME}:{stack['port']}").status == 200


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1", f"www.{SERVER_NAME}"])
def test_a_foreign_host_gets_no_answer(stack, host):
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        get(stack["port"], "/", host=host)


def linked_url(port, suffix) -> str:
    """The URL the home page links for a static file, fingerprint and all."""
    html = get(port, "/").body.decode()
    return re.search(rf'"(/static/[^"?]*{re.escape(suffix)}\?v=[0-9a-f]{{12}})"', html).group(1)


def test_fingerprinted_static_files_are_cached_for_good_and_gzipped(stack):
    url = linked_url(stack["port"], "bootstrap.min.css")
    assert url.startswith(BOOTSTRAP_CSS + "?v=")
    on_disk = (ROOT / "static" / BOOTSTRAP_CSS.removeprefix("/static/")).read_bytes()
    response = get(stack["port"], url, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/css")
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(response.body) == on_disk
    assert len(response.body) < len(on_disk) / 3
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.getheader("Vary") == "Accept-Encoding"
    assert response.getheader("X-Content-Type-Options") == "nosniff"

    plain = get(stack["port"], url)
    assert plain.getheader("Content-Encoding") is None
    assert plain.body == on_disk
    # served from disk by nginx: gunicorn never saw the request
    assert "bootstrap.min.css" not in stack["log"].read_text()


def test_static_files_without_a_fingerprint_get_a_short_cache(stack):
    for path in ("/static/css/portal.css", BOOTSTRAP_CSS):
        response = get(stack["port"], path)
        assert response.status == 200
        assert response.getheader("Cache-Control") == "public, max-age=3600"
        assert response.body == (ROOT / path.removeprefix("/")).read_bytes()


def test_the_favicon_comes_from_disk(stack):
    response = get(stack["port"], "/favicon.ico")
    assert response.status == 200
    assert response.getheader("Content-Type") == "image/x-icon"
    assert response.getheader("Cache-Control") == "public, max-age=3600"
    assert response.body == (ROOT / "static" / "favicon.ico").read_bytes()
    assert "favicon" not in stack["log"].read_text()


def test_a_member_logs_in_through_nginx(stack):
    browser = client(stack)
    status, _, _ = browser.request("GET", "/auth/settings")
    assert status == 302  # not logged in yet
    browser.start_session("/auth/login")
    status, set_cookie, _ = browser.request(
        "POST", "/auth/login", {"email": stack["member"], "password": DEMO_PASSWORD}
    )
    assert status == 302
    assert "HttpOnly" in set_cookie
    browser.cookie = "session=" + re.search(r"session=([^;]+)", set_cookie).group(1)
    status, _, html = browser.request("GET", "/auth/settings")
    assert status == 200
    assert stack["member"] in html
    # A member's page is never compressed (BREACH), by the portal or by nginx, even when asked
    response = get(stack["port"], "/auth/settings", headers={"Cookie": browser.cookie, "Accept-Encoding": "gzip, br"})
    assert response.status == 200 and stack["member"].encode() in response.body
    assert response.getheader("Content-Encoding") is None


def test_the_portal_sees_the_client_address_nginx_saw(stack):
    """A wrong password from 127.0.0.2, with a forged X-Forwarded-For: the login throttle counts 127.0.0.2.

    gunicorn's peer is nginx (127.0.0.1), so only the forwarded address can say 127.0.0.2."""
    browser = client(stack)
    browser.start_session("/auth/login")
    form = f"csrf_token={browser.csrf}&email=nobody%40tannery.test&password=wrong-password-1"
    response = get(
        stack["port"],
        "/auth/login",
        method="POST",
        body=form,
        source=(CLIENT_ADDRESS, 0),
        headers={
            "Cookie": browser.cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    assert response.status == 200
    engine = sa.create_engine(stack["database_url"])
    try:
        with engine.connect() as conn:
            addresses = conn.execute(
                sa.text("SELECT address FROM login_failure WHERE account = 'nobody@tannery.test'")
            ).scalars()
            assert list(addresses) == [CLIENT_ADDRESS]
    finally:
        engine.dispose()


def test_a_body_far_above_the_upload_limit_stops_at_nginx(stack):
    response = get(stack["port"], "/auth/login", method="POST", body=b"x" * (8 * 1024 * 1024),
                   headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert response.status == 413
    assert b"<center>nginx</center>" in response.body  # nginx's page: the body never reached gunicorn


def test_gunicorn_refuses_to_run_as_root_in_production():
    if os.geteuid() != 0:
        pytest.skip("only root can show the refusal")
    env = {**os.environ, "PORTAL_ENV": "production"}
    env.pop("GUNICORN_ALLOW_ROOT", None)
    result = subprocess.run(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "--check-config", "portal:create_app()"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "refusing to run gunicorn as root" in result.stderr
