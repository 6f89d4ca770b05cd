"""No listing goes without matches when complementary ones exist (issue 11, item 6): when the portal
recognises no concept in a listing, or no candidate shares one, matching falls back to type and
wording and says so; the owner sees what the portal understood, in their language, with a link to
add tags."""

from .. import factories
from .test_matching import match_json


def test_a_listing_with_no_recognised_topic_still_gets_complementary_matches(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Partners wanted", "Details on request.", direction="request", ref="vague")
    factories.make_live_listing(kz_company, "Wet blue cattle hides", ref="kz-trade")
    factories.make_live_listing(kz_company, "Chrome tanning course", type="training", ref="kz-training")
    factories.make_live_listing(kz_company, "We need wet blue", direction="request", ref="kz-request")
    found = match_json(runner, "vague")["matches"]
    assert [m["ref"] for m in found] == ["kz-trade"]  # same type, opposite direction only
    assert "No topic was recognised in this listing: suggested for its type and wording" in found[0]["reasons"]


def test_a_listing_whose_topics_no_candidate_shares_falls_back_to_its_type(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Camel hides wanted", direction="request", ref="camel")
    factories.make_live_listing(kz_company, "Sheepskins for sale", ref="kz-sheep")
    found = match_json(runner, "camel")["matches"]
    assert [m["ref"] for m in found] == ["kz-sheep"]
    assert "No topic in common: suggested for its type and wording" in found[0]["reasons"]


def test_the_fallback_suggests_nothing_when_nothing_is_complementary(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Partners wanted", direction="request", ref="vague")
    factories.make_live_listing(pk_company, "Our own offer", ref="own")  # own company: never a match
    factories.make_live_listing(kz_company, "Another request", direction="request", ref="kz-request")
    assert match_json(runner, "vague")["matches"] == []


def test_matches_with_shared_topics_carry_no_fallback_reason(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "We buy wet blue cattle hides", direction="request", ref="pk")
    factories.make_live_listing(kz_company, "Wet blue cattle hides", ref="kz")
    reasons = match_json(runner, "pk")["matches"][0]["reasons"]
    assert not any("suggested for its type" in r for r in reasons)


def test_the_owner_sees_what_the_portal_understood_in_their_language(app, client_for, kz_company):
    owner = factories.make_user(company=kz_company, owner=True, locale="ru")
    listing = factories.make_live_listing(kz_company, "Продаём вет-блю КРС", language="ru")
    html = client_for(owner).get(f"/listings/{listing.id}").get_data(as_text=True)
    box = html[html.index('id="understood"') :]
    assert "Что понял портал" in box
    assert "Полуфабрикат вет-блю" in box and "Шкуры КРС" in box
    assert f'href="/listings/{listing.id}/edit#capabilities"' in box


def test_the_owner_of_a_listing_with_no_recognised_topic_is_asked_to_add_tags(app, client_for, pk_company):
    owner = factories.make_user(company=pk_company, owner=True)
    listing = factories.make_live_listing(pk_company, "Partners wanted", "Details on request.")
    html = client_for(owner).get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "The portal recognised no topic in this listing" in html
    assert "Add tags so the right partners find it" in html


def test_other_members_do_not_see_the_understood_box(app, client_for, pk_company, kz_company):
    listing = factories.make_live_listing(pk_company, "Wet blue cattle hides")
    other = factories.make_user(company=kz_company, owner=True)
    html = client_for(other).get(f"/listings/{listing.id}").get_data(as_text=True)
    assert 'id="understood"' not in html
