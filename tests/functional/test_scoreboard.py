"""The public scoreboard (/scoreboard) and the admin's official trade figures (/admin/trade-figures): only
confirmed outcomes count, companies are named only when both agreed, an admin's figure replaces the shipped
one until it is removed, and only admins may change the figures."""

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.insight import scoreboard
from portal.models import AuditLog, Outcome, OutcomeKind, OutcomeStatus, TradeFigure

from .. import factories

FIGURE = {
    "year": "2023",
    "flow": "pk_to_kz",
    "value_usd": "70000000",
    "months": "12",
    "source": "Pakistan Bureau of Statistics, table 7",
    "source_url": "https://www.pbs.gov.pk/trade",
}


def partnership(owner_name=None, partner_name=None):
    """A conversation between a new PTA company (the listing's) and a new KLA company (the interested one)."""
    ours = factories.make_company(name=owner_name, association="PTA", country="PK", verified=True)
    theirs = factories.make_company(name=partner_name, association="KLA", country="KZ", verified=True)
    listing = factories.make_live_listing(ours, "Chrome tanning training", type="training")
    return factories.make_interest(listing, theirs, status="accepted").conversation


def outcome(conversation, kind="trade_contract", value=None, status="confirmed", decided=None, named=(False, False)):
    row = Outcome(
        conversation_id=conversation.id,
        kind=OutcomeKind(kind),
        value_usd=value,
        status=OutcomeStatus(status),
        recorded_by_company_id=conversation.partner_company_id,
        confirmed_by_company_id=conversation.owner_company_id if status != "recorded" else None,
        decided_at=decided if status != "recorded" else None,
        recorder_agrees_to_be_named=named[0],
        confirmer_agrees_to_be_named=named[1],
    )
    db.session.add(row)
    db.session.commit()
    return row


def page(client, url="/scoreboard") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def table(html, table_id) -> str:
    start = html.index(f'id="{table_id}"')
    return html[start : html.index("</table>", start)]


