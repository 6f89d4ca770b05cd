"""Home, dashboard, notifications and the health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from . import pages, routes  # noqa: E402,F401
