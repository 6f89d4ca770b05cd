"""Moderation decides on what staff saw: every decision carries the version staff looked at."""

import re
from datetime import timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditLog, Listing, ListingRevision, ListingStatus
from portal.models.base import utcnow

from .. import factories
from .test_listings import form_data
from .test_moderation import published_with_revision


def version_on(html: str) -> str:
    found = re.search(r'<input[^>]*name="version"[^>]*>', html)
    assert found, "the decision form carries no version"
    return re.search(r'value="(\d+)"', found.group()).group(1)


def fresh(listing) -> Listing:
    db.session.expire_all()
    return db.session.get(Listing, listing.id)


def edit(client_for, member, listing, **over):
    response = client_for(member).post(f"/listings/{listing.id}/edit", data=form_data(**over))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_decision_on_a_listing_edited_after_staff_opened_it_is_refused_with_the_fresh_text(
    app, client_for, member, pta_staff
):
    listing = factories.make_listing(member.company, status="submitted", title="Honest title")
    staff = client_for(pta_staff)
    seen = version_on(staff.get(f"/staff/listings/{listing.id}").get_data(as_text=True))
    edit(client_for, member, listing, title="Sneaky title staff never saw")
    response = staff.post(f"/staff/listings/{listing.id}/decide", data={"action": "approve", "version": seen})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "changed after you opened it" in html and "Sneaky title staff never saw" in html
    assert version_on(html) != seen
    assert fresh(listing).status is ListingStatus.submitted
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "listing.approve"))
        == 0
    )


def test_edit_of_a_submitted_listing_returns_it_to_the_queue_as_a_new_version(app, client_for, member, pta_staff):
    submitted_at = utcnow() - timedelta(hours=3)
    listing = factories.make_listing(
        member.company, status="submitted", title="Honest title", submitted_at=submitted_at
    )
    version = fresh(listing).version
    edit(client_for, member, listing, title="Better title")
    after = fresh(listing)
    assert after.status is ListingStatus.submitted and after.version == version + 1
    assert after.submitted_at > submitted_at
    staff = client_for(pta_staff)
    seen = version_on(staff.get(f"/staff/listings/{listing.id}").get_data(as_text=True))
    assert seen == str(after.version)
    response = staff.post(f"/staff/listings/{listing.id}/decide", data={"action": "approve", "version": seen})
    assert response.status_code == 302
    assert fresh(listing).status is ListingStatus.published and fresh(listing).title == "Better title"


def test_an_unchanged_save_keeps_the_version(app, client_for, member):
    listing = factories.make_listing(member.company, status="draft", title="Same title")
    edit(client_for, member, listing, title="Changed once")
    version = fresh(listing).version
    edit(client_for, member, listing, title="Changed once")
    assert fresh(listing).version == version


def test_decision_without_a_version_is_refused(app, client_for, member, pta_staff):
    listing = factories.make_listing(member.company, status="submitted")
    response = client_for(pta_staff).post(f"/staff/listings/{listing.id}/decide", data={"action": "approve"})
    assert response.status_code == 400
    assert fresh(listing).status is ListingStatus.submitted


def test_approving_a_revision_changed_after_staff_opened_it_is_refused(app, client_for, member, pta_staff):
    listing = published_with_revision(client_for, member, new_title="Reviewed title")
    staff = client_for(pta_staff)
    seen = version_on(staff.get(f"/staff/listings/{listing.id}").get_data(as_text=True))
    edit(
        client_for,
        member,
        listing,
        type="technology_transfer",
        **{"technology_transfer-form": "turnkey", "title": "Swapped title", "save": None, "submit": "Send"},
    )
    response = staff.post(f"/staff/listings/{listing.id}/decide", data={"action": "approve", "version": seen})
    assert response.status_code == 409 and "Swapped title" in response.get_data(as_text=True)
    listing = fresh(listing)
    assert listing.title == "First title"
    revision = db.session.scalars(sa.select(ListingRevision)).one()
    assert revision.status is ListingStatus.submitted and revision.data["title"] == "Swapped title"


def test_bulk_decision_skips_the_listings_changed_since_the_queue_was_read(app, client_for, member, pta_staff):
    untouched = factories.make_listing(member.company, status="submitted", title="Untouched listing")
    changed = factories.make_listing(member.company, status="submitted", title="Listing before the edit")
    staff = client_for(pta_staff)
    picks = re.findall(r'name="ids" value="([^"]+)"', staff.get("/staff/listings/").get_data(as_text=True))
    assert len(picks) == 2
    edit(client_for, member, changed, title="Listing after the edit")
    response = staff.post("/staff/listings/bulk", data={"ids": picks, "action": "approve"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Decision applied to 1 listing(s)." in html
    assert "changed since you opened" in html and "Listing after the edit" in html
    assert fresh(untouched).status is ListingStatus.published
    assert fresh(changed).status is ListingStatus.submitted


def test_bulk_decision_without_versions_decides_nothing(app, client_for, member, pta_staff):
    listing = factories.make_listing(member.company, status="submitted")
    client_for(pta_staff).post("/staff/listings/bulk", data={"ids": [str(listing.id)], "action": "approve"})
    assert fresh(listing).status is ListingStatus.submitted


def test_a_concurrent_edit_between_load_and_commit_is_not_published(app, member, pta_staff):
    """The counter is also the ORM's version check: an UPDATE that lost a race matches no row."""
    from sqlalchemy.orm.exc import StaleDataError

    from portal.listings import services

    listing = factories.make_listing(member.company, status="submitted", title="Seen title")
    listing = fresh(listing)
    seen = listing.version
    with db.engine.begin() as conn:  # another request commits an edit meanwhile
        conn.execute(sa.update(Listing).where(Listing.id == listing.id).values(title="Unseen title", version=seen + 1))
    try:
        services.decide(listing, "approve", pta_staff, version=seen)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
    else:
        raise AssertionError("the approval of a stale version was committed")
    assert fresh(listing).status is ListingStatus.submitted
