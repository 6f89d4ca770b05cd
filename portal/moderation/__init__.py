"""Association staff moderate their own members' listings and flags; staff and admins import data."""

from flask import Blueprint

bp = Blueprint("moderation", __name__)

from . import routes  # noqa: E402,F401
