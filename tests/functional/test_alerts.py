"""Saved searches and alerts: saving from the search page, `flask alerts send`, frequencies, one-click unsubscribe."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from portal.alerts.services import unsubscribe_token
from portal.extensions import db
from portal.models import AlertFrequency, AlertSent, OutboxMessage, SavedSearch
from portal.models.base import utcnow

from .. import factories


@pytest.fixture
def pk_company(app):
    return factories.make_company(name="Karachi Wet Blue Ltd", country="PK", association="PTA", verified=True)


def send(runner) -> str:
    result = runner.invoke(args=["alerts", "send"])
    assert result.exit_code == 0, result.output
    return result.output


def alerts_to(email) -> list[OutboxMessage]:
    return list(
        db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(OutboxMessage.id))
    )


def unsubscribe_path(saved) -> str:
    with current_app.test_request_context():
        return f"/alerts/unsubscribe/{unsubscribe_token(saved)}"


def test_member_saves_the_current_search_with_its_filters(client, login, kz_member):
    login(kz_member)
    response = client.post(
        "/alerts/save",
        data={
            "name": "Wet blue from Pakistan",
            "frequency": "weekly",
            "search_args": "q=wet+blue&country=PK&type=trade&type=training&page=3&status=draft",
            "next": "/search?q=wet+blue",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/search?q=wet+blue"
    saved = db.session.scalar(sa.select(SavedSearch))
    assert (saved.user_id, saved.name, saved.query, saved.frequency) == (
        kz_member.id,
        "Wet blue from Pakistan",
        "wet blue",
        AlertFrequency.weekly,
    )
    assert saved.filters == {"country": ["PK"], "type": ["trade", "training"]}  # page and unknown keys dropped


def test_a_search_without_words_or_filters_is_not_saved(client, login, kz_member):
    login(kz_member)
    response = client.post(
        "/alerts/save",
        data={"name": "Everything", "frequency": "daily", "search_args": "page=2"},
        follow_redirects=True,
    )
    assert response.status_code == 200  # refused with a reason, not failed
    assert "Search for something or choose a filter" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearch)) == 0


def test_new_matching_listing_is_mailed_once(runner, kz_member, pk_company):
    factories.make_saved_search(kz_member, query="wet blue")
    listing = factories.make_live_listing(pk_company, "Wet blue cow hides, 20,000 sq ft a month")
    assert "Sent 1 alert emails with 1 listings" in send(runner)
    [mail] = alerts_to(kz_member.email)
    assert "Wet blue cow hides" in mail.body and f"http://localhost/listings/{listing.id}" in mail.body
    assert "Sent 0 alert emails" in send(runner)
    assert len(alerts_to(kz_member.email)) == 1


def test_listing_published_before_the_search_was_saved_is_not_mailed(runner, kz_member, pk_company):
    factories.make_live_listing(pk_company, "Wet blue cow hides")
    factories.make_saved_search(kz_member, query="wet blue")
    assert "Sent 0 alert emails" in send(runner)


def test_listing_that_misses_the_filters_is_not_mailed(runner, kz_member, pk_company):
    factories.make_saved_search(kz_member, query="wet blue", filters={"type": ["training"]})
    factories.make_live_listing(pk_company, "Wet blue cow hides", type="trade")
    assert "Sent 0 alert emails" in send(runner)


def test_filters_alone_find_new_listings(runner, kz_member, pk_company):
    factories.make_saved_search(
        kz_member, name="Training in Pakistan", query="", filters={"type": ["training"], "country": ["PK"]}
    )
    factories.make_live_listing(pk_company, "Finishing course for technicians", type="training")
    factories.make_live_listing(pk_company, "Wet blue cow hides", type="trade")
    send(runner)
    [mail] = alerts_to(kz_member.email)
    assert "Finishing course" in mail.body and "cow hides" not in mail.body


def test_words_match_regardless_of_case_in_cyrillic(runner, kz_member):
    company = factories.make_company(name="Шымкент Тері", country="KZ", association="KLA", verified=True)
    pk_user = factories.make_user(
        email="buyer@lahore.example", company=factories.make_company(name="Lahore Buyer", verified=True)
    )
    factories.make_saved_search(pk_user, query="ШКУРЫ")
    factories.make_live_listing(company, "Мокросоленые шкуры КРС", language="ru")
    send(runner)
    assert len(alerts_to(pk_user.email)) == 1
    del kz_member


def test_own_company_listings_are_not_alerted(runner, member):
    factories.make_saved_search(member, query="wet blue")
    factories.make_live_listing(member.company, "Wet blue cow hides")
    assert "Sent 0 alert emails" in send(runner)


def test_anonymous_listing_company_is_not_named_in_the_alert(runner, kz_member, pk_company):
    factories.make_saved_search(kz_member, query="tannery")
    factories.make_live_listing(pk_company, "Joint venture tannery", type="joint_venture", anonymous=True)
    send(runner)
    [mail] = alerts_to(kz_member.email)
    assert "Joint venture tannery" in mail.body and pk_company.name not in mail.body


@pytest.mark.parametrize(
    "frequency, last_sent, due",
    [
        ("instant", timedelta(minutes=1), True),
        ("daily", timedelta(hours=2), False),
        ("daily", timedelta(hours=25), True),
        ("weekly", timedelta(days=6), False),
        ("weekly", timedelta(days=7, minutes=1), True),
    ],
)
def test_frequency_decides_when_the_next_email_may_go(runner, kz_member, pk_company, frequency, last_sent, due):
    factories.make_saved_search(kz_member, query="wet blue", frequency=frequency, last_sent_at=utcnow() - last_sent)
    factories.make_live_listing(pk_company, "Wet blue cow hides")
    send(runner)
    assert len(alerts_to(kz_member.email)) == (1 if due else 0)


def test_alert_email_carries_one_click_unsubscribe_headers_and_link(runner, kz_member, pk_company):
    saved = factories.make_saved_search(kz_member, query="wet blue")
    factories.make_live_listing(pk_company, "Wet blue cow hides")
    send(runner)
    [mail] = alerts_to(kz_member.email)
    path = unsubscribe_path(saved)
    assert mail.headers["List-Unsubscribe"] == f"<http://localhost{path}>"
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"http://localhost{path}" in mail.body


def test_unsubscribe_link_works_without_logging_in(client, runner, kz_member, pk_company):
    saved = factories.make_saved_search(kz_member, query="wet blue")
    page = client.get(unsubscribe_path(saved))
    assert page.status_code == 200 and "Stop this alert?" in page.get_data(as_text=True)
    db.session.refresh(saved)
    assert saved.active  # a link preview (GET) unsubscribes nobody
    done = client.post(unsubscribe_path(saved))
    assert "You are unsubscribed" in done.get_data(as_text=True)
    db.session.refresh(saved)
    assert not saved.active
    factories.make_live_listing(pk_company, "Wet blue cow hides")
    assert "Sent 0 alert emails" in send(runner)


def test_tampered_unsubscribe_token_changes_nothing(client, kz_member):
    saved = factories.make_saved_search(kz_member)
    other = factories.make_saved_search(factories.make_user(email="other@example.org"))
    token = unsubscribe_path(saved).rsplit("/", 1)[1]
    forged = re.sub(r"^[^.]+", "WzIsIDJd", token)  # [2, 2] with the first search's signature
    for path in (f"/alerts/unsubscribe/{forged}", "/alerts/unsubscribe/not-a-token"):
        assert client.post(path).status_code == 404
    db.session.refresh(other)
    assert other.active


def test_member_changes_frequency_and_resumes_an_unsubscribed_alert(client, login, kz_member):
    saved = factories.make_saved_search(kz_member, unsubscribed_at=utcnow())
    login(kz_member)
    response = client.post(
        f"/alerts/{saved.id}/edit", data={f"s{saved.id}-name": "Hides", f"s{saved.id}-frequency": "weekly"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/alerts/"
    assert "Alert “Hides” saved." in client.get("/alerts/").get_data(as_text=True)
    db.session.refresh(saved)
    assert (saved.name, saved.frequency, saved.active) == ("Hides", AlertFrequency.weekly, True)


def test_saved_searches_of_others_can_be_neither_seen_changed_nor_deleted(client, login, member, kz_member):
    saved = factories.make_saved_search(kz_member, name="Secret plans")
    login(member)
    assert "Secret plans" not in client.get("/alerts/").get_data(as_text=True)
    assert (
        client.post(
            f"/alerts/{saved.id}/edit", data={f"s{saved.id}-name": "x", f"s{saved.id}-frequency": "daily"}
        ).status_code
        == 404
    )
    assert client.post(f"/alerts/{saved.id}/delete").status_code == 404
    db.session.refresh(saved)
    assert saved.name == "Secret plans"


def test_delete_asks_first_then_deletes(client, login, kz_member):
    saved = factories.make_saved_search(kz_member, name="Old search")
    login(kz_member)
    assert "Delete this saved search?" in client.get(f"/alerts/{saved.id}/delete").get_data(as_text=True)
    response = client.post(f"/alerts/{saved.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/alerts/"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearch)) == 0


def test_sent_listings_are_remembered_per_saved_search(runner, kz_member, pk_company):
    first = factories.make_saved_search(kz_member, name="A", query="wet blue")
    second = factories.make_saved_search(kz_member, name="B", query="cow")
    listing = factories.make_live_listing(pk_company, "Wet blue cow hides")
    send(runner)
    rows = db.session.execute(sa.select(AlertSent.saved_search_id, AlertSent.listing_id)).all()
    assert sorted(rows) == [(first.id, listing.id), (second.id, listing.id)]
