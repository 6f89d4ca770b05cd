"""The JSON API's public and member endpoints: what each caller may see and do, validation, cursor
pagination, the error envelope. Tokens themselves: test_api_tokens.py; statistics: test_api_staff.py."""

import re

import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditLog, Listing, ListingStatus

from .. import factories


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


TRADE = {
    "direction": "offer",
    "type": "trade",
    "title": "Wet blue cow hides, 20 containers a year",
    "description": "Grade A wet blue from Kasur, chrome tanned, selected.",
    "target_countries": ["KZ"],
    "details": {"product": "Wet blue cow hides", "quantity": 5000, "unit": "hides", "incoterms": "FOB"},
    "hs_headings": ["4104"],
    "available_months": [6, 7],
}


def error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


# --- errors ---------------------------------------------------------------------------------------


def test_errors_inside_the_api_are_json_with_a_stable_code(client):
    error(client.get("/api/v1/nothing-here"), 404, "not_found")
    error(client.delete("/api/v1/listings"), 405, "method_not_allowed")
    error(client.get("/api/v1/listings/999999"), 404, "not_found")


def test_pages_outside_the_api_keep_their_html_error_pages(client):
    response = client.get("/listings/999999")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_bad_query_values_are_422_with_the_field(client):
    details = error(client.get("/api/v1/listings?limit=0"), 422, "validation_failed")["details"]
    assert "limit" in details["query"]
    error(client.get("/api/v1/listings?type=spaceship"), 422, "validation_failed")


# --- public listings --------------------------------------------------------------------------------


def test_only_live_listings_are_public(client, member):
    company = member.company
    live = factories.make_live_listing(company, title="Wet blue cattle hides for sale")
    draft = factories.make_listing(company, status="draft", title="Secret draft about wet blue")
    body = client.get("/api/v1/listings").get_json()
    assert [item["id"] for item in body["items"]] == [live.id]
    assert body["items"][0]["company"] == {"id": company.id, "name": company.name, "country": "PK"}
    assert client.get(f"/api/v1/listings/{live.id}").get_json()["title"] == live.title
    error(client.get(f"/api/v1/listings/{draft.id}"), 404, "not_found")
    owner = factories.make_api_token(member)
    error(client.get(f"/api/v1/listings/{draft.id}", headers=bearer(owner)), 404, "not_found")


def test_an_unverified_company_s_published_listing_is_not_public(client):
    company = factories.make_company(verified=False)
    listing = factories.make_live_listing(company)
    assert client.get("/api/v1/listings").get_json()["items"] == []
    error(client.get(f"/api/v1/listings/{listing.id}"), 404, "not_found")


def test_an_anonymous_listing_names_no_company_to_visitors_but_to_its_owner(client, member):
    listing = factories.make_live_listing(member.company, anonymous=True)
    assert client.get(f"/api/v1/listings/{listing.id}").get_json()["company"] is None
    secret = factories.make_api_token(member)
    named = client.get(f"/api/v1/listings/{listing.id}", headers=bearer(secret)).get_json()["company"]
    assert named["id"] == member.company_id


def test_search_uses_the_words_and_facets_of_the_search_page(client, member):
    factories.make_live_listing(member.company, title="Wet blue cattle hides for sale")
    course = factories.make_live_listing(
        member.company, title="Chrome tanning course in Sialkot", type="training", details={}
    )
    body = client.get("/api/v1/listings?q=tanning course").get_json()
    assert course.id in [item["id"] for item in body["items"]]
    only = client.get("/api/v1/listings?type=training").get_json()
    assert [item["id"] for item in only["items"]] == [course.id]
    assert {"value": "training", "count": 1, "selected": True} in only["facets"]["type"]


def test_the_api_offers_every_facet_of_the_search_page():
    from portal.api.schemas import SEARCH_FACETS
    from portal.search.query import FACETS

    assert SEARCH_FACETS == FACETS


def test_search_pages_through_every_result_once(client, member):
    made = {factories.make_live_listing(member.company, title=f"Wet blue lot {n}").id for n in range(7)}
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/listings?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).get_json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 7 and set(seen) == made


def test_a_bad_cursor_is_a_400(client):
    for cursor in ("not-base64!!", "bnVsbA", "WzEsMiwzXQ", "WyJhIiwxXQ"):  # null, [1,2,3], ["a",1]
        error(client.get(f"/api/v1/listings?cursor={cursor}"), 400, "validation_failed")
        error(client.get(f"/api/v1/me/listings?cursor={cursor}"), 401, "unauthorized")


