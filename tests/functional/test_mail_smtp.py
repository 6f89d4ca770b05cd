"""Mail for real: a local SMTP server (aiosmtpd on 127.0.0.1) receives what the portal sends."""

import socket
from email import message_from_bytes
from email.policy import default

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from portal.extensions import db
from portal.models import OutboxMessage

from .. import factories


class Inbox:
    """The SMTP server's handler: keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted"

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.controller = controller
    yield inbox
    controller.stop()


@pytest.fixture
def app_config(app_config, smtp):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.controller.port}


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_confirmation_mail_arrives_over_smtp_and_is_marked_sent(client, smtp):
    client.post(
        "/auth/register",
        data={
            "name": "Aigerim",
            "email": "aigerim@example.kz",
            "password": "hides-and-skins-42",
            "password2": "hides-and-skins-42",
            "accept_terms": "y",
        },
    )
    [message] = smtp.to("aigerim@example.kz")
    assert "Confirm your email" in message["Subject"]
    assert "http://localhost/auth/confirm/" in body(message)
    row = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == "aigerim@example.kz"))
    assert row.sent_at is not None and row.error is None


def test_interest_notification_arrives_over_smtp(client, login, smtp, member, kz_member):
    listing = factories.make_live_listing(member.company, "Chrome tanning training in Karachi", type="training")
    login(kz_member)
    client.post(
        f"/partnerships/listings/{listing.id}/interest",
        data={"message": "We would like to send four technicians in October."},
    )
    [message] = smtp.to(member.email)
    assert "Chrome tanning training in Karachi" in message["Subject"]
    assert "Kostanay Hides" in body(message) and "http://localhost/partnerships/interests/" in body(message)


def test_message_digest_arrives_over_smtp(app, client, login, runner, smtp, member, kz_member):
    listing = factories.make_live_listing(member.company, "Chrome tanning training in Karachi", type="training")
    conversation = factories.make_interest(listing, kz_member.company, kz_member, status="accepted").conversation
    login(kz_member)
    client.post(f"/partnerships/conversations/{conversation.id}/messages", data={"body": "Can we start on 6 October?"})
    assert smtp.to(member.email) == []  # no email per message
    result = runner.invoke(args=["messages", "send-digests", "--min-age", "0"])
    assert result.exit_code == 0, result.output
    [message] = smtp.to(member.email)
    assert "new message" in message["Subject"].lower() and "Can we start on 6 October?" in body(message)


def test_alert_arrives_over_smtp_with_one_click_unsubscribe(runner, smtp, member, kz_member):
    factories.make_saved_search(kz_member, query="training")
    factories.make_live_listing(member.company, "Chrome tanning training in Karachi", type="training")
    result = runner.invoke(args=["alerts", "send"])
    assert result.exit_code == 0, result.output
    [message] = smtp.to(kz_member.email)
    assert "Chrome tanning training in Karachi" in body(message)
    assert message["List-Unsubscribe"].strip().startswith("<http://localhost/alerts/unsubscribe/")  # long: folded
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_mail_stays_in_the_outbox_with_the_error_when_smtp_is_down(app, client):
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    response = client.post(
        "/auth/register",
        data={
            "name": "Bilal",
            "email": "bilal@example.pk",
            "password": "hides-and-skins-42",
            "password2": "hides-and-skins-42",
            "accept_terms": "y",
        },
    )
    assert response.status_code == 302  # the user's request never fails because of mail
    row = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == "bilal@example.pk"))
    assert row.sent_at is None and row.error
