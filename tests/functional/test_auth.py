"""Accounts through the real HTTP path: register, confirm, log in/out, reset, change password."""

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import LoginFailure, OutboxMessage, User

from .. import factories


def last_mail(to):
    return db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == to).order_by(OutboxMessage.id.desc())
    ).first()


def link_in(message) -> str:
    return re.search(r"http://localhost(/\S+)", message.body).group(1)


def test_register_stores_scrypt_hash_and_mails_confirmation(client, app):
    response = client.post(
        "/auth/register",
        data={
            "name": "Aigerim",
            "email": "Aigerim@Example.KZ",
            "password": "hides-and-skins-42",
            "password2": "hides-and-skins-42",
            "locale": "ru",
            "accept_terms": "y",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "aigerim@example.kz"))
    assert user.password_hash.startswith("scrypt:")
    assert "hides-and-skins-42" not in user.password_hash
    assert user.email_confirmed_at is None and user.locale == "ru"
    message = last_mail("aigerim@example.kz")
    client.get(link_in(message))
    db.session.refresh(user)
    assert user.email_confirmed_at is not None


def test_production_hash_cost_is_at_least_2_to_17():
    from config import Config

    method, n, *_ = Config.PASSWORD_HASH_METHOD.split(":")
    assert method == "scrypt" and int(n) >= 2**17


def test_register_keeps_typed_values_on_error(client):
    response = client.post(
        "/auth/register",
        data={
            "name": "Bilal Ahmed",
            "email": "bilal@example.pk",
            "password": "short",
            "password2": "short",
            "accept_terms": "y",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Bilal Ahmed"' in html and 'value="bilal@example.pk"' in html
    assert "aria-invalid" in html


def register_as(client, email, password="another-pass-123"):  # noqa: S107 - a test password
    data = {
        "name": "Xavier Quist",
        "email": email,
        "password": password,
        "password2": password,
        "locale": "en",
        "accept_terms": "y",
    }
    return client.post("/auth/register", data=data)


def test_register_answers_the_same_for_a_taken_email_and_mails_the_holder(app, member):
    """Status, redirect, flashes, session and the page after it: nothing tells a taken email from a new one."""
    answers = []
    for email in (member.email.upper(), "newcomer@tannery.example"):
        client = app.test_client()
        response = register_as(client, email)
        with client.session_transaction() as session:
            keys = sorted(k for k in session if k != "registered_email")
        page = without_csrf_tokens(client.get(response.headers["Location"])).replace(email.lower(), "E")
        answers.append((response.status_code, response.headers["Location"], keys, page))
        assert client.get("/auth/settings").status_code == 302  # nobody is logged in by registering
    assert answers[0] == answers[1]
    assert answers[0][1].endswith("/auth/register/check-email")
    note = last_mail(member.email)
    assert "tried to create a new Leather Bridge account" in note.body and "/auth/reset" in note.body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == member.email)) == 1
    assert last_mail("newcomer@tannery.example").subject.startswith("Confirm your email")


def test_confirmation_link_opened_in_the_registering_browser_logs_in_and_leads_to_company_creation(client):
    register_as(client, "fresh@tannery.example")
    assert client.get("/auth/settings").status_code == 302
    response = client.get(link_in(last_mail("fresh@tannery.example")))
    assert response.status_code == 302 and response.headers["Location"].endswith("/companies/new")
    assert client.get("/companies/new").status_code == 200


