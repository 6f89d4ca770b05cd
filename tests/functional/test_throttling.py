"""Login throttling that strangers cannot turn against the owner, through the real login and reset forms."""

from datetime import timedelta

import sqlalchemy as sa

from portal.auth import services
from portal.extensions import db
from portal.models import LoginFailure, OutboxMessage
from portal.models.base import utcnow

from .. import factories

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


def login(client, email, password, address):
    return client.post("/auth/login", data={"email": email, "password": password}, environ_base=address)


def lock_out(client, app, email, address=ATTACKER):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, email, "wrong-password-1", address).status_code == 200


def test_a_strangers_wrong_passwords_lock_only_the_strangers_pair(app, client, member):
    lock_out(client, app, member.email)
    refused = login(client, member.email, factories.PASSWORD, ATTACKER)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in refused.get_data(as_text=True)
    owner = app.test_client()
    assert login(owner, member.email, factories.PASSWORD, OWNER).status_code == 302


def test_one_address_guessing_many_accounts_is_stopped_by_the_address_limit(app, client):
    app.config["LOGIN_IP_MAX_FAILURES"] = 3
    for n in range(3):
        assert login(client, f"victim{n}@tannery.example", "wrong-password-1", ATTACKER).status_code == 200
    assert login(client, "victim9@tannery.example", "wrong-password-1", ATTACKER).status_code == 429
    assert login(client, "victim9@tannery.example", "wrong-password-1", OWNER).status_code == 200


def test_password_reset_is_never_blocked_by_login_failures(app, client, member):
    lock_out(client, app, member.email, OWNER)  # even failures from the owner's own address
    response = client.post("/auth/reset", data={"email": member.email}, environ_base=OWNER)
    assert response.status_code == 302
    mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == member.email))
    assert mail is not None and "/auth/reset/" in mail.body


def test_a_new_password_by_reset_ends_every_lock_on_the_account(app, client, member):
    lock_out(client, app, member.email)
    with app.test_request_context():
        path = "/auth/reset/" + services.make_reset_token(member)
    new = {"password": "fresh-hides-pass-77", "password2": "fresh-hides-pass-77"}
    assert client.post(path, data=new).status_code == 302
    assert login(client, member.email, "fresh-hides-pass-77", ATTACKER).status_code == 302


def test_the_attempt_is_counted_before_the_password_is_checked(app, client, member, monkeypatch):
    checked = []
    real = services.authenticate
    monkeypatch.setattr(services, "authenticate", lambda *a: checked.append(1) or real(*a))
    limit = app.config["LOGIN_MAX_FAILURES"]
    statuses = [login(client, member.email, "wrong-password-1", ATTACKER).status_code for _ in range(limit + 4)]
    assert statuses == [200] * limit + [429] * 4
    assert len(checked) == limit  # refused attempts never reach the password hash
    # and the refused ones leave no rows behind: hammering cannot grow the table
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == limit


def test_a_right_password_starts_the_pair_afresh(app, client, member):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        login(client, member.email, "wrong-password-1", OWNER)
    assert login(client, member.email, factories.PASSWORD, OWNER).status_code == 302
    client.post("/auth/logout")
    for _ in range(limit - 1):
        assert login(client, member.email, "wrong-password-1", OWNER).status_code == 200
    assert login(client, member.email, factories.PASSWORD, OWNER).status_code == 302


def test_attempts_older_than_the_window_are_pruned(app, client, member):
    old = utcnow() - timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"] + 60)
    db.session.add_all(LoginFailure(account=member.email, address="203.0.113.9", at=old) for _ in range(50))
    db.session.commit()
    assert login(client, member.email, factories.PASSWORD, ATTACKER).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 0


def test_a_parallel_right_password_deleting_the_rows_first_does_not_break_the_other_login(app, member):
    """Two right passwords of one pair at once: the first success deletes both attempt rows before the
    second one finishes; the second must still log in (it raised ObjectDeletedError, a 500, before)."""
    with app.test_request_context():
        first = services.begin_attempt(member.email, "198.51.100.9")
        second = services.begin_attempt(member.email, "198.51.100.9")
        services.attempt_succeeded(first)
        db.session.commit()
        services.attempt_succeeded(second)
        db.session.commit()
        left = db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure))
    assert left == 0
