"""Flask commands: seed-demo, create-admin (more are registered by the packages that own them)."""

import click

from .extensions import db


@click.command("seed-demo")
def seed_demo_command():
    """Create the demo associations, staff, admin and member companies (safe to run again)."""
    from .demo import DEMO_PASSWORD, seed_demo

    logins = seed_demo()
    click.echo(f"Demo ready. Every demo account's password: {DEMO_PASSWORD}")
    for email, who in logins:
        click.echo(f"  {email:<40} {who}")


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", help="Display name.")
@click.password_option(help="Password (asked for when not given).")
def create_admin_command(email, name, password):
    """Create an admin account, or make an existing account an admin."""
    from .auth.services import create_user, set_password, user_by_email
    from .models import Role
    from .models.base import utcnow

    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")
    user = user_by_email(email)
    if user is None:
        user = create_user(email, name, password, role=Role.admin)
    else:
        user.role, user.association_id, user.company_id = Role.admin, None, None
        set_password(user, password)
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    db.session.commit()
    click.echo(f"Admin {user.email} is ready.")


def init_app(app):
    for command in (seed_demo_command, create_admin_command):
        app.cli.add_command(command)
    from .listings import cli as listings_cli

    listings_cli.init_app(app)
    from .search import cli as search_cli

    search_cli.init_app(app)
