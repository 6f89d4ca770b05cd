"""Accounts: register, confirm email, log in and out, reset and change password, accept updated Terms."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import consent, routes, tokens  # noqa: E402,F401

# The one place the Terms gate is hooked in: app-wide, for every blueprint's routes (see its docstring).
bp.before_app_request(consent.require_current_terms)
