"""Login throttling and rate limits hold across gunicorn workers in production mode: the counters live in
the database. Client addresses come from X-Forwarded-For (PORTAL_PROXY_HOPS=1, TEST-NET addresses)."""

import http.client
import re
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest

from ..e2e.liveserver import build_schema, fresh_database, gunicorn, server_env

MAX_FAILURES = 4
SEARCH_LIMIT = 6
EMAIL = "throttle@tannery.example"
PASSWORD = "right-password-2026"


class Browserless:
    """Plain HTTP with one session cookie and its CSRF token, a new connection per request (any worker)."""

    def __init__(self, base_url, address=None):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookie = ""
        self.csrf = ""
        self.headers = {}  # sent with every request, e.g. what a reverse proxy adds
        if address:  # the client's address as the proxy in front (PORTAL_PROXY_HOPS=1) would report it
            self.headers["X-Forwarded-For"] = address

    def request(self, method, path, form=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
        try:
            headers = {"Cookie": self.cookie, **self.headers}
            body = None
            if form is not None:
                body = urlencode({"csrf_token": self.csrf, **form})
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheader("Set-Cookie"), response.read().decode()
        finally:
            conn.close()

    def start_session(self, path):
        """GET a form page: keep its session cookie and the CSRF token it holds (CSRF is on, as in production)."""
        status, set_cookie, html = self.request("GET", path)
        assert status == 200
        session = SimpleCookie(set_cookie)["session"].value
        self.cookie = f"session={session}"
        self.csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def worker_pids(log_text, status):
    """The pids of the workers that answered POST /auth/login with this status, from gunicorn's access log."""
    return re.findall(rf'pid=<?(\d+)>? "POST /auth/login HTTP/1.1" {status}', log_text)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One production-mode gunicorn with two workers for the whole module: starts are slow."""
    tmp_path = tmp_path_factory.mktemp("throttle")
    with fresh_database(tmp_path) as database_url:
        env = server_env(
            database_url,
            tmp_path,
            ENV="production",
            PUBLIC_URL="http://127.0.0.1",
            COOKIE_SECURE="false",  # plain http on the loopback, so no secure cookies or HTTPS redirect
            FORCE_HTTPS="false",
            PROXY_HOPS=1,
            LOGIN_MAX_FAILURES=MAX_FAILURES,
            LOGIN_IP_MAX_FAILURES=1000,
            RATELIMIT_SEARCH_ADDRESS=f"{SEARCH_LIMIT}/minute",
            # the production hash cost keeps each attempt busy long enough for parallel ones to reach both workers
            PASSWORD_HASH_METHOD="scrypt:131072:8:1",
        )
        # Threaded workers, so the 15 parallel guesses really are checked at the same time, not two by two.
        env["GUNICORN_CMD_ARGS"] = "--threads 8"
        build_schema(env, migrations=False)  # the schema of the models, as in the rest of the functional tests
        log = tmp_path / "gunicorn.log"
        with gunicorn(env, log, workers=2) as url:
            owner = Browserless(url, "198.51.100.20")
            owner.start_session("/auth/register")
            status, _, _ = owner.request(
                "POST",
                "/auth/register",
                {
                    "name": "Throttle Test",
                    "email": EMAIL,
                    "password": PASSWORD,
                    "password2": PASSWORD,
                    "locale": "en",
                    "accept_terms": "y",
                },
            )
            assert status == 302, "registration failed; the server log ends with:\n" + log.read_text()[-3000:]
            yield url, log


def parallel(client, n, path, form=None, method="POST"):
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda _: client.request(method, path, form)[0], range(n)))


def test_failures_spread_over_two_workers_lock_the_pair_but_not_the_owner_elsewhere(server):
    url, log = server
    # Which worker accepts a connection is the kernel's choice: a burst may all land on one worker, which
    # proves nothing, so the attack is tried again from a fresh address until it reaches both.
    for attempt in range(5):
        attacker = Browserless(url, f"203.0.113.{7 + attempt}")
        attacker.start_session("/auth/login")
        before = len(worker_pids(log.read_text(), 200))
        statuses = parallel(attacker, MAX_FAILURES, "/auth/login", {"email": EMAIL, "password": "wrong-password-1"})
        assert statuses == [200] * MAX_FAILURES

        status, _, html = attacker.request("POST", "/auth/login", {"email": EMAIL, "password": PASSWORD})
        assert status == 429
        assert "Too many failed attempts" in html

        failures_by = worker_pids(log.read_text(), 200)[before:]
        if len(set(failures_by)) == 2:
            break
    # No single worker saw MAX_FAILURES failures, so only a shared counter can have refused the login.
    assert len(set(failures_by)) == 2, f"all failures reached one worker, five times: {failures_by}"

    owner = Browserless(url, "198.51.100.20")  # the owner, from the office, with the right password
    owner.start_session("/auth/login")
    status, _, _ = owner.request("POST", "/auth/login", {"email": EMAIL, "password": PASSWORD})
    assert status == 302


def test_fifteen_parallel_guesses_get_at_most_the_limit_evaluated(server):
    url, _log = server
    attacker = Browserless(url, "203.0.113.99")
    attacker.start_session("/auth/login")
    statuses = parallel(attacker, 15, "/auth/login", {"email": EMAIL, "password": "wrong-password-2"})
    # Each attempt is committed before it is counted: when all 15 land at once, even none may be checked.
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) <= MAX_FAILURES, statuses


def test_the_search_limit_is_shared_by_the_workers(server):
    url, _log = server
    visitor = Browserless(url, "203.0.113.150")
    statuses = [visitor.request("GET", "/search?q=hides")[0] for _ in range(SEARCH_LIMIT + 3)]
    assert statuses == [200] * SEARCH_LIMIT + [429] * 3
