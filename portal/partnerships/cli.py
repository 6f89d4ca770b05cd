"""`flask messages send-digests`: one email per member with the messages they have not read (for cron)."""

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from .services.conversations import send_message_digests

messages_cli = AppGroup("messages", help="Conversation messages.")


@messages_cli.command("send-digests")
@click.option(
    "--min-age",
    default=5,
    show_default=True,
    type=click.IntRange(min=0),
    help="Minutes a message waits, so people chatting live are not mailed.",
)
def send_digests_command(min_age):
    """Email each member their unread messages since the last digest; running it again sends nothing twice."""
    with current_app.test_request_context(base_url=current_app.config.get("PUBLIC_URL") or None):
        sent = send_message_digests(min_age=timedelta(minutes=min_age))
        db.session.commit()
    click.echo(f"Sent {sent} message digests.")


def init_app(app):
    app.cli.add_command(messages_cli)
