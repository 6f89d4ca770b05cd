"""The public supply calendar (/supply-calendar): its counts against listings made here (drafts, withdrawn,
expired, unverified companies' and other types' listings must not count), the Eid ul-Adha seasons in the
right months, the links, the reader's language and escaping."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.extensions import db
from portal.listings import hs
from portal.models import Association, ListingMonth
from portal.models.base import utcnow

from .. import factories

URL = "/supply-calendar"


def company(code="PTA", verified=True):
    return factories.make_company(association=code, country="PK" if code == "PTA" else "KZ", verified=verified)


def offer(owner, months=(), headings=("4101",), **over):
    """A live trade offer of raw hides with those supply months (set as the listing form sets them)."""
    title = over.pop("title", f"Salted hides from {owner.name}")
    listing = factories.make_live_listing(owner, title=title, details={}, **over)
    hs.set_months(listing, months)
    hs.set_headings(listing, headings)
    db.session.commit()
    return listing


def request_(owner, headings=("4101",), **over):
    listing = factories.make_live_listing(owner, title="We buy raw hides", direction="request", details={}, **over)
    hs.set_headings(listing, headings)
    db.session.commit()
    return listing


def page(client, language="en"):
    response = client.get(URL, headers={"Accept-Language": language})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def table(html) -> dict[str, list[str]]:
    """The calendar table as {row heading: [the cells' text]} (month rows and the two footer rows)."""
    body = html[html.index('id="supply-calendar-table"') :]
    body = body[: body.index("</table>")]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        heading = re.search(r'<th scope="row">(.*?)</th>', row, flags=re.S)
        if heading:
            rows[text(heading.group(1))] = [text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
    return rows


@pytest.fixture
def market(app):
    """PTA offers in May-July and in June, a KLA offer in June and December; and what must not count."""
    pta, kla = company("PTA"), company("KLA")
    offer(pta, [5, 6, 7])
    offer(pta, [6])
    offer(kla, [6, 12])
    offer(pta, [6], status="draft")
    offer(pta, [6], status="withdrawn")
    offer(pta, [6], expires_at=utcnow() - timedelta(days=1))  # published, but its time is over
    offer(company("PTA", verified=False), [6])  # an unverified company's listings are off the portal
    training = factories.make_live_listing(pta, title="Salting course", type="training", details={})
    db.session.add(ListingMonth(listing_id=training.id, month=6))  # not a trade listing: never counted
    db.session.commit()
    offer(pta, [], headings=("4102",))  # raw skins, no month given
    offer(pta, [], headings=("4104",))  # wet blue, no month: not raw, not counted
    request_(kla, ("4101",))
    request_(kla, ("4103",))
    request_(pta, ("4102",))
    request_(kla, ("4104",))  # wet blue is no raw hide
    request_(kla, ("4101",), status="draft")
    request_(kla, ("4101",), type="joint_venture")  # a raw heading, but no trade listing
    return pta, kla


def test_offers_count_in_each_month_they_are_available_by_country(client, market):
    rows = table(page(client))
    assert rows["May"][:2] == ["1", "0"]
    assert rows["June"][:2] == ["2", "1"]
    assert rows["July"][:2] == ["1", "0"]
    assert rows["December"][:2] == ["0", "1"]
    assert rows["January"][:2] == ["0", "0"]


def test_requests_and_offers_without_months_are_listed_once_under_any_month(client, market):
    rows = table(page(client))
    assert rows["Offered, no month given"][:2] == ["1", "0"]
    assert rows["Sought, any month"][:2] == ["1", "2"]


def test_the_columns_are_the_associations_countries(client, market):
    html = page(client)
    assert re.search(r"Pakistan <span[^>]*>\(PTA\)</span>.*Kazakhstan <span[^>]*>\(KLA\)</span>", html, flags=re.S)


def test_the_chart_holds_the_tables_numbers(client, market):
    html = page(client)
    block = re.search(r'<script type="application/json" id="supply-calendar-data">(.*?)</script>', html, flags=re.S)
    chart = json.loads(block.group(1))
    assert chart["labels"][5] == "June"
    assert [d["label"] for d in chart["datasets"]] == ["Offered from Pakistan", "Offered from Kazakhstan"]
    assert chart["datasets"][0]["data"] == [0, 0, 0, 0, 1, 2, 1, 0, 0, 0, 0, 0]
    assert chart["datasets"][1]["data"] == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]
    assert 'aria-describedby="supply-calendar-table"' in html
    for tag in re.findall(r"<script[^>]*>", html):  # the CSP runs no inline script
        assert 'type="application/json"' in tag or "src=" in tag


def test_a_count_links_to_that_countrys_trade_listings(client, market):
    html = page(client)
    june = re.search(r'<th scope="row">June</th>(.*?)</tr>', html, flags=re.S).group(1)
    links = re.findall(r'<a href="([^"]+)">', june)
    assert len(links) == 2
    pta_link = links[0].replace("&amp;", "&")
    assert pta_link.startswith("/listings/?") and "association=PTA" in pta_link
    assert "type=trade" in pta_link and "direction=offer" in pta_link
    pta, kla = market
    found = client.get(pta_link).get_data(as_text=True)
    assert f"Salted hides from {pta.name}" in found and f"Salted hides from {kla.name}" not in found
    assert "Salting course" not in found  # a training, not trade
    found = client.get(links[1].replace("&amp;", "&")).get_data(as_text=True)
    assert f"Salted hides from {kla.name}" in found and f"Salted hides from {pta.name}" not in found


def test_a_zero_is_no_link(client, market):
    january = re.search(r'<th scope="row">January</th>(.*?)</tr>', page(client), flags=re.S).group(1)
    assert "<a " not in january


@pytest.fixture
def spring_2025():
    with time_machine.travel(datetime(2025, 3, 1, 12, tzinfo=UTC), tick=False):
        yield


def test_the_eid_seasons_of_last_this_and_next_year_are_marked_in_their_months(client, spring_2025):
    html = page(client)
    rows = table(html)
    assert "Eid ul-Adha 2024: 16 June; hides season until 6 July" in rows["June"][-1]
    assert "Eid ul-Adha 2025: 6 June; hides season until 26 June" in rows["June"][-1]
    assert "Eid ul-Adha 2026: 27 May; hides season until 16 June" in rows["June"][-1]
    assert rows["May"][-1] == "Eid ul-Adha 2026: 27 May; hides season until 16 June"
    assert rows["July"][-1] == "Eid ul-Adha 2024: 16 June; hides season until 6 July"
    assert rows["August"][-1] == "" and rows["April"][-1] == ""
    # Marked by a class (the shading) and by the words, on those three rows only.
    assert len(re.findall(r'<tr class="supply-eid">', html)) == 3
    assert "Eid ul-Adha on Sunday, June 16, 2024; hides season until July 6, 2024" in text(html)


def test_the_season_rule_is_said_on_the_page(client):
    html = text(page(client))
    assert "The season starts on Eid and lasts about 21 days" in html
    assert "Requests name no month" in html


def test_an_empty_calendar_says_so_and_still_shows_the_eid_weeks(client, spring_2025):
    html = page(client)
    assert "No raw hides or skins are offered or sought at the moment." in html
    assert 'class="supply-eid"' in html


def test_a_calendar_with_listings_shows_no_empty_state(client, market):
    assert "No raw hides or skins are offered or sought" not in page(client)


@pytest.mark.parametrize(
    ("language", "direction", "june", "word"),
    [("ru", "ltr", "Июнь", "Пакистан"), ("ur", "rtl", "جون", "پاکستان"), ("kk", "ltr", "Маусым", "Пәкістан")],
)
def test_the_page_reads_in_the_readers_language(client, market, language, direction, june, word):
    html = page(client, language)
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert table(html)[june][:2] == ["2", "1"]
    assert word in html
    if language == "ur":
        assert "bootstrap.rtl.min.css" in html


def test_association_names_from_the_database_are_escaped(client, app):
    db.session.add(Association(code="<b>X</b>", name="Bold", country="PK"))
    db.session.commit()
    html = page(client)
    assert "<b>X</b>" not in html and "&lt;b&gt;X&lt;/b&gt;" in html


def test_the_footer_links_to_the_calendar(client):
    html = client.get("/").get_data(as_text=True)
    assert f'href="{URL}"' in html and "Supply calendar" in html


def test_the_page_is_printable(client):
    html = page(client)
    assert "css/insight.css" in html  # its print rules drop the header, footer and link URLs
