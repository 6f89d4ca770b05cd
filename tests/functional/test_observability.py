"""Request ids on every response, log line and error page; /metrics for Prometheus only, aggregated over
gunicorn's workers. The in-process tests read the portal's own handler from a StringIO; the gunicorn ones
run production mode for real and read its stderr."""

import io
import json
import logging
import re
import urllib.error
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from portal import observability
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.user import OutboxMessage

from ..e2e.liveserver import build_schema, fresh_database, gunicorn, server_env

UNSAFE_IDS = ["abc\r\nX-Injected: 1", "has spaces", "x" * 500, '"><script>', "id\x00zero", ""]


@pytest.fixture
def log_stream():
    """What the portal's JSON handler writes while the test runs, INFO and up."""
    stream = io.StringIO()
    handler = observability.make_handler(stream, "json")
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def sample(metrics_text, name, **labels):
    """The value of one sample in Prometheus's text format, or None when it is absent."""
    for line in metrics_text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    return None


@pytest.mark.parametrize("path", ["/", "/healthz", "/no-such-page", "/static/css/portal.css", "/auth/login"])
def test_every_response_carries_a_request_id(client, path):
    response = client.get(path)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_each_request_gets_its_own_id(client):
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_a_sane_incoming_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-01.Ab_9"})
    assert response.headers["X-Request-ID"] == "edge-01.Ab_9"
    assert response.headers.getlist("X-Request-ID") == ["edge-01.Ab_9"]


@pytest.mark.parametrize("incoming", UNSAFE_IDS, ids=["crlf", "spaces", "500-chars", "markup", "nul", "empty"])
def test_an_unsafe_incoming_request_id_is_replaced(client, incoming):
    # environ_base bypasses the test client's header checks, as a raw socket would
    response = client.get("/healthz", environ_base={"HTTP_X_REQUEST_ID": incoming})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


@pytest.fixture
def failing_app(app):
    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("kaboom")

    return app


def test_the_error_pages_show_the_request_id(failing_app):
    client = failing_app.test_client()
    for path, code in (("/no-such-page", 404), ("/boom-for-test", 500)):
        response = client.get(path, headers={"X-Request-ID": f"ref-{code}"})
        assert response.status_code == code
        assert response.headers["X-Request-ID"] == f"ref-{code}"
        assert f"Reference: ref-{code}" in response.get_data(as_text=True)


