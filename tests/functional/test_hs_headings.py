"""Issue 13: HS headings on trade listings (read from the concepts, chosen by the owner, corrected by staff,
imported, searched by facet) and the supply months of raw hide offers."""

import json

import sqlalchemy as sa

from portal.extensions import db
from portal.listings import hs
from portal.listings.importer import import_jsonl
from portal.models import AuditLog, Listing
from portal.models.listing import ListingHsHeading, ListingMonth

from .. import factories
from .test_finding_listings import cards
from .test_listings import form_data


def only_listing():
    db.session.expire_all()
    return db.session.scalars(sa.select(Listing)).one()


def headings_of(listing):
    return sorted((h.heading, h.inferred) for h in listing.hs_headings)


def with_headings(listing, codes, inferred=False):
    hs.set_headings(listing, codes, inferred=inferred)
    db.session.commit()
    return listing


# --- reading headings from the concepts -------------------------------------------------------------


def test_headings_are_read_from_animal_and_stage_and_from_end_use_without_a_stage():
    assert hs.infer(["hide_cattle", "stage_raw"]) == ["4101"]
    assert hs.infer(["hide_sheep", "stage_raw"]) == ["4102"]
    assert hs.infer(["hide_goat", "stage_wetblue"]) == ["4106"]
    assert hs.infer(["hide_cattle", "stage_wetblue", "stage_finished"]) == ["4104", "4107"]
    assert hs.infer(["hide_sheep", "stage_crust"]) == ["4105"]
    assert hs.infer(["hide_sheep", "stage_finished"]) == ["4112"]
    assert hs.infer(["seg_footwear", "seg_gloves", "seg_bags"]) == ["4202", "4203", "6403"]
    # finished leather *for* footwear is leather, not shoes; an animal alone names no heading
    assert hs.infer(["hide_cattle", "stage_finished", "seg_footwear"]) == ["4107"]
    assert hs.infer(["hide_cattle"]) == []


def test_every_heading_has_the_wco_text_and_four_labels():
    table = hs.headings()
    assert list(table) == [
        *("4101", "4102", "4103", "4104", "4105", "4106", "4107", "4112", "4113", "4114", "4115"),
        *("4201", "4202", "4203", "4205", "6403"),
    ]
    for entry in table.values():
        assert entry["wco"] and set(entry["labels"]) == {"en", "ru", "kk", "ur"} and all(entry["labels"].values())


def test_a_new_trade_listing_gets_headings_inferred_from_its_capabilities(client, login, member):
    login(member)
    assert client.post("/listings/new", data=form_data()).status_code == 302
    assert headings_of(only_listing()) == [("4104", True)]


def test_a_listing_of_another_type_has_no_headings(client, login, member):
    login(member)
    data = form_data(type="technology_transfer", **{"technology_transfer-form": "consulting", "hs_headings": "4104"})
    assert client.post("/listings/new", data=data).status_code == 302
    assert only_listing().hs_headings == []


# --- the owner's choice ------------------------------------------------------------------------------


def test_the_owners_choice_replaces_inferred_headings_and_none_brings_them_back(client, login, member):
    login(member)
    client.post("/listings/new", data=form_data())
    listing = only_listing()
    page = client.get(f"/listings/{listing.id}/edit").get_data(as_text=True)
    assert "Read from your capabilities: 4104." in page and 'name="hs_headings" type="checkbox" value="4107"' in page
    client.post(f"/listings/{listing.id}/edit", data=form_data(hs_headings=["4107", "4114"]))
    assert headings_of(only_listing()) == [("4107", False), ("4114", False)]
    # another tag does not touch a choice
    client.post(
        f"/listings/{listing.id}/edit",
        data=form_data(hs_headings=["4107", "4114"], tags=["hide_sheep", "stage_raw"]),
    )
    assert headings_of(only_listing()) == [("4107", False), ("4114", False)]
    client.post(f"/listings/{listing.id}/edit", data=form_data(tags=["hide_sheep", "stage_raw"]))
    assert headings_of(only_listing()) == [("4102", True)]


def test_another_company_cannot_set_headings_on_a_listing_that_is_not_theirs(client_for, member, kz_member):
    listing = factories.make_listing(member.company, type="trade", details={}, tags=["hide_cattle", "stage_raw"])
    answer = client_for(kz_member).post(f"/listings/{listing.id}/edit", data=form_data(hs_headings=["6403"]))
    assert answer.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ListingHsHeading)) == 0


