"""Admin pages for the scoreboard's official trade figures: the shipped file's value beside any admin figure,
an editor, and removing an admin figure (the file's value is in force again). Every change is audited by
`insight.scoreboard`, which also owns how the figures are read."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..insight import scoreboard
from ..models import TradeFigure
from ..permissions import admin_required
from . import bp
from .forms import ConfirmForm, TradeFigureForm


def _flows():
    return [(flow, scoreboard.FLOW_LABELS[flow]) for flow in scoreboard.FLOWS]


@bp.route("/trade-figures")
@admin_required
def trade_figures():
    return render_template(
        "admin/trade_figures.html", mode="list", rows=scoreboard.figure_rows(), labels=scoreboard.FLOW_LABELS
    )


def _prefill(form: TradeFigureForm) -> None:
    """?year=&flow= from the list's Edit links: start from the figure in force for that year and flow."""
    year, flow = request.args.get("year", type=int), request.args.get("flow")
    if year is None or flow not in scoreboard.FLOWS:
        return
    form.year.data, form.flow.data = year, flow
    row = next((r for r in scoreboard.figure_rows() if (r["year"], r["flow"]) == (year, flow)), None)
    if row is not None:
        for field in scoreboard.FIGURE_FIELDS:
            form[field].data = row["current"][field]


@bp.route("/trade-figures/edit", methods=["GET", "POST"])
@admin_required
def trade_figure_edit():
    form = TradeFigureForm(flows=_flows())
    if request.method == "GET":
        _prefill(form)
    if form.validate_on_submit():
        data = {field: form[field].data for field in scoreboard.FIGURE_FIELDS}
        data["source_url"] = data["source_url"] or None
        scoreboard.save_figure(current_user, form.year.data, form.flow.data, data)
        db.session.commit()
        flash(
            _(
                "The figure for %(year)s (%(flow)s) is saved; the scoreboard shows it now.",
                year=form.year.data,
                flow=scoreboard.FLOW_LABELS[form.flow.data],
            ),
            "success",
        )
        return redirect(url_for(".trade_figures"))
    return render_template("admin/trade_figures.html", mode="edit", form=form)


@bp.route("/trade-figures/<int:figure_id>/remove", methods=["GET", "POST"])
@admin_required
def trade_figure_remove(figure_id):
    """GET asks for confirmation (works without JavaScript); POST removes the admin's figure."""
    row = db.get_or_404(TradeFigure, figure_id)
    in_file = next(
        (r["file"] for r in scoreboard.figure_rows() if (r["year"], r["flow"]) == (row.year, row.flow)), None
    )
    form = ConfirmForm()
    if form.validate_on_submit():
        year, flow = row.year, scoreboard.FLOW_LABELS[row.flow]
        scoreboard.remove_figure(current_user, row)
        db.session.commit()
        flash(_("The figure entered for %(year)s (%(flow)s) is removed.", year=year, flow=flow), "success")
        return redirect(url_for(".trade_figures"))
    return render_template(
        "admin/trade_figures.html",
        mode="remove",
        figure=row,
        in_file=in_file,
        form=form,
        labels=scoreboard.FLOW_LABELS,
    )
