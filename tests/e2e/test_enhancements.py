"""The progressive enhancements of static/js/portal.js, clicked through in a real browser, with and without JavaScript:
the phone's "Filters (n)" fold, the listing form's type sections, the error summary's focus and the header menus."""

import re
import warnings

import pytest
from playwright.sync_api import expect

from .liveserver import DEMO_PASSWORD, flask, open_menu, server_env

pytestmark = pytest.mark.e2e

PK_MEMBER = "owner@korangi-tanners.example"
KZ_MEMBER = "owner@shymkent-hides.example"
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}
TYPES = ("technology_transfer", "training", "joint_venture", "trade")
# Two facet values chosen through the URL on each page with a "Filters (n)" fold, and what shows the results.
FOLDS = {
    "search": ("/search?q=leather&country=PK&type=training", re.compile(r"^\d+ results?$")),
    "listings": ("/listings/?country=PK&type=training", re.compile(r"^\d+ results?$")),
    "directory": ("/companies/?country=PK&association=PTA", re.compile(r"^\d+ compan(y|ies)$")),
}


@pytest.fixture(scope="module")
def server(live_server):
    """The live server with its search index checked (the search and listings pages need it), rebuilt if needed."""
    env = server_env(live_server.database_url, live_server.log_path.parent)
    try:
        flask(env, "search", "check")
    except RuntimeError as exc:
        warnings.warn(f"the index was not ready after seed-demo, rebuilding it: {exc}", stacklevel=1)
        flask(env, "search", "rebuild", "--quiet")
    return live_server


@pytest.fixture(scope="module")
def sessions(browser, server):
    """email -> the cookies of a logged-in session, logged in once per module through the real form."""
    states = {}

    def state(email):
        if email not in states:
            context = browser.new_context(base_url=server.url, locale="en-GB")
            page = context.new_page()
            page.goto("/auth/login")
            page.get_by_label("Email", exact=True).fill(email)
            page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Log in").click()
            alerts = " ".join(page.get_by_role("main").get_by_role("alert").all_inner_texts())
            assert "/auth/login" not in page.url, f"{email} could not log in: {alerts}"
            expect(page.locator("header details.user-menu")).to_be_attached()  # only a logged-in header has it
            states[email] = context.storage_state()
            context.close()
        return states[email]

    return state


@pytest.fixture
def new_page(browser, server, sessions):
    """new_page(viewport, javascript=True, email=None): a page in a context of its own, closed after the test."""
    contexts = []

    def make(viewport, javascript=True, email=None):
        context = browser.new_context(
            base_url=server.url,
            viewport=viewport,
            locale="en-GB",
            java_script_enabled=javascript,
            storage_state=sessions(email) if email else None,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def top(locator) -> float:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    return box["y"]


# --- 1. "Filters (n)" on a phone --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FOLDS)
def test_filters_fold_behind_a_button_counting_them_on_a_phone(new_page, name):
    path, results = FOLDS[name]
    page = new_page(PHONE)
    page.goto(path)
    toggle = page.get_by_role("button", name="Filters (2)", exact=True)  # a button once portal.js has run
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    filters = page.locator("#filters")
    status = page.get_by_role("main").get_by_role("status").filter(has_text=results)
    expect(status).to_be_visible()
    expect(filters).to_be_hidden()

    toggle.click()
    expect(filters).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert page.url.endswith(path), "the button followed its link instead of unfolding the filters"
    assert top(toggle) < top(filters) < top(status), "opened, the filters sit under their button, above the results"
    expect(filters, "the unfolded filters should be in view").to_be_in_viewport()

    toggle.click()
    expect(filters).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")


@pytest.mark.parametrize("name", FOLDS)
def test_without_javascript_filters_button_is_a_link_to_the_filters_below_the_results(new_page, name):
    path, results = FOLDS[name]
    page = new_page(PHONE, javascript=False)
    page.goto(path)
    expect(page.get_by_role("button", name=re.compile(r"^Filters"))).to_have_count(0)
    link = page.get_by_role("link", name="Filters (2)", exact=True)
    expect(link).to_have_attribute("href", "#filters")
    expect(link).not_to_have_attribute("aria-expanded", re.compile(".*"))
    filters = page.locator("#filters")
    status = page.get_by_role("main").get_by_role("status").filter(has_text=results)
    expect(filters).to_be_visible()
    assert top(link) < top(status) < top(filters), "the button, then the results, then the filters"

    link.click()
    expect(page).to_have_url(re.compile(r"#filters$"))
    expect(filters).to_be_in_viewport()


# --- 2. The listing form's type sections ----------------------------------------------------------------------


def test_listing_form_shows_only_the_chosen_types_section(new_page):
    page = new_page(WIDE, email=PK_MEMBER)
    page.goto("/listings/new")
    sections = {value: page.locator(f'fieldset[data-for-type="{value}"]') for value in TYPES}
    note = page.locator(".type-sections-note")
    expect(note).to_be_attached()
    expect(note).to_be_hidden()
    for section in sections.values():  # no type chosen yet: no section
        expect(section).to_be_hidden()

    page.get_by_role("radio", name="Training", exact=True).check()
    expect(sections["training"]).to_be_visible()
    for value in ("technology_transfer", "joint_venture", "trade"):
        expect(sections[value]).to_be_hidden()

    page.get_by_role("radio", name="Trade", exact=True).check()
    expect(sections["trade"]).to_be_visible()
    for value in ("technology_transfer", "training", "joint_venture"):
        expect(sections[value]).to_be_hidden()


def test_listing_form_shows_the_chosen_types_section_after_a_failed_submit(new_page):
    page = new_page(WIDE, email=PK_MEMBER)
    page.goto("/listings/new")
    page.get_by_role("radio", name="Joint venture", exact=True).check()
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.get_by_role("radio", name="Joint venture", exact=True)).to_be_checked()
    expect(page.locator('fieldset[data-for-type="joint_venture"]')).to_be_visible()
    for value in ("technology_transfer", "training", "trade"):
        expect(page.locator(f'fieldset[data-for-type="{value}"]')).to_be_hidden()


