"""Search and matchmaking, the only package that talks to Whoosh; code outside it imports only this module.

The public API (each function's docstring is at its definition):
    search(text, user, kind, filters, verified_only, sort, page, per_page)  the /search page and alerts
    results_page()                    that page rendered for the current request (/search, /listings/)
    find_matches(listing, ...)        complementary listings, stored fields (CLI, notices, benches)
    listing_matches(listing, ...)     the same for a page: reasons, rows loaded and re-checked in SQL
    dashboard_matches(company, ...)   [(listing, matches)] for a company's recent listings
    understood_concepts(listing)      the concepts matching reads in a listing, for its owner
    company_suggestions(company, ...) companies of the other country worth meeting
    extract_concepts(text, language)  taxonomy term ids a text names (the importer's tags)
    notify_listing(listing), notify_new_matches()   match notices, once per pair; the caller commits
    apply_journal(), journal_status(), index_status()  keeping the index up to date, and how far it lags
    rebuild(), check()                 `flask search rebuild` / `flask search check`
    bp, init_app(app), init_cli(app)   the blueprint, session listeners (create_app calls init_app), commands

Inside, layers from the bottom; a module imports only from layers below its own (and, within one,
from those listed before it):
    whoosh_private | analysis, concepts | schema, scoring | documents |
    versions, writing, searching, journal_tables | sync | building, replay, index_check |
    bits, ranking, highlight, query, profiles, match_scores, reasons, company_matches, matching, notices |
    forms, routes, cli, index, journal (the last two: old homes, re-exporting) | this module
"""

from . import cli, replay, sync, versions
from .company_matches import company_suggestions
from .concepts import extract_concepts
from .index_check import check
from .journal_tables import status as journal_status
from .matching import dashboard_matches, find_matches, listing_matches, understood_concepts
from .notices import notify_listing, notify_new_matches
from .query import search
from .replay import apply_journal, rebuild
from .routes import bp, results_page

__all__ = [
    "apply_journal",
    "bp",
    "check",
    "company_suggestions",
    "dashboard_matches",
    "extract_concepts",
    "find_matches",
    "index_status",
    "init_app",
    "init_cli",
    "journal_status",
    "listing_matches",
    "notify_listing",
    "notify_new_matches",
    "rebuild",
    "results_page",
    "search",
    "understood_concepts",
]


def index_status() -> str:
    """'ok', 'missing', 'behind' (needs a rebuild, or applying fails) or 'error: ...' for the health check."""
    try:
        files = versions.status(versions.index_dir())
        if files != "ok":
            return files
        state = journal_status()
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        return f"error: {type(exc).__name__}"
    return "behind" if state["needs_rebuild"] or state["failing"] else "ok"


def init_app(app) -> None:
    """Session listeners (once per process) that journal changes and apply them after commit."""
    sync.init_app(app, applier=replay.apply_after_commit)


def init_cli(app) -> None:
    """Register `flask search rebuild|check|apply` and `flask match REF|notify`."""
    cli.init_app(app)
