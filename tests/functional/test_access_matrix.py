"""The role x route matrix, built from app.url_map: every route is classified, every role gets the answer its category promises.

A new route fails `test_every_route_is_classified` until it is added to PUBLIC_ENDPOINTS, LOGIN_ENDPOINTS,
SPECIAL_ENDPOINTS or a PREFIX_RULES entry, and every URL argument it takes needs a value in URL_ARGS.
"""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from config import TestConfig
from portal import create_app
from portal.extensions import db
from portal.models import Direction, Listing, ListingStatus, ListingType, TradeFigure
from portal.models.base import utcnow

from .. import factories
from ..conftest import FreshContextClient, empty_tables, vars_of

ROLES = ("anonymous", "member", "staff", "admin")

# Anyone may GET these, logged in or not.
PUBLIC_ENDPOINTS = {
    "main.index",
    "main.healthz",
    "main.readyz",
    "main.about",
    "main.contact",
    "main.privacy",
    "main.terms",
    "observability.metrics",  # public to the loopback test client only: test_observability.py
    "auth.register",
    "auth.check_email",
    "auth.login",
    "auth.reset_request",
    "auth.reset_password",
    "auth.confirm",
    "auth.set_language",
    "companies.directory",
    # The JSON API's public part (the spec, the docs page, listings and companies): /api/v1/ below
    "api-docs.openapi_json",
    "api_docs.docs",
    "listings_api.listings",
    "listings_api.listing",
    "companies_api.companies",
    "companies_api.company",
    "companies.profile",
    "companies.logo",
    "companies.accept_invitation",
    "listings.index",
    "listings.detail",
    "search.search",
    "alerts.unsubscribe",
    "insight.scoreboard",  # the bridge's public scoreboard (issue 13)
    "deals.moved",  # old /deals/ links: a 308 to /partnerships/, where the access rules apply
    "insight.supply_calendar",  # raw hides offered by month and country: public, like the listings
}
# Any logged-in user; anonymous visitors are sent to the login page.
LOGIN_ENDPOINTS = {
    "main.dashboard",
    "main.notifications",
    "main.notifications_read",
    "auth.resend_confirmation",
    "auth.unconfirmed",
    "auth.accept_terms",  # the Terms gate's page (auth/consent.py); the matrix's users accepted already
    "auth.logout",
    "auth.settings",
    "auth.change_password",
    "auth.api_tokens",
    "auth.revoke_api_token",
    "companies.create",
    "companies.edit",
    "companies.upload_logo",
    "companies.remove_logo",
    "companies.colleagues",
    "companies.revoke_invitation",
    "companies.remove_colleague",
    "listings.mine",
    "listings.create",
    "listings.edit",
    "listings.owner_action",
    "listings.flag",
}
# Endpoints inside an area that answer differently from the rest of it.
# Admins may read the moderation queue (they run the portal) but only staff decide.
SPECIAL_ENDPOINTS = {
    "moderation.import_data": "staff_or_admin",
    "moderation.queue": "staff_or_admin",
    "moderation.review": "staff_or_admin",
    "insight.dashboard": "staff_or_admin",  # staff see their own association's figures, admins any
    "insight.export": "staff_or_admin",  # the dashboard's files: staff their own association's rows, admins any
}
# Whole areas by URL prefix.
PREFIX_RULES = (
    ("/staff/", "staff"),
    ("/admin/", "admin"),
    ("/partnerships/", "member"),
    ("/alerts/", "login"),
    # The JSON API takes no cookie: each role calls it with its own token (api_headers), visitors with none.
    ("/api/v1/me/", "api_member"),
    ("/api/v1/staff/", "api_staff"),
)
API_PREFIX = "/api/v1/"
SKIPPED_ENDPOINTS = {"static"}

LOGIN = "login redirect"
DENIED = (403, 404)
FORBIDDEN = (403,)
OK = (200,)
UNAUTHORIZED = (401,)  # the API answers 401 JSON where pages redirect to the login
# What each role gets on a GET in each category; None: the role is let in, so it gets the page (2xx) or
# the answer ANSWERS names for it ("public" also lets anonymous visitors in).
EXPECTED = {
    "public": {"anonymous": "public", "member": None, "staff": None, "admin": None},
    "login": {"anonymous": LOGIN, "member": None, "staff": None, "admin": None},
    "member": {"anonymous": LOGIN, "member": None, "staff": FORBIDDEN, "admin": FORBIDDEN},
    "staff": {"anonymous": LOGIN, "member": DENIED, "staff": OK, "admin": FORBIDDEN},
    "admin": {"anonymous": LOGIN, "member": DENIED, "staff": FORBIDDEN, "admin": OK},
    "staff_or_admin": {"anonymous": LOGIN, "member": DENIED, "staff": OK, "admin": OK},
    "api_member": {"anonymous": UNAUTHORIZED, "member": None, "staff": FORBIDDEN, "admin": FORBIDDEN},
    "api_staff": {"anonymous": UNAUTHORIZED, "member": FORBIDDEN, "staff": OK, "admin": OK},
}

LOGGED_IN = ("member", "staff", "admin")


