"""Fixtures: an app on a real database (SQLite file, or PORTAL_TEST_DATABASE_URL) and a real index dir.

The schema is created once per session; each test starts from empty tables.
"""

import os

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from config import TestConfig
from portal import create_app
from portal.extensions import db

from . import factories


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def _database(tmp_path_factory):
    """Create the schema once; hand the URL to every test's app."""
    url = database_url(tmp_path_factory)
    app = create_app({**vars_of(TestConfig), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()  # a PostgreSQL test database may hold an earlier run's tables
        db.create_all()
    yield url
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def vars_of(cls) -> dict:
    return {k: getattr(cls, k) for k in dir(cls) if k.isupper()}


def empty_tables():
    with db.engine.begin() as conn:
        tables = [t.name for t in db.metadata.sorted_tables]
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # user <-> company point at each other
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
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def app(app_config):
    app = create_app({**vars_of(TestConfig), **app_config})
    app.test_client_class = FreshContextClient
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