def row_of(html, table_id, first_cell) -> list[str]:
    """The cells of the table row whose header cell is `first_cell`, tags stripped."""
    for row in re.findall(r"<tr>(.*?)</tr>", table(html, table_id), re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in {table_id}")


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# --- what counts ------------------------------------------------------------------------------------


def test_only_confirmed_outcomes_count_by_year_of_confirmation_and_kind(client):
    deal = partnership()
    outcome(deal, "trade_contract", 50_000, decided=datetime(2025, 3, 1))
    outcome(deal, "trade_contract", 7_000, decided=datetime(2025, 11, 30))
    outcome(deal, "training_delivered", 3_000, decided=datetime(2026, 1, 5))
    outcome(deal, "joint_venture_formed", None, decided=datetime(2026, 2, 1))  # counts, with no value
    outcome(deal, "trade_contract", 900_000, status="recorded")  # not confirmed by the other company
    outcome(deal, "trade_contract", 800_000, status="disputed", decided=datetime(2025, 5, 1))

    rows = sorted((r["year"], r["kind"], r["count"], r["value_usd"]) for r in scoreboard.confirmed_by_year_and_kind())
    assert rows == [
        (2025, "trade_contract", 2, 57_000),
        (2026, "joint_venture_formed", 1, 0),
        (2026, "training_delivered", 1, 3_000),
    ]
    html = page(client)
    assert row_of(html, "sb-year-table", "2025") == ["2025", "2", "$57,000"]
    assert row_of(html, "sb-year-table", "2026") == ["2026", "2", "$3,000"]
    assert row_of(html, "sb-kind-table", "Trade contract") == ["Trade contract", "2", "$57,000"]
    assert row_of(html, "sb-kind-table", "Joint venture formed") == ["Joint venture formed", "1", "$0"]
    assert row_of(html, "sb-official-table", "2025")[5] == "$57,000"
    assert "4 confirmed agreements in all" in html
    assert "900,000" not in html and "800,000" not in html


def test_an_agreement_between_two_companies_of_one_country_is_not_bilateral_trade(client):
    """The portal lets a Pakistani member take up another Pakistani member's listing; what they agree is not
    trade between the two countries, so the scoreboard leaves it out (the dashboards still count it)."""
    pakistani = factories.make_company(name="Kasur Tannery", association="PTA", country="PK", verified=True)
    neighbour = factories.make_company(name="Lahore Leather", association="PTA", country="PK", verified=True)
    listing = factories.make_live_listing(pakistani, "Wet blue cow hides", type="trade")
    domestic = factories.make_interest(listing, neighbour, status="accepted").conversation
    outcome(domestic, "trade_contract", 40_000, decided=datetime(2026, 2, 1), named=(True, True))
    outcome(partnership(), "trade_contract", 6_000, decided=datetime(2026, 3, 1))

    assert [(r["count"], r["value_usd"]) for r in scoreboard.confirmed_by_year_and_kind()] == [(1, 6_000)]
    html = page(client)
    assert row_of(html, "sb-year-table", "2026") == ["2026", "1", "$6,000"]
    assert "40,000" not in html and "Lahore Leather" not in html
    assert "1 confirmed agreement in all" in html


def test_without_confirmed_outcomes_the_page_says_so(client):
    outcome(partnership(), "trade_contract", 5_000, status="recorded")
    html = page(client)
    assert "No confirmed agreements yet" in html
    assert 'id="sb-kind-table"' not in html and "5,000" not in html


def test_the_shipped_figures_and_the_goal_are_shown_with_their_sources(client):
    html = page(client)
    assert row_of(html, "sb-official-table", "2023") == [
        "2023",
        "12",
        "$68,100,000",
        "$6,400,000",
        "$74,500,000",  # the two flows' sum: the file has no 2023 total
        "$0",
        "0%",
    ]
    assert row_of(html, "sb-official-table", "2025")[1:5] == ["7", "—", "—", "$89,600,000"]
    assert "$1B" in html and "$1,000,000,000" in html
    assert "9% of the goal, in the first 7 months of the year" in html
    assert "Bilateral trade in January-July 2025" in html
    assert "The total of 2023 is the sum of the two flows." in html


# --- naming -----------------------------------------------------------------------------------------


def test_companies_are_named_only_when_both_agreed(client):
    outcome(
        partnership("Named Owner Tannery", "Named Partner Hides"),
        value=1_000,
        decided=datetime(2026, 1, 1),
        named=(True, True),
    )
    outcome(
        partnership("Shy Owner One", "Keen Partner One"), value=2_000, decided=datetime(2026, 1, 2), named=(True, False)
    )
    outcome(
        partnership("Keen Owner Two", "Shy Partner Two"), value=3_000, decided=datetime(2026, 1, 3), named=(False, True)
    )
    outcome(partnership("Silent Owner Three", "Silent Partner Three"), value=4_000, decided=datetime(2026, 1, 4))

    html = page(client)

    assert "Named Partner Hides" in html and "Named Owner Tannery" in html
    for name in ("Shy Owner One", "Keen Partner One", "Keen Owner Two", "Shy Partner Two", "Silent Owner"):
        assert name not in html
    assert html.count("Two member companies") == 3
    unnamed = [
        a for a in scoreboard.agreements(list(db.session.scalars(scoreboard.agreements_query()))) if not a["named"]
    ]
    assert len(unnamed) == 3 and all(a["recorder"] is None and a["confirmer"] is None for a in unnamed)


def test_a_company_name_is_escaped(client):
    outcome(
        partnership("<script>alert(1)</script> Tannery", "Partner <img src=x onerror=alert(2)>"),
        value=10,
        decided=datetime(2026, 1, 1),
        named=(True, True),
    )
    html = page(client)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Tannery" in html
    assert "Partner &lt;img src=x onerror=alert(2)&gt;" in html


def test_the_consent_boxes_go_through_the_partnership_pages(client_for, member, kz_member):
    listing = factories.make_live_listing(member.company, "Wet blue hides", type="trade")
    deal = factories.make_interest(listing, kz_member.company, kz_member, status="accepted").conversation
    partner, owner = client_for(kz_member), client_for(member)

    html = partner.get(f"/partnerships/conversations/{deal.id}").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="agrees_to_be_named"[^>]*>', html).group(0)
    assert "checked" not in box and "Our company may be named on the public scoreboard" in html

    for kind, value, ticked in (("trade_contract", "25000", True), ("training_delivered", "4000", False)):
        data = {"kind": kind, "value_usd": value, **({"agrees_to_be_named": "y"} if ticked else {})}
        assert partner.post(f"/partnerships/conversations/{deal.id}/outcomes", data=data).status_code == 302
    named, unnamed = db.session.scalars(sa.select(Outcome).order_by(Outcome.id)).all()
    assert (named.recorder_agrees_to_be_named, unnamed.recorder_agrees_to_be_named) == (True, False)

    confirm_page = owner.get(f"/partnerships/conversations/{deal.id}").get_data(as_text=True)
    assert f'id="agrees-to-be-named-{named.id}"' in confirm_page
    owner.post(f"/partnerships/outcomes/{named.id}/confirm", data={"agrees_to_be_named": "y"})
    owner.post(f"/partnerships/outcomes/{unnamed.id}/confirm", data={})
    db.session.refresh(named)
    db.session.refresh(unnamed)
    assert named.status is unnamed.status is OutcomeStatus.confirmed
    assert (named.confirmer_agrees_to_be_named, unnamed.confirmer_agrees_to_be_named) == (True, False)

    conversation = page(owner, f"/partnerships/conversations/{deal.id}")
    assert "Both companies are named on the public scoreboard." in conversation
    assert "Counted on the public scoreboard without the companies' names." in conversation
    html = page(owner)
    assert member.company.name in html and kz_member.company.name in html  # the named trade contract
    assert html.count("Two member companies") == 1  # the training: neither company said yes


def test_one_consent_is_not_enough_through_the_pages(client_for, member, kz_member):
    listing = factories.make_live_listing(member.company, "Wet blue hides", type="trade")
    deal = factories.make_interest(listing, kz_member.company, kz_member, status="accepted").conversation
    data = {"kind": "trade_contract", "value_usd": "1000", "agrees_to_be_named": "y"}
    client_for(kz_member).post(f"/partnerships/conversations/{deal.id}/outcomes", data=data)
    oid = db.session.scalar(sa.select(Outcome.id))
    client_for(member).post(f"/partnerships/outcomes/{oid}/confirm", data={})
    html = page(client_for(kz_member))
    assert "$1,000" in html and "Two member companies" in html
    assert member.company.name not in html and kz_member.company.name not in html


def named_deal(member, kz_member, client_for):
    """A trade contract recorded by the KZ partner and confirmed by the PK owner, both agreeing to be named."""
    listing = factories.make_live_listing(member.company, "Wet blue hides", type="trade")
    deal = factories.make_interest(listing, kz_member.company, kz_member, status="accepted").conversation
    partner, owner = client_for(kz_member), client_for(member)
    data = {"kind": "trade_contract", "value_usd": "25000", "agrees_to_be_named": "y"}
    partner.post(f"/partnerships/conversations/{deal.id}/outcomes", data=data)
    agreement = db.session.scalar(sa.select(Outcome))
    owner.post(f"/partnerships/outcomes/{agreement.id}/confirm", data={"agrees_to_be_named": "y"})
    return deal, agreement, partner, owner


def test_either_company_withdraws_its_consent_and_the_names_leave_the_scoreboard(client, client_for, member, kz_member):
    deal, agreement, partner, owner = named_deal(member, kz_member, client_for)
    assert member.company.name in page(client)
    conversation = page(owner, f"/partnerships/conversations/{deal.id}")
    assert "Your company agreed to be named on the public scoreboard." in conversation

    answer = owner.post(f"/partnerships/outcomes/{agreement.id}/naming", data={"agrees": "0"})

    assert answer.status_code == 302 and answer.location.endswith(
        f"/partnerships/conversations/{deal.id}#outcome-{agreement.id}"
    )
    html = page(client)
    assert member.company.name not in html and kz_member.company.name not in html and "$25,000" in html
    assert "Your company has not agreed to be named" in page(owner, f"/partnerships/conversations/{deal.id}")
    partner.post(f"/partnerships/outcomes/{agreement.id}/naming", data={"agrees": "0"})
    owner.post(f"/partnerships/outcomes/{agreement.id}/naming", data={"agrees": "1"})  # changes its mind again
    db.session.refresh(agreement)
    assert (agreement.recorder_agrees_to_be_named, agreement.confirmer_agrees_to_be_named) == (False, True)
    naming = sa.select(AuditLog.action).where(AuditLog.action.like("outcome.naming%")).order_by(AuditLog.id)
    actions = db.session.scalars(naming).all()
    assert actions == ["outcome.naming_withdraw", "outcome.naming_withdraw", "outcome.naming_allow"]


def test_only_the_two_companies_change_their_own_consent(client_for, member, kz_member):
    _deal, agreement, _partner, _owner = named_deal(member, kz_member, client_for)
    third = factories.make_company(name="Almaty Outsider Leather", country="KZ", association="KLA", verified=True)
    outsider = factories.make_user(email="owner@outsider.example", company=third, owner=True)

    refused = client_for(outsider).post(f"/partnerships/outcomes/{agreement.id}/naming", data={"agrees": "0"})
    owner = client_for(member)
    nonsense = owner.post(f"/partnerships/outcomes/{agreement.id}/naming", data={"agrees": "maybe"})

    assert refused.status_code == 404
    assert nonsense.status_code == 302
    said = page(owner, nonsense.location)
    assert "That choice was not understood; your consent is as it was." in said
    db.session.refresh(agreement)
    assert agreement.recorder_agrees_to_be_named and agreement.confirmer_agrees_to_be_named


def test_the_other_company_consents_with_its_confirmation_not_before(client_for, member, kz_member):
    listing = factories.make_live_listing(member.company, "Wet blue hides", type="trade")
    deal = factories.make_interest(listing, kz_member.company, kz_member, status="accepted").conversation
    data = {"kind": "trade_contract", "value_usd": "1000", "agrees_to_be_named": "y"}
    client_for(kz_member).post(f"/partnerships/conversations/{deal.id}/outcomes", data=data)
    oid = db.session.scalar(sa.select(Outcome.id))
    owner = client_for(member)
    assert 'name="agrees" value' not in page(owner, f"/partnerships/conversations/{deal.id}")

    owner.post(f"/partnerships/outcomes/{oid}/naming", data={"agrees": "1"})

    outcome_row = db.session.get(Outcome, oid)
    assert outcome_row.status is OutcomeStatus.recorded and not outcome_row.confirmer_agrees_to_be_named


def test_a_disputed_outcome_has_no_consent_to_change(client_for, member, kz_member):
    listing = factories.make_live_listing(member.company, "Wet blue hides", type="trade")
    deal = factories.make_interest(listing, kz_member.company, kz_member, status="accepted").conversation
    recorder = client_for(kz_member)
    recorder.post(
        f"/partnerships/conversations/{deal.id}/outcomes", data={"kind": "trade_contract", "value_usd": "1000"}
    )
    oid = db.session.scalar(sa.select(Outcome.id))
    client_for(member).post(f"/partnerships/outcomes/{oid}/dispute", data={"reason": "No contract was signed."})
    assert 'name="agrees" value' not in page(recorder, f"/partnerships/conversations/{deal.id}")

    recorder.post(f"/partnerships/outcomes/{oid}/naming", data={"agrees": "1"})

    outcome_row = db.session.get(Outcome, oid)
    assert outcome_row.status is OutcomeStatus.disputed and not outcome_row.recorder_agrees_to_be_named


# --- the official figures: admins only --------------------------------------------------------------


def test_an_admin_figure_replaces_the_shipped_one_and_removing_it_restores_it(client_for, admin):
    browser = client_for(admin)
    assert "Edit the official trade figures" in page(browser)
    listed = page(browser, "/admin/trade-figures")
    assert "68,100,000" in listed and "Pakistan&#39;s exports to Kazakhstan in 2023" in listed

    form = page(browser, "/admin/trade-figures/edit?year=2023&flow=pk_to_kz")
    assert 'value="68100000"' in form  # starts from the figure in force
    response = browser.post("/admin/trade-figures/edit", data=FIGURE)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/trade-figures")
    row = db.session.scalar(sa.select(TradeFigure))
    assert (row.year, row.flow, row.value_usd, row.updated_by_id) == (2023, "pk_to_kz", 70_000_000, admin.id)
    html = page(browser)
    assert row_of(html, "sb-official-table", "2023")[2] == "$70,000,000"
    assert "68,100,000" not in html and "Pakistan Bureau of Statistics, table 7" in html
    assert 'href="https://www.pbs.gov.pk/trade"' in html

    browser.post("/admin/trade-figures/edit", data={**FIGURE, "value_usd": "71000000"})  # the same year and flow
    assert count(TradeFigure) == 1 and db.session.scalar(sa.select(TradeFigure.value_usd)) == 71_000_000

    confirm = page(browser, f"/admin/trade-figures/{row.id}/remove")
    assert "68,100,000" in confirm  # what will be shown again
    assert browser.post(f"/admin/trade-figures/{row.id}/remove").status_code == 302
    assert count(TradeFigure) == 0
    assert row_of(page(browser), "sb-official-table", "2023")[2] == "$68,100,000"
    query = sa.select(AuditLog.action).where(AuditLog.object_type == "trade_figure").order_by(AuditLog.id)
    actions = db.session.scalars(query).all()
    assert actions == ["trade_figure.save", "trade_figure.save", "trade_figure.remove"]
    removed = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "trade_figure.remove"))
    assert removed.actor_id == admin.id and removed.detail["value_usd"] == 71_000_000
    assert "removed an official trade figure from the scoreboard: <bdi>2023 · pk_to_kz" in page(browser, "/admin/audit")


