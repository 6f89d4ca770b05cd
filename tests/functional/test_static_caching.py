"""Page weight (portal/static_files.py): fingerprinted static URLs cached for a year, compressed assets,
uncompressed HTML (BREACH) and the favicon; in the test client, then over HTTP against gunicorn in production."""

import gzip
import hashlib
import http.client
import re

import brotli
import pytest
from flask import url_for

from config import BASE_DIR
from portal.static_files import YEAR, Fingerprints, fingerprint

from ..e2e.liveserver import build_schema, fresh_database, gunicorn, server_env
from .test_production_server import Server, proxied

STATIC = BASE_DIR / "static"
BOOTSTRAP_CSS = "vendor/bootstrap-5.3.9/css/bootstrap.min.css"
IMMUTABLE = f"public, max-age={YEAR}, immutable"
SHORT = "public, max-age=3600"
STATIC_LINK = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def sha12(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_links(html: str) -> list[str]:
    return STATIC_LINK.findall(html)


# --- the test client ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/auth/login", "/listings/"])
def test_every_static_link_in_a_page_carries_the_files_content_hash(client, path):
    html = client.get(path).get_data(as_text=True)
    links = static_links(html)
    assert any(BOOTSTRAP_CSS in link for link in links), links
    for link in links:
        filename, _, version = link.removeprefix("/static/").partition("?v=")
        assert version == sha12(STATIC / filename), link


def test_a_fingerprinted_static_file_is_cached_for_a_year(app, client):
    with app.app_context():
        url = f"/static/{BOOTSTRAP_CSS}?v={fingerprint(BOOTSTRAP_CSS)}"
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert "Expires" not in response.headers
    revalidated = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert revalidated.status_code == 304
    assert revalidated.headers["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize("query", ["", "?v=0123456789ab"])
def test_a_static_file_without_its_current_fingerprint_gets_a_short_cache(client, query):
    response = client.get(f"/static/css/portal.css{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == SHORT


def test_a_changed_file_gets_a_new_fingerprint(tmp_path):
    sheet = tmp_path / "css" / "site.css"
    sheet.parent.mkdir()
    sheet.write_text("body { color: black; }")
    fingerprints = Fingerprints(str(tmp_path))
    before = fingerprints.of("css/site.css")
    assert before == sha12(sheet)
    assert fingerprints.of("css/site.css") == before  # the same file, the same URL
    sheet.write_text("body { color: #5b3a1e; }")
    after = fingerprints.of("css/site.css")
    assert after == sha12(sheet) and after != before
    assert fingerprints.of("css/missing.css") is None
    assert fingerprints.of("../outside.css") is None


@pytest.mark.parametrize(("encoding", "decode"), [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_a_stylesheet_is_compressed_when_the_browser_accepts_it(client, encoding, decode):
    response = client.get(f"/static/{BOOTSTRAP_CSS}", headers={"Accept-Encoding": encoding})
    on_disk = (STATIC / BOOTSTRAP_CSS).read_bytes()
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert decode(response.data) == on_disk
    assert int(response.headers["Content-Length"]) == len(response.data) < len(on_disk) / 4


def test_a_stylesheet_is_sent_as_it_is_without_accept_encoding(client):
    response = client.get(f"/static/{BOOTSTRAP_CSS}")
    assert "Content-Encoding" not in response.headers
    assert response.data == (STATIC / BOOTSTRAP_CSS).read_bytes()


def test_a_range_request_is_answered_uncompressed(client):
    response = client.get(f"/static/{BOOTSTRAP_CSS}", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
    assert response.status_code == 206
    assert "Content-Encoding" not in response.headers
    assert response.data == (STATIC / BOOTSTRAP_CSS).read_bytes()[:100]


@pytest.mark.parametrize("path", ["/", "/listings/", "/auth/login"])
def test_a_visitors_page_is_compressed(client, path):
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert b'name="csrf_token"' in gzip.decompress(response.data)


LOGGED_IN_PAGES = [
    ("member", "/"),
    ("member", "/dashboard"),
    ("member", "/listings/"),
    ("member", "/auth/settings"),
    ("pta_staff", "/staff/verification"),
    ("pta_staff", "/staff/listings/"),
    ("admin", "/admin/"),
]


@pytest.mark.parametrize("fetch_site", [None, "cross-site", "same-site"])
@pytest.mark.parametrize(("who", "path"), LOGGED_IN_PAGES)
def test_a_logged_in_users_page_started_elsewhere_is_never_compressed(client, login, request, who, path, fetch_site):
    """BREACH: a logged-in page holds what is worth stealing (names, contact details, others' files), and the
    attack loads it from the attacker's site: such requests (or a browser that does not say) get no compression."""
    login(request.getfixturevalue(who))
    headers = {"Accept-Encoding": "gzip, deflate, br, zstd", **({"Sec-Fetch-Site": fetch_site} if fetch_site else {})}
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert "<html" in response.get_data(as_text=True)


@pytest.mark.parametrize("fetch_site", ["same-origin", "none"])
@pytest.mark.parametrize(("who", "path"), LOGGED_IN_PAGES[:3])
def test_a_logged_in_users_own_navigation_is_compressed(client, login, request, who, path, fetch_site):
    """The browser marks the member's own clicks (same-origin) and typed URLs (none): those pages are small."""
    login(request.getfixturevalue(who))
    response = client.get(path, headers={"Accept-Encoding": "gzip", "Sec-Fetch-Site": fetch_site})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert b"<html" in gzip.decompress(response.get_data())


def test_the_favicon_is_served_at_the_root_and_as_svg(app, client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert icon.data == (STATIC / "favicon.ico").read_bytes()
    assert icon.headers["Cache-Control"] == SHORT
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"#5b3a1e" in svg.data  # the brand colour (bg-brand in static/css/portal.css)
    with app.test_request_context():
        assert url_for("static", filename="favicon.ico") == f"/favicon.ico?v={sha12(STATIC / 'favicon.ico')}"
        assert url_for("static", filename="favicon.svg") == f"/static/favicon.svg?v={sha12(STATIC / 'favicon.svg')}"


# --- gunicorn, production mode --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("static-production")
    with fresh_database(tmp) as database_url:
        env = server_env(database_url, tmp, PUBLIC_URL="https://leather-bridge.example", TRUSTED_HOSTS="127.0.0.1")
        env.update(PORTAL_ENV="production", PORTAL_PROXY_HOPS="1")
        build_schema(env, migrations=False)
        with gunicorn(env, tmp / "gunicorn.log") as url:
            yield Server(url, database_url, tmp / "gunicorn.log")


def fetch_bytes(server, path, headers=None):
    """One request over HTTPS as nginx forwards it: status, headers, the body's bytes as sent."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=20)
    try:
        conn.request("GET", path, headers={**proxied("203.0.113.20"), **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def test_in_production_pages_link_fingerprinted_files_cached_for_a_year_and_compressed(production):
    status, headers, body = fetch_bytes(production, "/auth/login", {"Accept-Encoding": "gzip, br"})
    assert status == 200, production.log_tail()
    assert headers["Content-Encoding"] == "br"  # a visitor's page: nothing secret on it
    links = static_links(brotli.decompress(body).decode())
    assert links and all(re.search(r"\?v=[0-9a-f]{12}$", link) for link in links), links
    for link in links:
        on_disk = (STATIC / link.removeprefix("/static/").partition("?")[0]).read_bytes()
        status, headers, sent = fetch_bytes(production, link, {"Accept-Encoding": "gzip, br"})
        assert status == 200
        assert headers["Cache-Control"] == IMMUTABLE
        if len(on_disk) < 500:  # Flask-Compress leaves tiny files (the 244-byte favicon.svg) as they are
            assert sent == on_disk
            continue
        assert headers["Content-Encoding"] == "br"
        assert int(headers["Content-Length"]) == len(sent)
        assert brotli.decompress(sent) == on_disk
        assert headers["X-Content-Type-Options"] == "nosniff"  # the security headers stay

    status, headers, sent = fetch_bytes(production, "/static/css/portal.css", {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and headers["Cache-Control"] == SHORT  # no fingerprint
    assert gzip.decompress(sent) == (STATIC / "css/portal.css").read_bytes()


def test_in_production_the_favicon_is_served(production):
    status, headers, body = fetch_bytes(production, "/favicon.ico")
    assert status == 200
    assert body == (STATIC / "favicon.ico").read_bytes()
    assert '"GET /favicon.ico' in production.log_path.read_text()  # answered by the portal, not a 404
    assert " 404" not in production.log_path.read_text()


def test_a_file_in_a_versioned_vendor_directory_is_cached_for_a_year(client):
    """Stylesheets point at their fonts without a fingerprint; the directory's version names the content."""
    response = client.get("/static/vendor/noto-nastaliq-urdu-5.3.0/noto-nastaliq-urdu-urdu-400-normal.woff2")
    assert response.status_code == 200 and response.headers["Cache-Control"] == IMMUTABLE
