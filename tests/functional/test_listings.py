"""Listings through the real HTTP path: create/edit, the owner's lifecycle, visibility, expiry, flags, index."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    AuditLog,
    Listing,
    ListingFlag,
    ListingRevision,
    ListingStatus,
    Notification,
    OutboxMessage,
)

from .. import factories


def form_data(**over):
    data = {
        "direction": "offer",
        "type": "trade",
        "title": "Wet-blue cattle hides, 20,000 sq ft a month",
        "description": "Chrome-tanned **wet blue** from Punjab cattle hides.",
        "language": "",
        "trade-product": "Wet blue cattle hides",
        "trade-quantity": "20000",
        "trade-unit": "sqft",
        "trade-incoterms": "FOB",
        "tags": ["hide_cattle", "stage_wetblue"],
        "target_countries": ["KZ"],
        "save": "Save draft",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def only_listing():
    return db.session.scalars(sa.select(Listing)).one()


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- create and edit --------------------------------------------------------------------------------


def test_member_saves_draft_with_type_details_tags_and_detected_language(client, login, member):
    login(member)
    response = client.post(
        "/listings/new",
        data=form_data(
            title="Продаём вет-блю КРС", description="Шкуры КРС хромового дубления, 20 000 кв. футов в месяц."
        ),
    )
    assert response.status_code == 302
    listing = only_listing()
    assert listing.status is ListingStatus.draft and listing.company_id == member.company_id
    assert listing.details == {
        "product": "Wet blue cattle hides",
        "quantity": 20000,
        "unit": "sqft",
        "incoterms": "FOB",
    }
    assert listing.language == "ru"
    assert listing.tag_ids == ["hide_cattle", "stage_wetblue"] and listing.target_countries == ["KZ"]


def test_author_can_correct_the_detected_language(client, login, member):
    login(member)
    client.post("/listings/new", data=form_data(language="kk"))
    assert only_listing().language == "kk"


def test_only_the_chosen_types_fields_are_validated_and_saved(client, login, member):
    login(member)
    response = client.post(
        "/listings/new",
        data=form_data(
            **{"type": "training", "training-duration": "", "training-mode": "remote", "trade-quantity": "not a number"}
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and count(Listing) == 0
    assert "Required for this type of listing." in html  # the training duration
    assert "Not a valid decimal value" not in html  # the trade section is ignored
    client.post(
        "/listings/new",
        data=form_data(
            **{"type": "training", "training-duration": "3 weeks", "training-mode": "remote", "training-seats": "12"}
        ),
    )
    assert only_listing().details == {"duration": "3 weeks", "mode": "remote", "seats": 12}


def test_joint_venture_range_must_not_be_reversed(client, login, member):
    login(member)
    response = client.post(
        "/listings/new",
        data=form_data(
            **{
                "type": "joint_venture",
                "joint_venture-investment_min": "500000",
                "joint_venture-investment_max": "100000",
            }
        ),
    )
    assert "Must not be less than the lower value." in response.get_data(as_text=True)
    assert count(Listing) == 0


def test_form_keeps_what_the_user_typed_on_error(client, login, member):
    login(member)
    response = client.post("/listings/new", data=form_data(title="x" * 151, summary="Our short summary"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and count(Listing) == 0
    assert "Our short summary" in html and 'value="Wet blue cattle hides"' in html and "aria-invalid" in html


@pytest.mark.parametrize("field, value", [("title", "t" * 151), ("description", "d" * 4001), ("description", "")])
def test_title_and_description_limits(client, login, member, field, value):
    login(member)
    client.post("/listings/new", data=form_data(**{field: value}))
    assert count(Listing) == 0


def test_unverified_company_saves_draft_but_cannot_submit(client, login):
    company = factories.make_company(verified=False)
    user = factories.make_user(company=company, owner=True)
    login(user)
    page = client.get("/listings/new").get_data(as_text=True)
    assert "not verified yet" in page
    response = client.post(
        "/listings/new", data=form_data(save=None, submit="Save and submit for review"), follow_redirects=True
    )
    assert "must be verified" in response.get_data(as_text=True)
    assert only_listing().status is ListingStatus.draft


def test_submit_moves_a_draft_to_submitted(client, login, member):
    login(member)
    client.post("/listings/new", data=form_data(save=None, submit="Save and submit for review"))
    listing = only_listing()
    assert listing.status is ListingStatus.submitted and listing.submitted_at is not None


def test_nobody_edits_another_companys_listing(client, login, member, kz_member):
    listing = factories.make_listing(kz_member.company, status="draft", title="Kostanay draft")
    login(member)
    assert client.get(f"/listings/{listing.id}/edit").status_code == 404
    assert client.post(f"/listings/{listing.id}/edit", data=form_data(title="Hijacked")).status_code == 404
    for action in ("submit", "withdraw", "fulfil", "renew"):
        assert client.post(f"/listings/{listing.id}/{action}").status_code == 404
    db.session.refresh(listing)
    assert listing.title == "Kostanay draft" and listing.status is ListingStatus.draft


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_do_not_edit_members_listings(client, login, member, role):
    listing = factories.make_listing(member.company, status="draft")
    other = factories.make_user(role=role, association="PTA" if role == "staff" else None)
    login(other)
    assert client.post(f"/listings/{listing.id}/edit", data=form_data(title="Changed")).status_code == 403


@pytest.mark.parametrize("status", ["withdrawn", "fulfilled", "rejected", "expired"])
def test_closed_listings_cannot_be_edited(client, login, member, status):
    listing = factories.make_listing(member.company, status=status, title="Closed one")
    login(member)
    response = client.post(f"/listings/{listing.id}/edit", data=form_data(title="Reopened"))
    assert response.status_code == 302
    db.session.refresh(listing)
    assert listing.title == "Closed one" and listing.status.value == status


def test_company_id_in_the_form_is_ignored(client, login, member, kz_member):
    login(member)
    client.post("/listings/new", data=form_data(company_id=str(kz_member.company_id), status="published"))
    listing = only_listing()
    assert listing.company_id == member.company_id and listing.status is ListingStatus.draft


# --- revisions of published listings ------------------------------------------------------------------


def test_editing_a_published_listing_files_a_revision_and_keeps_the_published_version(client, login, member):
    listing = factories.make_listing(member.company, status="published", title="Original title")
    login(member)
    data = form_data(
        **{
            "type": "technology_transfer",
            "technology_transfer-form": "licence",
            "title": "New title",
            "save": None,
            "submit": "Send changes for review",
        }
    )
    assert client.post(f"/listings/{listing.id}/edit", data=data).status_code == 302
    db.session.refresh(listing)
    assert listing.title == "Original title" and listing.status is ListingStatus.published
    revision = db.session.scalars(sa.select(ListingRevision)).one()
    assert revision.status is ListingStatus.submitted and revision.data["title"] == "New title"
    visitor = client.application.test_client()
    assert "Original title" in visitor.get(f"/listings/{listing.id}").get_data(as_text=True)
    # the edit form shows the owner's pending version, and a second edit updates the same revision
    assert "New title" in client.get(f"/listings/{listing.id}/edit").get_data(as_text=True)
    client.post(f"/listings/{listing.id}/edit", data={**data, "title": "Newer title"})
    assert count(ListingRevision) == 1
    assert db.session.scalars(sa.select(ListingRevision)).one().data["title"] == "Newer title"


# --- the owner's lifecycle ----------------------------------------------------------------------------


def test_withdraw_asks_for_confirmation_then_takes_the_listing_offline(client, login, member):
    listing = factories.make_listing(member.company, status="published")
    login(member)
    page = client.get(f"/listings/{listing.id}/withdraw")
    assert page.status_code == 200 and "Withdraw this listing?" in page.get_data(as_text=True)
    db.session.refresh(listing)
    assert listing.status is ListingStatus.published
    client.post(f"/listings/{listing.id}/withdraw")
    db.session.refresh(listing)
    assert listing.status is ListingStatus.withdrawn and listing.closed_at is not None
    assert client.application.test_client().get(f"/listings/{listing.id}").status_code == 404


def test_fulfilled_listing_stays_in_the_owners_archive(client, login, member):
    listing = factories.make_listing(member.company, status="published", title="Done deal")
    login(member)
    client.post(f"/listings/{listing.id}/fulfil")
    db.session.refresh(listing)
    assert listing.status is ListingStatus.fulfilled
    assert "Done deal" in client.get("/listings/mine?status=fulfilled").get_data(as_text=True)
    assert "Done deal" not in client.application.test_client().get("/listings/").get_data(as_text=True)


def test_a_draft_cannot_be_withdrawn_or_fulfilled(client, login, member):
    listing = factories.make_listing(member.company, status="draft")
    login(member)
    client.post(f"/listings/{listing.id}/fulfil")
    client.post(f"/listings/{listing.id}/withdraw")
    db.session.refresh(listing)
    assert listing.status is ListingStatus.draft


def test_owner_actions_are_audited(client, login, member):
    listing = factories.make_listing(member.company, status="draft")
    login(member)
    client.post(f"/listings/{listing.id}/submit")
    entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "listing.submit")).one()
    assert (
        entry.actor_id == member.id
        and entry.object_id == listing.id
        and entry.detail == {"from": "draft", "to": "submitted"}
    )


# --- expiry, reminders and renewal (frozen clock) -----------------------------------------------------


def test_expired_listing_is_not_live_before_the_command_runs(client, member, clock):
    listing = factories.make_listing(
        member.company, status="published", title="Old offer", expires_at=clock.now + timedelta(hours=1)
    )
    assert client.get(f"/listings/{listing.id}").status_code == 200
    clock.advance(hours=2)
    assert client.get(f"/listings/{listing.id}").status_code == 404
    assert "Old offer" not in client.get("/listings/").get_data(as_text=True)


def test_expire_command_reminds_once_then_expires_on_time(app, runner, member, clock):
    listing = factories.make_listing(
        member.company, status="published", published_at=clock.now, expires_at=clock.now + timedelta(days=365)
    )
    assert runner.invoke(args=["listings", "expire"]).exit_code == 0
    assert count(OutboxMessage) == 0  # a year to go: nothing to say
    clock.advance(days=352)
    result = runner.invoke(args=["listings", "expire"])
    assert "1 reminder(s) sent" in result.output
    runner.invoke(args=["listings", "expire"])  # idempotent: the reminder goes once
    db.session.expire_all()
    assert count(OutboxMessage) == 1 and count(Notification) == 1
    assert db.session.get(Listing, listing.id).reminded_at == clock.now
    clock.advance(days=14)
    result = runner.invoke(args=["listings", "expire"])
    assert "1 listing(s) expired" in result.output
    runner.invoke(args=["listings", "expire"])
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).status is ListingStatus.expired
    assert count(OutboxMessage) == 2  # the reminder and the expiry notice, each once
    assert db.session.scalar(sa.select(AuditLog.actor_id).where(AuditLog.action == "listing.expire")) is None


def test_lifetime_comes_from_the_admin_setting(app, client, client_for, member, pta_staff, clock):
    app.config["LISTING_LIFETIME_DAYS"] = 30
    listing = factories.make_listing(member.company, status="submitted")
    client_for(pta_staff).post(
        f"/staff/listings/{listing.id}/decide", data={"action": "approve", "version": listing.version}
    )
    db.session.refresh(listing)
    assert listing.expires_at == clock.now + timedelta(days=30)


def test_renew_opens_14_days_before_expiry(client, login, member, clock):
    listing = factories.make_listing(member.company, status="published", expires_at=clock.now + timedelta(days=20))
    login(member)
    client.post(f"/listings/{listing.id}/renew")
    db.session.refresh(listing)
    assert listing.expires_at == clock.now + timedelta(days=20)  # too early
    clock.advance(days=7)
    client.post(f"/listings/{listing.id}/renew")
    db.session.refresh(listing)
    assert listing.expires_at == clock.now + timedelta(days=365) and listing.status is ListingStatus.published


def test_renew_after_expiry_puts_the_listing_back_online(client, login, member, clock):
    listing = factories.make_listing(
        member.company,
        status="expired",
        expires_at=clock.now - timedelta(days=3),
        reminded_at=clock.now - timedelta(days=17),
    )
    login(member)
    client.post(f"/listings/{listing.id}/renew")
    db.session.refresh(listing)
    assert listing.status is ListingStatus.published and listing.is_live and listing.reminded_at is None


# --- the public page and the index --------------------------------------------------------------------


@pytest.mark.parametrize(
    "viewer, sees",
    [
        (None, False),
        ("kz_member", False),
        ("kla_staff", False),
        ("member", True),
        ("pta_staff", True),
        ("admin", True),
    ],
)
def test_unpublished_listing_is_seen_only_by_owner_its_staff_and_admins(request, app, client_for, member, viewer, sees):
    listing = factories.make_listing(member.company, status="submitted", title="Pending offer")
    browser = client_for(request.getfixturevalue(viewer)) if viewer else app.test_client()
    response = browser.get(f"/listings/{listing.id}")
    assert response.status_code == (200 if sees else 404)


def test_anonymous_listing_hides_the_company_from_visitors_and_other_members(
    app, client_for, member, kz_member, pta_staff
):
    member.company.website = "https://secret-tannery.example"
    listing = factories.make_listing(member.company, status="published", anonymous=True, title="Discreet offer")
    name = member.company.name
    for browser in (app.test_client(), client_for(kz_member)):
        for page in (f"/listings/{listing.id}", "/listings/"):
            html = browser.get(page).get_data(as_text=True)
            assert "Discreet offer" in html and name not in html and "secret-tannery" not in html
            assert "A PTA member company in Pakistan" in html
    for insider in (member, pta_staff):
        assert name in client_for(insider).get(f"/listings/{listing.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "payload, forbidden",
    [
        ("<script>alert('x')</script>", "<script"),
        ("[click](javascript:alert(1))", "javascript:"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<a href="https://x.example" onclick="steal()">x</a>', "onclick"),
        ("<iframe src='https://evil.example'></iframe>", "<iframe"),
    ],
)
def test_description_markdown_is_sanitized(client, member, payload, forbidden):
    listing = factories.make_listing(member.company, status="published", description=f"**Fine** text. {payload}")
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "<strong>Fine</strong>" in html
    description = html.split('class="listing-description"')[1].split("</article>")[0]
    assert forbidden not in description


def test_description_links_get_nofollow(client, member):
    listing = factories.make_listing(
        member.company, status="published", description="See [our site](https://t.example)."
    )
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert '<a href="https://t.example" rel="nofollow noopener">our site</a>' in html


def test_title_is_escaped(client, member):
    listing = factories.make_listing(member.company, status="published", title="<b>Bold</b> hides")
    html = client.get("/listings/").get_data(as_text=True) + client.get(f"/listings/{listing.id}").get_data(
        as_text=True
    )
    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold&lt;/b&gt;" in html


def test_index_filters_by_type_direction_country_and_capability(client, member, kz_member):
    factories.make_listing(member.company, status="published", title="PK trade offer", type="trade", tags=["hide_goat"])
    factories.make_listing(
        kz_member.company,
        status="published",
        title="KZ training request",
        type="training",
        direction="request",
        tags=["svc_training"],
    )
    factories.make_listing(kz_member.company, status="draft", title="KZ draft")

    def titles(query=""):
        html = client.get(f"/listings/{query}").get_data(as_text=True)
        return {t for t in ("PK trade offer", "KZ training request", "KZ draft") if t in html}

    assert titles() == {"PK trade offer", "KZ training request"}
    assert titles("?type=training") == {"KZ training request"}
    assert titles("?direction=offer") == {"PK trade offer"}
    assert titles("?country=KZ") == {"KZ training request"}
    assert titles("?capability=hide_goat") == {"PK trade offer"}
    assert titles("?capability=hide_goat&country=KZ") == set()
    assert "No listings match these filters." in client.get("/listings/?type=joint_venture").get_data(as_text=True)


def test_index_ignores_an_unknown_filter_value(client, member):
    factories.make_listing(member.company, status="published", title="Still listed")
    response = client.get("/listings/?capability=status:draft&type=bogus")
    assert response.status_code == 200 and "Still listed" in response.get_data(as_text=True)


def test_index_paginates(app, client, member):
    app.config["PAGE_SIZE"] = 3
    for n in range(5):
        factories.make_listing(member.company, status="published", title=f"Listing number {n}")
    first, second = (
        client.get("/listings/").get_data(as_text=True),
        client.get("/listings/?page=2").get_data(as_text=True),
    )
    assert first.count("Listing number") == 3 and second.count("Listing number") == 2
    assert "5 in all" in first


def test_index_shows_summary_or_the_start_of_the_description(client, member):
    factories.make_listing(member.company, status="published", title="With summary", summary="Short summary here")
    factories.make_listing(
        member.company, status="published", title="Without summary", description="**Long** description " + "word " * 100
    )
    html = client.get("/listings/").get_data(as_text=True)
    assert "Short summary here" in html and "Long description word" in html and "…" in html


# --- flags --------------------------------------------------------------------------------------------


def test_member_flags_a_live_listing_once(app, client_for, member, kz_member):
    listing = factories.make_listing(member.company, status="published")
    browser = client_for(kz_member)
    reason = {"reason": "This company is not a tannery at all."}
    assert browser.post(f"/listings/{listing.id}/flag", data=reason).status_code == 302
    response = browser.post(f"/listings/{listing.id}/flag", data=reason, follow_redirects=True)
    assert "already reported" in response.get_data(as_text=True)
    assert count(ListingFlag) == 1


def test_owner_and_staff_cannot_flag_and_visitors_must_log_in(app, client, client_for, member, pta_staff):
    listing = factories.make_listing(member.company, status="published")
    reason = {"reason": "Something is wrong with it."}
    assert client_for(member).post(f"/listings/{listing.id}/flag", data=reason).status_code == 403
    assert client_for(pta_staff).post(f"/listings/{listing.id}/flag", data=reason).status_code == 403
    assert "/auth/login" in client.post(f"/listings/{listing.id}/flag", data=reason).headers["Location"]
    assert count(ListingFlag) == 0


def test_flag_needs_a_reason(app, client_for, member, kz_member):
    listing = factories.make_listing(member.company, status="published")
    response = client_for(kz_member).post(f"/listings/{listing.id}/flag", data={"reason": "bad"})
    assert response.status_code == 400 and count(ListingFlag) == 0


# --- my listings and the dashboard --------------------------------------------------------------------


def test_my_listings_show_statuses_and_staff_comments(client, login, member, kz_member):
    factories.make_listing(
        member.company, status="changes_requested", title="Needs work", staff_comment="Please add the monthly capacity."
    )
    factories.make_listing(kz_member.company, status="draft", title="Not mine")
    login(member)
    html = client.get("/listings/mine").get_data(as_text=True)
    assert "Needs work" in html and "Please add the monthly capacity." in html and "Not mine" not in html
    assert "waiting for changes" in html


def test_my_listings_empty_state(client, login, member):
    login(member)
    assert "You have no listings yet." in client.get("/listings/mine").get_data(as_text=True)


def test_dashboard_counts_my_listings_by_status(client, login, member):
    factories.make_listing(member.company, status="draft")
    factories.make_listing(member.company, status="published")
    factories.make_listing(member.company, status="published")
    login(member)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "My listings" in html and "published: <strong>2</strong>" in html and "draft: <strong>1</strong>" in html
