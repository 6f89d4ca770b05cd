"""The Terms gate with CSRF on, as in production: accounts that have not accepted the Terms in force accept them first."""

import re
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from markupsafe import escape

from portal.extensions import db
from portal.main import pages
from portal.models import AuditLog, Listing, User

from .. import factories
from .test_listings import form_data

pytestmark = pytest.mark.csrf

NEW_VERSION = "2027-06-01"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def old_member(app):
    """An account from before the consent box: it never accepted any Terms."""
    company = factories.make_company(country="PK", association="PTA", verified=True)
    return factories.make_user(email="old@tannery.example", company=company, owner=True, terms=None)


def token_from(client, path) -> str:
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def log_in(client, user, password=factories.PASSWORD):
    data = {"email": user.email, "password": password, "csrf_token": token_from(client, "/auth/login")}
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302
    return response


def accept_page(next_path=None) -> str:
    return "/auth/terms" + (f"?{urlencode({'next': next_path}, safe='/')}" if next_path else "")


def accept(client, **data):
    return client.post("/auth/terms", data={"csrf_token": token_from(client, "/auth/terms"), **data})


def reload(user) -> User:
    return db.session.get(User, user.id)


def test_old_account_logging_in_lands_on_the_accept_page_with_links_to_both_texts(client, old_member):
    response = client.get(log_in(client, old_member).headers["Location"])
    assert (response.status_code, response.headers["Location"]) == (302, accept_page("/dashboard"))
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Accept the updated Terms" in html
    assert 'name="accept_terms"' in html and 'href="/terms"' in html and 'href="/privacy"' in html
    assert 'name="next" type="hidden" value="/dashboard"' in html


def test_old_account_cannot_reach_its_dashboard_before_accepting(client, old_member):
    log_in(client, old_member)
    for path in ("/dashboard", "/listings/mine", "/auth/settings", "/listings/new"):
        response = client.get(path)
        assert (response.status_code, response.headers["Location"]) == (302, accept_page(path))


def test_old_account_cannot_post_a_listing_until_it_accepts(client, old_member):
    log_in(client, old_member)
    token = token_from(client, "/auth/terms")
    refused = client.post(
        "/listings/new", data={**form_data(), "csrf_token": token}, headers={"Referer": "http://localhost/listings/new"}
    )
    assert (refused.status_code, refused.headers["Location"]) == (303, accept_page("/listings/new"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0
    assert "Nothing was done" in client.get(refused.headers["Location"]).get_data(as_text=True)

    assert accept(client, accept_terms="y", next="/listings/new").headers["Location"] == "/listings/new"
    assert client.post("/listings/new", data={**form_data(), "csrf_token": token}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 1


def test_a_refused_post_from_another_site_comes_back_to_no_foreign_page(client, old_member):
    log_in(client, old_member)
    token = token_from(client, "/auth/terms")
    refused = client.post(
        "/notifications/read", data={"csrf_token": token}, headers={"Referer": "https://evil.example/x"}
    )
    assert (refused.status_code, refused.headers["Location"]) == (303, "/auth/terms")


def test_json_clients_get_403_with_where_to_accept(client, old_member):
    log_in(client, old_member)
    response = client.get("/dashboard", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json()["accept_url"] == "/auth/terms"


def test_unticked_submit_shows_a_clear_error_and_stays(client, old_member):
    log_in(client, old_member)
    response = accept(client, next="/listings/mine")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please tick the box to accept the Terms of use and the Privacy policy, or log out." in html
    assert 'aria-invalid="true"' in html and 'value="/listings/mine"' in html
    assert reload(old_member).terms_version is None and reload(old_member).terms_accepted_at is None
    assert client.get("/dashboard").headers["Location"] == accept_page("/dashboard")


def test_accepting_records_version_time_and_an_audit_row_and_continues_to_next(client, clock, old_member):
    log_in(client, old_member)
    response = accept(client, accept_terms="y", next="/listings/mine?page=1")
    assert (response.status_code, response.headers["Location"]) == (302, "/listings/mine?page=1")
    user = reload(old_member)
    assert user.terms_version == pages.TERMS_VERSION and user.terms_accepted_at == clock.now
    row = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "user.accept_terms")).one()
    assert (row.actor_id, row.object_id) == (user.id, user.id)
    assert row.association_id == user.company.association_id
    assert row.detail == {"email": user.email, "version": pages.TERMS_VERSION, "previous": None}
    assert client.get("/dashboard").status_code == 200


@pytest.mark.parametrize(
    "target", ["//evil.example", "/\\evil.example", "https://evil.example/", "/%5Cevil.example", "/%2F/evil.example"]
)
def test_an_unsafe_next_is_neither_echoed_nor_followed(client, old_member, target):
    log_in(client, old_member)
    html = client.get("/auth/terms", query_string={"next": target}).get_data(as_text=True)
    # (The language switcher keeps the whole URL as its own `next`: safe, it is this page again.)
    assert 'name="next" type="hidden" value=""' in html and f'value="{escape(target)}"' not in html
    response = accept(client, accept_terms="y", next=target)  # a forged hidden field
    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard")
    assert reload(old_member).terms_version == pages.TERMS_VERSION


def test_accounts_that_accepted_the_current_version_are_never_bothered(client, member):
    log_in(client, member)
    assert client.get("/dashboard").status_code == 200
    assert client.get("/listings/new").status_code == 200
    response = client.get("/auth/terms", query_string={"next": "/listings/mine"})
    assert (response.status_code, response.headers["Location"]) == (302, "/listings/mine")


def test_a_new_terms_version_asks_everyone_again(client, member, monkeypatch):
    log_in(client, member)
    assert client.get("/dashboard").status_code == 200
    monkeypatch.setattr(pages, "TERMS_VERSION", NEW_VERSION)
    assert client.get("/dashboard").headers["Location"] == accept_page("/dashboard")
    html = client.get("/auth/terms").get_data(as_text=True)
    assert f'datetime="{NEW_VERSION}"' in html and "You last accepted the version of" in html
    accept(client, accept_terms="y")
    assert reload(member).terms_version == NEW_VERSION
    row = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "user.accept_terms")).one()
    assert row.detail["previous"] != NEW_VERSION and row.detail["version"] == NEW_VERSION
    assert client.get("/dashboard").status_code == 200


