"""Members as they really write (issue 11): a listing in Latin-script Kazakh or Roman Urdu finds its
complementary listing written in another language and script, and an excluded concept does not match."""

from .. import factories
from .test_matching import match_json, matched_refs


def test_a_latin_script_kazakh_offer_is_found_by_an_english_request(runner, pk_company, kz_company):
    factories.make_live_listing(
        kz_company, "Iri qara mal terisin satamyz", "Tuzdalgan, ai saiyn 3 konteiner.", ref="kz"
    )
    factories.make_live_listing(pk_company, "We buy wet salted cow hides", direction="request", ref="pk")
    factories.make_live_listing(kz_company, "Qoi terisi, jün", "Qoi terisin satamyz.", ref="kz-sheep")
    assert matched_refs(runner, "pk")[0] == "kz"
    assert matched_refs(runner, "kz") == ["pk"]


def test_a_roman_urdu_request_finds_a_russian_offer(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Humein bakri ki khaal chahiye", direction="request", ref="pk")
    factories.make_live_listing(kz_company, "Продаём козьи шкуры, мокросоленые", ref="kz-goat")
    factories.make_live_listing(kz_company, "Продаём шкуры КРС, мокросоленые", ref="kz-cattle")
    assert matched_refs(runner, "pk")[0] == "kz-goat"


def test_an_excluded_method_does_not_make_the_match(runner, pk_company, kz_company):
    factories.make_live_listing(
        kz_company,
        "Обучение: растительное дубление, не хромовое",
        direction="request",
        type="training",
        ref="kz",
    )
    factories.make_live_listing(pk_company, "Training in chrome tanning", type="training", ref="pk-chrome")
    factories.make_live_listing(pk_company, "Training in vegetable tanning", type="training", ref="pk-veg")
    refs = matched_refs(runner, "kz")
    assert refs[0] == "pk-veg"
    reasons = match_json(runner, "kz")["matches"]
    chrome = [m for m in reasons if m["ref"] == "pk-chrome"]
    assert not chrome or not any("chrome" in r.lower() for r in chrome[0]["reasons"])
