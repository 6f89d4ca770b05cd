"""Partnerships, from match to deal: expressions of interest, conversations, attachments, meetings and outcomes.

One name for the package, the blueprint, the URL prefix (/partnerships) and the menu. `old_urls`, mounted at
/deals, keeps the links of earlier mails and bookmarks working.
"""

from urllib.parse import quote

from flask import Blueprint, redirect, request, url_for

bp = Blueprint("partnerships", __name__)
old_urls = Blueprint("deals", __name__)


@old_urls.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@old_urls.route("/<path:path>", methods=["GET", "POST"])
def moved(path):
    """308, not 301/302: a browser repeats a POST with its body, so an old form still works (CSRF is checked there)."""
    target = url_for("partnerships.inbox") + quote(path)
    if request.query_string:
        target += "?" + request.query_string.decode("ascii", "replace")
    return redirect(target, code=308)


from . import routes  # noqa: E402,F401
