"""Bulk import: the sample file, idempotency, whole-file refusal, CSV rosters, the upload page."""

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from portal.extensions import db
from portal.listings.import_check import validate_jsonl
from portal.listings.importer import import_jsonl
from portal.models import AuditLog, Company, Listing, ListingStatus, ListingTag

from .. import factories

# The labelled sample lives in shared/ beside the checkout (CI lays a copy there too).
SAMPLE = next(
    (
        p
        for p in (
            Path(__file__).resolve().parents[3] / "shared" / "data" / "sample-listings.jsonl",
            Path("/work/shared/data/sample-listings.jsonl"),
        )
        if p.exists()
    ),
    Path("/work/shared/data/sample-listings.jsonl"),
)
COMPANY = {
    "record": "company",
    "ref": "kz-c01",
    "name": "Aktobe Hides",
    "country": "KZ",
    "city": "Aktobe",
    "association": "KLA",
    "membership_no": "KLA-1",
    "description": "Hides.",
    "website": "https://a.example",
    "verified": True,
}
LISTING = {
    "record": "listing",
    "ref": "t-001",
    "company_ref": "kz-c01",
    "direction": "request",
    "type": "technology_transfer",
    "language": "en",
    "title": "Wet-blue line know-how",
    "description": "We want chrome tanning know-how for cattle hides.",
    "status": "published",
}