def test_a_new_year_appears_and_disappears_with_its_figure(client_for, admin):
    browser = client_for(admin)
    browser.post("/admin/trade-figures/edit", data={**FIGURE, "year": "2024", "flow": "total", "source_url": ""})
    row = db.session.scalar(sa.select(TradeFigure))
    assert row.source_url is None
    assert row_of(page(browser), "sb-official-table", "2024")[4] == "$70,000,000"
    browser.post(f"/admin/trade-figures/{row.id}/remove")
    assert 'scope="row" dir="auto">2024<' not in page(browser)


def test_an_invalid_figure_is_refused_and_the_form_keeps_what_was_typed(client_for, admin):
    data = {
        "year": "1999",
        "flow": "total",
        "value_usd": "-5",
        "months": "13",
        "source": "",
        "source_url": "javascript:alert(1)",
    }
    response = client_for(admin).post("/admin/trade-figures/edit", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and count(TradeFigure) == 0
    for message in (
        "Give a year from 2000 to",
        "The value cannot be negative.",
        "Give a number of months from 1 to 12.",
        "Name the source.",
        "Enter a full link starting with https:// or http://",
    ):
        assert message in html
    for typed in ('value="1999"', 'value="-5"', 'value="13"', 'value="javascript:alert(1)"'):
        assert typed in html
    assert re.search(r'<option selected value="total">|<option value="total" selected>', html)


def test_next_year_is_accepted_and_the_year_after_refused(client_for, admin, clock):
    browser = client_for(admin)
    year = clock.now.year
    assert browser.post("/admin/trade-figures/edit", data={**FIGURE, "year": str(year + 2)}).status_code == 200
    assert browser.post("/admin/trade-figures/edit", data={**FIGURE, "year": str(year + 1)}).status_code == 302
    assert browser.post("/admin/trade-figures/edit", data={**FIGURE, "flow": "both_ways"}).status_code == 200
    assert count(TradeFigure) == 1


@pytest.mark.parametrize("who", ["anonymous", "member", "staff"])
def test_only_admins_may_change_the_figures(client, client_for, member, pta_staff, who):
    factories.make_user(role="admin")
    db.session.add(TradeFigure(year=2023, flow="total", value_usd=1, months=12, source="x"))
    db.session.commit()
    figure_id = db.session.scalar(sa.select(TradeFigure.id))
    browser = {"anonymous": client, "member": client_for(member), "staff": client_for(pta_staff)}[who]
    for url, data in (("/admin/trade-figures/edit", FIGURE), (f"/admin/trade-figures/{figure_id}/remove", {})):
        response = browser.post(url, data=data)
        if who == "anonymous":
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
        else:
            assert response.status_code == 403
    assert count(TradeFigure) == 1 and db.session.scalar(sa.select(TradeFigure.value_usd)) == 1
    assert "Edit the official trade figures" not in page(browser)


def test_the_figure_forms_need_the_csrf_token(app, client_for, admin):
    browser = client_for(admin)
    app.config["WTF_CSRF_ENABLED"] = True  # after logging in: from here on, as in production
    assert browser.post("/admin/trade-figures/edit", data=FIGURE).status_code == 400
    assert count(TradeFigure) == 0
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page(browser, "/admin/trade-figures/edit")).group(1)
    assert browser.post("/admin/trade-figures/edit", data={**FIGURE, "csrf_token": token}).status_code == 302
    figure_id = db.session.scalar(sa.select(TradeFigure.id))
    assert browser.post(f"/admin/trade-figures/{figure_id}/remove").status_code == 400
    assert count(TradeFigure) == 1


