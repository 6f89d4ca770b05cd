"""The admin area: overview, associations, staff and user accounts, taxonomy terms, the full audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import routes, trade_figures  # noqa: E402,F401
