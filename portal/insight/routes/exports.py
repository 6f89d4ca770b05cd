"""The dashboard's exports, /insight/exports/<kind>.<csv|xlsx>: members, listings, the partnership funnel and
outcomes, for the period and association the dashboard shows (staff: always their own association,
whatever the URL says), audited, rate-limited, never cached."""

from flask import request
from flask_login import current_user

from ... import audit
from ...extensions import db
from ...limits import limited
from ...models import Role
from ...permissions import roles_required
from ...templating import current_locale
from ...utils import as_download
from .. import bp, exports, periods, spreadsheets
from .dashboard import SIDE_BY_SIDE, shown_associations

RIGHT_TO_LEFT = {"ur"}


@bp.route("/insight/exports/<any(members, listings, funnel, outcomes):kind>.<any(csv, xlsx):fmt>")
@roles_required(Role.staff, Role.admin)
@limited("export", methods=None)
def export(kind, fmt):
    period = periods.parse(request.args)
    associations = shown_associations(request.args.get("association", SIDE_BY_SIDE))
    table = exports.table(kind, associations, period)
    one = associations[0] if len(associations) == 1 else None
    # Spelt out, so that a search for an action finds where it is recorded (and the audit sentences test too).
    action = {
        "members": "export.members",
        "listings": "export.listings",
        "funnel": "export.funnel",
        "outcomes": "export.outcomes",
    }[kind]
    if request.method != "HEAD":  # a HEAD (a download manager's probe) gets the headers and no rows: no export
        audit.record(
            current_user,
            action,
            "export",
            association_id=one.id if one else None,
            detail={
                "format": fmt,
                "period": exports.period_text(period),
                "period_key": period.key,
                "association": one.code if one else None,
            },
        )
        db.session.commit()  # the audit row stands before the first byte leaves
    if fmt == "csv":
        response = spreadsheets.csv_response(table)
    else:
        response = spreadsheets.xlsx_response(table, right_to_left=current_locale() in RIGHT_TO_LEFT)
    return as_download(response, exports.filename(kind, associations, period, fmt))
