"""Issue 12: one way to find listings, cards a reader understands in any language, forms that say what is wrong.

/listings/ and /search are one page (same facets, cards and tags); the listing form shows a preview
before anything is saved and an error summary on failure; staff see what waits for them in the menu.
"""

import re

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Listing

from .. import factories
from .test_listings import form_data
from .test_search_across_languages import titles as cards


def test_listings_and_search_are_one_page_with_the_same_facets_and_cards(client, member, kz_member):
    factories.make_live_listing(member.company, "Wet blue cattle hides", tags=["hide_cattle", "stage_wetblue"])
    factories.make_live_listing(kz_member.company, "Raw goat skins", direction="request")
    browse = client.get("/listings/").get_data(as_text=True)
    found = client.get("/search?q=wet+blue").get_data(as_text=True)
    assert set(cards(browse)) == {"Wet blue cattle hides", "Raw goat skins"}
    assert cards(found) == ["Wet blue cattle hides"]
    for html in (browse, found):
        assert 'aria-label="Refine the results"' in html and ">Capability</h2>" in html
        assert 'class="badge capability-badge me-1">Cattle hides<' in html  # the card's tags
    # a facet link on /listings/ stays on /listings/, and narrows like the search page's
    assert 'href="/listings/?type=trade"' in browse
    assert cards(client.get("/listings/?direction=request").get_data(as_text=True)) == ["Raw goat skins"]


def test_listings_page_browses_newest_first_and_ignores_unknown_facet_values(client, member):
    old = factories.make_live_listing(member.company, "Older offer")
    factories.make_live_listing(member.company, "Newer offer")
    old.published_at = old.published_at.replace(year=old.published_at.year - 1)
    db.session.commit()
    html = client.get("/listings/?type=bogus&capability=status:draft").get_data(as_text=True)
    assert cards(html) == ["Newer offer", "Older offer"]


def test_cards_carry_a_language_chip_and_a_summary_in_the_readers_language(client, member):
    factories.make_live_listing(
        member.company,
        "Продаём вет-блю КРС",
        language="ru",
        tags=["hide_cattle", "stage_wetblue"],
        details={"product": "Wet blue", "quantity": 20000, "unit": "sqft", "incoterms": "CFR"},
    )
    html = client.get("/listings/").get_data(as_text=True)
    assert '<span class="badge language-chip" lang="ru"' in html and ">Русский</span>" in html
    assert "Cattle hides and Wet blue · 20,000 sq ft · CFR" in html
    urdu = client.get("/listings/", headers={"Accept-Language": "ur"}).get_data(as_text=True)
    assert "20,000" in urdu and "CFR" in urdu and "Cattle hides" not in urdu  # labels in the reader's language


def test_the_home_page_has_a_search_box(client):
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<form method="get" action="/search" role="search"[^>]*>', html)
    assert 'name="q"' in html


