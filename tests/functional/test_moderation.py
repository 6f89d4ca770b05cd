"""Moderation through the real HTTP path: the queue, decisions one by one and in bulk, revisions, reports."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditLog, Listing, ListingFlag, ListingRevision, ListingStatus, Notification, OutboxMessage

from .. import factories
from .test_listings import form_data


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def status_of(listing):
    db.session.expire_all()
    return db.session.get(Listing, listing.id).status


def seen(listing) -> int:
    """The version a review page shows now (what a decision form carries)."""
    db.session.expire_all()
    return db.session.get(Listing, listing.id).version


def pick(listing) -> str:
    """A ticked row of the queue: the listing and the version the queue showed."""
    return f"{listing.id}:{seen(listing)}"


# --- decisions ----------------------------------------------------------------------------------------


def test_staff_approval_publishes_audits_and_notifies_the_owner(app, client_for, member, pta_staff):
    listing = factories.make_listing(member.company, status="submitted", title="Chrome recovery know-how")
    response = client_for(pta_staff).post(
        f"/staff/listings/{listing.id}/decide", data={"action": "approve", "version": seen(listing)}
    )
    assert response.status_code == 302
    db.session.refresh(listing)
    assert listing.status is ListingStatus.published and listing.is_live
    assert (listing.expires_at - listing.published_at).days == 365
    entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "listing.approve")).one()
    assert entry.actor_id == pta_staff.id and entry.association_id == member.company.association_id
    mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == member.email)).one()
    assert "Chrome recovery know-how" in mail.body
    assert count(Notification, Notification.user_id == member.id) == 1


def test_member_can_never_publish_their_own_listing(app, client_for, member):
    listing = factories.make_listing(member.company, status="submitted")
    browser = client_for(member)
    assert (
        browser.post(
            f"/staff/listings/{listing.id}/decide", data={"action": "approve", "version": seen(listing)}
        ).status_code
        == 403
    )
    assert browser.post("/staff/listings/bulk", data={"ids": [pick(listing)], "action": "approve"}).status_code == 403
    assert browser.get("/staff/listings/").status_code == 403
    assert status_of(listing) is ListingStatus.submitted


def test_pta_staff_cannot_see_or_decide_on_a_kla_members_listing(app, client_for, kz_member, pta_staff):
    listing = factories.make_listing(kz_member.company, status="submitted", title="Kostanay request")
    browser = client_for(pta_staff)
    assert browser.get(f"/staff/listings/{listing.id}").status_code == 404
    assert (
        browser.post(
            f"/staff/listings/{listing.id}/decide", data={"action": "approve", "version": seen(listing)}
        ).status_code
        == 404
    )
    assert browser.post(f"/staff/listings/{listing.id}/tags", data={"tags": ["hide_cattle"]}).status_code == 404
    assert "Kostanay request" not in browser.get("/staff/listings/").get_data(as_text=True)
    assert status_of(listing) is ListingStatus.submitted


def test_bulk_with_one_foreign_listing_changes_nothing(app, client_for, member, kz_member, pta_staff):
    own = factories.make_listing(member.company, status="submitted")
    foreign = factories.make_listing(kz_member.company, status="submitted")
    response = client_for(pta_staff).post(
        "/staff/listings/bulk", data={"ids": [pick(own), pick(foreign)], "action": "approve"}
    )
    assert response.status_code == 404
    assert status_of(own) is ListingStatus.submitted and status_of(foreign) is ListingStatus.submitted


def test_admin_sees_every_queue_but_does_not_decide(app, client_for, member, kz_member, admin):
    factories.make_listing(member.company, status="submitted", title="Sialkot offer")
    listing = factories.make_listing(kz_member.company, status="submitted", title="Shymkent request")
    browser = client_for(admin)
    html = browser.get("/staff/listings/").get_data(as_text=True)
    assert "Sialkot offer" in html and "Shymkent request" in html
    assert "Shymkent request" not in browser.get("/staff/listings/?association=PTA").get_data(as_text=True)
    assert browser.get(f"/staff/listings/{listing.id}").status_code == 200
    assert (
        browser.post(
            f"/staff/listings/{listing.id}/decide", data={"action": "approve", "version": seen(listing)}
        ).status_code
        == 403
    )
    assert status_of(listing) is ListingStatus.submitted


@pytest.mark.parametrize("action", ["request_changes", "reject"])
def test_request_changes_and_reject_need_a_comment(app, client_for, member, pta_staff, action):
    listing = factories.make_listing(member.company, status="submitted")
    browser = client_for(pta_staff)
    response = browser.post(
        f"/staff/listings/{listing.id}/decide", data={"action": action, "comment": "  ", "version": seen(listing)}
    )
    assert response.status_code == 400 and "the comment is sent to them" in response.get_data(as_text=True)
    assert status_of(listing) is ListingStatus.submitted
    browser.post(
        f"/staff/listings/{listing.id}/decide",
        data={"action": action, "comment": "Add your capacity.", "version": seen(listing)},
    )
    db.session.expire_all()
    listing = db.session.get(Listing, listing.id)
    assert listing.status.value == ("changes_requested" if action == "request_changes" else "rejected")
    assert listing.staff_comment == "Add your capacity."
    assert (
        db.session.scalar(sa.select(AuditLog.reason).where(AuditLog.action == f"listing.{action}"))
        == "Add your capacity."
    )
    assert "Add your capacity." in db.session.scalars(sa.select(OutboxMessage.body)).one()


@pytest.mark.parametrize("status", ["draft", "published", "withdrawn", "rejected"])
def test_staff_cannot_decide_on_a_listing_that_is_not_submitted(app, client_for, member, pta_staff, status):
    listing = factories.make_listing(member.company, status=status)
    client_for(pta_staff).post(
        f"/staff/listings/{listing.id}/decide", data={"action": "approve", "version": seen(listing)}
    )
    assert status_of(listing).value == status
    assert count(AuditLog, AuditLog.action == "listing.approve") == 0


def test_bulk_approval_applies_to_every_ticked_listing_and_skips_the_rest(app, client_for, member, pta_staff):
    first = factories.make_listing(member.company, status="submitted")
    second = factories.make_listing(member.company, status="submitted")
    draft = factories.make_listing(member.company, status="draft", title="Still a draft")
    response = client_for(pta_staff).post(
        "/staff/listings/bulk",
        data={"ids": [pick(first), pick(second), pick(draft)], "action": "approve"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Decision applied to 2 listing(s)." in html and "Still a draft" in html
    assert status_of(first) is status_of(second) is ListingStatus.published
    assert status_of(draft) is ListingStatus.draft


def test_bulk_request_changes_needs_a_comment(app, client_for, member, pta_staff):
    listing = factories.make_listing(member.company, status="submitted")
    client_for(pta_staff).post("/staff/listings/bulk", data={"ids": [pick(listing)], "action": "request_changes"})
    assert status_of(listing) is ListingStatus.submitted


# --- the queue ----------------------------------------------------------------------------------------


def test_queue_tabs_filter_by_status_with_company_type_and_age(app, client_for, member, pta_staff):
    factories.make_listing(member.company, status="submitted", title="Waiting one", type="training")
    factories.make_listing(member.company, status="rejected", title="Refused one")
    flagged = factories.make_listing(member.company, status="published", title="Reported one")
    db.session.add(ListingFlag(listing_id=flagged.id, user_id=None, reason="Looks like spam to me."))
    db.session.commit()
    browser = client_for(pta_staff)
    html = browser.get("/staff/listings/").get_data(as_text=True)
    assert "Waiting one" in html and "Refused one" not in html
    assert member.company.name in html and "Training" in html and " min" in html
    assert "Refused one" in browser.get("/staff/listings/?status=rejected").get_data(as_text=True)
    flagged_tab = browser.get("/staff/listings/?status=flagged").get_data(as_text=True)
    assert "Reported one" in flagged_tab and "1 report(s)" in flagged_tab and "Waiting one" not in flagged_tab
    assert "Waiting one" not in browser.get("/staff/listings/?type=trade").get_data(as_text=True)


def test_queue_empty_state(app, client_for, pta_staff):
    assert "Nothing here." in client_for(pta_staff).get("/staff/listings/").get_data(as_text=True)


# --- revisions ----------------------------------------------------------------------------------------


def published_with_revision(client_for, member, new_title="Better title"):
    listing = factories.make_listing(member.company, status="published", title="First title")
    data = form_data(
        **{
            "type": "technology_transfer",
            "technology_transfer-form": "turnkey",
            "title": new_title,
            "save": None,
            "submit": "Send changes for review",
        }
    )
    client_for(member).post(f"/listings/{listing.id}/edit", data=data)
    return listing


def test_edit_of_a_published_listing_waits_in_the_submitted_queue(app, client_for, member, pta_staff):
    listing = published_with_revision(client_for, member)
    browser = client_for(pta_staff)
    assert "edit to review" in browser.get("/staff/listings/").get_data(as_text=True)
    review = browser.get(f"/staff/listings/{listing.id}").get_data(as_text=True)
    assert "First title" in review and "Better title" in review


def test_approving_a_revision_applies_it_to_the_published_listing(app, client_for, member, pta_staff):
    listing = published_with_revision(client_for, member)
    published_at = listing.published_at
    client_for(pta_staff).post(
        f"/staff/listings/{listing.id}/decide", data={"action": "approve", "version": seen(listing)}
    )
    db.session.expire_all()
    listing = db.session.get(Listing, listing.id)
    assert listing.title == "Better title" and listing.details == {"form": "turnkey"}
    assert listing.status is ListingStatus.published and listing.published_at == published_at
    assert db.session.scalars(sa.select(ListingRevision)).one().status is ListingStatus.published
    assert "Better title" in app.test_client().get(f"/listings/{listing.id}").get_data(as_text=True)


def test_rejecting_a_revision_keeps_the_published_version(app, client_for, member, pta_staff):
    listing = published_with_revision(client_for, member, new_title="Misleading title")
    client_for(pta_staff).post(
        f"/staff/listings/{listing.id}/decide",
        data={"action": "reject", "comment": "The title overstates your capacity.", "version": seen(listing)},
    )
    db.session.expire_all()
    listing = db.session.get(Listing, listing.id)
    assert listing.title == "First title" and listing.status is ListingStatus.published
    assert db.session.scalars(sa.select(ListingRevision)).one().status is ListingStatus.rejected
    assert "overstates" in db.session.scalars(sa.select(Notification.text)).one()


# --- reports (flags) and tags -------------------------------------------------------------------------


def flagged_listing(client_for, member, kz_member):
    listing = factories.make_listing(member.company, status="published", title="Suspicious offer")
    client_for(kz_member).post(f"/listings/{listing.id}/flag", data={"reason": "The prices look like bait."})
    return listing


def test_a_report_lands_in_the_owners_association_queue_only(app, client_for, member, kz_member, pta_staff, kla_staff):
    flagged_listing(client_for, member, kz_member)
    assert "Suspicious offer" in client_for(pta_staff).get("/staff/listings/?status=flagged").get_data(as_text=True)
    assert "Suspicious offer" not in client_for(kla_staff).get("/staff/listings/?status=flagged").get_data(as_text=True)


def test_staff_dismiss_reports_and_the_listing_stays_online(app, client_for, member, kz_member, pta_staff):
    listing = flagged_listing(client_for, member, kz_member)
    client_for(pta_staff).post(f"/staff/listings/{listing.id}/flags", data={"action": "dismiss"})
    assert status_of(listing) is ListingStatus.published
    assert db.session.scalars(sa.select(ListingFlag)).one().resolved_by_id == pta_staff.id
    assert count(AuditLog, AuditLog.action == "listing.flags_dismiss") == 1


def test_staff_unpublish_a_reported_listing_back_to_its_owner(app, client_for, member, kz_member, pta_staff):
    listing = flagged_listing(client_for, member, kz_member)
    browser = client_for(pta_staff)
    assert browser.post(f"/staff/listings/{listing.id}/flags", data={"action": "unpublish"}).status_code == 400
    browser.post(f"/staff/listings/{listing.id}/flags", data={"action": "unpublish", "comment": "Show real prices."})
    db.session.expire_all()
    listing = db.session.get(Listing, listing.id)
    assert listing.status is ListingStatus.changes_requested and listing.staff_comment == "Show real prices."
    assert app.test_client().get(f"/listings/{listing.id}").status_code == 404
    assert count(ListingFlag, ListingFlag.resolved_at.is_(None)) == 0
    assert "Show real prices." in db.session.scalars(sa.select(OutboxMessage.body)).one()


def test_staff_correct_the_tags_and_they_stop_being_inferred(app, client_for, member, pta_staff):
    listing = factories.make_listing(member.company, status="published")
    listing.set_tags(["hide_goat"], inferred=True)
    db.session.commit()
    client_for(pta_staff).post(f"/staff/listings/{listing.id}/tags", data={"tags": ["hide_cattle", "tan_chrome"]})
    db.session.expire_all()
    listing = db.session.get(Listing, listing.id)
    assert listing.tag_ids == ["hide_cattle", "tan_chrome"] and not any(t.inferred for t in listing.tags)
    assert count(AuditLog, AuditLog.action == "listing.tags") == 1


# --- the whole journey --------------------------------------------------------------------------------


def test_member_submits_staff_asks_for_changes_member_fixes_staff_approves_visitor_sees(
    app, client_for, member, pta_staff
):
    owner, staff, visitor = client_for(member), client_for(pta_staff), app.test_client()
    owner.post("/listings/new", data=form_data(title="Wet blue offer", save=None, submit="Save and submit for review"))
    listing = db.session.scalars(sa.select(Listing)).one()
    assert visitor.get(f"/listings/{listing.id}").status_code == 404

    staff.post(
        f"/staff/listings/{listing.id}/decide",
        data={"action": "request_changes", "comment": "Add the hide origin.", "version": seen(listing)},
    )
    mine = owner.get("/listings/mine").get_data(as_text=True)
    assert "Add the hide origin." in mine

    owner.post(
        f"/listings/{listing.id}/edit",
        data=form_data(title="Wet blue offer from Punjab cattle", save=None, submit="Save and submit for review"),
    )
    assert status_of(listing) is ListingStatus.submitted

    staff.post(f"/staff/listings/{listing.id}/decide", data={"action": "approve", "version": seen(listing)})
    assert status_of(listing) is ListingStatus.published
    assert "Wet blue offer from Punjab cattle" in visitor.get("/listings/").get_data(as_text=True)
    assert visitor.get(f"/listings/{listing.id}").status_code == 200
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == [
        "listing.create",
        "listing.submit",
        "listing.request_changes",
        "listing.submit",
        "listing.approve",
    ]
