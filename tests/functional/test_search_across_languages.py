"""Search reaches across languages (issue 11, item 7): a query's concepts and general words carry it to
listings written in the other languages, which come after the hits with the words themselves, under
a visible "Also in other languages" heading, with a way to leave them out."""

import re

from .. import factories
from .test_search import page


def titles(html: str) -> list[str]:
    """Result titles in page order."""
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r'<h2 class="h5 card-title mb-1"><a [^>]*>(.*?)</a>', html)]


def heading_position(html: str) -> int:
    return html.index('id="also-in-other-languages"')


def test_a_russian_word_for_leather_finds_english_listings_after_the_russian_ones(client, pk_company, kz_company):
    factories.make_live_listing(kz_company, "Готовая кожа для обуви, Шымкент", language="ru")
    factories.make_live_listing(pk_company, "Finished leather for shoe uppers", language="en")
    factories.make_live_listing(pk_company, "Bakri ki khaal, salted", language="ur")
    html = page(client, q="кожа")
    assert titles(html) == ["Готовая кожа для обуви, Шымкент", "Finished leather for shoe uppers"]
    assert html.index("Готовая кожа") < heading_position(html) < html.index("Finished leather for shoe uppers")
    assert "1 of them is in another language" in html


def test_hides_finds_wet_salted_cattle_hides_written_in_russian(client, pk_company, kz_company):
    factories.make_live_listing(kz_company, "Мокросоленые шкуры КРС", "Продаём, 3 контейнера в месяц.", language="ru")
    factories.make_live_listing(kz_company, "Оборудование для очистных", language="ru")
    html = page(client, q="hides")
    assert titles(html) == ["Мокросоленые шкуры КРС"]
    assert 'id="also-in-other-languages"' in html


def test_roman_urdu_and_latin_kazakh_words_reach_the_native_scripts(client, pk_company, kz_company):
    factories.make_live_listing(kz_company, "Қой терісі, тұздалған", language="kk")
    factories.make_live_listing(pk_company, "چمڑا برائے فروخت", language="ur")
    assert titles(page(client, q="teri")) == ["Қой терісі, тұздалған"]
    assert titles(page(client, q="chamra")) == ["چمڑا برائے فروخت"]


def test_the_switch_leaves_other_languages_out_and_says_how_many_it_left(client, pk_company, kz_company):
    factories.make_live_listing(kz_company, "Готовая кожа для обуви", language="ru")
    factories.make_live_listing(pk_company, "Finished leather for shoe uppers", language="en")
    html = page(client, q="кожа", expand="0")
    assert titles(html) == ["Готовая кожа для обуви"]
    assert "1 result" in html and 'id="also-in-other-languages"' not in html
    assert "1 more in other languages" in html
    include = re.search(r'<a href="([^"]*)">Include them</a>', html).group(1)
    assert "expand" not in include
    assert len(titles(page(client, q="кожа"))) == 2
    # the switch stays on through facets: the country facet link keeps expand=0
    assert re.search(r'href="/search\?[^"]*expand=0[^"]*country=KZ|href="/search\?[^"]*country=KZ[^"]*expand=0', html)


def test_quoted_words_are_not_expanded(client, pk_company, kz_company):
    factories.make_live_listing(kz_company, "Готовая кожа для обуви", language="ru")
    factories.make_live_listing(pk_company, "Finished leather for shoe uppers", language="en")
    html = page(client, q='"кожа"')
    assert titles(html) == ["Готовая кожа для обуви"]
    assert "other languages" not in html


def test_exact_hits_rank_above_expanded_ones_whatever_their_concept_score(client, pk_company, kz_company):
    # The English listing names the wet-blue concept three times; the Russian one says "wet blue" once.
    factories.make_live_listing(pk_company, "Wet blue, wet-blue, wet blue cow", "Wet blue hides.", language="en")
    factories.make_live_listing(kz_company, "Полуфабрикат wet blue", language="ru")
    factories.make_live_listing(kz_company, "Вет-блю КРС, полуфабрикат", language="ru")
    html = page(client, q="wet blue")
    found = titles(html)
    assert found[:2] and set(found[:2]) == {"Wet blue, wet-blue, wet blue cow", "Полуфабрикат wet blue"}
    assert found[2] == "Вет-блю КРС, полуфабрикат"
    assert html.index("Полуфабрикат wet blue") < heading_position(html) < html.index("Вет-блю КРС")


def test_near_miss_words_do_not_expand(client, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Finished leather for shoe uppers", language="en")
    assert "No results" in page(client, q="кожух")
    assert "No results" in page(client, q="boat")


def test_an_expanded_hit_is_highlighted_and_escaped(client, pk_company, kz_company):
    factories.make_live_listing(
        pk_company, "Leather <b>offcuts</b>", "Leather <script>alert(1)</script>", language="en"
    )
    html = page(client, raw=True, q="кожа")
    assert "<mark>Leather</mark>" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_hides_finds_a_latin_script_kazakh_listing_and_leather_a_roman_urdu_one(client, pk_company, kz_company):
    # Read at index time like concepts (transliteration, Roman Urdu): no listing here has the query's word.
    factories.make_live_listing(kz_company, "Satamyz: terıler, Qostanai", "Ai saiyn 3 konteiner.", language="kk")
    factories.make_live_listing(pk_company, "Humein chamra chahiye", "Har mahine 2 container.", language="ur")
    assert titles(page(client, q="hides")) == ["Satamyz: terıler, Qostanai"]
    assert titles(page(client, q="кожа")) == ["Humein chamra chahiye"]


def test_general_words_are_not_capabilities(client, pk_company):
    factories.make_live_listing(pk_company, "Leather and hides from our tannery", language="en")
    html = page(client, q="leather")
    assert "word_leather" not in html and "word_hides" not in html