def test_an_unknown_heading_in_the_form_is_refused(client, login, member):
    login(member)
    assert client.post("/listings/new", data=form_data(hs_headings=["4109"])).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0


def test_the_listing_page_shows_code_and_label_in_the_readers_language(client, member):
    listing = with_headings(factories.make_live_listing(member.company), ["4104"])
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert ">4104</span> Tanned or crust bovine and equine hides (wet blue, crust)" in html
    russian = client.get(f"/listings/{listing.id}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Дублёные шкуры КРС и лошадей и краст (вет-блю)" in russian


# --- staff correction ------------------------------------------------------------------------------


def test_staff_correct_the_headings_audited_and_they_stop_being_inferred(client_for, member, pta_staff):
    listing = factories.make_listing(member.company, status="submitted", type="trade", details={})
    with_headings(listing, ["4104"], inferred=True)
    staff = client_for(pta_staff)
    assert "Correct the HS headings" in staff.get(f"/staff/listings/{listing.id}").get_data(as_text=True)
    answer = staff.post(f"/staff/listings/{listing.id}/hs", data={"hs_headings": ["4107"]})
    assert answer.status_code == 302
    db.session.expire_all()
    assert headings_of(db.session.get(Listing, listing.id)) == [("4107", False)]
    entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "listing.hs_headings")).one()
    assert entry.actor_id == pta_staff.id and entry.detail["from"] == ["4104"] and entry.detail["to"] == ["4107"]
    history = staff.get(f"/staff/listings/{listing.id}").get_data(as_text=True)
    assert "corrected the HS headings of" in history


def test_staff_of_another_association_cannot_correct_the_headings(client_for, member, kla_staff):
    listing = with_headings(factories.make_listing(member.company, status="submitted", type="trade", details={}), [])
    answer = client_for(kla_staff).post(f"/staff/listings/{listing.id}/hs", data={"hs_headings": ["4107"]})
    assert answer.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ListingHsHeading)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "listing.hs_headings")) == 0


def test_staff_tag_correction_updates_inferred_headings(client_for, member, pta_staff):
    listing = factories.make_listing(member.company, status="submitted", type="trade", details={})
    with_headings(listing, ["4104"], inferred=True)
    client_for(pta_staff).post(f"/staff/listings/{listing.id}/tags", data={"tags": ["hide_goat", "stage_raw"]})
    db.session.expire_all()
    assert headings_of(db.session.get(Listing, listing.id)) == [("4103", True)]


# --- import ----------------------------------------------------------------------------------------

COMPANY = {
    "record": "company",
    "ref": "kz-c01",
    "name": "Aktobe Hides",
    "country": "KZ",
    "association": "KLA",
    "verified": True,
}
TRADE = {
    "record": "listing",
    "ref": "t-001",
    "company_ref": "kz-c01",
    "direction": "offer",
    "type": "trade",
    "title": "Wet-salted cattle hides",
    "description": "6,000 hides a month.",
    "tags": ["hide_cattle", "stage_raw"],
}


def lines(*records):
    return [json.dumps(r, ensure_ascii=False) for r in records]


def test_import_takes_hs_headings_and_months_or_infers_the_headings(app):
    report = import_jsonl(
        lines(
            COMPANY,
            {**TRADE, "hs_headings": ["4101", "4115"], "available_months": [3, 4, 5, 7]},
            {**TRADE, "ref": "t-002"},
        )
    )
    assert report.ok, report.errors
    chosen, inferred = (
        db.session.scalars(sa.select(Listing).where(Listing.ref == r)).one() for r in ("t-001", "t-002")
    )
    assert headings_of(chosen) == [("4101", False), ("4115", False)] and hs.month_numbers(chosen) == [3, 4, 5, 7]
    assert headings_of(inferred) == [("4101", True)] and hs.month_numbers(inferred) == []
    again = import_jsonl(lines(COMPANY, {**TRADE, "hs_headings": ["4101", "4115"], "available_months": [3, 4, 5, 7]}))
    assert again.counts["listing"]["unchanged"] == 1


