"""Accounts: register, confirm email, log in and out, reset and change password."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes  # noqa: E402,F401
