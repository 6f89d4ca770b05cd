"""What the bridge has achieved, for the associations, their boards and the ministries (issue 13): the staff
dashboard, its exports, the public scoreboard and the supply calendar.

Aggregates are computed by SQL in the service modules (`stats`, ...); `routes/` holds one module per page
family. `periods` is the one reading of "which period" that every page and export shares, so an export
holds exactly the rows the screen showed.
"""

from flask import Blueprint

bp = Blueprint("insight", __name__)

from . import routes  # noqa: E402,F401