def each(roles, answer):
    return dict.fromkeys(roles, answer)


# Where a role that is let in does not get a 2xx page, what it gets instead and why: a status, or
# (status, Location). Anything not listed must be 2xx, so a page that breaks for its own users fails here.
ANSWERS = {
    # the way in, for someone already in: sent on to their start page
    **{
        e: each(LOGGED_IN, (302, "/dashboard"))
        for e in ("auth.login", "auth.register", "auth.unconfirmed", "auth.accept_terms")
    },
    "auth.confirm": {"anonymous": (302, "/"), **each(LOGGED_IN, (302, "/dashboard"))},  # a made-up token
    "auth.check_email": each(ROLES, (302, "/auth/register")),  # no registration under way
    "auth.reset_password": each(ROLES, (302, "/auth/reset")),  # a made-up token: ask for a new link
    "main.dashboard": {"staff": (302, "/staff/verification"), "admin": (302, "/admin/")},
    "companies.create": {"member": (302, "/companies/mine/edit"), **each(("staff", "admin"), 403)},  # has one
    # a made-up token, a company without a logo, an alert that is not the user's
    **{e: each(ROLES, 404) for e in ("alerts.unsubscribe", "companies.accept_invitation", "companies.logo")},
    "alerts.delete": each(LOGGED_IN, 404),
    "auth.revoke_api_token": each(("staff", "admin"), 404),  # URL_ARGS names the member's token
    # a member company's own pages: staff and admins have no company
    **{
        e: each(("staff", "admin"), 403)
        for e in (
            "companies.edit",
            "companies.colleagues",
            "companies.remove_colleague",
            "listings.create",
            "listings.edit",
            "listings.mine",
            "listings.owner_action",
        )
    },
    # objects only their participants may open: id 1 is not this member's
    **{
        e: {"member": 404}
        for e in (
            "partnerships.attachment",
            "partnerships.conversation",
            "partnerships.counter_meeting",
            "partnerships.interest",
            "partnerships.decline",
            "partnerships.withdraw",
            "partnerships.meeting_ics",
        )
    },
}
MOVED = {"deals.moved"}  # old /deals/ links: 308 to the same path under /partnerships/

# Values for URL arguments: real objects of the world below (the staff and admin see their own association's).
URL_ARGS = {
    "company_id": lambda w: w.company.id,
    "user_id": lambda w: w.target.id,
    "association_id": lambda w: w.company.association_id,
    "invitation_id": lambda w: 1,
    "listing_id": lambda w: w.listing.id,
    "action": lambda w: "withdraw",
    # Objects only their participants may open: an id that is not theirs must not fail either.
    **{
        name: (lambda w: 1)
        for name in ("search_id", "conversation_id", "attachment_id", "interest_id", "meeting_id", "outcome_id")
    },
    "term_id": lambda w: "hide_cattle",
    "token_id": lambda w: w.tokens["member"].id,
    "figure_id": lambda w: 1,  # the world's one admin trade figure
    "token": lambda w: "not-a-real-token",
    "code": lambda w: "en",
    "path": lambda w: "conversations/1",
    "kind": lambda w: "members",
    "fmt": lambda w: "csv",
}


def category(rule) -> str | None:
    if rule.endpoint in PUBLIC_ENDPOINTS:
        return "public"
    if rule.endpoint in LOGIN_ENDPOINTS:
        return "login"
    if rule.endpoint in SPECIAL_ENDPOINTS:
        return SPECIAL_ENDPOINTS[rule.endpoint]
    for prefix, name in PREFIX_RULES:
        if rule.rule.startswith(prefix):
            return name
    return None


def collect_rules():
    """The app's routes, read at collection time so a new route gets its own tests without anyone writing them."""
    app = create_app({**vars_of(TestConfig), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED_ENDPOINTS]
    return sorted(
        (
            SimpleNamespace(rule=r.rule, endpoint=r.endpoint, arguments=sorted(r.arguments), methods=r.methods)
            for r in rules
        ),
        key=lambda r: r.rule,
    )


RULES = collect_rules()


@pytest.fixture(scope="module")
def world(_database, tmp_path_factory):
    """One app and one set of logged-in clients for the whole matrix: each check is then a single request."""
    tmp = tmp_path_factory.mktemp("matrix")
    app = create_app(
        {
            **vars_of(TestConfig),
            "SQLALCHEMY_DATABASE_URI": _database,
            "INDEX_DIR": str(tmp / "index"),
            "UPLOAD_DIR": str(tmp / "uploads"),
        }
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        empty_tables()
        factories.ensure_associations()
        db.session.commit()
        company = factories.make_company(name="Matrix Tannery", verified=True)
        users = {
            "member": factories.make_user(email="member@matrix.example", company=company, owner=True),
            "staff": factories.make_user(email="staff@matrix.example", role="staff", association="PTA"),
            "admin": factories.make_user(email="admin@matrix.example", role="admin"),
        }
        target = factories.make_user(email="target@matrix.example", company=company)
        listing = Listing(
            company_id=company.id,
            direction=Direction.offer,
            type=ListingType.training,
            title="Chrome tanning course",
            summary="Two weeks in Sialkot",
            status=ListingStatus.published,
            published_at=utcnow(),
            expires_at=utcnow() + timedelta(days=60),
        )
        db.session.add(listing)
        db.session.add(TradeFigure(year=2023, flow="total", value_usd=1, months=12, source="Matrix"))
        db.session.commit()
        clients = {"anonymous": app.test_client()}
        for role, user in users.items():
            client = clients[role] = app.test_client()
            response = client.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD})
            assert response.status_code == 302
        from portal.api.tokens import create_token

        tokens = {role: create_token(user, f"{role} matrix", "write") for role, user in users.items()}
        db.session.commit()
        secrets = {role: secret for role, (_token, secret) in tokens.items()}
        yield SimpleNamespace(
            app=app,
            clients=clients,
            company=company,
            target=target,
            listing=listing,
            tokens={role: token for role, (token, _secret) in tokens.items()},
            secrets=secrets,
        )
        db.session.remove()
        empty_tables()


