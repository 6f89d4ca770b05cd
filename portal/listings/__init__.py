"""Offers and requests: the public index and pages, create/edit, my listings and the owner's actions."""

from flask import Blueprint

bp = Blueprint("listings", __name__)

from . import routes  # noqa: E402,F401
