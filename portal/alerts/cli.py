"""`flask alerts send`: mail new matches of saved searches (for cron; running it twice sends nothing twice)."""

import click
from flask import current_app

from . import bp, services


@bp.cli.command("send")
def send_command():
    """Email each member the new listings matching their saved searches, each listing once."""
    # A request context gives url_for and the translations what they need outside a request.
    with current_app.test_request_context(base_url=current_app.config.get("PUBLIC_URL") or None):
        emails, listings, failures = services.send_alerts()
    click.echo(f"Sent {emails} alert emails with {listings} listings.")
    if failures:
        # the others went out; these are logged and tried again on the next run
        click.echo(f"{failures} saved search(es) failed; see the log.", err=True)
        raise click.exceptions.Exit(1)