def test_preview_shows_the_listing_and_saves_nothing(client, login, member):
    login(member)
    response = client.post("/listings/new", data=form_data(save=None, preview="Preview"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="preview"' in html and "Nothing is saved yet" in html
    assert "Wet-blue cattle hides, 20,000 sq ft a month" in html and "<strong>wet blue</strong>" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0
    # the form keeps what was typed, so saving after the preview needs no retyping
    assert 'value="Wet-blue cattle hides, 20,000 sq ft a month"' in html


def test_a_failed_listing_form_lists_its_errors_at_the_top_linked_to_the_fields(client, login, member):
    login(member)
    html = client.post("/listings/new", data=form_data(title="", **{"trade-quantity": ""})).get_data(as_text=True)
    summary = html[html.index('id="error-summary"') : html.index("</div>", html.index('id="error-summary"'))]
    assert 'href="#title"' in summary and 'href="#trade-quantity"' in summary
    assert html.index('id="error-summary"') < html.index('<form method="post" novalidate')


def test_the_listing_form_marks_each_type_section(client, login, member):
    login(member)
    html = client.get("/listings/new").get_data(as_text=True)
    for kind in ("technology_transfer", "training", "joint_venture", "trade"):
        assert f'data-for-type="{kind}"' in html  # portal.js shows only the chosen one; all stay without JS


def test_staff_see_what_waits_for_them_in_the_menu(client_for, pta_staff, member):
    factories.make_company(name="Waiting Tannery", country="PK", association="PTA")  # unverified
    factories.make_listing(member.company, status="submitted", title="Waiting listing")
    html = client_for(pta_staff).get("/").get_data(as_text=True)
    verification = re.search(r'href="/staff/verification[^"]*">Verification <span class="badge nav-count">(\d+)', html)
    moderation = re.search(r'href="/staff/listings/">Moderation <span class="badge nav-count">(\d+)', html)
    assert verification and int(verification.group(1)) >= 1
    assert moderation and int(moderation.group(1)) == 1


def test_one_user_menu_holds_notifications_settings_and_log_out(client_for, member):
    html = client_for(member).get("/").get_data(as_text=True)
    menu = html[html.index('<details class="menu user-menu">') : html.index("</details>", html.index("user-menu"))]
    assert 'href="/notifications"' in menu and 'href="/auth/settings"' in menu and 'action="/auth/logout"' in menu
    assert "bootstrap.bundle" not in html  # no page needs Bootstrap's JavaScript any more


def test_phone_numbers_are_tap_to_call(client_for, member, kz_member):
    member.company.phone = "+92 (21) 3456-7890"
    db.session.commit()
    listing = factories.make_live_listing(member.company, "Wet blue cattle hides")
    html = client_for(kz_member).get(f"/listings/{listing.id}").get_data(as_text=True)
    assert '<a href="tel:+922134567890" dir="ltr">+92 (21) 3456-7890</a>' in html


def test_a_company_profile_lists_its_live_offers_and_requests_but_never_its_anonymous_ones(client_for, member):
    factories.make_live_listing(member.company, "Our named offer")
    factories.make_live_listing(member.company, "Our anonymous request", direction="request", anonymous=True)
    factories.make_listing(member.company, status="draft", title="Our draft")
    other = factories.make_user(company=factories.make_company(country="KZ", association="KLA", verified=True))
    html = client_for(other).get(f"/companies/{member.company.id}").get_data(as_text=True)
    assert "Our named offer" in html
    assert "Our anonymous request" not in html and "Our draft" not in html


def test_a_listing_page_shows_the_companys_verified_badge(client, member):
    listing = factories.make_live_listing(member.company, "Wet blue cattle hides")
    assert "Verified member of PTA" in client.get(f"/listings/{listing.id}").get_data(as_text=True)


def test_match_reasons_are_sentences_addressed_to_the_owner(client_for, member, kz_member):
    offer = factories.make_live_listing(member.company, "Wet blue cattle hides", tags=["hide_cattle", "stage_wetblue"])
    factories.make_live_listing(kz_member.company, "Покупаем вет-блю КРС", direction="request")
    own = client_for(member).get(f"/listings/{offer.id}").get_data(as_text=True)
    assert re.search(r"<li>You offer (Wet blue and Cattle hides|Cattle hides and Wet blue); they need \1</li>", own)
    assert "% match</span>" in own and "Express interest" in own
    other = factories.make_user(company=factories.make_company(country="KZ", association="KLA", verified=True))
    theirs = client_for(other).get(f"/listings/{offer.id}").get_data(as_text=True)
    assert (
        re.search(r"<li>This listing offers [^<]*Cattle hides[^<]*; they need ", theirs) and "You offer" not in theirs
    )


def test_the_interest_box_is_one_tap_away_from_the_top_of_a_listing(client, member):
    listing = factories.make_live_listing(member.company, "Wet blue cattle hides", "Long text. " * 300)
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert html.index('<a class="btn btn-primary btn-sm" href="#interest">') < html.index("Long text.")
    assert 'id="interest"' in html


def csrf_token(browser, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', browser.get(path).get_data(as_text=True)).group(1)


def test_failed_registration_and_interest_forms_start_with_an_error_summary(client, client_for, member, kz_member):
    token = csrf_token(client, "/auth/register")
    html = client.post("/auth/register", data={"csrf_token": token, "name": "", "email": "x"}).get_data(as_text=True)
    assert 'id="error-summary"' in html and 'href="#email"' in html
    listing = factories.make_live_listing(member.company, "Wet blue cattle hides")
    browser = client_for(kz_member)
    token = csrf_token(browser, f"/listings/{listing.id}")
    answer = browser.post(f"/partnerships/listings/{listing.id}/interest", data={"csrf_token": token, "message": "hi"})
    assert 'id="error-summary"' in answer.get_data(as_text=True)


def test_the_listing_form_marks_the_details_each_type_requires(client, login, member):
    login(member)
    html = client.get("/listings/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="trade-quantity"[^>]*required', html)
    assert re.search(r'<label class="form-label" for="trade-quantity">Quantity</label> <span class="text-danger"', html)
    assert not re.search(r'<input[^>]*id="trade-price_min"[^>]*required', html)  # optional stays unmarked
    # only the chosen type's section is checked: a training listing is saved with the trade section empty
    response = client.post(
        "/listings/new",
        data=form_data(
            type="training", **{"trade-quantity": "", "training-duration": "4 weeks", "training-mode": "on_site"}
        ),
    )
    assert response.status_code == 302