def jsonl(*records) -> list[str]:
    return [(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records]


def write(tmp_path, lines, name="data.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


def table_counts() -> dict:
    return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def test_sample_file_imports_in_one_command(app, runner):
    result = runner.invoke(args=["import-data", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "companies: 16 created" in result.output and "listings: 64 created" in result.output
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Company).where(Company.status == "verified")) == 15
    )  # one says false
    languages = dict(db.session.execute(sa.select(Listing.language, sa.func.count()).group_by(Listing.language)).all())
    assert languages == {"en": 35, "ru": 23, "kk": 3, "ur": 3}
    live = db.session.scalar(sa.select(sa.func.count()).select_from(Listing).where(Listing.live_clause()))
    assert live == 63  # the unverified company's (dc-kz05) published listing d-053 is not live
    assert db.session.scalar(sa.select(Listing).where(Listing.ref == "d-053")).is_live is False
    # listings without tags get them read from their text, marked as inferred
    inferred = db.session.scalar(sa.select(sa.func.count()).select_from(ListingTag).where(ListingTag.inferred))
    assert inferred > 64


def test_importing_the_same_file_twice_changes_nothing(app, runner):
    runner.invoke(args=["import-data", str(SAMPLE)])
    before = table_counts()
    stamps = dict(db.session.execute(sa.select(Listing.ref, Listing.updated_at)).all())
    result = runner.invoke(args=["import-data", str(SAMPLE)])
    assert result.exit_code == 0
    assert "companies: 0 created, 0 updated, 16 unchanged" in result.output
    assert "listings: 0 created, 0 updated, 64 unchanged" in result.output
    db.session.expire_all()
    assert table_counts() == before
    assert dict(db.session.execute(sa.select(Listing.ref, Listing.updated_at)).all()) == stamps


def test_a_file_with_bad_lines_is_refused_whole_and_every_bad_line_is_named(app, runner, tmp_path):
    lines = jsonl(
        COMPANY,
        LISTING,
        '{"record": "listing", "ref": "t-002", ',  # line 3: broken JSON
        {**LISTING, "ref": "t-003", "company_ref": "nobody"},  # line 4
        {**LISTING, "ref": "t-004", "title": "x" * 151, "type": "barter"},  # line 5: two problems
        {**LISTING, "ref": "t-001"},  # line 6: duplicate ref
        {**COMPANY, "ref": "kz-c02", "association": "XYZ"},  # line 7
        {**LISTING, "ref": "t-005", "status": "expired", "tags": ["not_a_term"]},  # line 8
    )
    before = table_counts()
    result = runner.invoke(args=["import-data", str(write(tmp_path, lines))])
    assert result.exit_code == 1
    out = result.output
    for expected in (
        "line 3: json:",
        "line 4: company_ref: unknown company nobody",
        "line 5: title: is 151 characters",
        "line 5: type: must be one of",
        "line 6: ref: duplicate",
        "line 7: association: must be one of",
        "line 8: status: must be one of",
        "line 8: tags: unknown taxonomy terms: not_a_term",
    ):
        assert expected in out
    assert "line 1:" not in out and "line 2:" not in out
    assert "Nothing was imported" in out
    db.session.expire_all()
    assert table_counts() == before


def test_a_listing_may_only_name_a_company_defined_earlier_or_already_stored(app, tmp_path):
    records, errors = validate_jsonl(jsonl(LISTING, COMPANY))
    assert errors == ["line 1: company_ref: unknown company kz-c01 (define it on an earlier line or import it first)"]
    factories.make_company(country="KZ", association="KLA", ref="kz-c01")
    records, errors = validate_jsonl(jsonl(LISTING))
    assert errors == [] and records[0]["line"] == 1


def test_changed_records_are_updated_in_place(app, tmp_path):
    import_jsonl(jsonl(COMPANY, LISTING))
    report = import_jsonl(jsonl({**COMPANY, "city": "Aktobe region"}, {**LISTING, "title": "Wet-blue line, turnkey"}))
    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    listing = db.session.scalars(sa.select(Listing)).one()
    assert listing.title == "Wet-blue line, turnkey" and listing.company.city == "Aktobe region"


def test_status_sets_the_lifecycle_dates(app):
    report = import_jsonl(
        jsonl(
            COMPANY,
            LISTING,
            {**LISTING, "ref": "t-002", "status": "submitted"},
            {**LISTING, "ref": "t-003", "status": None},
        )
    )
    assert report.ok
    by_ref = {x.ref: x for x in db.session.scalars(sa.select(Listing))}
    published = by_ref["t-001"]
    assert published.is_live and (published.expires_at - published.published_at).days == 365
    assert by_ref["t-002"].status is ListingStatus.submitted and by_ref["t-002"].submitted_at is not None
    assert by_ref["t-003"].status is ListingStatus.draft


def test_reimport_does_not_revive_a_withdrawn_listing(app):
    import_jsonl(jsonl(COMPANY, LISTING))
    listing = db.session.scalars(sa.select(Listing)).one()
    listing.status = ListingStatus.withdrawn
    db.session.commit()
    import_jsonl(jsonl(COMPANY, LISTING))
    assert db.session.scalars(sa.select(Listing)).one().status is ListingStatus.withdrawn


def test_explicit_tags_and_details_are_kept(app):
    report = import_jsonl(
        jsonl(
            COMPANY,
            {
                **LISTING,
                "type": "trade",
                "tags": ["hide_goat"],
                "details": {"product": "Goat skins", "quantity": 5000, "unit": "skins", "incoterms": "CIF"},
            },
        )
    )
    assert report.ok, report.errors
    listing = db.session.scalars(sa.select(Listing)).one()
    assert listing.tag_ids == ["hide_goat"] and not listing.tags[0].inferred
    assert listing.details["incoterms"] == "CIF"


def test_details_are_checked_against_the_type(app):
    _records, errors = validate_jsonl(
        jsonl(COMPANY, {**LISTING, "type": "trade", "details": {"incoterms": "XYZ", "seats": 3}})
    )
    assert "line 2: details.seats: unknown field for type trade" in errors
    assert any(e.startswith("line 2: details.incoterms: must be one of EXW") for e in errors)


def test_language_is_detected_when_missing(app):
    import_jsonl(
        jsonl(
            COMPANY,
            {
                **LISTING,
                "language": None,
                "title": "Ищем технологию дубления",
                "description": "Нужна помощь с хромовым дублением шкур КРС.",
            },
        )
    )
    assert db.session.scalars(sa.select(Listing)).one().language == "ru"


def test_import_is_audited_once(app, admin):
    import_jsonl(jsonl(COMPANY, LISTING), actor=admin)
    entry = db.session.scalars(sa.select(AuditLog)).one()
    assert entry.action == "import" and entry.actor_id == admin.id
    assert entry.detail == {"company": {"created": 1}, "listing": {"created": 1}}


# --- CSV rosters --------------------------------------------------------------------------------------

ROSTER = (
    "ref,name,country,city,association,membership_no,website,description\n"
    'pk-r1,Bin Qasim Tannery,PK,Karachi,PTA,PTA-0101,https://bq.example,"Cow and buffalo,\nfinished leather"\n'
    "pk-r2,Sialkot Gloves,PK,Sialkot,,PTA-0102,,Gloves\n"
)


def test_csv_roster_imports_companies_with_the_chosen_association(app, runner, tmp_path):
    path = write(tmp_path, [ROSTER], "roster.csv")
    result = runner.invoke(args=["import-data", str(path), "--association", "PTA"])
    assert result.exit_code == 0, result.output
    companies = {c.ref: c for c in db.session.scalars(sa.select(Company))}
    assert set(companies) == {"pk-r1", "pk-r2"}
    assert companies["pk-r1"].description == "Cow and buffalo,\nfinished leather"
    assert all(c.association.code == "PTA" and not c.is_verified for c in companies.values())
    assert (
        "0 created, 0 updated, 2 unchanged"
        in runner.invoke(args=["import-data", str(path), "--association", "PTA"]).output
    )


def test_csv_roster_errors_name_the_spreadsheet_line(app, runner, tmp_path):
    bad = ROSTER + "pk-r3,,PK,Lahore,PTA,,,\npk-r4,Kazakh Co,KZ,Almaty,KLA,,,\n"
    result = runner.invoke(args=["import-data", str(write(tmp_path, [bad], "roster.csv")), "--association", "PTA"])
    assert result.exit_code == 1
    assert "line 5: name: is required" in result.output
    assert "line 6: association: KLA differs from the chosen association PTA" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 0


def test_csv_without_required_columns_is_refused(app, runner, tmp_path):
    result = runner.invoke(args=["import-data", str(write(tmp_path, ["ref,name\nx,Y\n"], "roster.csv"))])
    assert result.exit_code == 1 and "line 1: header: missing column country, association" in result.output


# --- the upload page ----------------------------------------------------------------------------------


def upload(browser, lines, name="data.jsonl", **fields):
    # Encoded here in memory: the test client would spool a body over 500 KB to a temporary file
    # that it never closes (a ResourceWarning, an error under filterwarnings = error).
    body, length, boundary = stream_encode_multipart(
        {"file": FileStorage(io.BytesIO("".join(lines).encode()), filename=name), **fields}, use_tempfile=False
    )
    return browser.post(
        "/staff/import",
        input_stream=body,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
        follow_redirects=True,
    )


def test_staff_upload_imports_their_associations_file(app, client_for, kla_staff):
    response = upload(client_for(kla_staff), jsonl(COMPANY, LISTING))
    assert response.status_code == 200 and "listings: 1 created" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Listing)).one().is_live


