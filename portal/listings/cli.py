"""Listing commands: `flask listings expire` (for cron), `flask listings infer-hs` and `flask import-data FILE`."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db

listings_cli = AppGroup("listings", help="Listing lifecycle commands.")


@listings_cli.command("expire")
def expire_command():
    """Expire published listings past their date and remind owners 14 days before (safe to rerun)."""
    from .services import expire_and_remind

    expired, reminded = expire_and_remind()
    db.session.commit()
    click.echo(f"{expired} listing(s) expired, {reminded} reminder(s) sent.")


@listings_cli.command("infer-hs")
def infer_hs_command():
    """Fill in the inferred HS headings of every listing from its concepts (safe to rerun).

    Headings an owner or staff chose are left as they are; listings that are not trade listings lose
    any heading. Prints how many listings were checked and changed.
    """
    from .hs import infer_all

    checked, changed, chosen = infer_all()
    db.session.commit()
    click.echo(
        f"{checked} listing(s) checked: {changed} updated, {chosen} with headings chosen by hand kept, "
        f"{checked - changed - chosen} unchanged."
    )


@click.command("import-data")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), help="Default: from the file name (.csv or JSON Lines)."
)
@click.option("--association", help="For CSV rosters: the association code (PTA, KLA) of every row.")
def import_data_command(file, fmt, association):
    """Import companies and listings (JSON Lines) or a member roster (CSV); see docs/import-format.md.

    The whole file is checked first: if any record is invalid nothing is written, every problem is
    printed as `line N: field: problem` and the command exits with status 1.
    """
    from .importer import import_csv, import_jsonl

    fmt = fmt or ("csv" if file.suffix.lower() == ".csv" else "jsonl")
    with open(file, encoding="utf-8-sig", errors="replace") as fh:
        total = sum(1 for line in fh if line.strip())
    with click.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
        if fmt == "csv":
            report = import_csv(file, association=association, progress=bar.update)
        else:
            report = import_jsonl(file, progress=bar.update)
    if report.errors:
        for error in report.errors:
            click.echo(error, err=True)
        click.echo(f"Nothing was imported: {len(report.errors)} problem(s) in {file.name}.", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"Imported {file.name} in {report.seconds:.1f} s: {report.summary()}.")


def init_app(app):
    app.cli.add_command(listings_cli)
    app.cli.add_command(import_data_command)
