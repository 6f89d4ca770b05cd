"""Issue 11 in a real browser: matches and search work for a listing in Latin-script Kazakh and one in Roman Urdu.

Both listings come in through the portal's own importer (`flask import-data`) on the live server's database,
published by verified demo companies, with no tags: the portal must read what they are about from the words.
A logged-in member then sees, on each listing's page, complementary listings in other languages and scripts
among its matches, with reasons in words; and the search box finds each listing by its own words and, through
the cross-language expansion, by a query in another script, which "Show only listings with my words" turns off.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from .liveserver import flask, server_env
from .test_search_journey import facet_link, result_count, search_for

pytestmark = pytest.mark.e2e

KAZAKH_LATIN = "Iri qara mal terisin satamyz"
ROMAN_URDU = "Humein wet blue gaaye ki khaal chahiye"
LISTINGS = [
    {
        "record": "listing",
        "ref": "issue11-kk-latn",
        "company_ref": "demo-kostanay-kozha",  # ТОО «Костанай Кожа», KZ, verified
        "direction": "offer",
        "type": "trade",
        "title": KAZAKH_LATIN,
        "description": "Tuzdalgan iri qara mal terisi, Qostanai, ai saiyn 3 konteiner.",
        "status": "published",
    },
    {
        "record": "listing",
        "ref": "issue11-ur-latn",
        "company_ref": "demo-kasur-tannery",  # Kasur Leather Industries, PK, verified
        "direction": "request",
        "type": "trade",
        "title": ROMAN_URDU,
        "description": "Kasur ki tannery ke liye har mahine 2 container wet blue chahiye.",
        "status": "published",
    },
]
PK_MEMBER = "owner@korangi-tanners.example"  # neither listing's company
KZ_MEMBER = "owner@shymkent-hides.example"


@pytest.fixture(scope="module")
def listing_ids(live_server, tmp_path_factory):
    """The two listings imported by the real CLI; the index checked (the session listeners index each commit)."""
    env = server_env(live_server.database_url, live_server.log_path.parent)
    path = tmp_path_factory.mktemp("import") / "issue11.jsonl"
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in LISTINGS), encoding="utf-8")
    flask(env, "import-data", str(path))
    flask(env, "search", "check")
    ids = {}
    for record in LISTINGS:
        [(listing_id, status)] = live_server.query("SELECT id, status FROM listing WHERE ref = :r", r=record["ref"])
        assert status == "published", (record["ref"], status)
        ids[record["title"]] = listing_id
    return ids


def matches_of(page, listing_id: int, title: str):
    """Open a listing's page; the cards of its "Matches" box."""
    page.goto(f"/listings/{listing_id}")
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    box = page.get_by_role("region", name="Matches")
    expect(box.get_by_text("No matching listings yet.")).to_have_count(0)
    cards = box.get_by_role("article")
    expect(cards.first).to_be_visible()
    return cards


def match_card(cards, title: str):
    """The one match card whose link is that listing's title."""
    card = cards.filter(has=cards.page.get_by_role("link", name=title, exact=True))
    expect(card).to_have_count(1)
    return card


def reasons(card) -> list[str]:
    return [text.strip() for text in card.get_by_role("listitem").all_inner_texts()]


def results(page):
    """The result titles' links in the main column, in order."""
    return page.get_by_role("main").locator("h2.card-title a")


def expanded_results(page):
    """The titles listed under "Also in other languages": found through meaning, not through their words."""
    return page.get_by_role("main").locator("#also-in-other-languages ~ article h2.card-title a")


def test_kazakh_latin_offer_matches_pakistani_requests_in_other_scripts(page, listing_ids, log_in):
    log_in(PK_MEMBER)
    cards = matches_of(page, listing_ids[KAZAKH_LATIN], KAZAKH_LATIN)
    # The Pakistani requests for cattle hides, in English, in Urdu script and in Roman Urdu: the Latin-script
    # Kazakh words were understood ("iri qara mal terisi" = cattle hides), so the reasons say why in words.
    for title in (
        "Wanted: wet-salted cattle hides, 15,000-20,000 hides/month, CFR Karachi",
        "گیلی نمکین گائے کی کھالیں درکار، 8,000 کھالیں ماہانہ، CFR کراچی",
        ROMAN_URDU,
    ):
        card = match_card(cards, title)
        expect(card).to_contain_text(re.compile(r"Request\s*·.*Pakistan", re.DOTALL))
        both = [r for r in reasons(card) if r.startswith("This listing offers ")]
        assert both and "Cattle hides" in both[0], (title, reasons(card))