def test_the_json_error_answer_still_carries_the_header(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json", "X-Request-ID": "api-7"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "api-7"


def test_log_lines_made_during_a_request_are_json_with_its_id(failing_app, log_stream):
    response = failing_app.test_client().get("/boom-for-test", headers={"X-Request-ID": "trace-me"})
    assert response.status_code == 500
    lines = json_lines(log_stream.getvalue())
    error = next(line for line in lines if line["message"] == "unhandled error")
    assert error["request_id"] == "trace-me"
    assert error["level"] == "ERROR" and "kaboom" in error["exc_info"]
    access = next(line for line in lines if line["logger"] == "portal.access")
    assert access["request_id"] == "trace-me"
    assert access["method"] == "GET" and access["path"] == "/boom-for-test"
    assert access["endpoint"] == "boom" and access["status"] == 500
    assert access["duration_ms"] >= 0
    assert all(line.get("request_id") == "trace-me" for line in lines)


def test_logs_outside_a_request_are_json_without_an_id(app, log_stream):
    logging.getLogger("portal.worker").info("journal applied %d entries", 3)
    (line,) = json_lines(log_stream.getvalue())
    assert line["message"] == "journal applied 3 entries" and line["logger"] == "portal.worker"
    assert "request_id" not in line


def test_json_lines_keep_other_scripts_readable_and_stay_one_line(log_stream):
    logging.getLogger("portal.search").warning("запрос %s\nforged line", "кожа")
    raw = log_stream.getvalue()
    assert raw.count("\n") == 1 and "запрос кожа\\nforged line" in raw


def test_text_logs_escape_line_breaks_from_the_request(client):
    stream = io.StringIO()
    handler = observability.make_handler(stream, "text")
    access = logging.getLogger("portal.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        client.get("/x%0d%0aFAKE%20line", headers={"X-Request-ID": "txt-1"})
    finally:
        access.removeHandler(handler)
        access.setLevel(logging.NOTSET)
    (line,) = stream.getvalue().splitlines()
    assert "[txt-1]" in line and "\\x0d\\x0aFAKE" in line


def test_metrics_answers_the_loopback_with_latency_by_endpoint(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.get_data(as_text=True)
    assert sample(text, "flask_http_request_duration_seconds_count", endpoint="main.healthz", method="GET") == 1
    assert sample(text, "portal_metrics_database_up") == 1


@pytest.mark.parametrize(
    "environ, headers",
    [
        ({"REMOTE_ADDR": "203.0.113.9"}, {}),
        ({}, {"X-Forwarded-For": "203.0.113.9"}),  # through a proxy, every visitor would be the loopback
        ({"REMOTE_ADDR": "203.0.113.9"}, {"Authorization": "Bearer guess"}),
    ],
    ids=["other-address", "proxied", "token-unset"],
)
def test_metrics_is_hidden_from_other_clients(client, environ, headers):
    response = client.get("/metrics", environ_base=environ, headers=headers)
    assert response.status_code == 404
    assert "flask_http" not in response.get_data(as_text=True)


def test_metrics_is_served_over_plain_http_when_https_is_forced(app_config):
    from config import TestConfig
    from portal import create_app

    from ..conftest import vars_of

    app = create_app({**vars_of(TestConfig), **app_config, "FORCE_HTTPS": True})
    client = app.test_client()
    assert client.get("/").status_code == 302  # the redirect is on, and /metrics is exempt like /healthz
    assert client.get("/metrics").status_code == 200


def test_metrics_allow_list_takes_networks(app):
    app.config["METRICS_ALLOW"] = ["10.0.0.0/8"]
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"}).status_code == 200
    assert client.get("/metrics").status_code == 404  # the loopback is no longer listed


def test_metrics_token_lets_a_remote_scraper_in(app):
    app.config.update(METRICS_TOKEN="scrape-token-0123456789", METRICS_ALLOW=[])
    client = app.test_client()
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics").status_code == 404
    wrong = client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer scrape-token-x"})
    assert wrong.status_code == 404
    right = client.get(
        "/metrics",
        environ_base=remote,
        headers={"Authorization": "Bearer scrape-token-0123456789", "X-Forwarded-For": "203.0.113.9"},
    )
    assert right.status_code == 200


def test_failed_logins_are_counted(client, member):
    for password in ("wrong-one", "wrong-two"):
        response = client.post("/auth/login", data={"email": member.email, "password": password})
        assert response.status_code == 200
    client.post("/auth/login", data={"email": "nobody@nowhere.example", "password": "whatever"})
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "portal_login_failures_total") == 3


def test_mail_backlog_counts_only_pending_mail_and_its_age(client):
    now = utcnow()
    db.session.add_all(
        [
            OutboxMessage(recipient="a@x.example", subject="s", body="b", created_at=now - timedelta(minutes=10)),
            OutboxMessage(recipient="b@x.example", subject="s", body="b", created_at=now - timedelta(minutes=1)),
            OutboxMessage(
                recipient="c@x.example", subject="s", body="b", created_at=now - timedelta(days=2), sent_at=now
            ),
            OutboxMessage(
                recipient="d@x.example", subject="s", body="b", created_at=now - timedelta(days=3), failed_at=now
            ),
        ]
    )
    db.session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "portal_mail_outbox_pending") == 2
    assert 600 <= sample(text, "portal_mail_outbox_oldest_pending_age_seconds") < 900


def test_journal_gauges_report_what_journal_status_says(client):
    from portal import search

    text = client.get("/metrics").get_data(as_text=True)
    status = search.journal_status()
    assert sample(text, "portal_search_journal_backlog") == status["backlog"]
    assert sample(text, "portal_search_index_needs_rebuild") == float(status["needs_rebuild"])
    assert sample(text, "portal_search_index_failing") == float(status["failing"])
    assert sample(text, "portal_search_journal_oldest_age_seconds") is not None


# --- production mode under gunicorn: the real logging path and multiprocess metrics -------------------

METRICS_TOKEN = "scrape-token-for-the-gunicorn-test"


class Visitor:
    """Plain HTTP on a new connection per request (so either worker may answer), with one cookie jar."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path, headers=None):
        request = urllib.request.Request(self.base_url + path, headers=headers or {})  # noqa: S310 - our http URL
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def post(self, path, form):
        request = urllib.request.Request(  # noqa: S310 - our own http URL
            self.base_url + path, data=urlencode(form).encode(), method="POST"
        )
        with self.opener.open(request, timeout=20) as response:
            return response.status, response.read().decode()

    def scrape(self):
        status, _headers, text = self.get("/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert status == 200
        return text


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """Production mode, two workers sharing counters through PROMETHEUS_MULTIPROC_DIR; /metrics by token only."""
    tmp_path = tmp_path_factory.mktemp("observability")
    with fresh_database(tmp_path) as database_url:
        env = server_env(
            database_url,
            tmp_path,
            ENV="production",
            PUBLIC_URL="http://127.0.0.1",
            COOKIE_SECURE="false",  # plain http on the loopback
            FORCE_HTTPS="false",
            METRICS_TOKEN=METRICS_TOKEN,
            METRICS_ALLOW="",
        )
        build_schema(env, migrations=False)
        multiproc = tmp_path / "prometheus"
        multiproc.mkdir()
        log_path = tmp_path / "gunicorn.log"
        with gunicorn({**env, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}, log_path, workers=2) as base_url:
            yield SimpleNamespace(base_url=base_url, log_path=log_path, database_url=database_url)


def portal_lines(log_path):
    """The portal's own lines from the server's output (gunicorn's own are plain text)."""
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]


def test_gunicorn_writes_json_logs_with_the_request_id(live):
    status, headers, html = Visitor(live.base_url).get("/no-such-page", {"X-Request-ID": "live-probe-404"})
    assert status == 404 and headers["X-Request-ID"] == "live-probe-404"
    assert "Reference: live-probe-404" in html
    lines = [line for line in portal_lines(live.log_path) if line.get("request_id") == "live-probe-404"]
    (access,) = [line for line in lines if line["logger"] == "portal.access"]
    assert access["status"] == 404 and access["path"] == "/no-such-page" and access["level"] == "INFO"
    assert {"time", "process", "duration_ms"} <= access.keys()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", access["time"])


def test_gunicorn_metrics_add_up_both_workers(live):
    visitor = Visitor(live.base_url)
    before = sample(visitor.scrape(), "flask_http_request_duration_seconds_count", endpoint="main.index") or 0
    ids = []
    while len(ids) < 200:
        status, headers, _html = visitor.get("/")
        assert status == 200
        ids.append(headers["X-Request-ID"])
        pids = {line["process"] for line in portal_lines(live.log_path) if line.get("request_id") in ids}
        if len(pids) == 2 and len(ids) >= 10:
            break
    assert len(pids) == 2, "every request went to one worker: nothing to aggregate"
    text = visitor.scrape()
    after = sample(text, "flask_http_request_duration_seconds_count", endpoint="main.index", method="GET")
    assert after - before == len(ids)
    assert sample(text, "flask_http_request_duration_seconds_bucket", endpoint="main.index", le="+Inf") == after


def test_gunicorn_metrics_show_mail_backlog_and_login_failures(live):
    engine = sa.create_engine(live.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(OutboxMessage.__table__).values(
                    recipient="ops@x.example",
                    subject="s",
                    body="b",
                    attempts=0,
                    created_at=utcnow() - timedelta(hours=1),
                )
            )
    finally:
        engine.dispose()
    visitor = Visitor(live.base_url)
    before = sample(visitor.scrape(), "portal_login_failures_total") or 0
    _status, _headers, html = visitor.get("/auth/login")
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    status, page = visitor.post("/auth/login", {"csrf_token": csrf, "email": "nobody@x.example", "password": "nope"})
    assert status == 200 and "Invalid email or password." in page
    text = visitor.scrape()
    assert sample(text, "portal_login_failures_total") == before + 1
    assert sample(text, "portal_mail_outbox_pending") == 1
    assert sample(text, "portal_mail_outbox_oldest_pending_age_seconds") >= 3600


def test_gunicorn_metrics_refuses_a_scraper_without_the_token(live):
    visitor = Visitor(live.base_url)
    assert visitor.get("/metrics")[0] == 404  # even from the loopback: the allow-list is empty
    assert visitor.get("/metrics", {"Authorization": "Bearer wrong"})[0] == 404
