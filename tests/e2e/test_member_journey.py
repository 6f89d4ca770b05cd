"""A member's first day in a real browser: join, confirm, describe the company, get verified by PTA staff."""

import re

import pytest
from playwright.sync_api import expect

from .liveserver import log_out, open_menu

pytestmark = pytest.mark.e2e

NEW_EMAIL = "farhan@ravi-tanners.example"
NEW_PASSWORD = "ravi-wet-blue-2026"
COMPANY = "Ravi Tanners (Pvt) Ltd"


def test_new_member_joins_and_pta_staff_verifies_the_company(page, live_server, log_in):
    page.goto("/")
    page.get_by_role("link", name="Join as a member").first.click()
    page.get_by_label("Your name").fill("Farhan Qureshi")
    page.get_by_label("Work email").fill(NEW_EMAIL)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat password").fill(NEW_PASSWORD)
    page.get_by_role("checkbox", name="I accept the Terms of use and the Privacy policy").check()
    page.get_by_role("button", name="Create account").click()
    # Nobody is logged in by registering (a taken email must get the same answer); the mailed link does it.
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text(f"We sent a message to {NEW_EMAIL}")).to_be_visible()

    page.goto(live_server.last_mail_link(NEW_EMAIL))
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()

    expect(page.get_by_role("heading", name="Tell us about your company")).to_be_visible()
    page.get_by_label("Legal name").fill(COMPANY)
    page.get_by_label("Country").select_option("PK")
    page.get_by_label("City or region").fill("Lahore")
    page.get_by_label("Association").select_option(label="Pakistan Tanners Association (PTA)")
    page.get_by_label("Membership number").fill("PTA-4410")
    page.get_by_label("About the company").fill("Wet-blue and crust cow leather from the Ravi tannery cluster.")
    for capability in ("Cattle hides", "Wet blue", "Chrome tanning"):
        page.get_by_label(capability, exact=True).check()
    page.get_by_role("button", name="Save company profile").click()
    expect(page.get_by_text("Your company profile is saved. PTA will verify your membership")).to_be_visible()
    [(company_id, status)] = live_server.query("SELECT id, status FROM company WHERE name = :n", n=COMPANY)
    assert status == "unverified"
    log_out(page)

    log_in("staff@pta.example")
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name=re.compile(r"^Verification\b")
    ).click()  # its name carries the count
    page.get_by_role("link", name=f"Review {COMPANY}").click()  # the decision is taken on the review page
    page.get_by_role("button", name="Verify membership").click()
    expect(page.get_by_text(f"{COMPANY} is now verified.")).to_be_visible()
    log_out(page)

    page.goto(f"/companies/{company_id}")  # anonymous: only verified companies are public
    expect(page.get_by_role("heading", name=COMPANY)).to_be_visible()
    expect(page.get_by_text("Verified member of PTA")).to_be_visible()
    assert live_server.query("SELECT status FROM company WHERE id = :i", i=company_id)[0].status == "verified"


def test_login_form_works_with_the_keyboard_alone(page):
    page.goto("/auth/login")
    for _ in range(40):  # Tab through the skip link and the navigation until the email field has focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    else:
        pytest.fail("Tab never reached the email field")
    page.keyboard.type("owner@korangi-tanners.example")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type("leather-demo-2026")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Welcome back, Owner of Korangi Tanners (Pvt) Ltd.")).to_be_visible()


def test_language_switcher_shows_the_portal_in_russian(page):
    page.goto("/companies/")
    open_menu(page, "language")
    page.get_by_role("button", name="Русский").click()  # a POST form's button: the switch changes the account
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    # The menu's toggle names the language now in use.
    expect(page.locator("header details.menu:not(.user-menu) > summary")).to_contain_text("Русский")
    # The page's own words, not only the data, are Russian (whatever wording the translators chose).
    cyrillic = re.compile(r"^[^A-Za-z]*[А-Яа-яЁё][^A-Za-z]*$")
    expect(page.get_by_role("heading", level=1)).to_have_text(cyrillic)
    expect(page.locator('nav a[href^="/auth/login"]')).to_have_text(cyrillic)
