"""Browser fixtures: one gunicorn portal per module on its own seeded database, one chromium per session."""

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from .liveserver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_PASSWORD,
    ROOT,
    build_schema,
    flask,
    fresh_database,
    gunicorn,
    server_env,
)

ARTIFACTS = ROOT / "test-artifacts"


@dataclass
class LiveServer:
    url: str
    database_url: str
    log_path: Path

    def query(self, statement, **params) -> list:
        """Read the server's database directly, as an operator would (e.g. the outbox)."""
        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(statement), params).all()
        finally:
            engine.dispose()

    def last_mail_link(self, recipient: str) -> str:
        rows = self.query(
            "SELECT body FROM outbox_message WHERE recipient = :to ORDER BY id DESC LIMIT 1", to=recipient
        )
        assert rows, f"no mail to {recipient} in the outbox"
        return re.search(r"https?://\S+", rows[0].body).group(0)


@pytest.fixture(scope="session")
def chromium_path():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (`make browser`); never `playwright install`."
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The portal as it runs in production (gunicorn, 2 workers, CSRF on) with the demo seeded."""
    tmp = tmp_path_factory.mktemp("live")
    with fresh_database(tmp) as database_url:
        env = server_env(database_url, tmp)
        build_schema(env)
        flask(env, "seed-demo")
        with gunicorn(env, tmp / "gunicorn.log") as url:
            yield LiveServer(url, database_url, tmp / "gunicorn.log")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context (no cookies) on the live server; on failure a screenshot and the server log are kept."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        if len(name.encode()) > 200:  # long non-ASCII parameter ids: keep the name within a file name's 255 bytes
            digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:10]
            name = f"{name.encode()[:180].decode(errors='ignore')}-{digest}"
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        log = live_server.log_path.read_text(errors="replace")
        (ARTIFACTS / f"{name}.server.log").write_text(log)
        print(f"--- {page.url}; the server log ends with:\n" + "\n".join(log.splitlines()[-40:]))  # shown in the report
    context.close()


@pytest.fixture
def log_in(page):
    """log_in(email, password) through the real login form."""

    def do_log_in(email, password=DEMO_PASSWORD):
        page.goto("/auth/login")
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()

    return do_log_in
