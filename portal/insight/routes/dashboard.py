"""The association staff dashboard, /insight/: the figures of issue 13 for one association, or for an
administrator any association or PTA and KLA side by side, over the period chosen in the URL."""

from datetime import timedelta

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from ...extensions import db
from ...forms import PortalForm
from ...models import Association, Role
from ...permissions import roles_required
from ...templating import current_locale
from .. import bp, figures, periods, snapshots

SIDE_BY_SIDE = ""  # the admin's association choice that shows every association next to each other


class DashboardFilterForm(PortalForm):
    """The GET form above the dashboard: the period, its dates for a custom range, and (admins) the association."""

    period = SelectField(_l("Period"), choices=list(periods.PERIODS.items()), default=periods.DEFAULT)
    # `from` and `to` are what the periods module reads; `from` is a Python keyword, hence `name=`.
    start = DateField(_l("First day"), validators=[Optional()], name="from")
    end = DateField(_l("Last day"), validators=[Optional()], name="to")
    association = SelectField(_l("Association"), validators=[Optional()])


def shown_associations(chosen: str) -> list:
    """Whose dashboard: staff always their own association's (the URL cannot name another, as in the
    moderation queue); admins the one they chose, or every association side by side."""
    if current_user.role is Role.staff:
        return [current_user.association]
    everyone = db.session.scalars(sa.select(Association).order_by(Association.code)).all()
    picked = [a for a in everyone if a.code == chosen]
    return picked or everyone


@bp.route("/insight/")
@roles_required(Role.staff, Role.admin)
def dashboard():
    form = DashboardFilterForm(formdata=request.args, meta={"csrf": False})
    everyone = db.session.scalars(sa.select(Association).order_by(Association.code)).all()
    form.association.choices = [
        (SIDE_BY_SIDE, _l("All associations, side by side")),
        *((a.code, a.code) for a in everyone),
    ]
    period = periods.parse(request.args)
    form.period.data = period.key
    if period.key != "custom":
        form.start.data = form.end.data = None
    associations = shown_associations(request.args.get("association", SIDE_BY_SIDE))
    locale = current_locale()
    boards = [figures.board(association, period, locale) for association in associations]
    return render_template(
        "insight/dashboard.html",
        form=form,
        period=period,
        period_range=_range_text(period),
        boards=boards,
        figures_as_of=snapshots.as_of(),
    )


def _range_text(period) -> str:
    """The period's first and last day in the reader's language ("1 Sep 2026 – 30 Nov 2026"); "" for all time."""
    if period.start is None:
        return ""
    last = period.end - timedelta(seconds=1) if period.key != "custom" else period.end - timedelta(days=1)
    return f"{format_date(period.start.date(), 'medium')} – {format_date(last.date(), 'medium')}"
