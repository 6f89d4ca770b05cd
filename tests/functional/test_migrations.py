"""The Alembic migrations build the same schema as the models, on SQLite and on PostgreSQL."""

import os
import subprocess
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from config import TestConfig, database_url
from portal import create_app
from portal.extensions import db

from ..conftest import vars_of


@pytest.fixture
def fresh_database_url(tmp_path):
    base = database_url(os.environ.get("PORTAL_TEST_DATABASE_URL"))
    if not base:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    url = sa.engine.make_url(base)
    name = f"lb_mig_{uuid.uuid4().hex[:10]}"
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    subprocess.run(["createdb", *args, name], check=True)
    yield url.set(database=name).render_as_string(hide_password=False)
    subprocess.run(["dropdb", *args, "--if-exists", name], check=False)


def test_upgrade_builds_schema_identical_to_models(fresh_database_url):
    app = create_app({**vars_of(TestConfig), "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            codes = [row[0] for row in conn.execute(sa.text("SELECT code FROM association ORDER BY code"))]
        db.engine.dispose()
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"
    assert codes == ["KLA", "PTA"]
