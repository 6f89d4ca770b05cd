"""Anonymous means anonymous: nothing of an anonymous listing's company reaches viewers who may not see it."""

import json
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Certification, Company, OutboxMessage
from portal.search import index

from .. import factories

OFFER = "Chrome tanning training for your staff"
SECRET_NAME = "Discreet Sialkot Tannery"


@pytest.fixture
def secret_company(app):
    """A verified company with a telling profile: effluent treatment, ISO 14001 and LWG, a capacity."""
    company = factories.make_company(
        name=SECRET_NAME,
        country="PK",
        association="PTA",
        verified=True,
        capabilities=["svc_effluent", "svc_training", "tan_chrome"],
        capacity_amount=50000,
        capacity_unit="sqft_month",
    )
    db.session.add_all(
        [
            Certification(company_id=company.id, term_id="cert_iso14001"),
            Certification(company_id=company.id, term_id="cert_lwg", level="gold"),
        ]
    )
    db.session.commit()
    return company


@pytest.fixture
def anonymous_offer(secret_company):
    return factories.make_live_listing(
        secret_company,
        OFFER,
        description="Our engineers teach chrome tanning in your tannery.",
        type="training",
        anonymous=True,
        ref="anon-offer",
    )


@pytest.fixture
def kz_request(kz_member):
    return factories.make_live_listing(
        kz_member.company,
        "Training wanted: chrome tanning and effluent treatment plant operation",
        description="We need a partner to teach our staff chrome tanning and ETP operation.",
        direction="request",
        type="training",
        ref="kz-request",
    )


def stored_doc(app, key) -> dict:
    _name, ix = index.open_index(index.index_dir(app))
    with ix.searcher() as s:
        return s.document(id=key)


def match_of(runner, ref, pk) -> dict:
    result = runner.invoke(args=["match", ref, "--json"])
    assert result.exit_code == 0, result.output
    return next(m for m in json.loads(result.output)["matches"] if m["id"] == pk)


def test_match_reasons_on_another_members_page_say_nothing_of_the_anonymous_company(
    app, client_for, anonymous_offer, kz_request, kz_member
):
    html = client_for(kz_member).get(f"/listings/{kz_request.id}").get_data(as_text=True)
    assert OFFER in html  # the anonymous offer is matched...
    section = html[html.index('id="matches"') :]
    # ...but its reasons come from its own words only
    assert "Their company works with" not in section
    assert "Certified" not in section and "ISO 14001" not in section and "LWG" not in section
    assert "Sialkot" not in section and SECRET_NAME not in section
    assert "A PTA member company in Pakistan" in section


def test_match_score_of_an_anonymous_listing_does_not_depend_on_its_company_profile(
    app, runner, anonymous_offer, kz_request, secret_company
):
    before = match_of(runner, "kz-request", anonymous_offer.id)
    company = db.session.get(Company, secret_company.id)
    company.set_capabilities([])
    company.capacity_amount = None
    db.session.execute(sa.delete(Certification).where(Certification.company_id == company.id))
    db.session.commit()
    after = match_of(runner, "kz-request", anonymous_offer.id)
    assert before["score"] == after["score"] and before["reasons"] == after["reasons"]


def test_anonymous_listing_document_stores_nothing_of_its_company(app, anonymous_offer, secret_company):
    doc = stored_doc(app, f"listing:{anonymous_offer.id}")
    stored = doc["stored"]
    assert stored["capabilities"] == [] and stored["certifications"] == []
    assert stored["city"] == "" and stored["has_capacity"] is False and stored["company_id"] is None
    text = repr(doc)
    assert SECRET_NAME not in text and "Sialkot" not in text and "cert_" not in text


def test_named_listing_document_still_carries_its_company_profile(app, secret_company):
    named = factories.make_live_listing(secret_company, "Named chrome training", type="training")
    stored = stored_doc(app, f"listing:{named.id}")["stored"]
    assert stored["certifications"] == ["cert_iso14001", "cert_lwg"] and stored["city"] == "Sialkot"
    assert stored["company_id"] == secret_company.id


def test_certification_facet_never_counts_or_finds_an_anonymous_listing(client, anonymous_offer):
    html = client.get("/search", query_string={"q": "chrome training"}).get_data(as_text=True)
    assert OFFER in re.sub(r"</?mark>", "", html)
    assert "certification=cert_iso14001" not in html and "certification=cert_lwg" not in html
    filtered = client.get("/search", query_string={"q": "chrome training", "certification": "cert_iso14001"})
    assert OFFER not in re.sub(r"</?mark>", "", filtered.get_data(as_text=True))


def test_anonymous_listing_page_shows_no_company_facts_to_visitors_or_other_members(
    app, client_for, anonymous_offer, secret_company, kz_member
):
    company = db.session.get(Company, secret_company.id)
    company.website, company.phone = "https://discreet.example", "+92 52 1234567"
    db.session.commit()
    for browser in (app.test_client(), client_for(kz_member)):
        html = browser.get(f"/listings/{anonymous_offer.id}").get_data(as_text=True)
        assert OFFER in html
        for secret in (SECRET_NAME, "Sialkot", "discreet.example", "1234567", "ISO 14001", "50,000"):
            assert secret not in html


def test_alert_with_a_certification_filter_does_not_reveal_an_anonymous_listing(app, runner, kz_member, secret_company):
    factories.make_saved_search(
        kz_member, name="ISO trainers", query="chrome training", filters={"certification": ["cert_iso14001"]}
    )
    factories.make_live_listing(secret_company, OFFER, type="training", anonymous=True)
    assert runner.invoke(args=["alerts", "send"]).exit_code == 0
    bodies = db.session.scalars(sa.select(OutboxMessage.body).where(OutboxMessage.recipient == kz_member.email))
    assert not any(OFFER in body for body in bodies)


def test_an_anonymous_listing_page_does_not_point_at_its_company_by_leaving_its_listings_out(
    app, client_for, secret_company, kz_member
):
    """Leaving exactly one company's listings out of an anonymous listing's matches would name it."""
    hidden = factories.make_live_listing(
        secret_company,
        "Anonymous request: chrome tanning training",
        direction="request",
        type="training",
        anonymous=True,
    )
    named = factories.make_live_listing(
        secret_company, "Chrome tanning training by our masters", type="training", description="Chrome tanning."
    )
    html = client_for(kz_member).get(f"/listings/{hidden.id}").get_data(as_text=True)
    assert named.title in html[html.index('id="matches"') :]
    insider = factories.make_user(email="colleague@discreet.example", company=secret_company)
    html = client_for(insider).get(f"/listings/{hidden.id}").get_data(as_text=True)
    assert named.title not in html[html.index('id="matches"') :]  # its own people never see their own


def test_alert_without_words_uses_sql_and_still_does_not_reveal_an_anonymous_listing(
    app, runner, kz_member, secret_company
):
    """An alert with filters only never reaches the search engine: its SQL path must hide the company too."""
    factories.make_saved_search(kz_member, name="ISO only", query="", filters={"certification": ["cert_iso14001"]})
    factories.make_live_listing(secret_company, OFFER, type="training", anonymous=True)
    named = factories.make_live_listing(secret_company, "Named ISO training offer", type="training")
    assert runner.invoke(args=["alerts", "send"]).exit_code == 0
    bodies = " ".join(
        db.session.scalars(sa.select(OutboxMessage.body).where(OutboxMessage.recipient == kz_member.email))
    )
    assert named.title in bodies  # the filter does work for the company's named listings
    assert OFFER not in bodies
