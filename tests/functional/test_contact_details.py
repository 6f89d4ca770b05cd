"""Contact details follow the rule the profile states: shown to logged-in members, never on anonymous listings."""

import pytest

from portal.extensions import db
from portal.models import Company

from .. import factories

WEBSITE, PHONE = "https://contact-tannery.example", "+92 52 7654321"


@pytest.fixture
def company(member):
    company = db.session.get(Company, member.company_id)
    company.website, company.phone = WEBSITE, PHONE
    db.session.commit()
    return company


@pytest.fixture
def listing(company):
    return factories.make_live_listing(company, "Wet blue cattle hides for sale")


def shows_contacts(html: str) -> bool:
    return "contact-tannery.example" in html or "7654321" in html


@pytest.mark.parametrize("page", ["listing", "profile"])
def test_visitor_sees_no_website_or_phone(client, company, listing, page):
    path = f"/listings/{listing.id}" if page == "listing" else f"/companies/{company.id}"
    html = client.get(path).get_data(as_text=True)
    assert client.get(path).status_code == 200
    assert not shows_contacts(html)
    assert "Contact details are shown to logged-in members." in html


@pytest.mark.parametrize("viewer", ["kz_member", "pta_staff", "admin"])
@pytest.mark.parametrize("page", ["listing", "profile"])
def test_logged_in_people_see_website_and_phone(request, client_for, company, listing, viewer, page):
    path = f"/listings/{listing.id}" if page == "listing" else f"/companies/{company.id}"
    html = client_for(request.getfixturevalue(viewer)).get(path).get_data(as_text=True)
    assert "contact-tannery.example" in html and "7654321" in html


def test_phone_alone_is_shown_to_members_on_the_listing_page(client_for, company, listing, kz_member):
    company.website = None
    db.session.commit()
    html = client_for(kz_member).get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "7654321" in html


def test_anonymous_listing_never_shows_contacts_to_other_members(client_for, company, kz_member, member):
    hidden = factories.make_live_listing(company, "Discreet wet blue offer", anonymous=True)
    html = client_for(kz_member).get(f"/listings/{hidden.id}").get_data(as_text=True)
    assert "Discreet wet blue offer" in html and not shows_contacts(html)
    assert shows_contacts(client_for(member).get(f"/listings/{hidden.id}").get_data(as_text=True))


def test_accepted_partner_of_an_anonymous_listing_sees_its_contacts(client_for, company, kz_member):
    hidden = factories.make_live_listing(company, "Discreet wet blue offer", anonymous=True)
    factories.make_interest(hidden, kz_member.company, sender=kz_member, status="accepted")
    assert shows_contacts(client_for(kz_member).get(f"/listings/{hidden.id}").get_data(as_text=True))
