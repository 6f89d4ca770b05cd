"""A company that is not verified is off the portal: its listings are not live anywhere, and come back on re-verification."""

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Company, Interest, Listing, MatchNotice, OutboxMessage
from portal.models.base import utcnow
from portal.models.company import VerificationStatus
from portal.search import index

from .. import factories

OFFER = "Wet blue cattle hides from Sialkot, 20,000 pieces a month"


def indexed_ids(app) -> set:
    _name, ix = index.open_index(index.index_dir(app))
    with ix.searcher() as s:
        return {f["id"] for f in s.all_stored_fields()}


def search_page(client, q) -> str:
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    return re.sub(r"</?mark>", "", response.get_data(as_text=True))


@pytest.fixture
def lapsed(app):
    """A verified Pakistani company with one live offer (and its owner)."""
    company = factories.make_company(
        name="Lapsed Tannery", verified=True, verified_at=utcnow(), capabilities=["hide_cattle"]
    )
    owner = factories.make_user(email="owner@lapsed.example", company=company, owner=True)
    listing = factories.make_live_listing(company, OFFER, tags=["hide_cattle", "stage_wetblue"], ref="lapsed-1")
    return company, owner, listing


def revoke(client_for, pta_staff, company):
    response = client_for(pta_staff).post(
        f"/staff/companies/{company.id}/revoke", data={"reason": "Membership fees unpaid."}
    )
    assert response.status_code == 302


def test_revoked_company_listing_leaves_pages_search_and_index_at_once(app, client_for, client, lapsed, pta_staff):
    company, _owner, listing = lapsed
    assert f"listing:{listing.id}" in indexed_ids(app)
    assert OFFER in search_page(client, "wet blue")
    revoke(client_for, pta_staff, company)
    assert f"listing:{listing.id}" not in indexed_ids(app)
    assert OFFER not in search_page(client, "wet blue")
    assert client.get(f"/listings/{listing.id}").status_code == 404
    assert OFFER not in client.get("/listings/").get_data(as_text=True)
    assert OFFER not in client.get("/").get_data(as_text=True)


def test_revoked_company_listing_stays_visible_to_its_owner_but_not_to_other_members(
    app, client_for, lapsed, pta_staff, kz_member
):
    company, owner, listing = lapsed
    revoke(client_for, pta_staff, company)
    assert client_for(kz_member).get(f"/listings/{listing.id}").status_code == 404
    assert client_for(owner).get(f"/listings/{listing.id}").status_code == 200


def test_reverification_brings_the_listings_back_everywhere(app, client_for, client, lapsed, pta_staff):
    company, _owner, listing = lapsed
    revoke(client_for, pta_staff, company)
    assert OFFER not in search_page(client, "wet blue")
    # A revoked company is "rejected"; the association verifies it again from its queue.
    assert client_for(pta_staff).post(f"/staff/companies/{company.id}/verify").status_code == 302
    assert db.session.get(Company, company.id).status is VerificationStatus.verified
    assert f"listing:{listing.id}" in indexed_ids(app)
    assert OFFER in search_page(client, "wet blue")
    assert client.get(f"/listings/{listing.id}").status_code == 200


def test_published_listing_of_an_unverified_company_is_never_live(app, client):
    company = factories.make_company(name="Unverified Tannery", verified=False)
    listing = factories.make_live_listing(company, OFFER)
    assert not db.session.get(Listing, listing.id).is_live
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing).where(Listing.live_clause())) == 0
    assert f"listing:{listing.id}" not in indexed_ids(app)
    assert client.get(f"/listings/{listing.id}").status_code == 404


def test_interest_in_a_listing_of_a_revoked_company_is_refused(app, client_for, lapsed, pta_staff, kz_member):
    company, _owner, listing = lapsed
    revoke(client_for, pta_staff, company)
    browser = client_for(kz_member)
    response = browser.post(f"/partnerships/listings/{listing.id}/interest", data={"message": "We would like to buy."})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Interest)) == 0


def test_interest_rule_itself_refuses_an_unverified_company_listing(app, lapsed, kz_member):
    from portal.partnerships.services import interests as engagement
    from portal.rules import RuleError

    company, _owner, listing = lapsed
    company.status = VerificationStatus.rejected
    db.session.commit()
    with app.test_request_context():
        reason = engagement.interest_refusal(kz_member, db.session.get(Listing, listing.id))
        assert reason and "not verified" in reason
        with pytest.raises(RuleError):
            engagement.express_interest(kz_member, listing, "We would like to buy.")


def test_revoked_company_listing_is_neither_matched_nor_announced(
    app, client_for, runner, lapsed, pta_staff, kz_member
):
    company, _owner, listing = lapsed
    request = factories.make_live_listing(
        kz_member.company, "We buy wet blue cattle hides", direction="request", tags=["hide_cattle", "stage_wetblue"]
    )
    page = client_for(kz_member).get(f"/listings/{request.id}").get_data(as_text=True)
    assert OFFER in page  # matched while the company is verified
    revoke(client_for, pta_staff, company)
    page = client_for(kz_member).get(f"/listings/{request.id}").get_data(as_text=True)
    assert OFFER not in page
    assert runner.invoke(args=["match", "notify"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchNotice)) == 0


def test_alerts_never_mail_a_listing_of_an_unverified_company(app, runner, kz_member):
    factories.make_saved_search(kz_member, name="Wet blue", query="wet blue")
    company = factories.make_company(name="Unverified Tannery", verified=False)
    factories.make_live_listing(company, OFFER)
    assert runner.invoke(args=["alerts", "send"]).exit_code == 0
    bodies = db.session.scalars(sa.select(OutboxMessage.body).where(OutboxMessage.recipient == kz_member.email))
    assert not any(OFFER in body for body in bodies)