def test_upload_page_lists_every_problem_and_writes_nothing(app, client_for, admin):
    before = table_counts()
    response = upload(client_for(admin), jsonl(COMPANY, {**LISTING, "direction": "sideways"}, "not json"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nothing was imported" in html
    assert "line 2: direction: must be one of offer, request" in html and "line 3: json:" in html
    db.session.expire_all()
    assert table_counts() == before


def test_staff_cannot_import_for_another_association(app, client_for, pta_staff):
    response = upload(client_for(pta_staff), jsonl(COMPANY, LISTING))
    html = response.get_data(as_text=True)
    assert "line 1: association: you may import companies of PTA only" in html
    assert "line 2: company_ref: you may import listings of PTA companies only" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 0


def test_staff_csv_upload_is_bound_to_their_own_association(app, client_for, pta_staff):
    browser = client_for(pta_staff)
    upload(browser, [ROSTER], name="roster.csv", association="KLA")  # a forged choice is refused
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 0
    upload(browser, [ROSTER.replace(",PTA,", ",,")], name="roster.csv")
    assert {c.association.code for c in db.session.scalars(sa.select(Company))} == {"PTA"}


@pytest.mark.parametrize("who, code", [("member", 403), (None, 302)])
def test_members_and_visitors_cannot_import(app, client_for, request, who, code):
    browser = client_for(request.getfixturevalue(who)) if who else app.test_client()
    response = browser.post(
        "/staff/import", data={"file": (io.BytesIO(b"{}"), "x.jsonl")}, content_type="multipart/form-data"
    )
    assert response.status_code == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == (1 if who else 0)