def user_named(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_confirmation_link_in_another_browser_asks_for_the_password_before_it_confirms(app, client):
    register_as(client, "fresh@tannery.example")
    other = app.test_client()
    path = link_in(last_mail("fresh@tannery.example"))

    asked = other.get(path)  # as a mail scanner's preview would: nothing is confirmed by a look

    assert asked.status_code == 200 and "choose the account's password" in asked.get_data(as_text=True)
    assert user_named("fresh@tannery.example").email_confirmed_at is None
    refused = other.post(path, data={"password": "short", "password2": "short"})
    assert refused.status_code == 200 and user_named("fresh@tannery.example").email_confirmed_at is None
    done = other.post(path, data={"password": "my-own-pass-2026", "password2": "my-own-pass-2026"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/companies/new")
    assert other.get("/auth/settings").status_code == 200
    assert user_named("fresh@tannery.example").email_confirmed_at is not None


def test_an_address_registered_by_someone_else_cannot_be_confirmed_for_them(app, client):
    """Pre-account hijacking: an attacker registers a stranger's address with a password of their own and
    stays logged in, waiting for the stranger to open the mailed link. Confirming it from the stranger's
    browser takes a new password: the attacker's password and session stop working."""
    attacker = app.test_client()
    register_as(attacker, "aigerim@shymkent-hides.example", password="attackers-pass-99")
    attacker.post("/auth/login", data={"email": "aigerim@shymkent-hides.example", "password": "attackers-pass-99"})
    assert attacker.get("/auth/settings").status_code == 200  # an unconfirmed account may look around
    path = link_in(last_mail("aigerim@shymkent-hides.example"))

    client.get(path)  # the stranger opens the link
    assert user_named("aigerim@shymkent-hides.example").email_confirmed_at is None  # not for the attacker
    client.post(path, data={"password": "steppe-leather-pass-7", "password2": "steppe-leather-pass-7"})

    assert user_named("aigerim@shymkent-hides.example").email_confirmed_at is not None
    assert attacker.get("/auth/settings").status_code == 302  # logged out
    again = app.test_client().post(
        "/auth/login", data={"email": "aigerim@shymkent-hides.example", "password": "attackers-pass-99"}
    )
    assert again.status_code == 200 and client.get("/auth/settings").status_code == 200


def test_a_confirmation_link_opened_while_logged_in_as_another_account_confirms_nothing(app, client_for, member):
    register_as(app.test_client(), "fresh@tannery.example")
    browser = client_for(member)

    answer = browser.get(link_in(last_mail("fresh@tannery.example")), follow_redirects=True)

    assert "This confirmation link is for another account" in answer.get_data(as_text=True)
    assert user_named("fresh@tannery.example").email_confirmed_at is None


def test_confirmation_link_works_once(client):
    register_as(client, "fresh@tannery.example")
    path = link_in(last_mail("fresh@tannery.example"))
    client.get(path)
    client.post("/auth/logout")
    again = client.get(path, follow_redirects=True)
    assert "already used" in again.get_data(as_text=True)
    assert client.get("/auth/settings").status_code == 302  # the spent link logs no one in


def test_login_same_answer_for_unknown_and_known_email(client, member):
    known = client.post("/auth/login", data={"email": member.email, "password": "wrong-password"})
    unknown = client.post("/auth/login", data={"email": "nobody@example.org", "password": "wrong-password"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(known) == strip(unknown)


def test_login_throttled_per_account_and_address_with_database_counters(client, app, member):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/auth/login", data={"email": member.email, "password": "wrong-password"})
    response = client.post("/auth/login", data={"email": member.email, "password": factories.PASSWORD})
    assert response.status_code == 429
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) >= 5


def test_logout_ends_session_and_remember_cookie(client, app, member, login):
    login(member, remember=True)
    cookies = {c.key: c.value for c in client._cookies.values()}
    assert "remember_token" in cookies and "session" in cookies
    assert client.get("/auth/settings").status_code == 200
    client.post("/auth/logout")
    replay = app.test_client()
    for key, value in cookies.items():
        replay.set_cookie(key, value, domain="localhost")
    assert replay.get("/auth/settings").status_code == 302  # both cookies are dead


def test_password_change_logs_out_other_sessions(app, member, login, client):
    login(member)
    other = app.test_client()
    other.post("/auth/login", data={"email": member.email, "password": factories.PASSWORD})
    assert other.get("/auth/settings").status_code == 200
    response = client.post(
        "/auth/password",
        data={
            "pw-current": factories.PASSWORD,
            "pw-password": "a-brand-new-pass-1",
            "pw-password2": "a-brand-new-pass-1",
        },
    )
    assert response.status_code == 302
    assert client.get("/auth/settings").status_code == 200
    assert other.get("/auth/settings").status_code == 302


def test_password_reset_token_is_single_use(client, member):
    response = client.post("/auth/reset", data={"email": member.email})
    assert response.status_code == 302
    path = link_in(last_mail(member.email))
    new = {"password": "fresh-password-77", "password2": "fresh-password-77"}
    assert client.post(path, data=new).status_code == 302
    assert client.post("/auth/login", data={"email": member.email, "password": "fresh-password-77"}).status_code == 302
    client.post("/auth/logout")
    again = client.post(path, data={"password": "hijack-password-1", "password2": "hijack-password-1"})
    assert again.status_code == 302 and "/auth/reset" in again.headers["Location"]
    assert client.post("/auth/login", data={"email": member.email, "password": "hijack-password-1"}).status_code == 200


def test_reset_same_answer_for_unknown_email(client, member):
    known = client.post("/auth/reset", data={"email": member.email}, follow_redirects=True)
    unknown = client.post("/auth/reset", data={"email": "ghost@example.org"}, follow_redirects=True)
    assert without_csrf_tokens(known) == without_csrf_tokens(unknown)
    assert last_mail("ghost@example.org") is None


def without_csrf_tokens(response) -> str:
    """The page minus its CSRF tokens, which are signed with the time and so differ between any two pages."""
    return re.sub(r'(name="csrf_token"[^>]*value=)"[^"]+"', r"\1", response.get_data(as_text=True))


def test_open_redirects_through_next_are_refused(client, member):
    for evil in (
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "https://evil.example/",
        "/\t/evil.example",
    ):
        response = client.post(
            "/auth/login", data={"email": member.email, "password": factories.PASSWORD, "next": evil}
        )
        assert response.status_code == 302
        assert response.headers["Location"] in ("/dashboard", "http://localhost/dashboard"), evil
        client.post("/auth/logout")


def test_next_to_a_local_page_is_followed(client, member):
    response = client.post(
        "/auth/login", data={"email": member.email, "password": factories.PASSWORD, "next": "/auth/settings"}
    )
    assert response.headers["Location"].endswith("/auth/settings")


def test_register_refuses_a_common_or_repeated_password_and_creates_nothing(client):
    for weak in ("aaaaaaaaaa", "password2026!"):
        data = {
            "name": "Bilal Ahmed",
            "email": "bilal@example.pk",
            "password": weak,
            "password2": weak,
            "locale": "en",
            "accept_terms": "y",
        }
        response = client.post("/auth/register", data=data)
        assert response.status_code == 200
        assert 'value="bilal@example.pk"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_create_admin_refuses_a_common_password(runner):
    result = runner.invoke(args=["create-admin", "root@example.org", "--password", "qwertyuiop"])
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(User).where(User.email == "root@example.org")) is None


def test_an_account_is_made_with_a_password_or_a_hash_never_neither_nor_both(app):
    from portal.auth.services import create_user

    for given in ({}, {"password": "a-long-password-1", "password_hash": "scrypt:x"}):
        with pytest.raises(ValueError, match="password or a password_hash"):
            create_user("nobody@example.com", "Nobody", **given)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
