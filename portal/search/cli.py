"""Commands: `flask search rebuild|check [--repair]|apply` and `flask match REF [--limit N] [--json]` / `flask match notify`."""

import json

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import force_locale

from ..extensions import db
from ..models import Listing
from . import documents, index_check, journal_tables, replay, versions
from .matching import find_matches
from .notices import notify_new_matches

search_cli = AppGroup("search", help="Search index maintenance.")


@search_cli.command("rebuild")
@click.option("--quiet", is_flag=True, help="No progress bar, only the summary line.")
def rebuild_command(quiet):
    """Build a new index from the database and swap it in atomically (safe while the portal runs)."""
    with db.engine.connect() as conn:
        total = documents.count_indexable(conn)
    if quiet:
        stats = replay.rebuild()
    else:
        with click.progressbar(length=total, label="Indexing", file=click.get_text_stream("stderr")) as bar:
            stats = replay.rebuild(progress=bar.update)
    click.echo(
        f"Indexed {stats['listings']} listings and {stats['companies']} companies in {stats['seconds']:.1f} s "
        f"({stats['rate']:.0f} listings/s)."
    )


@search_cli.command("check")
@click.option("--repair", is_flag=True, help="Apply the journal, then write what is still missing, stale or extra.")
def check_command(repair):
    """Compare the index with the database; exit with status 1 when they differ (after --repair: still differ)."""
    base = versions.index_dir()
    if repair:
        _apply_for_repair()
    start = journal_max_id()
    try:
        report = index_check.check()
    except versions.IndexMissing:
        click.echo("No index: run `flask search rebuild`.", err=True)
        raise click.exceptions.Exit(1) from None
    _print_report(report)
    if repair and not report.ok:
        fixed = index_check.repair(base, report)
        report = index_check.check()
        click.echo(f"Repaired {fixed} document(s).")
        _print_report(report)
    if repair and report.ok and journal_tables.status(base)["needs_rebuild"]:
        # The index now matches the database as it was after `start`: adopt it at that entry.
        ident, _created = versions.ensure_index_id(base)
        journal_tables.set_cursor(ident, versions.current_version(base), start, versions.location(base))
    state = journal_tables.status(base)
    click.echo(
        f"Journal: {state['backlog']} entr{'y' if state['backlog'] == 1 else 'ies'} not applied here"
        + (f", the oldest {state['oldest_age_seconds']:.0f} s old" if state["backlog"] else "")
        + ("; this index needs `flask search rebuild`" if state["needs_rebuild"] else "")
        + (f"; last error at {state['last_error_at']}: {state['last_error']}" if state["failing"] else "")
        + "."
    )
    if not report.ok:
        raise click.exceptions.Exit(1)


def journal_max_id() -> int:
    with db.engine.connect() as conn:
        return journal_tables.max_id(conn)


def _apply_for_repair() -> None:
    try:
        applied = replay.apply_journal(limit=10**9)
    except Exception as exc:  # noqa: BLE001 - the check below says what is still wrong
        click.echo(f"Applying the journal failed ({type(exc).__name__}: {exc}); repairing document by document.")
    else:
        click.echo(f"Applied {applied} journal entr{'y' if applied == 1 else 'ies'}.")


def _print_report(report) -> None:
    for label, keys in (("missing", report.missing), ("extra", report.extra), ("stale", report.stale)):
        for key in keys:
            click.echo(f"{label}: {key}")
    if report.expired:
        click.echo(f"{len(report.expired)} expired listing(s) hidden from searches until the expiry run.")
    click.echo(
        f"{report.indexed} documents indexed, {report.expected} expected: {len(report.missing)} missing, "
        f"{len(report.extra)} extra, {len(report.stale)} stale."
    )


@search_cli.command("apply")
@click.option("--limit", default=100_000, show_default=True, type=click.IntRange(1), help="Entries at most.")
def apply_command(limit):
    """Apply the search journal to this host's index now (what `flask worker` does every few seconds)."""
    applied = replay.apply_journal(limit=limit)
    state = journal_tables.status()
    click.echo(f"Applied {applied} journal entr{'y' if applied == 1 else 'ies'}; {state['backlog']} left.")


class MatchGroup(click.Group):
    """`flask match REF` shows matches; `flask match notify` sends notices. A REF is any other word."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


@click.group("match", cls=MatchGroup, help="Matchmaking: `match REF [--limit N] [--json]`, `match notify`.")
def match_cli():
    pass


def find_listing(ref: str):
    listing = db.session.scalar(sa.select(Listing).where(Listing.ref == ref))
    if listing is None and ref.isdigit():
        listing = db.session.get(Listing, int(ref))
    return listing


@match_cli.command("show")
@click.argument("ref")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="Print JSON: {listing, matches: [{ref, id, score, reasons}]}.")
def show_command(ref, limit, as_json):
    """The best complementary listings for the listing with this import ref or id, best first."""
    listing = find_listing(ref)
    if listing is None:
        click.echo(f"No listing with ref or id {ref!r}.", err=True)
        raise click.exceptions.Exit(1)
    with force_locale("en"):
        matches = find_matches(listing, limit=limit)
    if as_json:
        out = {
            "listing": ref,
            "matches": [{"ref": m.ref or None, "id": m.pk, "score": m.score, "reasons": m.reasons} for m in matches],
        }
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    click.echo(f"{listing.ref or listing.id}: {listing.title}")
    if not matches:
        click.echo("  no matches")
    for m in matches:
        title = m.obj.get("title", "")
        click.echo(f"  {m.score:.3f}  {m.ref or m.pk}  {title}")
        for reason in m.reasons:
            click.echo(f"           - {reason}")


@match_cli.command("notify")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 50), help="Matches per listing.")
def notify_command(limit):
    """Tell owners about new matches for their live listings, once per pair (safe to run from cron)."""
    pairs, listings = notify_new_matches(limit=limit)
    db.session.commit()
    click.echo(f"{pairs} new match(es) notified for {listings} listing(s).")


def init_app(app) -> None:
    for command in (search_cli, match_cli):
        if command.name not in app.cli.commands:
            app.cli.add_command(command)