def test_removing_a_figure_that_does_not_exist_is_404(client_for, admin):
    assert client_for(admin).post("/admin/trade-figures/99/remove").status_code == 404


# --- the page ---------------------------------------------------------------------------------------


def test_the_page_has_charts_with_their_tables_and_no_inline_script(client):
    outcome(partnership(), value=5_000, decided=datetime(2026, 1, 1))
    html = page(client)
    canvases = re.findall(r'<canvas id="([\w-]+)" data-chart="([\w-]+)"[^>]*aria-describedby="([\w-]+)"', html)
    assert [c[0] for c in canvases] == ["sb-official", "sb-kind"]
    for _canvas, data, described in canvases:
        assert f'<script type="application/json" id="{data}">' in html and f'id="{described}"' in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'type="application/json"' in tag or "src=" in tag


def test_the_footer_links_to_the_scoreboard(client):
    assert 'href="/scoreboard"' in page(client, "/about")


@pytest.mark.parametrize(("locale", "direction", "goal"), [("ur", "rtl", "$1 ارب"), ("ru", "ltr", "1 млрд $")])
def test_the_page_reads_in_urdu_right_to_left_and_in_russian(client_for, locale, direction, goal):
    reader = factories.make_user(locale=locale)
    outcome(partnership(), value=5_000, decided=datetime(2026, 1, 1))
    html = page(client_for(reader))
    assert f'<html lang="{locale}" dir="{direction}">' in html
    assert goal in html.replace("\xa0", " ")


def test_the_agreements_are_listed_newest_first_twenty_a_page(client):
    deal = partnership()
    for day in range(1, 23):
        outcome(deal, "trade_contract", day * 1_000, decided=datetime(2026, 1, day))
    first = page(client)
    assert "22 confirmed agreements in all" in first
    listed = table(first, "sb-list")
    assert listed.count("Two member companies") == 20
    assert listed.index("$22,000") < listed.index("$3,000") and "$2,000" not in listed
    second = table(page(client, "/scoreboard?page=2"), "sb-list")
    assert second.count("Two member companies") == 2 and "$2,000" in second and "$1,000" in second
    assert client.get("/scoreboard?page=3").status_code == 404


def test_one_agreement_reads_in_the_singular(client):
    outcome(partnership(), value=100, decided=datetime(2026, 1, 1))
    assert "1 confirmed agreement in all" in page(client)
