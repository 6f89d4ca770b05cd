"""Saved-search pages: save from the search page, list and change them, unsubscribe without logging in."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import csrf, db
from ..limits import limited
from ..models import SavedSearch
from ..utils import is_safe_next
from . import bp, services
from .forms import ConfirmForm, EditSearchForm, SaveSearchForm


def own_search(search_id) -> SavedSearch:
    saved = db.get_or_404(SavedSearch, search_id)
    if saved.user_id != current_user.id:
        abort(404)
    return saved


@bp.route("/")
@login_required
def index():
    searches = db.session.scalars(
        sa.select(SavedSearch).where(SavedSearch.user_id == current_user.id).order_by(SavedSearch.id.desc())
    ).all()
    forms = {
        s.id: EditSearchForm(formdata=None, prefix=f"s{s.id}", name=s.name, frequency=s.frequency.value)
        for s in searches
    }
    return render_template("alerts/index.html", searches=searches, forms=forms)


@bp.route("/save", methods=["POST"])
@login_required
@limited("saved_search")
def save():
    form = SaveSearchForm()
    back = request.form.get("next")
    back = back if is_safe_next(back) else None
    if form.validate_on_submit():
        try:
            saved = services.save_search(current_user, form.name.data, form.search_args.data, form.frequency.data)
        except services.AlertError as exc:
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(
                _("Search saved as “%(name)s”. We will email you new listings that match.", name=saved.name), "success"
            )
    elif (form.name.data or "").strip() and form.name.errors:
        flash(str(form.name.errors[0]), "warning")  # e.g. a line break: the name goes into email subjects
    else:
        flash(_("Please give the alert a name."), "warning")
    return redirect(back or url_for(".index"))


@bp.route("/<int:search_id>/edit", methods=["POST"])
@login_required
def edit(search_id):
    saved = own_search(search_id)
    form = EditSearchForm(prefix=f"s{saved.id}")
    if form.validate_on_submit():
        services.update_search(saved, form.name.data, form.frequency.data)
        db.session.commit()
        flash(_("Alert “%(name)s” saved.", name=saved.name), "success")
    elif (form.name.data or "").strip() and form.name.errors:
        flash(str(form.name.errors[0]), "warning")
    else:
        flash(_("Please give the alert a name."), "warning")
    return redirect(url_for(".index"))


@bp.route("/<int:search_id>/delete", methods=["GET", "POST"])
@login_required
def delete(search_id):
    saved = own_search(search_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        db.session.delete(saved)
        db.session.commit()
        flash(_("Saved search deleted."), "info")
        return redirect(url_for(".index"))
    return render_template("alerts/delete.html", saved=saved, form=form)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail clients POST here for one-click unsubscribe (RFC 8058)
def unsubscribe(token):
    saved = services.saved_search_for_token(token)
    if saved is None:
        return render_template("alerts/unsubscribe.html", saved=None), 404
    if request.method == "POST":
        services.unsubscribe(saved)
        db.session.commit()
        return render_template("alerts/unsubscribe.html", saved=saved, done=True)
    return render_template("alerts/unsubscribe.html", saved=saved, done=not saved.active)
