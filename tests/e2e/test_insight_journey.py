"""Issue 13 in a real browser: PTA staff read their dashboard in Urdu and KLA staff in Russian, change the
period, and take Excel and CSV exports home; the figures on screen, in the charts and in the files are the
database's."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from playwright.sync_api import expect

from .liveserver import choose_language

pytestmark = pytest.mark.e2e

ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# The sum of one column of a chart's first dataset, as Chart.js drew it.
CHART_TOTAL = "id => { const c = Chart.getChart(id); return c.data.datasets.reduce((s, d) => s + d.data.reduce((a, b) => a + b, 0), 0); }"


def listings_of(live_server, code: str) -> int:
    [(count,)] = live_server.query(
        "SELECT count(*) FROM listing JOIN company ON company.id = listing.company_id "
        "JOIN association ON association.id = company.association_id WHERE association.code = :code",
        code=code,
    )
    return count


def members_of(live_server, code: str, joined_since: datetime | None = None) -> int:
    [(count,)] = live_server.query(
        "SELECT count(*) FROM company JOIN association ON association.id = company.association_id "
        "WHERE association.code = :code AND company.created_at >= :since",
        code=code,
        since=joined_since or datetime(2000, 1, 1),
    )
    return count


def table_total(page, table_id: str, column: int) -> int:
    """The sum of one numeric column of a dashboard table (Latin digits in every language, group separators dropped)."""
    cells = page.locator(f"#{table_id} tbody tr").evaluate_all(
        f"rows => rows.map(r => r.children[{column}] ? r.children[{column}].innerText : '')"
    )
    return sum(int(re.sub(r"\D", "", cell) or 0) for cell in cells)


def download(page, href_part: str):
    """Click the dashboard's export link whose address contains href_part; the file as Playwright saved it."""
    with page.expect_download() as info:
        page.locator(f'a[href*="{href_part}"]').first.click()
    return info.value


def workbook_of(saved):
    """The downloaded file opened as Excel would: Playwright keeps it under a name without an extension."""
    assert saved.suggested_filename.endswith(".xlsx")
    return openpyxl.load_workbook(io.BytesIO(saved.path().read_bytes()), read_only=True)


def open_dashboard(page, log_in, email, language):
    log_in(email)
    choose_language(page, language)
    page.goto("/insight/?period=all")
    expect(page.locator("html")).to_have_attribute("lang", language)


def test_pta_staff_read_their_dashboard_in_urdu_change_the_period_and_export(page, live_server, log_in):
    open_dashboard(page, log_in, "staff@pta.example", "ur")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    # The listings table and its chart hold the database's count of PTA members' listings, and no KLA one.
    expected = listings_of(live_server, "PTA")
    assert expected > 0
    assert table_total(page, "chart-pta-listings-table", 3) == expected
    assert not page.locator("#chart-kla-listings-table").count()
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-pta-listings')")
    assert page.evaluate(CHART_TOTAL, "chart-pta-listings") == expected
    assert ARABIC_SCRIPT.search(page.locator("#chart-pta-listings-table caption").inner_text())

    # A past range holds nothing: the table says so and the chart of zeros is not drawn.
    page.locator("select[name=period]").select_option("custom")
    page.locator("input[name=from]").fill("2020-01-01")
    page.locator("input[name=to]").fill("2020-12-31")
    page.locator("form.insight-filter button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"period=custom.*from=2020-01-01"))
    assert table_total(page, "chart-pta-listings-table", 3) == 0
    expect(page.locator("#chart-pta-listings-table tbody td")).to_have_count(1)  # the empty row

    # Back to everything; the exports carry the period and read back as the database has it.
    page.locator("select[name=period]").select_option("all")
    page.locator("form.insight-filter button[type=submit]").click()
    workbook = workbook_of(download(page, "/insight/exports/members.xlsx"))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert ARABIC_SCRIPT.search(" ".join(str(cell) for cell in rows[0] if cell))  # the headers are in Urdu
    assert len(rows) - 1 == members_of(live_server, "PTA")

    listings_csv = download(page, "/insight/exports/listings.csv").path().read_text(encoding="utf-8-sig")
    listing_rows = list(csv.reader(io.StringIO(listings_csv)))
    assert ARABIC_SCRIPT.search(" ".join(listing_rows[0]))
    assert len(listing_rows) - 1 == expected


def test_kla_staff_read_their_dashboard_in_russian_and_export(page, live_server, log_in):
    open_dashboard(page, log_in, "staff@kla.example", "ru")
    expected = listings_of(live_server, "KLA")
    assert table_total(page, "chart-kla-listings-table", 3) == expected
    assert not page.locator("#chart-pta-listings-table").count()
    assert CYRILLIC.search(page.locator("h1").inner_text())

    page.locator("select[name=period]").select_option("30d")
    page.locator("form.insight-filter button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"period=30d"))

    listings_xlsx = workbook_of(download(page, "/insight/exports/listings.xlsx"))
    rows = list(listings_xlsx.active.iter_rows(values_only=True))
    assert CYRILLIC.search(" ".join(str(cell) for cell in rows[0] if cell))
    assert len(rows) - 1 == table_total(page, "chart-kla-listings-table", 3)  # the export is what the screen shows

    members_csv = download(page, "/insight/exports/members.csv").path().read_text(encoding="utf-8-sig")
    recent = members_of(live_server, "KLA", joined_since=datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30))
    assert 0 < recent < members_of(live_server, "KLA")  # the demo's verified members joined months ago
    assert len(list(csv.reader(io.StringIO(members_csv)))) - 1 == recent