def test_roman_urdu_request_matches_kazakh_offers_in_other_scripts(page, listing_ids, log_in):
    log_in(KZ_MEMBER)
    cards = matches_of(page, listing_ids[ROMAN_URDU], ROMAN_URDU)
    # "wet blue gaaye ki khaal" = wet-blue cow hides: a Cyrillic offer of wet blue first, the Kazakh-Latin one too.
    best = cards.first
    expect(best.get_by_role("link").first).to_have_text("Вет-блю КРС, до 40 000 кв. футов в месяц, FCA Алматы")
    expect(best).to_contain_text(re.compile(r"Offer\s*·.*Kazakhstan", re.DOTALL))
    assert "This listing asks for Wet blue and Cattle hides; they offer Wet blue and Cattle hides" in reasons(best)
    card = match_card(cards, KAZAKH_LATIN)
    expect(card).to_contain_text(re.compile(r"Offer\s*·.*Kazakhstan", re.DOTALL))
    assert any(r.startswith("This listing asks for ") and "Cattle hides" in r for r in reasons(card)), reasons(card)


@pytest.mark.parametrize(
    ("query", "title"),
    [("terisi", KAZAKH_LATIN), ("qara mal", KAZAKH_LATIN), ("khaal", ROMAN_URDU)],
    ids=["kk-latn-terisi", "kk-latn-qara-mal", "roman-urdu-khaal"],
)
def test_search_finds_each_listing_by_its_own_words(page, listing_ids, query, title):
    page.goto("/search")
    search_for(page, query)
    # Found through its own words: first, and not under "Also in other languages".
    expect(results(page).first).to_have_text(title)
    expect(expanded_results(page).filter(has_text=title)).to_have_count(0)
    # Only its words: the listing stays, everything found through meaning goes.
    page.goto(f"/search?q={query}&expand=0")
    expect(results(page).filter(has_text=title)).to_have_count(1)
    expect(page.locator("#also-in-other-languages")).to_have_count(0)


@pytest.mark.parametrize(
    ("query", "country", "direction", "title"),
    [
        ("шкуры КРС", "Kazakhstan", "Offer", KAZAKH_LATIN),  # Russian "cattle hides", Cyrillic
        ("hides", "Kazakhstan", "Offer", KAZAKH_LATIN),  # a general word: "terisi" read at index time
        ("коровьи шкуры вет-блю", "Pakistan", "Request", ROMAN_URDU),  # Russian "wet-blue cow hides"
    ],
    ids=["kk-latn-by-russian", "kk-latn-by-hides", "roman-urdu-by-russian"],  # short ids: screenshot names
)
def test_search_in_another_script_finds_the_listing_through_meaning(
    page, listing_ids, query, country, direction, title
):
    page.goto("/search")
    search_for(page, query)
    facet_link(page, "Country", country).click()
    expect(facet_link(page, "Country", country)).to_have_attribute("aria-current", "true")
    facet_link(page, "Offer or request", direction).click()
    expect(facet_link(page, "Offer or request", direction)).to_have_attribute("aria-current", "true")

    note = page.locator("#other-languages")
    expect(note).to_contain_text("found through what your search means")
    expect(page.locator("#also-in-other-languages")).to_have_text("Also in other languages")
    expect(expanded_results(page).filter(has_text=title)).to_have_count(1)
    with_meaning = result_count(page)

    note.get_by_role("link", name="Show only listings with my words").click()
    expect(page).to_have_url(re.compile(r"[?&]expand=0(&|$)"))
    expect(note).to_contain_text(re.compile(r"Only listings with your words are shown; \d+ more"))
    expect(results(page).filter(has_text=title)).to_have_count(0)
    expect(page.locator("#also-in-other-languages")).to_have_count(0)
    assert result_count(page) < with_meaning
    assert "country=" in page.url and "direction=" in page.url, page.url  # the filters stay

    note.get_by_role("link", name="Include them").click()
    expect(page).not_to_have_url(re.compile(r"expand=0"))
    expect(expanded_results(page).filter(has_text=title)).to_have_count(1)
