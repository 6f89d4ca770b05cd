"""Mail that one bad row cannot break: one-line fields, clean subjects and headers, per-message delivery,
retries with backoff through `flask mail send-pending`, and alert batches that never lose an alert.

A real SMTP server (aiosmtpd on 127.0.0.1) receives the mail; it is stopped and started again to play
an outage."""

import socket
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from portal.extensions import db
from portal.models import AlertSent, OutboxMessage, SavedSearch
from portal.models.base import utcnow

from .. import factories
from .test_companies import profile_form


class Server:
    """An SMTP server on a fixed port that can go down and come back; keeps every message with its envelope."""

    def __init__(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.messages, self.controller, self.refuse = [], None, set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.content, policy=default)
        message.rcpt_tos = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()
        self.controller = None

    def to(self, address):
        return [m for m in self.messages if address in m.rcpt_tos]


@pytest.fixture
def smtp():
    server = Server()
    server.start()
    yield server
    if server.controller is not None:
        server.stop()


@pytest.fixture
def app_config(app_config, smtp):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "MAIL_MAX_ATTEMPTS": 3}


@pytest.fixture
def pk_company(app):
    return factories.make_company(name="Karachi Wet Blue Ltd", country="PK", association="PTA", verified=True)


def outbox(recipient=None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    db.session.expire_all()
    return list(db.session.scalars(query))


def queue(recipient, subject="Hello", body="Text", headers=None) -> OutboxMessage:
    """A row as an older version of the portal (or a direct insert) may have left it: nothing cleaned."""
    row = OutboxMessage(recipient=recipient, subject=subject, body=body, headers=headers)
    db.session.add(row)
    db.session.commit()
    return row


def send_pending(runner) -> str:
    result = runner.invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    return result.output


def time_passes(*rows):
    """The backoff has run out for these rows."""
    for row in rows:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
    db.session.commit()


# --- input: single-line fields refuse control characters --------------------------------------------


@pytest.mark.parametrize(
    "name", ["Wet blue\r\nBcc: all@evil.example", "Wet blue\x00", "Wet blue\u2028Bcc: x", "a\u202eb"]
)
def test_alert_name_with_a_control_character_is_refused(client, login, kz_member, name):
    login(kz_member)
    response = client.post(
        "/alerts/save", data={"name": name, "frequency": "daily", "search_args": "q=wet+blue"}, follow_redirects=True
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearch)) == 0
    assert "without line breaks or control characters" in response.get_data(as_text=True)


def test_company_name_with_a_line_break_is_refused(client, login, member):
    login(member)
    old_name = member.company.name
    response = client.post("/companies/mine/edit", data=profile_form(name="Acme\r\nBcc: all@evil.example"))
    assert response.status_code == 400
    assert "without line breaks or control characters" in response.get_data(as_text=True)
    db.session.expire_all()
    assert member.company.name == old_name


def test_multi_line_fields_keep_their_line_breaks(client, login, member):
    login(member)
    response = client.post("/companies/mine/edit", data=profile_form(description="Line one.\r\nLine two."))
    assert response.status_code == 302
    db.session.expire_all()
    assert member.company.description.splitlines() == ["Line one.", "Line two."]


def test_urdu_name_with_zero_width_non_joiner_is_accepted(client, login, member):
    login(member)
    response = client.post("/companies/mine/edit", data=profile_form(name="پنجاب\u200cٹیننگ"))
    assert response.status_code == 302


# --- subjects and headers ----------------------------------------------------------------------------


def test_stored_alert_name_with_crlf_cannot_add_a_header(runner, smtp, kz_member, pk_company):
    # a row written before input was checked (or directly): the mail still cannot be broken
    factories.make_saved_search(kz_member, name="Hides\r\nBcc: all@evil.example\r\nX-Spam: no", query="hides")
    factories.make_live_listing(pk_company, "Wet blue hides from Karachi")
    result = runner.invoke(args=["alerts", "send"])
    assert result.exit_code == 0, result.output
    [message] = smtp.messages
    assert message.rcpt_tos == [kz_member.email] and message["Bcc"] is None and message["X-Spam"] is None
    assert "\n" not in message["Subject"] and "Hides Bcc: all@evil.example X-Spam: no" in message["Subject"]


def test_subjects_are_cleaned_and_capped_in_send_mail(app, runner, smtp):
    from portal.mail import SUBJECT_MAX, send_mail

    with app.test_request_context():
        send_mail("buyer@example.kz", "Offer \u2028 from\t\tKarachi\x00 " + "x" * 500, "Text")
        db.session.commit()
    [message] = smtp.messages
    assert message["Subject"].startswith("Offer from Karachi xxx") and len(message["Subject"]) == SUBJECT_MAX


def test_stored_row_with_crlf_in_subject_and_headers_goes_out_clean(runner, smtp):
    queue(
        "buyer@example.kz",
        subject="Offer\r\nBcc: all@evil.example",
        headers={"X-Note": "a\r\nBcc: all@evil.example", "Bcc": "all@evil.example", "Bad Name\r\n": "x"},
    )
    send_pending(runner)
    [message] = smtp.messages
    assert message.rcpt_tos == ["buyer@example.kz"]
    assert message["Bcc"] is None and message["Subject"] == "Offer Bcc: all@evil.example"
    assert message["X-Note"] == "a Bcc: all@evil.example"


# --- delivery: each message in its own try ---------------------------------------------------------


