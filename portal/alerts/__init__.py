"""Saved searches and their email alerts: save, manage, one-click unsubscribe, `flask alerts send`."""

from flask import Blueprint

bp = Blueprint("alerts", __name__, cli_group="alerts")

from . import cli, routes  # noqa: E402,F401
