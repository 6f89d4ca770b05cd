"""Run the portal for real: a database of its own, its schema, the demo data, gunicorn in a subprocess."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from config import TestConfig, database_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the venv that runs pytest: its flask and gunicorn
CHEAP_HASH = TestConfig.PASSWORD_HASH_METHOD  # the production cost would make seeding and every login slow
DEMO_PASSWORD = "leather-demo-2026"  # what `flask seed-demo` gives every demo account
CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright's own browser download is never used
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ACCESS_FORMAT = 'pid=%(p)s "%(r)s" %(s)s'  # the worker's pid shows which process answered


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def fresh_database(tmp_dir: Path):
    """A database no other test touches (the regular fixtures empty their tables after every test):
    next to PORTAL_TEST_DATABASE_URL a new PostgreSQL database, dropped afterwards; else an SQLite file."""
    base = database_url(os.environ.get("PORTAL_TEST_DATABASE_URL"))
    if not base or not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_dir / 'live.sqlite3'}"
        return
    url = sa.engine.make_url(base)
    name = f"{url.database}_live_{secrets.token_hex(4)}"[:63]
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_env(database_url: str, tmp_dir: Path, **extra) -> dict:
    """The environment of a development-mode portal (CSRF on, as in production) on that database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_ENV="development",
        PORTAL_DATABASE_URL=database_url,
        PORTAL_SECRET_KEY=secrets.token_hex(32),
        PORTAL_INDEX_DIR=str(tmp_dir / "index"),
        PORTAL_UPLOAD_DIR=str(tmp_dir / "uploads"),
        PORTAL_PASSWORD_HASH_METHOD=CHEAP_HASH,
        PYTHONUNBUFFERED="1",
    )
    env.update({f"PORTAL_{k}": str(v) for k, v in extra.items()})
    return env


def flask(env: dict, *args: str) -> str:
    """Run `flask --app portal ARGS` as an operator would; its output, or an error showing why it failed."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "portal", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


CREATE_ALL = (
    "from portal import create_app\nfrom portal.extensions import db\nwith create_app().app_context(): db.create_all()"
)


def build_schema(env: dict, migrations: bool = True) -> None:
    """The migrations when there are any (what production runs, so drift shows), else the models' create_all()."""
    if migrations and any((ROOT / "migrations" / "versions").glob("*.py")):
        flask(env, "db", "upgrade")
        return
    result = subprocess.run(
        [sys.executable, "-c", CREATE_ALL], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"create_all failed:\n{result.stderr}")


@contextmanager
def gunicorn(env: dict, log_path: Path, workers: int = 2, timeout: float = 30):
    """Serve the portal with gunicorn on a free local port; yield its base URL; always stop it.

    Links in the portal's mail point at PORTAL_PUBLIC_URL: unless the test sets its own, that is this server."""
    port = free_port()
    env = {"PORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}", **env}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                *f"-w {workers} -b 127.0.0.1:{port} --graceful-timeout 3".split(),
                "--access-logfile",
                "-",
                "--access-logformat",
                ACCESS_FORMAT,
                "portal:create_app()",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base_url, log_path, timeout)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def wait_until_up(proc, base_url: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:  # noqa: S310 - our own http URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout} s:\n{log_path.read_text()[-4000:]}")


def open_menu(page, which: str) -> None:
    """Open a header menu ("user" or "language"): a <details> whose panel shows once its summary is clicked."""
    selector = "details.user-menu" if which == "user" else "details.menu:not(.user-menu)"
    menu = page.locator(f"header {selector}")
    if menu.get_attribute("open") is None:
        menu.locator("> summary").click()


def log_out(page) -> None:
    """Log out through the user menu, as a person does."""
    from playwright.sync_api import expect

    open_menu(page, "user")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()


def choose_language(page, code):
    """The portal's own switch (POST /auth/language with the page's CSRF token); on an account it is saved,
    and a logged-in user's saved language wins over the session and the browser's."""
    page.goto("/dashboard" if page.context.cookies() else "/")
    token = page.locator("input[name=csrf_token]").first.input_value()
    response = page.context.request.post("/auth/language", form={"code": code, "csrf_token": token, "next": "/"})
    assert response.ok, f"language switch to {code}: {response.status}"
