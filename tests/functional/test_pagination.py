"""Every paginated page takes any `?page=` without a 500: huge numbers are 404 before any query.

The list of pages is read from the code: every view that calls `paginate(` or reads `page` from the
query string, directly or through a helper of its module, so a new paginated page is covered by default."""

import inspect
import re

import pytest

from portal import create_app

from .. import factories
from ..conftest import vars_of

HUGE = "10000000000000000000"


def _reads_pages(view) -> bool:
    view = inspect.unwrap(view)
    module = inspect.getmodule(view)
    source = inspect.getsource(view)
    marker = re.compile(r"\bpaginate\(|args\.get\(\"page\"")
    if marker.search(source):
        return True
    helpers = (
        obj for name, obj in vars(module).items() if inspect.isfunction(obj) and re.search(rf"\b{name}\(", source)
    )
    return any(marker.search(inspect.getsource(h)) for h in helpers if h.__module__.startswith("portal."))


def paginated_endpoints() -> list[str]:
    from config import TestConfig

    app = create_app({**vars_of(TestConfig), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    get_endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    return sorted(ep for ep in get_endpoints - {"static"} if _reads_pages(app.view_functions[ep]))


ENDPOINTS = paginated_endpoints()


def test_the_list_of_paginated_pages_is_found_in_the_code():
    assert {"companies.directory", "partnerships.conversation", "verification.audit"} <= set(ENDPOINTS)
    assert "admin.audit" in ENDPOINTS  # through the shared render_audit helper
    assert len(ENDPOINTS) >= 10


@pytest.fixture
def clients(app, request):
    """Clients for a visitor, a member, staff and an admin, each logged in through the real login form
    when first needed."""

    def logged_in(role):
        client = app.test_client()
        if role is not None:
            user = request.getfixturevalue(role)
            response = client.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD})
            assert response.status_code == 302
        return client

    return (logged_in(role) for role in (None, "member", "pta_staff", "admin"))


@pytest.fixture
def url_args(member, kz_member):
    listing = factories.make_live_listing(member.company, "Chrome tanning training in Karachi", type="training")
    conversation = factories.make_interest(listing, kz_member.company, kz_member, status="accepted").conversation
    return {"conversation_id": conversation.id}


def page_url(app, endpoint, url_args, page=None) -> str:
    with app.test_request_context():
        from flask import url_for

        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        values = {name: url_args[name] for name in rule.arguments}
        return url_for(endpoint, **values, **({"page": page} if page is not None else {}))


def client_for(app, endpoint, clients, url_args):
    """The first role that may see the page (200 without a page number)."""
    url = page_url(app, endpoint, url_args)
    for client in clients:
        if client.get(url).status_code == 200:
            return client
    pytest.fail(f"no role could open {url}")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_huge_page_number_is_not_a_server_error(app, clients, url_args, endpoint):
    client = client_for(app, endpoint, clients, url_args)
    response = client.get(page_url(app, endpoint, url_args, HUGE))
    # search clamps to its last page; every page cut by portal.utils.paginate answers 404
    assert response.status_code == (200 if endpoint == "search.search" else 404)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_odd_page_numbers_are_not_server_errors(app, clients, url_args, endpoint):
    client = client_for(app, endpoint, clients, url_args)
    for page in ("abc", "-3", "0", "١", "9" * 5000, "2"):
        assert client.get(page_url(app, endpoint, url_args, page)).status_code in (200, 404), page


def test_a_page_beyond_the_last_is_404_and_the_first_page_always_works(app, client, member):
    assert client.get("/companies/?page=1").status_code == 200  # one company only
    assert client.get("/companies/?page=2").status_code == 404
    assert client.get("/companies/?page=abc").status_code == 200  # not a number: the first page


def test_the_listings_page_like_search_clamps_a_page_beyond_the_last(client, member):
    """/listings/ is the search page without words: it shows its last page rather than a 404."""
    assert client.get("/listings/?page=2").status_code == 200  # even with no listings at all
    factories.make_live_listing(member.company, "Wet blue hides")
    assert "Wet blue hides" in client.get("/listings/?page=7").get_data(as_text=True)


def test_per_page_from_the_url_is_ignored(client, member):
    for n in range(3):
        factories.make_live_listing(member.company, f"Wet blue hides lot {n}")
    html = client.get("/listings/?per_page=1").get_data(as_text=True)
    assert all(f"Wet blue hides lot {n}" in html for n in range(3))


def test_page_links_keep_every_value_of_a_repeated_filter_and_drop_empty_ones(app, client):
    """`dict(request.args, page=n)` kept only the first value of a facet: page 2 showed a wider set."""
    app.config["PAGE_SIZE"] = 10
    pk = factories.make_company(name="Kasur Works", country="PK", association="PTA", verified=True)
    for n in range(12):
        factories.make_live_listing(pk, f"Wet blue cattle hides lot {n}")
    for n in range(5):
        factories.make_live_listing(pk, f"Wet blue goat skins lot {n}")
    html = client.get(
        "/search",
        query_string=[("q", "wet blue"), ("capability", "stage_wetblue"), ("capability", "hide_cattle"), ("sort", "")],
    ).get_data(as_text=True)
    assert "12 results" in html
    page_two = re.search(r'<a class="page-link" href="([^"]*page=2[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "capability=stage_wetblue" in page_two and "capability=hide_cattle" in page_two
    assert "sort=" not in page_two
    second = client.get(page_two).get_data(as_text=True)
    assert "12 results" in second and "goat skins" not in second
