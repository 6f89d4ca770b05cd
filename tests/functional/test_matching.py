"""Matchmaking through the CLI, the dashboard and the notices, on a real index."""

import html as html_module
import json
import random
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Listing, ListingStatus, MatchNotice, Notification, TaxonomyTerm
from portal.search.bits import BitScores

from .. import factories


@pytest.fixture
def pk_company(app):
    return factories.make_company(
        name="Sialkot Tannery",
        country="PK",
        association="PTA",
        verified=True,
        capabilities=["svc_effluent", "svc_training", "tan_chrome"],
    )


@pytest.fixture
def kz_company(app):
    return factories.make_company(name="Shymkent Teri", country="KZ", association="KLA", verified=True)


def test_bit_sliced_scores_add_up_and_find_the_best():
    rnd = random.Random(7)
    size = 200
    scores, expected = BitScores(), [0] * size
    for _ in range(25):
        bits, weight = rnd.getrandbits(size), rnd.randint(0, 15)
        scores.add(bits, weight)
        for d in range(size):
            expected[d] += weight * (bits >> d & 1)
    assert [scores.score_of(d) for d in range(size)] == expected
    for k in (1, 5, 20):
        kth = sorted(expected, reverse=True)[k - 1]
        best = scores.top(k, (1 << size) - 1)
        assert {d for d in range(size) if best >> d & 1} == {d for d in range(size) if expected[d] >= kth}


def match_json(runner, ref, limit=5) -> dict:
    result = runner.invoke(args=["match", str(ref), "--limit", str(limit), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def matched_refs(runner, ref) -> list[str]:
    return [m["ref"] for m in match_json(runner, ref)["matches"]]


def test_match_cli_json_shape(runner, pk_company, kz_company):
    offer = factories.make_live_listing(pk_company, "Wet blue cattle hides, 20,000 pieces a month", ref="pk-wb-1")
    request = factories.make_live_listing(kz_company, "Покупаем вет-блю КРС", direction="request", ref="kz-wb-1")
    out = match_json(runner, "kz-wb-1")
    assert set(out) == {"listing", "matches"} and out["listing"] == "kz-wb-1"
    (first,) = out["matches"]
    assert set(first) == {"ref", "id", "score", "reasons"}
    assert first["ref"] == "pk-wb-1" and first["id"] == offer.id and 0 < first["score"] <= 1
    assert any("Wet blue" in r for r in first["reasons"]) and any(
        r.startswith("They are in ") for r in first["reasons"]
    )
    assert match_json(runner, request.id)["matches"][0]["id"] == offer.id  # an id works as REF too


def test_match_cli_refuses_unknown_ref(runner):
    result = runner.invoke(args=["match", "nope", "--json"])
    assert result.exit_code == 1 and "No listing" in result.output


def test_russian_request_finds_english_offer_with_no_word_in_common(runner, pk_company, kz_company):
    offer = factories.make_live_listing(
        pk_company,
        "ETP operation and chrome tanning training for your staff",
        description="Our engineers teach effluent treatment plant operation and chrome recovery.",
        type="training",
    )
    factories.make_live_listing(pk_company, "Saddle making course", type="training")
    factories.make_live_listing(
        kz_company,
        "Обучение: очистные сооружения и хромовое дубление",
        direction="request",
        type="training",
        description="Ищем партнера, который научит персонал эксплуатации очистных сооружений.",
        ref="kz-etp",
    )
    (best, *_rest) = match_json(runner, "kz-etp")["matches"]
    assert best["id"] == offer.id
    assert any("Effluent" in r for r in best["reasons"])


def test_kazakh_request_finds_urdu_offer(runner, pk_company, kz_company):
    offer = factories.make_live_listing(
        pk_company,
        "گھوڑے کی زین اور لگام",
        language="ur",
        description="ہم گھوڑے کی زین، لگام اور سیڈلری کا سامان برآمد کرتے ہیں۔",
    )
    factories.make_live_listing(pk_company, "بھیڑ کی کھال کی جیکٹس", language="ur")
    factories.make_live_listing(
        kz_company,
        "Ер-тұрман мен ертоқым сатып аламыз",
        direction="request",
        language="kk",
        description="Жылқы әбзелдері мен ертоқымдар керек.",
        ref="kk-saddle",
    )
    assert match_json(runner, "kk-saddle")["matches"][0]["id"] == offer.id


def test_only_complementary_live_listings_of_others_are_matched(runner, pk_company, kz_company):
    target = factories.make_live_listing(kz_company, "Wet blue wanted", direction="request", ref="target")
    good = factories.make_live_listing(pk_company, "Wet blue for sale")
    factories.make_live_listing(pk_company, "Wet blue wanted too", direction="request")  # same direction
    factories.make_live_listing(pk_company, "Wet blue tanning course", type="training")  # other type
    factories.make_live_listing(pk_company, "Wet blue draft", status=ListingStatus.draft)  # not live
    factories.make_live_listing(kz_company, "Our own wet blue", direction="offer")  # own company
    ids = [m["id"] for m in match_json(runner, "target")["matches"]]
    assert ids == [good.id] and target.id not in ids


def test_other_country_first_then_same_country(runner, pk_company, kz_company):
    other_kz = factories.make_company(name="Almaty Leather", country="KZ", association="KLA", verified=True)
    same = factories.make_live_listing(other_kz, "Wet blue cattle hides, chrome tanned, top selection")
    far = factories.make_live_listing(pk_company, "Cattle wet blue")
    factories.make_live_listing(kz_company, "Wet blue cattle hides wanted", direction="request", ref="kz-req")
    matches = match_json(runner, "kz-req")["matches"]
    assert [m["id"] for m in matches] == [far.id, same.id]
    assert "In the same country as this listing" in matches[1]["reasons"]


def test_match_notify_tells_the_owner_once_per_new_match(runner, pk_company, kz_company):
    owner = factories.make_user(email="aigerim@shymkent.example", company=kz_company, owner=True, locale="ru")
    request = factories.make_live_listing(kz_company, "Вет-блю КРС, хромовое дубление", direction="request")
    factories.make_live_listing(pk_company, "Wet blue cattle hides, chrome tanned")
    assert "2 new match(es) notified for 2 listing(s)" in runner.invoke(args=["match", "notify"]).output  # both sides
    assert "0 new match" in runner.invoke(args=["match", "notify"]).output
    factories.make_live_listing(pk_company, "Chrome tanned wet blue from cattle, second grade")
    runner.invoke(args=["match", "notify"])
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == owner.id)).all()
    assert len(notes) == 2 and all(f"/listings/{request.id}" in n.link for n in notes)
    assert "совпаден" in notes[0].text or "match" in notes[0].text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchNotice)) >= 2


