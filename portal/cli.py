"""Flask commands: seed-demo, create-admin, mail send-pending (more are registered by the packages that own them)."""

import click
from flask import current_app
from flask.cli import AppGroup

from .extensions import db


@click.command("seed-demo")
def seed_demo_command():
    """Create the demo associations, staff, admin and member companies (safe to run again)."""
    from .demo import DEMO_PASSWORD, seed_demo

    report = seed_demo()
    made = ", ".join(f"{report.created[k]} {k}" for k in ("companies", "accounts", "listings", "saved search(es)"))
    click.echo(f"Created {made} (what existed already was left as it was).")
    click.echo(f"Demo ready. Every demo account's password: {DEMO_PASSWORD}")
    for email, who in report.logins:
        click.echo(f"  {email:<40} {who}")


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", help="Display name.")
@click.password_option(help="Password (asked for when not given).")
def create_admin_command(email, name, password):
    """Create an admin account, or make an existing account an admin."""
    from .auth.passwords import password_problem
    from .auth.services import create_user, set_password, user_by_email
    from .models import Role
    from .models.base import utcnow

    problem = password_problem(password, email=email, name=name)
    if problem:
        raise click.BadParameter(str(problem), param_hint="password")
    user = user_by_email(email)
    if user is None:
        user = create_user(email, name, password, role=Role.admin)
    else:
        user.role, user.association_id, user.company_id = Role.admin, None, None
        set_password(user, password)
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    db.session.commit()
    click.echo(f"Admin {user.email} is ready.")


mail_cli = AppGroup("mail", help="Outgoing mail.")


@mail_cli.command("send-pending")
@click.option("--limit", default=500, show_default=True, help="At most this many messages in one run.")
def send_pending_command(limit):
    """Send the outbox's unsent and failed mail whose retry time has come (for cron, every few minutes).

    A failed message waits longer after each attempt (MAIL_RETRY_SECONDS doubling, at most
    MAIL_RETRY_MAX_SECONDS) and is marked failed for good, but kept, after MAIL_MAX_ATTEMPTS."""
    from .mail import send_pending

    if not current_app.config.get("MAIL_SERVER"):
        click.echo("PORTAL_MAIL_SERVER is not set: the mail stays in the outbox.")
        return
    sent, failed = send_pending(limit)
    click.echo(f"Sent {sent} message(s); {failed} not sent (kept for a retry or marked failed).")


def init_app(app):
    for command in (seed_demo_command, create_admin_command, mail_cli):
        app.cli.add_command(command)
    from .listings import cli as listings_cli

    listings_cli.init_app(app)
    from .search import init_cli

    init_cli(app)
    from . import backup

    backup.init_app(app)
    from . import worker

    worker.init_app(app)
