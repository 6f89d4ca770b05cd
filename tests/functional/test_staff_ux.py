"""Staff pages: decisions on review pages only, unverified companies in the moderation queue, the audit as sentences."""

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.listings import services
from portal.models import AuditLog, Listing, ListingStatus
from portal.models.company import VerificationStatus

from .. import factories

TITLE = "Wet-blue cattle hides, 20,000/month"


def pick(listing) -> str:
    db.session.expire_all()
    return f"{listing.id}:{db.session.get(Listing, listing.id).version}"


def status_of(listing):
    db.session.expire_all()
    return db.session.get(Listing, listing.id).status


def korangi(verified=True):
    company = factories.make_company(name="Korangi Tanners", verified=verified)
    factories.make_user(company=company, owner=True)
    return company


def aigerim(locale="en"):
    return factories.make_user(name="Aigerim", role="staff", association="PTA", locale=locale)


# --- the verification queue -----------------------------------------------------------------------


def test_verification_queue_has_no_verify_button_only_links_to_review_pages(client_for, pta_staff):
    company = korangi(verified=False)
    html = client_for(pta_staff).get("/staff/verification").get_data(as_text=True)
    table = html[html.index("<table") : html.index("</table>")]
    assert "<form" not in table and "/verify" not in html and "<button" not in table
    assert f'href="/staff/companies/{company.id}"' in html
    review = client_for(pta_staff).get(f"/staff/companies/{company.id}").get_data(as_text=True)
    assert f'action="/staff/companies/{company.id}/verify"' in review


# --- the moderation queue -------------------------------------------------------------------------


def test_moderation_queue_marks_the_listing_of_an_unverified_company(client_for, member, pta_staff):
    unverified = korangi(verified=False)
    factories.make_listing(unverified, status="submitted", title="Hides from an unverified tannery")
    factories.make_listing(member.company, status="submitted", title="Hides from a verified tannery")
    html = client_for(pta_staff).get("/staff/listings/").get_data(as_text=True)
    rows = {title: row for row in html.split("<tr>") for title in re.findall(r"Hides from an? \w+ tannery", row)}
    marked = rows["Hides from an unverified tannery"]
    assert "Company not verified" in marked and f'href="/staff/companies/{unverified.id}"' in marked
    assert "Company not verified" not in rows["Hides from a verified tannery"]


