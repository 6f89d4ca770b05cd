"""Invitations through the real HTTP path: who may send them, how many, and who may take one."""

import re

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Invitation, OutboxMessage, User

from .. import factories


def invitation_mails() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.subject.contains("invites you"))))


def invite(client, email):
    return client.post("/companies/mine/colleagues", data={"email": email})


def invitation_path(to) -> str:
    mail = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == to).order_by(OutboxMessage.id.desc())
    ).first()
    return re.search(r"http://localhost(/companies/invitations/\S+)", mail.body).group(1)


def test_a_fresh_unconfirmed_account_cannot_send_invitations(client, login):
    """The attack: register, name the company like a phishing subject, mail 30 strangers at once."""
    company = factories.make_company(name="Your bank account is locked - verify at https://evil.example/login")
    owner = factories.make_user(email="fresh@evil.example", company=company, owner=True, confirmed=False)
    login(owner)
    statuses = {invite(client, f"victim{n}@example.org").status_code for n in range(30)}
    assert 302 not in statuses
    assert invitation_mails() == [] and db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_a_confirmed_owner_of_an_unverified_company_cannot_invite(client, login):
    company = factories.make_company(verified=False)
    owner = factories.make_user(company=company, owner=True)
    login(owner)
    response = invite(client, "colleague@example.org")
    assert response.status_code == 400 and "verified" in response.get_data(as_text=True)
    assert invitation_mails() == []


def test_a_verified_company_sends_a_few_invitations_a_day_then_gets_429(app, client, login, member):
    login(member)
    limit = int(app.config["RATELIMIT_INVITE_ACCOUNT"].split("/")[0])
    statuses = [invite(client, f"colleague{n}@example.org").status_code for n in range(30)]
    assert statuses == [302] * limit + [429] * (30 - limit)
    assert len(invitation_mails()) == limit


def test_the_invite_limit_follows_the_account_across_addresses(app, client, login, member):
    app.config["RATELIMIT_INVITE_ACCOUNT"] = "2/day"
    login(member)
    for n, address in enumerate(("203.0.113.1", "203.0.113.2", "203.0.113.3")):
        response = client.post(
            "/companies/mine/colleagues", data={"email": f"c{n}@example.org"}, environ_base={"REMOTE_ADDR": address}
        )
        assert response.status_code == (302 if n < 2 else 429)


def test_an_invitation_joins_only_the_account_it_was_sent_to(app, client, login, member):
    login(member)
    invite(client, "invited@tannery.example")
    path = invitation_path("invited@tannery.example")
    client.post("/auth/logout")
    other = factories.make_user(email="link-finder@example.org")  # a member without company holding the link
    login(other)
    page = client.get(path)
    assert page.status_code == 403 and "sent to another email address" in page.get_data(as_text=True)
    assert client.post(path).status_code == 403
    assert db.session.get(User, other.id).company_id is None
    assert db.session.scalar(sa.select(Invitation.accepted_at)) is None
    client.post("/auth/logout")
    invited = factories.make_user(email="Invited@tannery.example")
    login(invited)
    assert client.post(path).status_code == 302
    assert db.session.get(User, invited.id).company_id == member.company_id
