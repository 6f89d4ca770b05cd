"""The bridge's public scoreboard, /scoreboard: what members agreed through the portal, confirmed by both
companies, beside the official bilateral trade figures and the one-billion-dollar goal. Anyone may read it;
administrators also get the way to the official figures' editor."""

from flask import render_template

from ...utils import paginate
from .. import bp
from .. import scoreboard as board

AGREEMENTS_PER_PAGE = 20


@bp.route("/scoreboard")
def scoreboard():
    page = paginate(board.agreements_query(), per_page=AGREEMENTS_PER_PAGE)
    return render_template(
        "insight/scoreboard.html", board=board.view(), page=page, agreements=board.agreement_rows(list(page.items))
    )
