"""From match to confirmed partnership in a real browser: a Kazakh member finds a Pakistani offer, they talk,
meet and both record the outcome, which the public scoreboard then counts."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from .liveserver import ROOT, flask, log_out, server_env

pytestmark = pytest.mark.e2e

KZ = "owner@shymkent-hides.example"
PK = "owner@korangi-tanners.example"
NAMED = "Our company may be named on the public scoreboard"
OFFER = "Chrome tanning and ETP operation training at our Korangi tannery (LWG Gold)"


@pytest.fixture(scope="module")
def demo_listings(live_server):
    """The demo listings, imported with the real CLI (idempotent: nothing changes if seed-demo brought them)."""
    env = server_env(live_server.database_url, live_server.log_path.parent)
    flask(env, "import-data", str(ROOT / "portal" / "demo_listings.jsonl"))
    [(listing_id,)] = live_server.query("SELECT id FROM listing WHERE title = :t", t=OFFER)
    return listing_id


def open_conversation(page):
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Partnerships").click()
    page.get_by_role("link", name=re.compile("^Conversations")).click()
    page.locator(".list-group-item").first.click()


def test_kazakh_member_and_pakistani_tannery_go_from_search_to_confirmed_partnership(
    page, live_server, log_in, demo_listings
):
    # The Kazakh hide collector finds the Pakistani training offer through search and sends interest.
    log_in(KZ)
    page.goto("/search?q=chrome+tanning+training")
    page.get_by_role("link", name=re.compile(r"^Chrome tanning and ETP operation training")).first.click()
    expect(page.get_by_role("heading", name=OFFER)).to_be_visible()
    page.get_by_label("Your message").fill(
        "We are starting a wet-blue line in Shymkent and would like to send three technicians to your course."
    )
    page.get_by_label("What your company brings").fill("6,000 cattle hides a month; a new beamhouse.")
    page.get_by_role("button", name="Send expression of interest").click()
    expect(page.get_by_text("Your expression of interest was sent.")).to_be_visible()
    assert live_server.query(
        "SELECT subject FROM outbox_message WHERE recipient = :to AND subject LIKE :s", to=PK, s="New interest%"
    )
    log_out(page)

    # The Pakistani owner accepts from the partnership inbox and writes first.
    log_in(PK)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Partnerships").click()
    page.get_by_role("link", name="Answer").first.click()
    page.get_by_label("Note to the company (optional)").fill("Welcome, the October batch has seats.")
    page.get_by_role("button", name="Accept and start a conversation").click()
    expect(page.get_by_text("Interest accepted.")).to_be_visible()
    page.get_by_role("textbox", name="Message", exact=True).fill("Salam! Please send the names of your technicians.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Message sent.")).to_be_visible()
    log_out(page)

    # The Kazakh member reads, answers and proposes a video call in Almaty time.
    log_in(KZ)
    open_conversation(page)
    expect(page.get_by_text("Salam! Please send the names of your technicians.")).to_be_visible()
    page.get_by_role("textbox", name="Message", exact=True).fill("Thank you! Aidos, Marat and Dana will come.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Message sent.")).to_be_visible()
    page.get_by_text("Propose a meeting").click()
    day = (date.today() + timedelta(days=10)).isoformat()
    page.get_by_label("Date").fill(day)
    page.get_by_label("Time", exact=True).fill("11:00")
    page.get_by_label("Time zone").select_option("Asia/Almaty")
    page.get_by_label("Online meeting link").fill("https://meet.example/korangi-shymkent")
    page.get_by_role("button", name="Propose meeting").click()
    expect(page.get_by_text("Your meeting proposal was sent.")).to_be_visible()
    log_out(page)

    # The Pakistani owner accepts the meeting, takes the .ics and records the outcome.
    log_in(PK)
    open_conversation(page)
    expect(page.get_by_text("Thank you! Aidos, Marat and Dana will come.")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Accept the meeting")).click()
    expect(page.get_by_text("Meeting accepted.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    ics = download.value.path().read_text()
    assert "BEGIN:VEVENT" in ics and f"DTSTART:{day.replace('-', '')}T060000Z" in ics  # 11:00 in Almaty is 06:00 UTC
    page.get_by_text("Record an outcome").click()
    page.get_by_label("What came of it").select_option("training_delivered")
    page.get_by_label("Estimated value in USD (optional)").fill("5400")
    page.get_by_label(NAMED).check()
    page.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_text("Outcome recorded.")).to_be_visible()
    log_out(page)

    # The Kazakh member confirms: the partnership now counts for both associations.
    log_in(KZ)
    open_conversation(page)
    confirm = page.locator("form", has=page.get_by_role("button", name="Confirm outcome"))
    confirm.get_by_label(NAMED).check()
    confirm.get_by_role("button", name="Confirm outcome").click()
    expect(page.get_by_text("Outcome confirmed.")).to_be_visible()
    expect(page.get_by_text("confirmed by both")).to_be_visible()
    [(status, value)] = live_server.query(
        "SELECT status, value_usd FROM outcome WHERE kind = 'training_delivered' AND value_usd = 5400"
    )
    assert (status, value) == ("confirmed", 5400)

    # The public scoreboard counts it, and names both companies because both agreed.
    log_out(page)
    page.get_by_role("contentinfo").get_by_role("link", name="Scoreboard").click()
    agreement = page.locator("tr", has_text="Korangi Tanners").filter(has_text="5,400")
    expect(agreement).to_be_visible()
    expect(agreement).to_contain_text("Шымкент Былғары")
