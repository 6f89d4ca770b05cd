"""/readyz tells operators whether the instance and the work behind it keep up; /healthz stays a bare liveness answer."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from config import TestConfig
from portal import create_app, worker
from portal.extensions import db
from portal.models import OutboxMessage
from portal.models.base import utcnow

from .. import factories
from ..conftest import vars_of


@pytest.fixture
def app_config(app_config):
    # a mail server is configured (nothing needs to listen: /readyz only reads the outbox)
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 9, "READY_MAX_LAG_SECONDS": 60}


def pending_mail(age_seconds: float) -> None:
    db.session.add(
        OutboxMessage(
            recipient="buyer@example.org",
            subject="Waiting",
            body="...",
            created_at=utcnow() - timedelta(seconds=age_seconds),
        )
    )
    db.session.commit()


def test_ready_when_everything_is_fresh_and_the_figures_are_shown(client, app):
    pending_mail(5)  # young: within the threshold
    worker.heartbeat("host:1")
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["status"] == "ok" and data["database"] == "ok"
    assert data["mail"]["pending"] == 1 and 4 <= data["mail"]["oldest_age_seconds"] < 60
    assert data["index"]["writable"] is True and data["worker"]["last_heartbeat_age_seconds"] < 60
    assert app.config["INDEX_DIR"] not in response.get_data(as_text=True)


def test_an_old_pending_mail_makes_it_503_while_healthz_stays_ok_and_bare(client):
    pending_mail(120)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable" and response.get_json()["mail"]["oldest_age_seconds"] >= 120
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}


def test_sent_or_given_up_mail_is_no_backlog(client):
    pending_mail(600)
    db.session.execute(sa.update(OutboxMessage).values(failed_at=utcnow()))
    db.session.commit()
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["mail"]["pending"] == 0


def test_without_a_mail_server_the_outbox_is_meant_to_wait(app, client):
    app.config["MAIL_SERVER"] = None  # the demo: mail stays in the outbox on purpose
    pending_mail(600)
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["mail"]["delivering"] is False


def test_an_unwritable_index_is_reported_and_an_old_journal_entry_makes_it_503(app, client, tmp_path, member):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    app.config["INDEX_DIR"] = str(blocker / "index")  # nothing can be created under a plain file
    app.config["READY_MAX_LAG_SECONDS"] = 0
    factories.make_live_listing(member.company, "Chrome tanned wet blue")  # a change the index cannot take
    time.sleep(0.2)
    response = client.get("/readyz")
    data = response.get_json()
    assert data["index"]["writable"] is False and str(tmp_path) not in response.get_data(as_text=True)
    # the index cannot take the change: the journal keeps it, and it ages past the threshold (or the
    # index cannot even say how far it got: unknown counts as behind)
    journal = data["journal"]
    assert journal.get("state") == "unknown" or (journal["backlog"] >= 1 and journal["oldest_age_seconds"] > 0)
    assert response.status_code == 503


def test_a_database_that_does_not_answer_is_503_without_details(tmp_path):
    missing = tmp_path / "no-such-dir" / "portal.sqlite3"  # SQLite cannot open a file in a missing directory
    app = create_app({**vars_of(TestConfig), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert response.get_json()["database"] == "unavailable"
    assert "OperationalError" not in text and "no-such-dir" not in text


def test_readyz_is_exempt_from_the_https_redirect(app_config):
    app = create_app({**vars_of(TestConfig), **app_config, "FORCE_HTTPS": True})
    with app.app_context():
        assert app.test_client().get("/readyz").status_code in (200, 503)  # answered, not redirected
        assert app.test_client().get("/").status_code in (301, 302)