# --- companies ------------------------------------------------------------------------------------


def test_the_directory_lists_verified_companies_and_pages_by_name(client):
    names = [f"Tannery {letter}" for letter in "ABCDE"]
    for name in reversed(names):
        factories.make_company(name=name, verified=True)
    hidden = factories.make_company(name="Tannery Z unverified", verified=False)
    seen, cursor = [], None
    while True:
        body = client.get("/api/v1/companies?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [c["name"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == names
    error(client.get(f"/api/v1/companies/{hidden.id}"), 404, "not_found")


def test_the_directory_filters_as_the_page_does(client):
    factories.make_company(name="Almaty Leather", country="KZ", association="KLA", verified=True)
    factories.make_company(name="Sialkot Saddlery", country="PK", verified=True)
    body = client.get("/api/v1/companies?association=KLA").get_json()
    assert [c["name"] for c in body["items"]] == ["Almaty Leather"]


def test_contact_details_only_for_logged_in_callers(client, member):
    company = member.company
    company.website, company.phone = "https://tannery.example", "+92 300 0000000"
    db.session.commit()
    public = client.get(f"/api/v1/companies/{company.id}").get_json()
    assert public["website"] is None and public["phone"] is None
    secret = factories.make_api_token(factories.make_user(role="staff", association="KLA"))
    seen = client.get(f"/api/v1/companies/{company.id}", headers=bearer(secret)).get_json()
    assert seen["website"] == "https://tannery.example"


def test_staff_see_their_association_s_unverified_company_not_another_s(client):
    company = factories.make_company(association="PTA", verified=False)
    pta = factories.make_api_token(factories.make_user(role="staff", association="PTA"))
    kla = factories.make_api_token(factories.make_user(role="staff", association="KLA"))
    assert client.get(f"/api/v1/companies/{company.id}", headers=bearer(pta)).status_code == 200
    error(client.get(f"/api/v1/companies/{company.id}", headers=bearer(kla)), 404, "not_found")


# --- a member's listings --------------------------------------------------------------------------


def test_a_member_creates_a_draft_through_the_listing_rules(client, member):
    secret = factories.make_api_token(member, scope="write")
    response = client.post("/api/v1/me/listings", json=TRADE, headers=bearer(secret))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "draft" and body["details"]["product"] == "Wet blue cow hides"
    assert body["hs_headings"] == ["4104"] and body["available_months"] == [6, 7]
    listing = db.session.get(Listing, body["id"])
    assert listing.company_id == member.company_id and listing.status is ListingStatus.draft
    assert db.session.scalar(sa.select(AuditLog.actor_id).where(AuditLog.action == "listing.create")) == member.id


def listings_of(company) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(Listing.id)).where(Listing.company_id == company.id))


def test_a_create_sent_again_with_its_idempotency_key_makes_one_listing(client, member):
    """The answer to a create never arrived and the client sends it again: with the same key, the same
    listing comes back and nothing more is made; another key, or none, makes another."""
    secret = factories.make_api_token(member, scope="write")
    keyed = {**bearer(secret), "Idempotency-Key": "order-2026-12-03-a"}

    first = client.post("/api/v1/me/listings", json=TRADE, headers=keyed)
    again = client.post("/api/v1/me/listings", json=TRADE, headers=keyed)

    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"] and listings_of(member.company) == 1
    client.post("/api/v1/me/listings", json=TRADE, headers={**bearer(secret), "Idempotency-Key": "order-b"})
    client.post("/api/v1/me/listings", json=TRADE, headers=bearer(secret))
    assert listings_of(member.company) == 3
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "listing.create")) == 3


def test_another_accounts_idempotency_key_finds_nothing_of_yours(client, member, kz_member):
    mine = client.post(
        "/api/v1/me/listings",
        json=TRADE,
        headers={**bearer(factories.make_api_token(member, scope="write")), "Idempotency-Key": "shared-key"},
    ).get_json()

    theirs = client.post(
        "/api/v1/me/listings",
        json=TRADE,
        headers={**bearer(factories.make_api_token(kz_member, scope="write")), "Idempotency-Key": "shared-key"},
    )

    assert theirs.status_code == 201 and theirs.get_json()["id"] != mine["id"]
    assert listings_of(kz_member.company) == 1


def test_an_unreadable_idempotency_key_is_refused_and_makes_nothing(client, member):
    secret = factories.make_api_token(member, scope="write")
    for key in ("has spaces", "x" * 65):
        answer = client.post("/api/v1/me/listings", json=TRADE, headers={**bearer(secret), "Idempotency-Key": key})
        assert "Idempotency-Key" in error(answer, 422, "validation_failed")["details"]["headers"]
    assert listings_of(member.company) == 0


