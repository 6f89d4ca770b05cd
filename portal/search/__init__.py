"""Search and matchmaking: the only package that talks to Whoosh (see schema, sync, journal, query, matching)."""

from flask import Blueprint

bp = Blueprint("search", __name__)


def apply_journal(max_wait: float | None = None, limit: int = 1000) -> int:
    """Apply the search journal to this host's index; how many entries were applied (for the worker).

    Safe from any process at any time (needs an app context); waits up to `max_wait` s for the index
    lock (None: INDEX_LOCK_TIMEOUT), rebuilds the index when it is missing or out of step, records a
    failure for journal_status() and raises it.
    """
    from . import journal

    return journal.apply_journal(max_wait=max_wait, limit=limit)


def journal_status() -> dict:
    """How far this host's index lags the journal (for /readyz): backlog, oldest_age_seconds,
    last_error, last_error_at, failing, needs_rebuild and a few ids; see journal.status."""
    from . import journal

    return journal.status()


def index_status() -> str:
    """'ok', 'missing', 'behind' (needs a rebuild, or applying fails) or 'error: ...' for the health check."""
    from . import index, journal

    try:
        files = index.status(index.index_dir())
        if files != "ok":
            return files
        state = journal.status()
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        return f"error: {type(exc).__name__}"
    return "behind" if state["needs_rebuild"] or state["failing"] else "ok"


def init_app(app) -> None:
    """Session listeners (once per process) and the Jinja globals for matches and suggestions."""
    from . import matching, sync

    sync.init_app(app)
    app.jinja_env.globals.update(
        listing_matches=matching.listing_matches,
        company_suggestions=matching.company_suggestions,
        dashboard_matches=matching.dashboard_matches,
    )


@bp.record_once
def _on_register(state) -> None:
    init_app(state.app)


from . import routes  # noqa: E402,F401
