"""From match to partnership: expressions of interest, conversations, meetings and outcomes."""

from flask import Blueprint

bp = Blueprint("engagement", __name__)

from . import routes  # noqa: E402,F401