def test_validation_errors_name_the_fields_as_the_form_does(client, member):
    secret = factories.make_api_token(member, scope="write")
    bad = {**TRADE, "title": "", "details": {"quantity": 5}, "direction": "request"}
    details = error(client.post("/api/v1/me/listings", json=bad, headers=bearer(secret)), 422, "validation_failed")[
        "details"
    ]["json"]
    assert "title" in details
    assert set(details["details"]) >= {"product", "unit", "incoterms"}
    assert details["available_months"] == ["Supply months are for offers only."]
    typed = client.post("/api/v1/me/listings", json={**TRADE, "available_months": ["June"]}, headers=bearer(secret))
    assert "available_months" in error(typed, 422, "validation_failed")["details"]["json"]
    assert db.session.scalar(sa.select(sa.func.count(Listing.id))) == 0


def test_staff_and_admins_have_no_listings_of_their_own(client, pta_staff, admin):
    for user in (pta_staff, admin):
        secret = factories.make_api_token(user, scope="write")
        error(client.get("/api/v1/me/listings", headers=bearer(secret)), 403, "forbidden")
        error(client.post("/api/v1/me/listings", json=TRADE, headers=bearer(secret)), 403, "forbidden")


def test_anonymous_callers_get_401_on_member_endpoints(client):
    for method, url in (
        ("get", "/api/v1/me/listings"),
        ("post", "/api/v1/me/listings"),
        ("get", "/api/v1/me/listings/1"),
        ("patch", "/api/v1/me/listings/1"),
        ("post", "/api/v1/me/listings/1/submit"),
        ("get", "/api/v1/me/matches"),
        ("get", "/api/v1/me/interests"),
    ):
        error(getattr(client, method)(url, json={}), 401, "unauthorized")


def test_another_company_s_listing_is_404_for_every_member_endpoint(client, member, kz_member):
    theirs = factories.make_listing(kz_member.company, status="draft")
    secret = factories.make_api_token(member, scope="write")
    error(client.get(f"/api/v1/me/listings/{theirs.id}", headers=bearer(secret)), 404, "not_found")
    error(
        client.patch(f"/api/v1/me/listings/{theirs.id}", json={"title": "Mine now"}, headers=bearer(secret)),
        404,
        "not_found",
    )
    error(client.post(f"/api/v1/me/listings/{theirs.id}/submit", headers=bearer(secret)), 404, "not_found")
    assert db.session.get(Listing, theirs.id).title != "Mine now"
    listed = client.get("/api/v1/me/listings", headers=bearer(secret)).get_json()["items"]
    assert listed == []


def test_editing_a_draft_changes_it_and_submit_sends_it_for_review(client, member):
    secret = factories.make_api_token(member, scope="write")
    created = client.post("/api/v1/me/listings", json=TRADE, headers=bearer(secret)).get_json()
    url = f"/api/v1/me/listings/{created['id']}"
    edited = client.patch(url, json={"title": "Wet blue cow hides, 30 containers"}, headers=bearer(secret))
    assert edited.status_code == 200 and edited.get_json()["title"] == "Wet blue cow hides, 30 containers"
    assert edited.get_json()["details"]["incoterms"] == "FOB"  # fields not sent stay
    submitted = client.post(url + "/submit", headers=bearer(secret))
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    error(client.post(url + "/submit", headers=bearer(secret)), 409, "conflict")


def test_an_edit_of_a_published_listing_waits_for_moderation(client, member):
    listing = factories.make_listing(member.company, status="published", title="Chrome tanning know-how")
    secret = factories.make_api_token(member, scope="write")
    response = client.patch(
        f"/api/v1/me/listings/{listing.id}", json={"title": "Chrome recovery know-how"}, headers=bearer(secret)
    )
    body = response.get_json()
    assert response.status_code == 200 and body["pending_edit"] is True
    assert body["title"] == "Chrome tanning know-how"  # the published version stays online
    assert db.session.get(Listing, listing.id).pending_revision.data["title"] == "Chrome recovery know-how"


def test_a_closed_listing_cannot_be_edited(client, member):
    listing = factories.make_listing(member.company, status="withdrawn")
    secret = factories.make_api_token(member, scope="write")
    error(
        client.patch(f"/api/v1/me/listings/{listing.id}", json={"title": "Again"}, headers=bearer(secret)),
        409,
        "conflict",
    )


