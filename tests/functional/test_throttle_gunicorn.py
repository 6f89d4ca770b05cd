"""Login throttling holds across gunicorn workers, because the failure counters live in the database."""

import http.client
import re
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from ..e2e.liveserver import build_schema, fresh_database, gunicorn, server_env

MAX_FAILURES = 4
EMAIL = "throttle@tannery.example"
PASSWORD = "right-password-2026"


class Browserless:
    """Plain HTTP with one session cookie and its CSRF token, a new connection per request (any worker)."""

    def __init__(self, base_url):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookie = ""
        self.csrf = ""

    def request(self, method, path, form=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
        try:
            headers = {"Cookie": self.cookie}
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


def test_failures_spread_over_two_workers_still_lock_the_account(tmp_path):
    with fresh_database(tmp_path) as database_url:
        env = server_env(
            database_url,
            tmp_path,
            LOGIN_MAX_FAILURES=MAX_FAILURES,
            LOGIN_IP_MAX_FAILURES=1000,
            # the production hash cost keeps each attempt busy long enough for parallel ones to reach both workers
            PASSWORD_HASH_METHOD="scrypt:131072:8:1",
        )
        build_schema(env, migrations=False)  # the schema of the models, as in the rest of the functional tests
        log = tmp_path / "gunicorn.log"
        with gunicorn(env, log, workers=2) as url:
            owner = Browserless(url)
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
                },
            )
            assert status == 302, "registration failed; the server log ends with:\n" + log.read_text()[-3000:]

            attacker = Browserless(url)
            attacker.start_session("/auth/login")
            wrong = {"email": EMAIL, "password": "wrong-password-1"}
            with ThreadPoolExecutor(max_workers=MAX_FAILURES) as pool:
                statuses = list(
                    pool.map(lambda _: attacker.request("POST", "/auth/login", wrong)[0], range(MAX_FAILURES))
                )
            assert statuses == [200] * MAX_FAILURES

            status, _, html = attacker.request("POST", "/auth/login", {"email": EMAIL, "password": PASSWORD})
            assert status == 429
            assert "Too many failed attempts" in html

            failures_by = worker_pids(log.read_text(), 200)
            # No single worker saw MAX_FAILURES failures, so only a shared counter can have refused the login.
            assert len(set(failures_by)) == 2, f"all failures reached one worker: {failures_by}"
