"""With CSRF protection on, as in production: the token pages need the form's CSRF token; the API needs
none (it takes no cookie, so a forged cross-site request carries no credential), and a cookie alone
writes nothing through it."""

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Listing
from portal.models.insight import ApiToken

from .. import factories
from .test_api import TRADE

pytestmark = pytest.mark.csrf


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def csrf_from(client, path) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def log_in(client, user):
    token = csrf_from(client, "/auth/login")
    response = client.post(
        "/auth/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_creating_and_revoking_a_token_need_the_form_s_csrf_token(client, member):
    log_in(client, member)
    assert client.post("/auth/settings/tokens", data={"name": "Forged", "scope": "write"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0
    csrf = csrf_from(client, "/auth/settings/tokens")
    made = client.post("/auth/settings/tokens", data={"name": "Mine", "scope": "write", "csrf_token": csrf})
    assert made.status_code == 200
    token = db.session.scalar(sa.select(ApiToken))
    assert client.post(f"/auth/settings/tokens/{token.id}/revoke").status_code == 400
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_token_writes_need_no_csrf_token_but_cookie_writes_are_refused(client, member):
    secret = factories.make_api_token(member, scope="write")
    program = client.application.test_client()
    made = program.post("/api/v1/me/listings", json=TRADE, headers={"Authorization": f"Bearer {secret}"})
    assert made.status_code == 201
    log_in(client, member)
    forged = client.post("/api/v1/me/listings", json=TRADE)
    assert forged.status_code == 401 and forged.get_json()["error"]["code"] == "unauthorized"
    assert db.session.scalar(sa.select(sa.func.count(Listing.id))) == 1