def test_my_listings_page_through_every_status_without_duplicates(client, member):
    made = [factories.make_listing(member.company, status=s).id for s in ("draft", "submitted", "published") * 2]
    secret = factories.make_api_token(member)
    seen, cursor = [], None
    while True:
        url = "/api/v1/me/listings?limit=4" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=bearer(secret)).get_json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made, reverse=True)
    drafts = client.get("/api/v1/me/listings?status=draft", headers=bearer(secret)).get_json()["items"]
    assert {item["status"] for item in drafts} == {"draft"} and len(drafts) == 2


# --- interests and matches ------------------------------------------------------------------------


def test_interests_received_and_sent(client, member, kz_member):
    mine = factories.make_live_listing(member.company, title="Wet blue cattle hides for sale")
    theirs = factories.make_live_listing(kz_member.company, title="Raw sheep skins, salted")
    received = factories.make_interest(mine, kz_member.company, sender=kz_member)
    sent = factories.make_interest(theirs, member.company, sender=member)
    secret = factories.make_api_token(member)
    inbox = client.get("/api/v1/me/interests", headers=bearer(secret)).get_json()["items"]
    assert [(i["id"], i["box"], i["from_company"]["id"]) for i in inbox] == [
        (received.id, "received", kz_member.company_id)
    ]
    outbox = client.get("/api/v1/me/interests?box=sent", headers=bearer(secret)).get_json()["items"]
    assert [(i["id"], i["listing"]["id"]) for i in outbox] == [(sent.id, theirs.id)]
    other = factories.make_api_token(factories.make_user(company=factories.make_company(verified=True), owner=True))
    assert client.get("/api/v1/me/interests", headers=bearer(other)).get_json()["items"] == []


def test_matches_as_the_dashboard_shows_them(client, member, kz_member):
    offer = factories.make_live_listing(
        member.company, title="Wet blue cattle hides for sale", tags=["hide_cattle", "stage_wet_blue"]
    )
    wanted = factories.make_live_listing(
        kz_member.company,
        title="We buy wet blue cattle hides",
        direction="request",
        tags=["hide_cattle", "stage_wet_blue"],
    )
    secret = factories.make_api_token(member)
    items = client.get("/api/v1/me/matches", headers=bearer(secret)).get_json()["items"]
    assert items[0]["listing"]["id"] == offer.id
    assert wanted.id in [m["listing"]["id"] for m in items[0]["matches"]]
    assert all(m["reasons"] for m in items[0]["matches"])


# --- rate limits ----------------------------------------------------------------------------------


def test_rate_limits_are_the_search_page_s_and_answer_json(app, client, member):
    app.config["RATELIMIT_SEARCH_ADDRESS"] = "2/minute"
    for _ in range(2):
        assert client.get("/api/v1/listings").status_code == 200
    body = error(client.get("/api/v1/listings"), 429, "rate_limited")
    assert body["details"]["retry_after"] >= 1
    assert client.get("/api/v1/listings").headers["Retry-After"]


def test_rate_limits_count_per_token_owner(app, client, member, kz_member):
    app.config["RATELIMIT_SEARCH_ADDRESS"] = ""
    app.config["RATELIMIT_SEARCH_ACCOUNT"] = "1/minute"
    mine, theirs = factories.make_api_token(member), factories.make_api_token(kz_member)
    assert client.get("/api/v1/listings", headers=bearer(mine)).status_code == 200
    error(client.get("/api/v1/listings", headers=bearer(mine)), 429, "rate_limited")
    assert client.get("/api/v1/listings", headers=bearer(theirs)).status_code == 200


# --- the description and the docs -----------------------------------------------------------------


def test_the_openapi_description_documents_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.0.3"
    assert spec["components"]["securitySchemes"]["token"] == {"type": "http", "scheme": "bearer"}
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "patch")
    ]
    assert len(operations) == 12
    for path, method, op in operations:
        assert op.get("summary"), (method, path)
        assert "default" in op["responses"], (method, path)  # the error envelope
    assert spec["components"]["schemas"]["Error"]["properties"]["error"]


def test_the_docs_page_lists_every_operation_without_inline_script(client):
    response = client.get("/api/v1/docs")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    for path in ("/api/v1/listings", "/api/v1/me/listings/{listing_id}/submit", "/api/v1/staff/statistics"):
        assert path in page
    assert "Search live listings" in page and "cursor" in page
    assert page.count("Needs an API token.") == 8  # the 7 member and 1 staff endpoints, not the public ones
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)