def test_without_javascript_listing_form_shows_every_types_section(new_page):
    page = new_page(WIDE, javascript=False, email=PK_MEMBER)
    page.goto("/listings/new")
    expect(page.locator(".type-sections-note")).to_be_visible()
    for value in TYPES:
        expect(page.locator(f'fieldset[data-for-type="{value}"]')).to_be_visible()


# --- 3. The error summary takes the focus ---------------------------------------------------------------------


def express_interest_path(server) -> str:
    """A live Pakistani listing the Kazakh member has not yet shown interest in."""
    rows = server.query(
        "SELECT l.id FROM listing l JOIN company c ON c.id = l.company_id WHERE c.country = 'PK'"
        " AND l.status = 'published' AND l.closed_at IS NULL AND l.interest_deadline IS NULL AND l.id NOT IN"
        " (SELECT i.listing_id FROM interest i JOIN company f ON f.id = i.from_company_id WHERE f.ref = :ref)"
        " ORDER BY l.id",
        ref="demo-shymkent-hides",
    )
    assert rows, "the demo data has no Pakistani listing the Kazakh member could express interest in"
    return f"/partnerships/listings/{rows[0][0]}/interest"


def fill_nothing(page):
    pass


def clear_company_name(page):
    page.get_by_label("Legal name").fill("")


# name -> (account, path or a function of the server giving it, what to do before submitting, the submit button)
FORMS = {
    "registration": (None, "/auth/register", fill_nothing, "Create account"),
    "new-listing": (PK_MEMBER, "/listings/new", fill_nothing, "Save draft"),
    "express-interest": (KZ_MEMBER, express_interest_path, fill_nothing, "Send expression of interest"),
    "company-profile": (PK_MEMBER, "/companies/mine/edit", clear_company_name, "Save company profile"),
}


@pytest.mark.parametrize("name", FORMS)
def test_failed_form_focuses_its_error_summary_whose_first_link_reaches_the_field(new_page, server, name):
    email, path, prepare, submit = FORMS[name]
    page = new_page(WIDE, email=email)
    page.goto(path if isinstance(path, str) else path(server))
    prepare(page)
    page.get_by_role("button", name=submit, exact=True).click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()

    first = summary.get_by_role("link").first
    target_id = first.get_attribute("href").removeprefix("#")
    target = page.locator(f'[id="{target_id}"]')
    expect(target, f"the summary's first link points at #{target_id}, which is not on the page").to_have_count(1)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # so that the link has to bring the field back
    first.click()
    expect(target).to_be_focused()
    expect(target, f"#{target_id} was not scrolled into view").to_be_in_viewport()


# --- 4. The header menus --------------------------------------------------------------------------------------


def menus(page):
    header = page.locator("header")
    return header.locator("details.menu:not(.user-menu)"), header.locator("details.user-menu")


def test_menu_opens_on_its_summary_and_escape_closes_it_giving_the_summary_the_focus(new_page):
    page = new_page(WIDE, email=PK_MEMBER)
    page.goto("/dashboard")
    language, _user = menus(page)
    language.locator("> summary").click()
    expect(language).to_have_attribute("open", "")
    expect(language.get_by_role("button", name="English")).to_be_visible()

    language.get_by_role("button", name="Русский").focus()  # the keyboard is inside the open menu
    page.keyboard.press("Escape")
    expect(language).not_to_have_attribute("open", re.compile(".*"))
    expect(language.locator("> summary")).to_be_focused()


def test_menu_closes_on_a_click_elsewhere_but_not_inside_it(new_page):
    page = new_page(WIDE, email=PK_MEMBER)
    page.goto("/dashboard")
    _language, user = menus(page)
    open_menu(page, "user")
    expect(user).to_have_attribute("open", "")
    user.locator(".menu-panel").click(position={"x": 2, "y": 2})  # its panel, off any item
    expect(user).to_have_attribute("open", "")
    page.get_by_role("main").get_by_role("heading").first.click()
    expect(user).not_to_have_attribute("open", re.compile(".*"))


def test_opening_a_menu_closes_the_other_one(new_page):
    page = new_page(WIDE, email=PK_MEMBER)
    page.goto("/dashboard")
    language, user = menus(page)
    open_menu(page, "language")
    expect(language).to_have_attribute("open", "")
    user.locator("> summary").click()
    expect(user).to_have_attribute("open", "")
    expect(language).not_to_have_attribute("open", re.compile(".*"))


def test_main_menu_is_open_on_wide_screens_and_folds_behind_menu_on_a_phone(new_page):
    page = new_page(PHONE)
    page.goto("/")
    site_menu = page.locator("header details.site-menu")
    expect(site_menu).not_to_have_attribute("open", re.compile(".*"))
    toggle = site_menu.locator("> summary")
    expect(toggle).to_have_text("Menu")
    expect(page.get_by_role("link", name="Log in")).to_be_hidden()
    toggle.click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    toggle.click()
    expect(page.get_by_role("link", name="Log in")).to_be_hidden()

    page.set_viewport_size(WIDE)  # widening the window opens it (the media query's change listener)
    expect(site_menu).to_have_attribute("open", "")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
