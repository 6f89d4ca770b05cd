"""A create form sent twice with its one-time token makes one row and gets the same answer both times;
two forms (two tokens) make two rows; two copies racing each other still make one."""

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from portal import idempotency
from portal.extensions import db
from portal.models import Interest, InterestStatus, Listing, Message, Outcome

from .. import factories
from .test_listings import form_data

LISTING_FORM = form_data()  # the same listing the listing tests create
KINDS = ["training_delivered", "trade_contract", "joint_venture_formed"]


@dataclass
class Create:
    """One of the four create forms: where it is shown, where it is sent, what it makes."""

    model: type
    page: str
    action: str
    token_id: str
    data: Callable[[int], dict]  # the form's fields for the n-th distinct submission
    reset: Callable[[], None] = lambda: None  # lets a second distinct submission pass the service's rules


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture(params=["listing", "interest", "message", "outcome"])
def create(request, app, member, kz_member, client_for):
    """(the form, a function that makes a logged-in client for the user who sends it)."""
    if request.param == "listing":
        user = member
        form = Create(Listing, "/listings/new", "/listings/new", "listingform-token", lambda n: LISTING_FORM)
    else:
        listing = factories.make_live_listing(member.company, "Chrome tanning training in Karachi", type="training")
        user = kz_member
        if request.param == "interest":
            message = "We are a hide collector in Kostanay and would like to learn chrome tanning."
            path = f"/partnerships/listings/{listing.id}/interest"

            def withdraw_all():
                db.session.execute(sa.update(Interest).values(status=InterestStatus.withdrawn))
                db.session.commit()

            form = Create(Interest, path, path, "interestform-token", lambda n: {"message": message}, withdraw_all)
        else:
            conversation = factories.make_interest(
                listing, kz_member.company, kz_member, status="accepted"
            ).conversation
            page = f"/partnerships/conversations/{conversation.id}"
            if request.param == "message":
                form = Create(
                    Message, page, f"{page}/messages", "messageform-token", lambda n: {"body": f"Hello number {n}"}
                )
            else:
                form = Create(
                    Outcome,
                    page,
                    f"{page}/outcomes",
                    "outcomeform-token",
                    lambda n: {"kind": KINDS[n], "value_usd": "9"},
                )

    return form, lambda: client_for(user)


def token_of(client, form: Create) -> str:
    """The token the rendered form carries, as a browser would send it back."""
    html = client.get(form.page).get_data(as_text=True)
    return re.search(rf'id="{form.token_id}" name="form_token" type="hidden" value="([^"]+)"', html).group(1)


def test_the_same_form_sent_twice_makes_one_row_and_the_same_answer(create):
    form, client_for = create
    client = client_for()
    token = token_of(client, form)
    before = count(form.model)
    first = client.post(form.action, data={**form.data(0), "form_token": token})
    second = client.post(form.action, data={**form.data(0), "form_token": token})
    assert first.status_code == second.status_code == 302, second.get_data(as_text=True)[:500]
    assert first.headers["Location"] == second.headers["Location"]
    assert count(form.model) == before + 1
    assert db.session.scalar(sa.select(form.model).where(form.model.form_token == token)) is not None


def test_two_forms_make_two_rows(create):
    form, client_for = create
    client = client_for()
    before = count(form.model)
    first = client.post(form.action, data={**form.data(0), "form_token": token_of(client, form)})
    form.reset()
    second = client.post(form.action, data={**form.data(1), "form_token": token_of(client, form)})
    assert first.status_code == second.status_code == 302, second.get_data(as_text=True)[:500]
    assert count(form.model) == before + 2


def test_two_copies_racing_make_one_row(create, monkeypatch):
    """Both copies pass the lookup before either commits (a barrier holds them there), so the database's
    unique constraint, or the service's rule, decides; the loser answers with the winner's row."""
    form, client_for = create
    clients = [client_for(), client_for()]
    token = token_of(clients[0], form)
    before = count(form.model)
    barrier, misses = threading.Barrier(2, timeout=10), []
    real_lookup = idempotency.existing_or_none

    def lookup_then_wait(model, token, *owned_by):
        row = real_lookup(model, token, *owned_by)
        if row is None and len(misses) < 2:
            misses.append(token)
            barrier.wait()
        return row

    monkeypatch.setattr(idempotency, "existing_or_none", lookup_then_wait)

    def send(client):
        with client.application.app_context():
            return client.post(form.action, data={**form.data(0), "form_token": token})

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(send, clients))
    monkeypatch.undo()
    assert len(misses) == 2  # the race really happened: neither copy saw the other's row before committing
    assert [a.status_code for a in answers] == [302, 302], answers[1].get_data(as_text=True)[:500]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    db.session.expire_all()
    assert count(form.model) == before + 1


def test_a_form_without_a_token_still_creates(app, client, login, member):
    login(member)
    client.post("/listings/new", data=LISTING_FORM)
    client.post("/listings/new", data=LISTING_FORM)
    assert count(Listing) == 2


def test_a_token_from_another_company_is_refused_not_shown(app, client, login, member, kz_member):
    login(member)
    token = token_of(client, Create(Listing, "/listings/new", "", "listingform-token", lambda n: {}))
    assert client.post("/listings/new", data={**LISTING_FORM, "form_token": token}).status_code == 302
    other = app.test_client()
    other.post("/auth/login", data={"email": kz_member.email, "password": factories.PASSWORD})
    response = other.post("/listings/new", data={**LISTING_FORM, "target_countries": ["PK"], "form_token": token})
    assert response.status_code == 400
    assert count(Listing) == 1
