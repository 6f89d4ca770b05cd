"""API tokens: made in Settings and shown once, stored as a hash, scoped, revocable; the API accepts
nothing else (not the session cookie), refuses revoked tokens and deactivated accounts."""

import re
from datetime import timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditLog
from portal.models.insight import ApiToken
from portal.utils import sha256

from .. import factories


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def create_through_settings(client, name="Stock sync", scope="read"):
    response = client.post("/auth/settings/tokens", data={"name": name, "scope": scope})
    assert response.status_code == 200
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == name))
    page = response.get_data(as_text=True)
    start = page.index('id="new-token-value"')
    secret = page[start:].split('value="', 1)[1].split('"', 1)[0]
    return token, secret, response


def test_settings_links_to_the_token_page(client, login, member):
    login(member)
    page = client.get("/auth/settings").get_data(as_text=True)
    assert "/auth/settings/tokens" in page


def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(client, login, member):
    login(member)
    assert "You have no API tokens yet." in client.get("/auth/settings/tokens").get_data(as_text=True)
    token, secret, response = create_through_settings(client)
    assert secret.startswith("lb_") and len(secret) > 40
    assert response.headers["Cache-Control"] == "no-store"
    assert token.token_hash == sha256(secret) and token.prefix == secret[:10] and token.scope == "read"
    assert secret not in str(db.session.execute(sa.select(ApiToken.__table__)).all())
    later = client.get("/auth/settings/tokens").get_data(as_text=True)
    assert secret not in later and token.prefix in later and "Stock sync" in later
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "api_token.create"))
    assert audit.actor_id == member.id and audit.object_id == token.id and audit.detail["prefix"] == token.prefix


def test_the_token_works_until_it_is_revoked(client, login, member):
    login(member)
    token, secret, _ = create_through_settings(client)
    api = client.application.test_client()  # no cookie: a program with the token only
    assert api.get("/api/v1/me/listings", headers=bearer(secret)).status_code == 200
    confirm = client.get(f"/auth/settings/tokens/{token.id}/revoke")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.get_data(as_text=True)
    response = client.post(f"/auth/settings/tokens/{token.id}/revoke", follow_redirects=True)
    assert "was revoked" in response.get_data(as_text=True)
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    refused = api.get("/api/v1/me/listings", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    assert "Bearer" in refused.headers["WWW-Authenticate"]
    assert db.session.scalar(sa.select(AuditLog.object_id).where(AuditLog.action == "api_token.revoke")) == token.id


def test_a_failed_create_form_keeps_what_was_typed(client, login, member):
    login(member)
    response = client.post("/auth/settings/tokens", data={"name": "", "scope": "write"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Give the token a name" in page
    assert re.search(r'<input checked[^>]*value="write"', page)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_an_unknown_scope_is_refused(client, login, member):
    login(member)
    response = client.post("/auth/settings/tokens", data={"name": "Root", "scope": "admin"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_someone_elses_token_cannot_be_revoked_or_seen(client, login, member, kz_member):
    factories.make_api_token(kz_member, name="Kostanay script")
    theirs = db.session.scalar(sa.select(ApiToken))
    login(member)
    assert client.get(f"/auth/settings/tokens/{theirs.id}/revoke").status_code == 404
    assert client.post(f"/auth/settings/tokens/{theirs.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, theirs.id).revoked_at is None
    assert "Kostanay script" not in client.get("/auth/settings/tokens").get_data(as_text=True)


def test_the_token_pages_need_a_login(client):
    response = client.get("/auth/settings/tokens")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_read_token_cannot_write(client, member):
    secret = factories.make_api_token(member, scope="read")
    response = client.post("/api/v1/me/listings", json={"title": "x"}, headers=bearer(secret))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "insufficient_scope"


def test_the_session_cookie_is_not_accepted_by_the_api(client, login, member):
    login(member)
    assert client.get("/dashboard").status_code == 200  # the browser is logged in
    write = client.post("/api/v1/me/listings", json={"title": "From a cookie"})
    assert write.status_code == 401 and write.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/me/listings").status_code == 401


def test_bad_tokens_are_refused(client, member):
    for header in ("Bearer lb_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "lb_raw"):
        response = client.get("/api/v1/listings", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_deactivated_account_s_token_is_refused(client, member):
    secret = factories.make_api_token(member)
    member.active = False
    db.session.commit()
    assert client.get("/api/v1/me/listings", headers=bearer(secret)).status_code == 401


def test_an_account_that_has_not_accepted_the_terms_is_asked_first(client, app):
    company = factories.make_company(verified=True)
    user = factories.make_user(company=company, owner=True, terms=None)
    secret = factories.make_api_token(user)
    response = client.get("/api/v1/me/listings", headers=bearer(secret))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "terms_not_accepted"


def test_last_use_is_recorded_at_most_once_a_minute(client, member, clock):
    secret = factories.make_api_token(member)
    client.get("/api/v1/me/listings", headers=bearer(secret))
    first = db.session.scalar(sa.select(ApiToken.last_used_at))
    assert first == clock.now
    clock.advance(seconds=30)
    client.get("/api/v1/me/listings", headers=bearer(secret))
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) == first
    clock.advance(seconds=31)
    client.get("/api/v1/me/listings", headers=bearer(secret))
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) == first + timedelta(seconds=61)