def test_import_refuses_unknown_headings_and_misplaced_months_naming_line_and_field(app):
    report = import_jsonl(
        lines(
            COMPANY,
            {**TRADE, "hs_headings": ["4109"]},
            {**TRADE, "ref": "t-002", "direction": "request", "available_months": [6]},
            {**TRADE, "ref": "t-003", "available_months": [0, 13]},
            {**TRADE, "ref": "t-004", "type": "training", "hs_headings": ["4104"]},
        )
    )
    assert report.errors == [
        "line 2: hs_headings: unknown HS headings: 4109",
        "line 3: available_months: only trade offers have supply months",
        "line 4: available_months: must be a list of month numbers from 1 to 12",
        "line 5: hs_headings: only trade listings have HS headings",
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ListingHsHeading)) == 0


# --- the search facet -------------------------------------------------------------------------------


def test_the_hs_facet_filters_and_counts(client, member, kz_member):
    with_headings(factories.make_live_listing(member.company, "Wet blue cattle hides"), ["4104"], inferred=True)
    with_headings(factories.make_live_listing(kz_member.company, "Raw cattle hides"), ["4101"])
    with_headings(factories.make_live_listing(kz_member.company, "Wet blue and raw"), ["4101", "4104"])
    factories.make_live_listing(member.company, "Leather know-how", type="technology_transfer")
    browse = client.get("/listings/").get_data(as_text=True)
    assert ">HS heading</h2>" in browse
    assert 'href="/listings/?hs=4104"' in browse and "4104 · Tanned or crust bovine" in browse
    assert '4101 · Raw bovine and equine hides</a>\n            <span class="text-muted">(2)</span>' in browse
    assert set(cards(client.get("/listings/?hs=4104").get_data(as_text=True))) == {
        "Wet blue cattle hides",
        "Wet blue and raw",
    }
    assert cards(client.get("/search?q=hides&hs=4101&hs=4104").get_data(as_text=True)) == ["Wet blue and raw"]
    # an unknown heading is ignored, not matched
    assert len(cards(client.get("/listings/?hs=9999").get_data(as_text=True))) == 4


def test_search_check_passes_and_rebuild_keeps_the_facet(app, client, runner, member):
    with_headings(factories.make_live_listing(member.company, "Raw sheepskins"), ["4102"])
    factories.make_live_listing(member.company, "Without headings")
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert runner.invoke(args=["search", "rebuild", "--quiet"]).exit_code == 0
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert cards(client.get("/listings/?hs=4102").get_data(as_text=True)) == ["Raw sheepskins"]


# --- supply months -----------------------------------------------------------------------------------


def test_months_are_saved_and_shown_in_the_readers_language(client, login, member):
    login(member)
    data = form_data(tags=["hide_cattle", "stage_raw"], available_months=["3", "4", "5", "7"])
    assert client.post("/listings/new", data=data).status_code == 302
    listing = only_listing()
    assert hs.month_numbers(listing) == [3, 4, 5, 7]
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "<strong>Available:</strong> March–May and July" in html
    russian = client.get(f"/listings/{listing.id}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "март–май и июль" in russian


def test_months_are_refused_on_a_request_and_ignored_on_another_type(client, login, member):
    login(member)
    request = client.post("/listings/new", data=form_data(direction="request", available_months=["6"]))
    assert request.status_code == 200 and "Supply months are for offers only." in request.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0
    other = form_data(type="technology_transfer", available_months=["6"], **{"technology_transfer-form": "licence"})
    assert client.post("/listings/new", data=other).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ListingMonth)) == 0


def test_a_season_through_the_new_year_reads_as_one_run(app):
    with app.test_request_context():
        assert hs.months_text([11, 12, 1, 2, 6]) == "June and November–February"


# --- the command --------------------------------------------------------------------------------------


def test_infer_hs_fills_inferred_headings_keeps_choices_and_is_idempotent(runner, member):
    raw = factories.make_listing(member.company, type="trade", details={}, tags=["hide_sheep", "stage_raw"])
    chosen = with_headings(
        factories.make_listing(member.company, type="trade", details={}, tags=["seg_bags"]), ["4205"]
    )
    factories.make_listing(member.company, tags=["hide_cattle", "stage_raw"])  # technology transfer: none
    first = runner.invoke(args=["listings", "infer-hs"])
    assert first.exit_code == 0, first.output
    assert "3 listing(s) checked: 1 updated, 1 with headings chosen by hand kept, 1 unchanged." in first.output
    db.session.expire_all()
    assert headings_of(db.session.get(Listing, raw.id)) == [("4102", True)]
    assert headings_of(db.session.get(Listing, chosen.id)) == [("4205", False)]
    second = runner.invoke(args=["listings", "infer-hs"])
    assert "0 updated" in second.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ListingHsHeading)) == 2
