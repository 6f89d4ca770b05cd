"""A listing's way through moderation in a real browser: a PTA member writes it, PTA staff ask for changes,
the member fixes and resubmits, staff approve, and an anonymous visitor finds it online."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from .liveserver import log_out

pytestmark = pytest.mark.e2e

MEMBER = "owner@korangi-tanners.example"
STAFF = "staff@pta.example"


def open_in_moderation(page, title):
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name=re.compile(r"^Moderation\b")
    ).click()  # its name carries the count
    expect(page.get_by_role("heading", name=re.compile(r"^Listing moderation"))).to_be_visible()
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def test_member_listing_goes_through_changes_requested_to_published(browser, page, live_server, log_in):
    suffix = uuid.uuid4().hex[:8]
    title = f"Remote training in chrome-free tanning, batch {suffix}"
    comment = f"Please say how many seats the course has ({suffix})."
    fixed_description = "A six-week remote course on chrome-free tanning for beamhouse and tanyard technicians."

    # The member writes the listing through the form and submits it right away.
    log_in(MEMBER)
    page.get_by_role("link", name="Listings", exact=True).click()
    page.get_by_role("link", name="New listing").click()
    expect(page.get_by_role("heading", name="New listing")).to_be_visible()
    page.get_by_label("Offer something").check()
    page.get_by_label("Training", exact=True).check()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Summary").fill("Chrome-free (wet-white) tanning for Kazakh tanneries, taught online.")
    page.get_by_label("Description", exact=True).fill("A remote course on chrome-free tanning.")
    page.get_by_label("Duration").fill("6 weeks")
    page.get_by_label("Remote", exact=True).check()
    expect(page.get_by_label("Kazakhstan", exact=True)).to_be_checked()  # a PTA member's default target
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_text("Your listing was sent to your association for review.")).to_be_visible()
    expect(page.get_by_role("heading", name="My listings")).to_be_visible()
    expect(page.get_by_role("link", name=title)).to_be_visible()
    [(listing_id, status)] = live_server.query("SELECT id, status FROM listing WHERE title = :t", t=title)
    assert status == "submitted"
    log_out(page)

    # PTA staff find it in their queue and ask for changes.
    log_in(STAFF)
    open_in_moderation(page, title)
    page.get_by_label("Request changes", exact=True).check()
    page.get_by_label("Comment or reason for the company").fill(comment)
    page.get_by_role("button", name="Send decision").click()
    expect(page.get_by_text("Decision saved; the company was notified.")).to_be_visible()
    log_out(page)

    # The member reads the comment on My listings and on the listing page, edits and resubmits.
    log_in(MEMBER)
    page.get_by_role("link", name="Go to my listings").click()
    card = page.locator("article").filter(has=page.get_by_role("link", name=title))
    expect(card.get_by_text("Your association asks for changes:")).to_be_visible()
    expect(card.get_by_text(comment)).to_be_visible()
    card.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_text(comment)).to_be_visible()
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Edit listing"))).to_be_visible()
    expect(page.get_by_text(comment)).to_be_visible()
    expect(page.get_by_label("Title", exact=True)).to_have_value(title)
    page.get_by_label("Description", exact=True).fill(fixed_description)
    page.get_by_label("Seats").fill("12")
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_text("Your listing was sent to your association for review.")).to_be_visible()
    assert live_server.query("SELECT status FROM listing WHERE id = :i", i=listing_id)[0].status == "submitted"
    log_out(page)

    # Staff see the fixed listing and approve it.
    log_in(STAFF)
    open_in_moderation(page, title)
    expect(page.get_by_text(fixed_description)).to_be_visible()
    page.get_by_label("Approve", exact=True).check()
    page.get_by_role("button", name="Send decision").click()
    expect(page.get_by_text("Decision saved; the company was notified.")).to_be_visible()
    log_out(page)

    # A visitor who is not logged in finds it on the public index and opens it.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    try:
        visitor = context.new_page()
        visitor.goto("/listings/")
        expect(visitor.get_by_role("link", name="Log in", exact=True)).to_be_visible()
        visitor.get_by_role("link", name=title).click()
        expect(visitor.get_by_role("heading", name=title)).to_be_visible()
        expect(visitor.get_by_text(fixed_description)).to_be_visible()
        expect(visitor.get_by_text(comment)).to_have_count(0)  # the staff comment is for the company only
        seats = visitor.locator("dt", has_text="Seats").locator("xpath=following-sibling::dd[1]")
        expect(seats).to_have_text("12")
        assert visitor.url.endswith(f"/listings/{listing_id}")
    finally:
        context.close()