def test_one_message_the_server_refuses_does_not_stop_the_others(runner, smtp):
    first = queue("first@example.kz")
    smtp.refuse.add("gone@example.de")
    refused = queue("gone@example.de")
    last = queue("last@example.pk")
    output = send_pending(runner)
    assert "Sent 2 message(s); 1 not sent" in output
    assert [m.rcpt_tos for m in smtp.messages] == [["first@example.kz"], ["last@example.pk"]]
    rows = {row.id: row for row in outbox()}
    assert rows[first.id].sent_at and rows[last.id].sent_at
    assert rows[refused.id].sent_at is None and rows[refused.id].error and rows[refused.id].attempts == 1


def test_after_commit_delivery_marks_each_row(client, smtp):
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
    [row] = outbox("aigerim@example.kz")
    assert row.sent_at is not None and row.attempts == 1 and row.error is None
    assert len(smtp.to("aigerim@example.kz")) == 1


# --- outage and retry ------------------------------------------------------------------------------


def test_mail_server_outage_loses_nothing(client, runner, smtp):
    smtp.stop()
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
    [row] = outbox("bilal@example.pk")
    assert row.sent_at is None and row.failed_at is None and row.error and row.next_attempt_at > utcnow()

    smtp.start()
    assert "Sent 0 message(s)" in send_pending(runner)  # still waiting out its backoff
    time_passes(row)
    assert "Sent 1 message(s)" in send_pending(runner)
    [message] = smtp.to("bilal@example.pk")
    assert "Confirm your email" in message["Subject"]
    [row] = outbox("bilal@example.pk")
    assert row.sent_at is not None and row.error is None
    assert "Sent 0 message(s)" in send_pending(runner)  # never twice
    assert len(smtp.to("bilal@example.pk")) == 1


def test_retries_back_off_exponentially_then_give_up_but_keep_the_row(app, runner, smtp):
    smtp.stop()
    row = queue("buyer@example.kz")
    delays = []
    for _attempt in range(3):  # MAIL_MAX_ATTEMPTS in this module
        time_passes(row)
        before = utcnow()
        send_pending(runner)
        [row] = outbox()
        delays.append((row.next_attempt_at - before).total_seconds())
    assert row.attempts == 3 and row.failed_at is not None and row.sent_at is None and row.error
    base = app.config["MAIL_RETRY_SECONDS"]
    assert base - 5 < delays[0] <= base + 5 and 2 * base - 5 < delays[1] <= 2 * base + 5

    smtp.start()
    time_passes(row)
    assert "Sent 0 message(s)" in send_pending(runner)  # given up for good
    assert smtp.messages == [] and len(outbox()) == 1


def test_backoff_is_capped(app):
    from portal.mail import retry_delay

    assert retry_delay(1) == timedelta(seconds=app.config["MAIL_RETRY_SECONDS"])
    assert retry_delay(50) == timedelta(seconds=app.config["MAIL_RETRY_MAX_SECONDS"])


# --- the alert batch never loses an alert ----------------------------------------------------------


def test_one_bad_saved_search_does_not_cost_the_others_their_alerts(runner, smtp, member, kz_member, pk_company):
    broken = factories.make_user(email="broken@example.kz", company=kz_member.company, locale="zz\n")
    bad = factories.make_saved_search(broken, query="hides")
    good = factories.make_saved_search(kz_member, query="hides")
    factories.make_live_listing(pk_company, "Wet blue hides from Karachi")

    result = runner.invoke(args=["alerts", "send"])
    assert result.exit_code == 1  # cron hears about it
    assert "Sent 1 alert emails" in result.output
    assert len(smtp.to(kz_member.email)) == 1  # the good one went out
    sent = db.session.scalars(sa.select(AlertSent.saved_search_id)).all()
    assert sent == [good.id]  # the bad one is not marked sent without a mail: it is tried again next run
    assert outbox(broken.email) == []
    db.session.expire_all()
    assert db.session.get(SavedSearch, bad.id).last_sent_at is None


def test_alert_queued_during_an_outage_arrives_later(runner, smtp, kz_member, pk_company):
    factories.make_saved_search(kz_member, query="hides")
    factories.make_live_listing(pk_company, "Wet blue hides from Karachi")
    smtp.stop()
    result = runner.invoke(args=["alerts", "send"])
    assert result.exit_code == 0, result.output
    [row] = outbox(kz_member.email)
    assert row.sent_at is None and db.session.scalar(sa.select(sa.func.count()).select_from(AlertSent)) == 1

    smtp.start()
    time_passes(row)
    send_pending(runner)
    [message] = smtp.to(kz_member.email)
    assert "Wet blue hides from Karachi" in message.get_body(preferencelist=("plain",)).get_content()


def test_saved_search_arguments_with_a_nul_byte_are_refused(client, login, kz_member):
    login(kz_member)
    client.post(
        "/alerts/save", data={"name": "Hides", "frequency": "daily", "search_args": "q=hides%00&country=PK\x00"}
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearch)) == 0


def test_encoded_control_characters_in_saved_search_arguments_are_dropped(client, login, kz_member):
    login(kz_member)
    client.post(
        "/alerts/save", data={"name": "Hides", "frequency": "daily", "search_args": "q=hides%00%0D%0Abcc&country=PK%00"}
    )
    saved = db.session.scalar(sa.select(SavedSearch))
    assert saved.query == "hides bcc" and saved.filters == {"country": ["PK"]}
