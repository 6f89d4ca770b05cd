"""Search and matchmaking: the only package that talks to Whoosh (see schema, sync, query, matching)."""

from flask import Blueprint

bp = Blueprint("search", __name__)


def index_status() -> str:
    """'ok', 'dirty', 'missing' or 'error: ...' for the health check."""
    from . import index

    try:
        return index.status(index.index_dir())
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        return f"error: {type(exc).__name__}"


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