def url_for_rule(rule, w) -> str:
    missing = [a for a in rule.arguments if a not in URL_ARGS]
    assert not missing, f"{rule.endpoint}: no value for URL argument(s) {missing}; add them to URL_ARGS"
    # <name>, <int:name>, <any(a, b):name>: the converter's spec may hold anything but angle brackets.
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", lambda m: str(URL_ARGS[m.group(1)](w)), rule.rule)


def api_headers(w, role, rule) -> dict:
    """A logged-in role calls the JSON API with its own (write) token; visitors send none."""
    if not rule.rule.startswith(API_PREFIX) or role == "anonymous":
        return {}
    return {"Authorization": f"Bearer {w.secrets[role]}"}


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/auth/login" in response.headers["Location"]


def answer_for_allowed(endpoint, role, url):
    """What a role that is let in gets: 2xx (None), or what ANSWERS or MOVED say."""
    if endpoint in MOVED:
        return 308, url.replace("/deals/", "/partnerships/", 1)
    return ANSWERS.get(endpoint, {}).get(role)


def check_allowed(response, want, what):
    got = (response.status_code, response.headers.get("Location"))
    if want is None:
        assert 200 <= response.status_code < 300, f"{what}: expected the page, got {got}"
    elif isinstance(want, int):
        assert response.status_code == want, f"{what}: expected {want}, got {got}"
    else:
        assert got == want, f"{what}: expected {want}, got {got}"


def check(response, expected, what):
    assert response.status_code < 500, f"{what}: server error {response.status_code}"
    if expected is None:
        return
    if expected == LOGIN:
        assert is_login_redirect(response), f"{what}: expected a redirect to login, got {response.status_code}"
    elif expected == "public":
        assert not is_login_redirect(response) and response.status_code not in (401, 403), f"{what}: not public"
    else:
        assert response.status_code in expected, f"{what}: expected {expected}, got {response.status_code}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.endpoint)
def test_every_route_is_classified(rule):
    assert category(rule) is not None, (
        f"new route not classified: {rule.rule} ({rule.endpoint}); add it to PUBLIC_ENDPOINTS, LOGIN_ENDPOINTS or PREFIX_RULES"
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.endpoint)
def test_get_answers_as_the_category_promises(world, rule, role):
    kind = category(rule)
    if kind is None:
        pytest.fail(f"new route not classified: {rule.rule} ({rule.endpoint})")
    url = url_for_rule(rule, world)
    response = world.clients[role].get(url, headers=api_headers(world, role, rule))
    # A POST-only URL may still match another GET rule (/auth/confirm/resend vs /auth/confirm/<token>).
    expected = EXPECTED[kind][role] if "GET" in rule.methods else None
    check(response, expected, f"{role} GET {url}")
    if "GET" in rule.methods and expected in (None, "public"):  # let in: it gets its page
        check_allowed(response, answer_for_allowed(rule.endpoint, role, url), f"{role} GET {url}")


def test_every_endpoint_named_in_answers_exists():
    """So the table of exceptions cannot outlive a renamed or removed route and hide a broken one."""
    endpoints = {rule.endpoint for rule in RULES}
    assert set(ANSWERS) | MOVED <= endpoints, sorted((set(ANSWERS) | MOVED) - endpoints)


def refused_posts():
    """(rule, role) pairs where the category keeps the role out; a POST by an allowed role would really act."""
    for rule in RULES:
        if "POST" not in rule.methods:
            continue
        kind = category(rule)
        for role in ROLES:
            if kind is None or EXPECTED[kind][role] not in (None, "public", OK):
                yield pytest.param(rule, role, id=f"{rule.endpoint}-{role}")


@pytest.mark.parametrize("rule, role", list(refused_posts()))
def test_post_is_refused_to_roles_without_access(world, rule, role):
    kind = category(rule)
    if kind is None:
        pytest.fail(f"new route not classified: {rule.rule} ({rule.endpoint})")
    url = url_for_rule(rule, world)
    # A forged association id must not open another association's door either.
    response = world.clients[role].post(
        url, data={"association_id": world.company.association_id}, headers=api_headers(world, role, rule)
    )
    check(response, EXPECTED[kind][role], f"{role} POST {url}")
