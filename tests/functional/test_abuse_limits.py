"""Limits on everything that mails someone or creates rows for others, and confirmed email before acting."""

import secrets
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from config import TestConfig
from portal import create_app, limits
from portal.extensions import db
from portal.models import Company, Interest, ListingFlag, Message, OutboxMessage

from .. import factories
from ..conftest import FreshContextClient, vars_of

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def world(app, member, kz_member, pta_staff, client_for):
    listing = factories.make_live_listing(member.company, "Chrome tanning training in Karachi", type="training")
    deal = factories.make_interest(listing, kz_member.company, kz_member, status="accepted").conversation
    unconfirmed = factories.make_user(email="unconfirmed@example.org", confirmed=False)
    return SimpleNamespace(
        member=member,
        kz=kz_member,
        staff=pta_staff,
        listing=listing,
        deal=deal,
        unconfirmed=unconfirmed,
        client_for=client_for,
    )


def password_form(email):
    return {
        "name": "Nur Bek",
        "email": email,
        "password": "hides-and-skins-42",
        "password2": "hides-and-skins-42",
        "accept_terms": "y",
    }


# (action, who is logged in, method, path, form) for one attempt at each limited action
ATTEMPTS = {
    "register": (None, "POST", lambda w: "/auth/register", lambda w: password_form("again@example.org")),
    "reset": (None, "POST", lambda w: "/auth/reset", lambda w: {"email": w.member.email}),
    "resend": ("unconfirmed", "POST", lambda w: "/auth/confirm/resend", lambda w: {}),
    "invite": ("member", "POST", lambda w: "/companies/mine/colleagues", lambda w: {"email": "new@example.org"}),
    "interest": (
        "kz",
        "POST",
        lambda w: f"/partnerships/listings/{w.listing.id}/interest",
        lambda w: {"message": "We would like to learn chrome tanning from you in Karachi."},
    ),
    "message": (
        "kz",
        "POST",
        lambda w: f"/partnerships/conversations/{w.deal.id}/messages",
        lambda w: {"body": "Hello!"},
    ),
    "flag": (
        "member",
        "POST",
        lambda w: f"/listings/{w.listing.id}/flag",
        lambda w: {"reason": "This looks like a copy of another listing."},
    ),
    "saved_search": ("member", "POST", lambda w: "/alerts/save", lambda w: {"name": "Wet blue", "search_args": "q=x"}),
    "search": (None, "GET", lambda w: "/search?q=wet+blue", lambda w: None),
    "export": ("staff", "GET", lambda w: "/insight/exports/members.csv", lambda w: None),
}


def test_every_limited_action_is_tried_here():
    assert set(ATTEMPTS) == set(limits.ACTIONS)


def attempt(world, client, action):
    _who, method, path, form = ATTEMPTS[action]
    if method == "GET":
        return client.get(path(world))
    return client.post(path(world), data=form(world))


@pytest.mark.parametrize("action", sorted(ATTEMPTS))
def test_every_action_that_reaches_others_is_limited(app, world, action):
    app.config[f"RATELIMIT_{action.upper()}_ADDRESS"] = "2/hour"
    app.config[f"RATELIMIT_{action.upper()}_ACCOUNT"] = "2/hour"
    who = ATTEMPTS[action][0]
    client = world.client_for(getattr(world, who)) if who else app.test_client()
    first, second, third = (attempt(world, client, action) for _ in range(3))
    assert first.status_code != 429 and second.status_code != 429
    assert third.status_code == 429
    assert 0 < int(third.headers["Retry-After"]) <= 3600
    assert "Please try again in" in third.get_data(as_text=True)


def test_a_fresh_address_still_gets_through_when_another_is_limited(app, client):
    app.config["RATELIMIT_SEARCH_ADDRESS"] = "1/minute"
    assert client.get("/search?q=hides", environ_base={"REMOTE_ADDR": "203.0.113.10"}).status_code == 200
    assert client.get("/search?q=hides", environ_base={"REMOTE_ADDR": "203.0.113.10"}).status_code == 429
    assert client.get("/search?q=hides", environ_base={"REMOTE_ADDR": "203.0.113.11"}).status_code == 200


def test_registration_defaults_to_five_an_hour_per_address(client):
    statuses = [client.post("/auth/register", data=password_form(f"n{n}@example.org")).status_code for n in range(7)]
    assert statuses == [302] * 5 + [429] * 2