def test_bulk_approval_skips_the_listings_of_unverified_companies_and_says_why(client_for, member, pta_staff):
    verified = factories.make_listing(member.company, status="submitted", title="Verified company's hides")
    skipped = factories.make_listing(korangi(verified=False), status="submitted", title="Unverified company's hides")
    response = client_for(pta_staff).post(
        "/staff/listings/bulk",
        data={"ids": [pick(verified), pick(skipped)], "action": "approve"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Decision applied to 1 listing(s)." in html
    assert "1 listing(s) skipped because their company is not verified" in html
    assert status_of(verified) is ListingStatus.published
    assert status_of(skipped) is ListingStatus.submitted


def test_single_approval_of_an_unverified_company_listing_is_refused(client_for, pta_staff):
    listing = factories.make_listing(korangi(verified=False), status="submitted")
    response = client_for(pta_staff).post(
        f"/staff/listings/{listing.id}/decide",
        data={"action": "approve", "version": pick(listing).split(":")[1]},
        follow_redirects=True,
    )
    assert "Korangi Tanners is not verified by its association, so its listings cannot be approved." in (
        response.get_data(as_text=True)
    )
    assert status_of(listing) is ListingStatus.submitted


# --- the audit log as sentences -------------------------------------------------------------------


def approve_as(staff, listing, client_for):
    client_for(staff).post(
        f"/staff/listings/{listing.id}/decide", data={"action": "approve", "version": pick(listing).split(":")[1]}
    )
    assert status_of(listing) is ListingStatus.published


def test_audit_log_reads_as_a_sentence_with_links(client_for):
    staff = aigerim()
    company = korangi()
    listing = factories.make_listing(company, status="submitted", title=TITLE)
    approve_as(staff, listing, client_for)
    html = client_for(staff).get("/staff/audit").get_data(as_text=True)
    assert (
        f'<bdi>Aigerim</bdi> approved “<a href="/listings/{listing.id}"><bdi>{TITLE}</bdi></a>” by '
        f'<a href="/companies/{company.id}"><bdi>Korangi Tanners</bdi></a>'
    ) in html


def test_the_audit_filter_lists_actions_as_sentences_not_codes(client_for):
    staff = aigerim()
    approve_as(staff, factories.make_listing(korangi(), status="submitted", title=TITLE), client_for)
    html = client_for(staff).get("/staff/audit").get_data(as_text=True)
    assert '<option value="listing.approve">… approved “…” by …</option>' in html
    assert ">listing.approve<" not in html


def test_audit_log_in_russian_for_a_russian_speaking_staff_member(client_for):
    staff = aigerim(locale="ru")
    listing = factories.make_listing(korangi(), status="submitted", title=TITLE)
    approve_as(staff, listing, client_for)
    html = client_for(staff).get("/staff/audit").get_data(as_text=True)
    assert '<html lang="ru"' in html
    assert "<bdi>Aigerim</bdi>" in html and f'<a href="/listings/{listing.id}"><bdi>{TITLE}</bdi></a>' in html


def test_audit_sentence_escapes_a_title_with_markup(client_for):
    staff = aigerim()
    listing = factories.make_listing(korangi(), status="submitted", title="<script>alert(1)</script> hides")
    approve_as(staff, listing, client_for)
    html = client_for(staff).get("/staff/audit").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; hides" in html and "<script>alert(1)" not in html


def test_an_edit_history_lists_only_the_changed_fields(client_for, member, pta_staff):
    listing = factories.make_listing(member.company, status="published", title="First title")
    services.edit_listing(listing, {**services.snapshot(listing), "title": "Better title"}, member)
    db.session.commit()
    staff = client_for(pta_staff)
    html = staff.get(f"/staff/listings/{listing.id}").get_data(as_text=True)
    history = html.split("History", 1)[1]
    assert "proposed an edit of" in history and "Changed: Title" in history and "Description" not in history
    approve_as(pta_staff, listing, client_for)
    history = staff.get(f"/staff/listings/{listing.id}").get_data(as_text=True).split("History", 1)[1]
    assert history.count("Changed: Title") == 2  # the proposal and the approval both keep what changed
    assert "approved the edit of" in history and "Description" not in history


def test_an_edit_keeps_its_changed_fields_in_the_audit_row_where_it_is_proposed_and_decided(member, pta_staff):
    listing = factories.make_listing(member.company, status="published", title="First title")
    services.edit_listing(listing, {**services.snapshot(listing), "title": "Better title"}, member)
    services.decide(listing, "approve", pta_staff, version=listing.version)
    db.session.commit()
    rows = db.session.scalars(sa.select(AuditLog).where(AuditLog.object_id == listing.id).order_by(AuditLog.id))
    changed = {row.action: row.detail.get("changed") for row in rows if row.action.startswith("listing.revision")}
    assert changed == {"listing.revision_submit": ["title"], "listing.revision_approve": ["title"]}


def test_the_edit_of_a_listing_whose_company_lost_its_verification_is_not_approved(client_for, member, pta_staff):
    listing = factories.make_listing(member.company, status="published", title="First title")
    services.edit_listing(listing, {**services.snapshot(listing), "title": "Better title"}, member)
    member.company.status = VerificationStatus.unverified
    db.session.commit()
    with pytest.raises(services.ListingError, match="is not verified by its association"):
        services.decide(listing, "approve", pta_staff, version=listing.version)
    db.session.rollback()
    response = client_for(pta_staff).post(
        f"/staff/listings/{listing.id}/decide",
        data={"action": "approve", "version": pick(listing).split(":")[1]},
        follow_redirects=True,
    )
    assert "is not verified by its association, so its listings cannot be approved" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).title == "First title"