def test_dashboard_shows_matches_for_your_listings_and_companies_to_meet(client, login, pk_company, kz_company):
    owner = factories.make_user(email="owner@shymkent.example", company=kz_company, owner=True)
    kz_company.set_capabilities(["hide_cattle", "stage_raw"])
    db.session.commit()
    factories.make_live_listing(kz_company, "Wet blue cattle hides wanted", direction="request")
    factories.make_live_listing(pk_company, "Wet blue cattle hides for export")
    login(owner)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Matches for your listings" in html and "Wet blue cattle hides for export" in html
    assert "Companies you may want to meet" in html and "Sialkot Tannery" in html


def test_admin_added_synonym_counts_for_matching(app, runner, pk_company, kz_company):
    db.session.add(
        TaxonomyTerm(
            id="svc_embossing",
            facet="service",
            labels={"en": "Embossing"},
            synonyms={"en": ["embossing"], "ru": ["тиснение"]},
        )
    )
    db.session.commit()
    offer = factories.make_live_listing(pk_company, "Embossing plates and know-how", type="technology_transfer")
    factories.make_live_listing(pk_company, "Drum dyeing know-how", type="technology_transfer")
    factories.make_live_listing(
        kz_company, "Нужна технология: тиснение кожи", direction="request", type="technology_transfer", ref="kz-emb"
    )
    (best, *_rest) = match_json(runner, "kz-emb")["matches"]
    assert best["id"] == offer.id and any("Embossing" in r for r in best["reasons"])


