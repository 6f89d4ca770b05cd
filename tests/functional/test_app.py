"""The app as a whole: health check, settings, SQLite pragmas, error pages, languages."""

import pytest
import sqlalchemy as sa

from config import ProductionConfig, TestConfig, database_url
from portal import create_app
from portal.extensions import db


def test_healthz_answers_only_the_status(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_hides_why_the_database_failed(client, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("db.internal:5432 refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}
    assert "OperationalError" not in response.get_data(as_text=True)
    assert "OperationalError" in caplog.text  # the operator still learns why


def test_production_refuses_default_secret(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "dev-secret-change-me")
    with pytest.raises(RuntimeError, match="PORTAL_SECRET_KEY"):
        create_app(ProductionConfig)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://leather:pw@db.internal/lb",
        "postgresql+psycopg2://leather:pw@db.internal/lb",
        "postgresql+psycopg://leather:pw@db.internal/lb",
    ],
)
def test_postgresql_urls_of_any_spelling_use_psycopg_3(url):
    assert database_url(url) == "postgresql+psycopg://leather:pw@db.internal/lb"
    assert database_url("sqlite:///instance/portal.sqlite3") == "sqlite:///instance/portal.sqlite3"


def test_settings_are_read_from_the_environment_when_the_app_is_built(monkeypatch, tmp_path):
    late_url = f"sqlite:///{tmp_path / 'late.sqlite3'}"
    for name, value in {  # set long after `import config`
        "PAGE_SIZE": "7",
        "TRUSTED_HOSTS": "portal.example, localhost",
        "TEST_DATABASE_URL": late_url,
        "INDEX_DIR": str(tmp_path / "index"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }.items():
        monkeypatch.setenv(f"PORTAL_{name}", value)
    app = create_app(TestConfig)
    assert app.config["PAGE_SIZE"] == 7
    assert app.config["TRUSTED_HOSTS"] == ["portal.example", "localhost"]
    assert app.config["SQLALCHEMY_DATABASE_URI"] == late_url
    assert app.config["INDEX_DIR"] == str(tmp_path / "index")
    overridden = create_app({"TESTING": True, "PAGE_SIZE": 3, "SQLALCHEMY_DATABASE_URI": late_url})
    assert overridden.config["PAGE_SIZE"] == 3  # create_app's overrides still win over the environment
    for each in (app, overridden):
        with each.app_context():
            db.engine.dispose()


def test_sqlite_file_database_uses_wal_and_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_postgresql_sessions_run_without_jit(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"


def test_not_found_page_is_friendly_and_localised(client):
    english = client.get("/no-such-page")
    assert english.status_code == 404 and "could not find" in english.get_data(as_text=True)
    russian = client.get("/no-such-page", headers={"Accept-Language": "ru"})
    assert 'lang="ru"' in russian.get_data(as_text=True)


def test_urdu_pages_are_right_to_left(client):
    html = client.get("/", headers={"Accept-Language": "ur"}).get_data(as_text=True)
    assert 'dir="rtl"' in html and "bootstrap.rtl.min.css" in html


def test_api_clients_get_json_errors(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["error"] == 404


def test_language_switcher_remembers_choice_and_refuses_foreign_next(client):
    response = client.post("/auth/language", data={"code": "ru", "next": "//evil.example"})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]
    assert 'lang="ru"' in client.get("/").get_data(as_text=True)


def test_no_page_loads_assets_from_a_cdn(client):
    html = client.get("/").get_data(as_text=True)
    assert "cdn." not in html and "https://" not in html.split("<body")[0]


def test_seed_demo_is_idempotent(runner):
    from portal.models import Company, User

    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = (
        db.session.scalar(sa.select(sa.func.count(User.id))),
        db.session.scalar(sa.select(sa.func.count(Company.id))),
    )
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert counts == (
        db.session.scalar(sa.select(sa.func.count(User.id))),
        db.session.scalar(sa.select(sa.func.count(Company.id))),
    )
    assert counts[1] >= 12 and "staff@pta.example" in first.output


def test_create_admin_command(runner):
    from portal.auth.services import user_by_email

    result = runner.invoke(args=["create-admin", "boss@example.org", "--password", "a-long-admin-pass"])
    assert result.exit_code == 0, result.output
    assert user_by_email("boss@example.org").is_admin
