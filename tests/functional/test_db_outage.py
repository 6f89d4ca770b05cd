"""A database that does not answer is 503 + Retry-After with a static page in the reader's language (never
from the user row), JSON for API clients; a GET whose connection dropped is retried once; and under
gunicorn no request during an outage ever gets a 500 or gunicorn's bare page."""

import http.client
import json
import os
import re
import time
from contextlib import contextmanager
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from config import TestConfig
from portal import create_app
from portal.extensions import db

from ..conftest import vars_of
from ..e2e.liveserver import build_schema, fresh_database, gunicorn, server_env

TEST_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_URL.startswith("postgresql")
PAGE_MARK = 'id="database-unavailable"'
RU_HOME = "Вернуться на главную страницу"  # the page's "Back to the home page" in Russian


@pytest.fixture
def app_config(app_config):
    """No pre-ping, so a connection killed in the pool reaches the request as a real dropped connection."""
    return {**app_config, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False}}


@pytest.fixture
def down_app(app_config, tmp_path):
    """The portal pointed at a database that refuses every connection, same secret key as `app`."""
    if ON_POSTGRES:
        url = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
    else:
        url = f"sqlite:///{tmp_path / 'no-such-dir' / 'portal.sqlite3'}"  # SQLite cannot create the directory
    app = create_app({**vars_of(TestConfig), **app_config, "SQLALCHEMY_DATABASE_URI": url})
    app.test_client_class = FlaskClient
    return app


@pytest.fixture
def down_client(down_app):
    return down_app.test_client()


def assert_outage_page(response, lang="en"):
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:300]
    assert response.headers["Retry-After"] == "5"
    assert PAGE_MARK in body
    assert f'<html lang="{lang}"' in body
    return body


def test_refused_connection_gives_503_with_retry_after_and_a_russian_page(down_client):
    response = down_client.get("/", headers={"Accept-Language": "ru"})
    body = assert_outage_page(response, "ru")
    assert RU_HOME in body
    assert "Traceback" not in body


def test_session_locale_chooses_the_outage_page_language(down_client):
    with down_client.session_transaction() as session:
        session["locale"] = "ur"
    body = assert_outage_page(down_client.get("/companies/", headers={"Accept-Language": "ru"}), "ur")
    assert 'dir="rtl"' in body


def test_logged_in_user_gets_the_outage_page_and_stays_logged_in(client, login, member, down_client):
    login(member)
    cookie = client.get_cookie("session", domain="localhost")
    down_client.set_cookie("session", cookie.value, domain="localhost")

    response = down_client.get("/dashboard", headers={"Accept-Language": "ru"})
    assert_outage_page(response, "ru")
    assert "session=;" not in (response.headers.get("Set-Cookie") or "")  # the outage does not log anyone out
    # a page that needs no query of its own (a 404) still renders with the user: that falls back too
    assert_outage_page(down_client.get("/no-such-page", headers={"Accept-Language": "ru"}), "ru")

    assert client.get("/dashboard").status_code == 200  # the same session, database back: still logged in