def test_approval_tells_the_owner_about_existing_matches_at_once(client, login, pk_company, kz_company):
    owner = factories.make_user(email="kz-owner@example.kz", company=kz_company, owner=True)
    staff = factories.make_user(email="kla-staff@example.kz", role="staff", association="KLA")
    factories.make_live_listing(pk_company, "Wet blue cattle hides, chrome tanned, LWG rated")
    request = factories.make_listing(
        kz_company,
        status="submitted",
        title="Покупаем вет-блю КРС хромового дубления",
        direction="request",
        type="trade",
    )
    login(staff)
    response = client.post(
        f"/staff/listings/{request.id}/decide",
        data={"action": "approve", "version": db.session.get(Listing, request.id).version},
    )
    assert response.status_code == 302
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == owner.id)).all()
    assert any("new match" in n.text for n in notes), [n.text for n in notes]
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(MatchNotice).where(MatchNotice.listing_id == request.id)
        )
        == 1
    )


def company_in(city, country="KZ", **over):
    """A verified company whose city field says `city` (as its members typed it)."""
    association = "KLA" if country == "KZ" else "PTA"
    company = factories.make_company(country=country, association=association, verified=True, **over)
    company.city = city
    db.session.commit()
    return company


def match_reasons(html: str) -> list[str]:
    return [html_module.unescape(r) for r in re.findall(r"<li>([^<]*)</li>", html)]


def test_a_listings_matches_say_how_long_by_road_a_city_of_the_same_country_is(client_for):
    almaty = company_in("г. Алматы")
    owner = factories.make_user(company=almaty, owner=True)
    request = factories.make_live_listing(almaty, "Wet blue cattle hides wanted", direction="request")
    factories.make_live_listing(company_in("Qostanay"), "Wet blue cattle hides for sale")
    own = match_reasons(client_for(owner).get(f"/listings/{request.id}").get_data(as_text=True))
    assert "They are in Kostanay, about 3 days by road from you in Almaty" in own
    reader = factories.make_user(company=company_in("Astana"))
    theirs = match_reasons(client_for(reader).get(f"/listings/{request.id}").get_data(as_text=True))
    assert "They are in Kostanay, about 3 days by road from Almaty, where this listing is from" in theirs


def test_match_reasons_say_hours_for_a_near_city_and_the_same_city_for_one(client_for):
    lahore = company_in("Lahore", country="PK")
    owner = factories.make_user(company=lahore, owner=True)
    request = factories.make_live_listing(lahore, "Wet blue cattle hides wanted", direction="request")
    factories.make_live_listing(company_in("Kasur, Punjab", country="PK"), "Wet blue cattle hides for sale")
    factories.make_live_listing(company_in("LAHORE.", country="PK"), "Wet blue cattle hides, chrome tanned")
    own = match_reasons(client_for(owner).get(f"/listings/{request.id}").get_data(as_text=True))
    assert "They are in Kasur, about 1 hour by road from you in Lahore" in own
    assert "They are in the same city as you: Lahore" in own


def test_across_the_border_or_for_an_unknown_city_both_cities_are_named_in_the_readers_language(client_for):
    almaty = company_in("Alma-Ata")
    owner = factories.make_user(company=almaty, owner=True, locale="ru")
    request = factories.make_live_listing(almaty, "Wet blue cattle hides wanted", direction="request")
    factories.make_live_listing(company_in("Korangi, Karachi", country="PK"), "Wet blue cattle hides for sale")
    factories.make_live_listing(company_in("Baikonur"), "Wet blue cattle hides, chrome tanned")
    own = match_reasons(client_for(owner).get(f"/listings/{request.id}").get_data(as_text=True))
    assert "Их город: Карачи; ваш город: Алматы" in own  # no road time across the border
    assert "Их город: Baikonur; ваш город: Алматы" in own  # unknown: as the company wrote it


def test_the_match_command_says_the_road_time_outside_any_request(runner):
    factories.make_live_listing(company_in("Almaty"), "Wet blue cattle hides wanted", direction="request", ref="alm")
    factories.make_live_listing(company_in("Kostanay"), "Wet blue cattle hides for sale")
    (match,) = match_json(runner, "alm")["matches"]
    assert "They are in Kostanay, about 3 days by road from Almaty, where this listing is from" in match["reasons"]
