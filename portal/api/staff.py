"""The staff dashboard's figures (portal/insight) as JSON: staff get their own association's, admins any
association's or, without one, the whole portal's; members are refused."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..insight import periods, snapshots, stats
from ..models import Association, Role
from . import TOKEN, blueprint
from .auth import api_user, requires
from .errors import ApiError
from .schemas import StatisticsArgs, StatisticsSchema

bp = blueprint("staff_api", "The associations' statistics (a staff or admin token).")


def _association(code: str | None):
    """Whose figures: staff only their own association's (naming another is 403); admins the one named
    (None: the whole portal)."""
    user = api_user()
    if user.role is Role.staff:
        if code and code != user.association.code:
            raise ApiError(403, "forbidden", _("Staff see only their own association's figures."))
        return user.association
    if not code:
        return None
    association = db.session.scalar(sa.select(Association).where(Association.code == code))
    if association is None:
        raise ApiError(404, "not_found", _("There is no such association."))
    return association


def _period(args):
    """The dashboard's own reading of the period; a custom range it does not understand is a 422 here."""
    query = {"period": args["period"]}
    if args.get("from_"):
        query["from"] = args["from_"].isoformat()
    if args.get("to"):
        query["to"] = args["to"].isoformat()
    period = periods.parse(query)
    if period.error:
        raise ApiError(422, "validation_failed", period.error, {"query": {"period": [period.error]}})
    return period


@bp.route("/statistics")
@requires("read", roles=(Role.staff, Role.admin))
@bp.doc(security=TOKEN)
@bp.arguments(StatisticsArgs, location="query")
@bp.response(200, StatisticsSchema)
def statistics(args):
    """The dashboard's figures

    Members, listings, decision times and queues, the partnership funnel, confirmed outcomes by kind,
    cities and HS headings of one association over the period (`period`, or `custom` with `from` and
    `to`), as on /insight/. Times are UTC. The fixed periods' figures are the worker's, computed every few
    minutes (`figures_as_of`); a custom range's are computed for the request."""
    association = _association(args.get("association"))
    period = _period(args)
    aid = association.id if association else None
    return {
        "association": association.code if association else None,
        "period": {"key": period.key, "start": period.start, "end": period.end},
        "membership": [{"month": r["month"].isoformat(), "counts": r["counts"]} for r in stats.membership(aid, period)],
        "listings": stats.listings(aid, period),
        "decisions": _plain(stats.decision_times(aid, period)),
        "funnel": stats.funnel(aid, period),
        "outcomes": [{**row, "label": str(row["label"])} for row in stats.outcomes_by_kind(aid, period)],
        "cities": stats.cities(aid, period),
        "hs_headings": stats.hs_headings(aid),
        "figures_as_of": snapshots.as_of(),
    }


def _plain(value):
    """Datetimes in nested dicts as ISO strings (the schema leaves these dicts as they are)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or UTC).isoformat()
    return value
