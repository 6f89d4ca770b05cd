"""With CSRF protection on, as in production: every POST without a token is refused and changes nothing."""

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Association, AuditLog, Company, User
from portal.models.company import VerificationStatus

from .. import factories

pytestmark = pytest.mark.csrf

# JSON endpoints authenticate by token, not cookie, so they may be exempt; otherwise only these, each for a reason.
EXEMPT_PREFIXES = ("/api/",)
EXEMPT_ENDPOINTS = {
    "alerts.unsubscribe": "mail clients POST one-click unsubscribes (RFC 8058); the signed token is the proof"
}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def token_from(client, path) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def log_in(client, user):
    token = token_from(client, "/auth/login")
    response = client.post(
        "/auth/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_every_post_route_refuses_a_request_without_token(app, client):
    """Read from url_map, so a new POST route is checked without anyone writing a test for it."""
    unprotected = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith(EXEMPT_PREFIXES) or rule.endpoint in EXEMPT_ENDPOINTS:
            continue
        path = re.sub(r"<([^<>]*:)?\w+>", lambda m: sample_value(m.group(1) or ""), rule.rule)
        status = client.post(path, data={}).status_code
        if status != 400:
            unprotected.append(f"{rule.endpoint} ({path}): {status}")
    assert not unprotected, "POST accepted without a CSRF token: " + ", ".join(unprotected)


def sample_value(converter: str) -> str:
    """Something each URL converter accepts: 1 for int, the first choice of any(...), else a word."""
    if converter.startswith("int"):
        return "1"
    if converter.startswith("any("):
        return converter[4:].split(",")[0].strip(" ):")
    return "x"


def test_login_without_token_is_refused(client, member):
    response = client.post("/auth/login", data={"email": member.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert client.get("/auth/settings").status_code == 302  # still logged out


def test_login_works_with_the_token_of_the_form_page(client, member):
    log_in(client, member)
    assert client.get("/auth/settings").status_code == 200


def test_register_without_token_creates_nothing(client):
    data = {
        "name": "Forged",
        "email": "forged@example.org",
        "password": "forged-pass-123",
        "password2": "forged-pass-123",
    }
    assert client.post("/auth/register", data=data).status_code == 400
    assert db.session.scalar(sa.select(User).where(User.email == "forged@example.org")) is None


def test_logout_without_token_keeps_the_session(client, member):
    log_in(client, member)
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/auth/settings").status_code == 200


def test_verify_and_reject_without_token_change_nothing(client, pta_staff):
    company = factories.make_company()
    log_in(client, pta_staff)
    assert client.post(f"/staff/companies/{company.id}/verify").status_code == 400
    assert client.post(f"/staff/companies/{company.id}/reject", data={"reason": "forged"}).status_code == 400
    assert db.session.get(Company, company.id).status is VerificationStatus.unverified
    assert count(AuditLog) == 0


def test_verify_works_with_the_token_of_the_queue_page(client, pta_staff):
    company = factories.make_company()
    log_in(client, pta_staff)
    token = token_from(client, "/staff/verification")
    assert client.post(f"/staff/companies/{company.id}/verify", data={"csrf_token": token}).status_code == 302
    assert db.session.get(Company, company.id).status is VerificationStatus.verified


def test_reject_works_with_the_token_of_the_review_page(client, pta_staff):
    company = factories.make_company()
    log_in(client, pta_staff)
    token = token_from(client, f"/staff/companies/{company.id}")
    response = client.post(
        f"/staff/companies/{company.id}/reject", data={"reason": "Unknown member", "csrf_token": token}
    )
    assert response.status_code == 302
    assert db.session.get(Company, company.id).status is VerificationStatus.rejected


def test_admin_create_forms_without_token_create_nothing(client, admin):
    log_in(client, admin)
    assert (
        client.post("/admin/associations/new", data={"code": "NEW", "name": "New", "country": "PK"}).status_code == 400
    )
    assert (
        client.post("/admin/staff/new", data={"name": "N", "email": "n@example.org", "association": 1}).status_code
        == 400
    )
    assert (
        client.post(
            "/admin/taxonomy/new", data={"id": "seg_belts", "facet": "segment", "label_en": "Belts"}
        ).status_code
        == 400
    )
    assert count(Association) == 2 and count(AuditLog) == 0
    assert db.session.scalar(sa.select(User).where(User.email == "n@example.org")) is None


def test_admin_create_form_works_with_its_token(client, admin):
    log_in(client, admin)
    token = token_from(client, "/admin/associations/new")
    response = client.post(
        "/admin/associations/new", data={"code": "NEW", "name": "New", "country": "PK", "csrf_token": token}
    )
    assert response.status_code == 302 and count(Association) == 3