def test_the_429_page_is_in_the_users_language(app, world):
    app.config["RATELIMIT_SEARCH_ACCOUNT"] = "1/minute"
    world.kz.locale = "ru"
    db.session.commit()
    client = world.client_for(world.kz)
    client.get("/search?q=hides")
    response = client.get("/search?q=hides")
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and 'lang="ru"' in html and "через" in html


def test_api_clients_get_429_as_json_with_retry_after(app, client):
    app.config["RATELIMIT_SEARCH_ADDRESS"] = "1/minute"
    client.get("/search?q=hides")
    response = client.get("/search?q=hides", headers={"Accept": "application/json"})
    assert response.status_code == 429 and response.is_json
    assert response.json["error"] == 429 and 0 < response.json["retry_after"] <= 60
    assert response.headers["Retry-After"] == str(response.json["retry_after"])


# --- confirmed email before acting -----------------------------------------------------------------


@pytest.mark.parametrize("action", ["interest", "message", "flag"])
def test_an_unconfirmed_account_cannot_act_towards_others(world, action):
    world.kz.email_confirmed_at = None
    world.member.email_confirmed_at = None
    db.session.commit()
    who = ATTEMPTS[action][0]
    client = world.client_for(getattr(world, who))
    response = attempt(world, client, action)
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/confirm")
    assert "confirm your email" in client.get("/auth/confirm").get_data(as_text=True)
    counts = {
        model: db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (Message, ListingFlag)
    }
    assert counts == {Message: 0, ListingFlag: 0}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Interest)) == 1  # only the deal's


def test_an_unconfirmed_account_looks_around_but_cannot_create_a_company(world):
    client = world.client_for(world.unconfirmed)
    assert client.get("/companies/").status_code == 200
    assert client.get(f"/listings/{world.listing.id}").status_code == 200
    assert client.get("/search?q=chrome").status_code == 200
    data = {"name": "Phish Leather", "country": "PK", "city": "Lahore", "association_id": 1, "membership_no": "X-1"}
    response = client.post("/companies/new", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/confirm")
    page = client.get("/auth/confirm").get_data(as_text=True)
    assert "Please confirm your email address first" in page and "Send the confirmation link again" in page
    assert db.session.scalar(sa.select(Company).where(Company.name == "Phish Leather")) is None
    api = client.post("/companies/new", data=data, headers={"Accept": "application/json"})
    assert api.status_code == 403 and api.is_json


# --- the counters are shared: the database by default, Redis when configured ----------------------


def second_app(app, **config):
    other = create_app({**vars_of(TestConfig), **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI",)}, **config})
    other.test_client_class = FreshContextClient
    return other


def test_two_apps_on_one_database_share_the_counters(app, client):
    """Two gunicorn workers are two apps: a limit counted in one holds in the other."""
    app.config["RATELIMIT_SEARCH_ADDRESS"] = "2/minute"
    other = second_app(app, RATELIMIT_SEARCH_ADDRESS="2/minute")
    assert client.get("/search?q=hides").status_code == 200
    assert other.test_client().get("/search?q=hides").status_code == 200
    assert client.get("/search?q=hides").status_code == 429
    assert other.test_client().get("/search?q=hides").status_code == 429


def redis_or_skip():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable at " + REDIS_URL)
    return connection


def test_with_redis_configured_the_counters_live_in_redis_and_are_shared(app):
    connection = redis_or_skip()
    prefix = "lb-test-" + secrets.token_hex(4)
    settings = {"REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix, "RATELIMIT_SEARCH_ADDRESS": "2/minute"}
    first, second = second_app(app, **settings), second_app(app, **settings)
    try:
        assert first.test_client().get("/search?q=hides").status_code == 200
        assert second.test_client().get("/search?q=hides").status_code == 200
        refused = first.test_client().get("/search?q=hides")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 60
        assert connection.keys(prefix + ":*")  # counted in Redis ...
        with app.app_context():
            from portal.models import RateLimitCounter

            assert db.session.scalar(sa.select(sa.func.count()).select_from(RateLimitCounter)) == 0  # ... not here
    finally:
        for key in connection.scan_iter(prefix + ":*"):
            connection.delete(key)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