def test_an_account_made_by_create_admin_is_asked_at_its_first_login(app, client, runner):
    result = runner.invoke(args=["create-admin", "boss@example.org", "--password", "a-long-admin-pass"])
    assert result.exit_code == 0, result.output
    boss = db.session.scalar(sa.select(User).where(User.email == "boss@example.org"))
    assert boss.terms_version is None  # nobody accepted for them
    log_in(client, boss, password="a-long-admin-pass")
    assert client.get("/admin/").headers["Location"] == accept_page("/admin/")


@pytest.mark.parametrize(
    "path", ["/about", "/contact", "/privacy", "/terms", "/healthz", "/readyz", "/favicon.ico", "/auth/terms"]
)
def test_exempt_pages_stay_reachable_before_accepting(client, old_member, path):
    log_in(client, old_member)
    response = client.get(path)
    assert response.status_code in (200, 503) and "Location" not in response.headers  # /readyz: 503 is an answer


def test_mailed_links_stay_reachable_before_accepting(client, old_member):
    log_in(client, old_member)
    # made-up tokens: each link's own answer, not the Terms gate's
    assert client.get("/alerts/unsubscribe/not-a-token").status_code == 404
    assert client.get("/auth/confirm/not-a-token").headers["Location"] == "/dashboard"
    assert client.get("/auth/reset/not-a-token").headers["Location"] == "/auth/reset"


def test_language_switch_and_logout_work_before_accepting(client, old_member):
    log_in(client, old_member)
    token = token_from(client, "/auth/terms")
    switched = client.post("/auth/language", data={"code": "ru", "csrf_token": token, "next": "/auth/terms"})
    assert switched.headers["Location"] == "/auth/terms"
    assert reload(old_member).locale == "ru"
    assert "Редакция от" in client.get("/terms").get_data(as_text=True)  # the Terms in the user's language
    assert client.post("/auth/logout", data={"csrf_token": token}).headers["Location"] == "/"
    assert client.get("/auth/terms").headers["Location"].startswith("/auth/login")


def test_accept_page_refuses_a_post_without_csrf_token(client, old_member):
    log_in(client, old_member)
    assert client.post("/auth/terms", data={"accept_terms": "y"}).status_code == 400
    assert reload(old_member).terms_version is None