def test_api_clients_get_json_503(down_client):
    response = down_client.get("/companies/", headers={"Accept": "application/json", "Accept-Language": "ru"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.is_json
    assert response.get_json()["error"] == 503
    assert response.get_json()["retry_after"] == 5


def test_a_post_during_an_outage_is_503_not_500(down_client):
    response = down_client.post("/auth/login", data={"email": "a@b.example", "password": "x" * 12})
    assert_outage_page(response)


# --- a dropped connection -------------------------------------------------------------------------


def kill_connection(engine, dbapi_conn):
    """End this pooled connection for real: the server terminates its backend, or SQLite's handle closes."""
    if engine.dialect.name != "postgresql":
        dbapi_conn.close()
        return
    killer = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
    try:
        with killer.connect() as conn:
            pid = dbapi_conn.info.backend_pid
            assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    finally:
        killer.dispose()


@contextmanager
def dropped_connections(engine, times=1):
    """The next `times` connections the pool hands out are dead by the time the request uses them."""
    state = {"left": times, "dropped": 0}

    def on_checkout(dbapi_conn, _record, _proxy):
        if state["left"] > 0:
            state["left"] -= 1
            state["dropped"] += 1
            kill_connection(engine, dbapi_conn)

    sa.event.listen(engine, "checkout", on_checkout)
    try:
        yield state
    finally:
        sa.event.remove(engine, "checkout", on_checkout)


def test_a_get_whose_connection_dropped_succeeds_on_the_retry(app, client, caplog):
    client.get("/")  # a connection in the pool, to be killed
    with dropped_connections(db.engine) as state:
        response = client.get("/")
    assert state["dropped"] == 1
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert PAGE_MARK not in response.get_data(as_text=True)
    assert "retrying once" in caplog.text


def test_a_logged_in_get_whose_connection_dropped_in_the_user_loader_succeeds(app, client, login, member):
    login(member)
    with dropped_connections(db.engine) as state:
        response = client.get("/dashboard")
    assert state["dropped"] == 1
    assert response.status_code == 200, response.headers.get("Location")


def test_a_get_is_retried_only_once(app, client):
    with dropped_connections(db.engine, times=2) as state:
        response = client.get("/")
    assert state["dropped"] == 2
    assert_outage_page(response)


def test_a_post_whose_connection_dropped_is_not_retried(app, client, member):
    email = member.email  # read now: the test's own session must not get the dead connection
    with dropped_connections(db.engine, times=1) as state:
        response = client.post("/auth/login", data={"email": email, "password": "wrong-password-1"})
    assert state["dropped"] == 1
    assert_outage_page(response)


# --- for real: gunicorn on PostgreSQL, the database made unavailable --------------------------------


def fetch(base_url, method, path, cookie="", form=None, accept="text/html"):
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        headers = {"Cookie": cookie, "Accept": accept, "Accept-Language": "ru"}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def logged_in_cookie(base_url) -> str:
    """Register and log in through the real forms (CSRF on); the session cookie."""
    status, headers, html = fetch(base_url, "GET", "/auth/register")
    cookie = "session=" + SimpleCookie(headers["Set-Cookie"])["session"].value
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    password = "tannery-hides-2026-x"
    form = {
        "name": "Aigerim",
        "email": "buyer@hides.example",
        "password": password,
        "password2": password,
        "accept_terms": "y",
    }
    status, headers, html = fetch(
        base_url, "POST", "/auth/register", cookie, {**form, "csrf_token": csrf, "locale": "ru"}
    )
    assert status == 302, re.findall(r"invalid-feedback[^>]*>([^<]+)", html)
    if "Set-Cookie" in headers:
        cookie = "session=" + SimpleCookie(headers["Set-Cookie"])["session"].value
    status, headers, html = fetch(base_url, "GET", "/auth/login", cookie)
    if status == 302:  # registration already logged us in
        return cookie
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    status, headers, _ = fetch(
        base_url, "POST", "/auth/login", cookie, {"email": form["email"], "password": password, "csrf_token": csrf}
    )
    assert status == 302
    return "session=" + SimpleCookie(headers["Set-Cookie"])["session"].value


def set_connections(admin, database, allowed: bool):
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            conn.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"), {"d": database}
            )


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PORTAL_TEST_DATABASE_URL on PostgreSQL")
def test_gunicorn_answers_every_request_503_during_an_outage_and_recovers(tmp_path):
    with fresh_database(tmp_path) as database_url:
        env = server_env(
            database_url,
            tmp_path,
            ENV="production",
            PUBLIC_URL="http://127.0.0.1",
            COOKIE_SECURE="false",  # plain http on the loopback: no secure cookies, no HTTPS redirect
            FORCE_HTTPS="false",
            HSTS_SECONDS=0,
        )
        build_schema(env, migrations=False)
        database = sa.engine.make_url(database_url).database
        admin = sa.create_engine(
            sa.engine.make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as base_url:
            cookie = logged_in_cookie(base_url)
            assert fetch(base_url, "GET", "/dashboard", cookie)[0] in (200, 302)
            requests = [
                ("GET", "/", "", "text/html"),
                ("GET", "/companies/", "", "text/html"),
                ("GET", "/dashboard", cookie, "text/html"),
                ("GET", "/notifications", cookie, "text/html"),
                ("GET", "/companies/", cookie, "application/json"),
                ("HEAD", "/", cookie, "text/html"),
            ]
            try:
                set_connections(admin, database, allowed=False)
                answers = []
                deadline = time.monotonic() + 3
                while time.monotonic() < deadline:
                    for method, path, who, accept in requests:
                        answers.append((method, path, accept, *fetch(base_url, method, path, who, accept=accept)))
            finally:
                set_connections(admin, database, allowed=True)
                admin.dispose()

            assert len(answers) >= 12
            for method, path, accept, status, headers, body in answers:
                where = f"{method} {path} ({accept})"
                assert status == 503, f"{where}: {status} {body[:300]}"
                assert headers.get("Retry-After") == "5", where
                if method == "HEAD":
                    continue
                if accept == "application/json":
                    assert json.loads(body)["error"] == 503, where
                else:
                    assert PAGE_MARK in body and RU_HOME in body, where

            deadline = time.monotonic() + 10
            while fetch(base_url, "GET", "/")[0] != 200:
                assert time.monotonic() < deadline, "the portal did not recover after the database came back"
                time.sleep(0.2)
            status, headers, _ = fetch(base_url, "GET", "/dashboard", cookie)
            assert status in (200, 302) and "/auth/login" not in headers.get("Location", ""), "the session was lost"
