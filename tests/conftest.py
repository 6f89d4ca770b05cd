"""Fixtures: an app on a real database (SQLite file, or PORTAL_TEST_DATABASE_URL) and a real index dir.

The schema is created once per session; each test starts from empty tables.
"""

import os
import weakref
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import jinja2
import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient

import config
from config import TestConfig
from portal import create_app
from portal.extensions import db
from portal.models.base import utcnow

from . import factories
from .e2e.liveserver import fresh_database


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates shared by every test's app: each new app would otherwise compile them again."""

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = TemplateCache()

# Every engine that connected during the session: tests build extra apps (a second worker, a second host),
# each with its own pool, and a pool left to the garbage collector drops open psycopg connections, which
# warn (an error under filterwarnings = error) in whatever test happens to be running then.
ENGINES = weakref.WeakSet()


@sa.event.listens_for(sa.engine.Engine, "engine_connect")
def _remember_engine(connection):
    ENGINES.add(connection.engine)


@pytest.fixture(autouse=True)
def _close_idle_connections():
    """After each test, close the idle connections of every pool (a pool opens new ones when used again)."""
    yield
    for engine in list(ENGINES):
        engine.dispose()


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if url:
        return config.database_url(url)  # postgresql:// and +psycopg2:// name psycopg 3, as for the portal
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def _database(tmp_path_factory):
    """Create the schema once; hand the URL to every test's app. Under pytest-xdist (`make test` runs a
    worker per core) each worker has a database of its own: on PostgreSQL a new one beside
    PORTAL_TEST_DATABASE_URL, dropped at the end (an SQLite file is per worker already)."""
    url = database_url(tmp_path_factory)
    own = os.environ.get("PYTEST_XDIST_WORKER") and url.startswith("postgresql")
    with fresh_database(tmp_path_factory.mktemp("worker-db")) if own else nullcontext(url) as url:
        yield from _schema(url)


def _schema(url):
    app = create_app({**vars_of(TestConfig), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()  # a PostgreSQL test database may hold an earlier run's tables
        db.create_all()
        if db.engine.dialect.name == "postgresql":
            # A test's data is thrown away: commits need not wait for the disk (~7 ms each otherwise).
            with db.engine.connect() as conn:
                conn.exec_driver_sql(f'ALTER DATABASE "{db.engine.url.database}" SET synchronous_commit = off')
                conn.commit()
    yield url
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def vars_of(cls) -> dict:
    return {k: getattr(cls, k) for k in dir(cls) if k.isupper()}


def empty_tables():
    """Empty every table and restart its ids. On PostgreSQL, DELETE with foreign-key triggers off takes
    ~7 ms where TRUNCATE of ~30 tables takes ~75 ms (it makes new files): twice a test, that adds up."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # user <-> company point at each other
            for table in db.metadata.sorted_tables:
                conn.execute(table.delete())
            conn.exec_driver_sql(
                "SELECT setval(c.oid, 1, false) FROM pg_class c"
                " WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
            )
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


@pytest.fixture
def app_config(_database, tmp_path):
    """Settings for this test's app; a test module can override this fixture to change them."""
    return {
        "SQLALCHEMY_DATABASE_URI": _database,
        "INDEX_DIR": str(tmp_path / "index"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context (own `g`, own DB session), as it would in a server;
    afterwards the test's session forgets what it loaded, so it sees what the request committed."""

    def open(self, *args, **kwargs):
        # Buffered: the body is read and the app's iterable closed at once, as a server does; a file sent
        # with send_file is then closed, not left to the garbage collector (a ResourceWarning, an error here).
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def app(app_config):
    app = create_app({**vars_of(TestConfig), **app_config})
    app.test_client_class = FreshContextClient
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    with app.app_context():
        empty_tables()
        factories.ensure_associations()
        db.session.commit()
        yield app
        db.session.remove()
        empty_tables()
        db.engine.dispose()  # each test's app has its own pool: close it, or PostgreSQL runs out of connections


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def client_for(app):
    """client_for(user): another browser, logged in as that user through the real login form, for tests
    where several people act (`client` stays the test's main browser)."""

    def make(user, password=factories.PASSWORD):
        browser = app.test_client()
        response = browser.post("/auth/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return browser

    return make


class Clock:
    """What the `clock` fixture hands a test: `now` (naive UTC, as `utcnow()`) and `advance(**timedelta)`."""

    def __init__(self, traveller):
        self.traveller = traveller

    @property
    def now(self) -> datetime:
        return utcnow()

    def advance(self, **delta):
        self.traveller.shift(timedelta(**delta))


@pytest.fixture
def clock():
    """A frozen clock, whole seconds. time-machine stops the system clock itself, so every module sees it,
    also those that did `from ..models.base import utcnow` (which patching `utcnow` by hand missed), and
    `datetime.now()` and `time.time()` too; `time.monotonic()` still runs, so timeouts still end."""
    with time_machine.travel(datetime.now(UTC).replace(microsecond=0), tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture
def member(app):
    """A confirmed member who owns a verified Pakistani company."""
    company = factories.make_company(country="PK", association="PTA", verified=True)
    return factories.make_user(email="owner@tannery.example", company=company, owner=True)


@pytest.fixture
def kz_member(app):
    company = factories.make_company(name="Kostanay Hides", country="KZ", association="KLA", verified=True)
    return factories.make_user(email="owner@kostanay.example", company=company, owner=True)


@pytest.fixture
def pta_staff(app):
    return factories.make_user(email="staff@pta.example", role="staff", association="PTA")


@pytest.fixture
def kla_staff(app):
    return factories.make_user(email="staff@kla.example", role="staff", association="KLA")


@pytest.fixture
def admin(app):
    return factories.make_user(email="admin@example.org", role="admin")


@pytest.fixture
def login(client):
    """login(user) logs the test client in through the real login form."""

    def do_login(user, password=factories.PASSWORD, remember=False):
        response = client.post(
            "/auth/login", data={"email": user.email, "password": password, "remember": "y" if remember else ""}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do_login
