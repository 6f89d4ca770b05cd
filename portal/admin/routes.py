"""Admin pages; every view is admin-only and every change is audited by the services."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..models import Association, Role, TaxonomyTerm, User
from ..permissions import admin_required
from ..taxonomy import LANGS, builtin, vocabulary
from ..templating import current_locale
from ..utils import paginate
from ..verification.routes import render_audit
from . import bp, services
from .forms import AssociationForm, ConfirmForm, StaffForm, TermEditForm, TermForm, UserFilterForm


@bp.before_request
@admin_required
def require_admin():
    """Every admin page, present and future, is admin-only; the decorators below say it again where it is read."""


@bp.route("/")
@admin_required
def index():
    return render_template(
        "admin/index.html", company_counts=services.company_counts(), user_counts=services.user_counts()
    )


# --- associations ----------------------------------------------------------------------------------


@bp.route("/associations")
@admin_required
def associations():
    staff = dict(
        db.session.execute(
            sa.select(User.association_id, sa.func.count()).where(User.role == Role.staff).group_by(User.association_id)
        ).all()
    )
    return render_template("admin/associations.html", rows=services.company_counts(), staff=staff)


@bp.route("/associations/new", methods=["GET", "POST"])
@admin_required
def association_create():
    form = AssociationForm()
    if form.validate_on_submit():
        association = services.save_association(current_user, None, form.data)
        db.session.commit()
        flash(_("Association %(code)s was created.", code=association.code), "success")
        return redirect(url_for(".associations"))
    return render_template("admin/association_form.html", form=form, association=None)


@bp.route("/associations/<int:association_id>/edit", methods=["GET", "POST"])
@admin_required
def association_edit(association_id):
    association = db.get_or_404(Association, association_id)
    form = AssociationForm(obj=association, association_id=association.id)
    if form.validate_on_submit():
        services.save_association(current_user, association, form.data)
        db.session.commit()
        flash(_("Association %(code)s was saved.", code=association.code), "success")
        return redirect(url_for(".associations"))
    return render_template("admin/association_form.html", form=form, association=association)


# --- accounts --------------------------------------------------------------------------------------


@bp.route("/users")
@admin_required
def users():
    form = UserFilterForm(formdata=request.args, meta={"csrf": False})
    filters = form.data if form.validate() else {}
    page = paginate(services.users_select(filters.get("q"), filters.get("role"), filters.get("state")))
    return render_template("admin/users.html", page=page, form=form, action_form=ConfirmForm())


@bp.route("/staff/new", methods=["GET", "POST"])
@admin_required
def staff_create():
    form = StaffForm()
    if request.method == "GET" and request.args.get("association", "").isdigit():
        form.association.data = int(request.args["association"])
    if form.validate_on_submit():
        association = db.get_or_404(Association, form.association.data)
        user = services.create_staff(current_user, form.email.data, form.name.data, association)
        db.session.commit()
        flash(
            _("Staff account for %(email)s created; we emailed a link to choose a password.", email=user.email),
            "success",
        )
        return redirect(url_for(".users", role="staff"))
    return render_template("admin/staff_form.html", form=form)


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@admin_required
def user_deactivate(user_id):
    """GET asks for confirmation (works without JavaScript); POST does it."""
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        return act_on_user(
            user,
            lambda: services.set_active(current_user, user, False),
            _("%(email)s is deactivated and was logged out everywhere.", email=user.email),
        )
    return render_template("admin/user_deactivate.html", user=user, form=form)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def user_reactivate(user_id):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return act_on_user(
        user, lambda: services.set_active(current_user, user, True), _("%(email)s can log in again.", email=user.email)
    )


@bp.route("/users/<int:user_id>/send-link", methods=["POST"])
@admin_required
def user_send_link(user_id):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return act_on_user(
        user,
        lambda: services.send_new_link(current_user, user),
        _("We emailed %(email)s a link to choose a new password.", email=user.email),
    )


def act_on_user(user, action, message):
    try:
        action()
    except services.ActionRefused as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for(".users", q=user.email))


# --- taxonomy --------------------------------------------------------------------------------------


@bp.route("/taxonomy")
@admin_required
def taxonomy():
    vocab = vocabulary()
    overridden = set(db.session.scalars(sa.select(TaxonomyTerm.id)))
    return render_template(
        "admin/taxonomy.html", vocab=vocab, langs=LANGS, builtin_ids=set(builtin().terms), overridden=overridden
    )


@bp.route("/taxonomy/new", methods=["GET", "POST"])
@admin_required
def term_create():
    form = TermForm(locale=current_locale())
    if request.method == "GET" and request.args.get("facet") in vocabulary().facets:
        form.facet.data = request.args["facet"]
    if form.validate_on_submit():
        services.save_term(current_user, form.id.data, form.facet.data, form.labels(), form.synonyms())
        db.session.commit()
        flash(_("Term %(id)s was added.", id=form.id.data), "success")
        return redirect(url_for(".taxonomy", _anchor=f"facet-{form.facet.data}"))
    return render_template("admin/term_form.html", form=form, term=None, builtin_synonyms={})


@bp.route("/taxonomy/<term_id>/edit", methods=["GET", "POST"])
@admin_required
def term_edit(term_id):
    term = vocabulary().terms.get(term_id) or abort(404)
    base = builtin().terms.get(term_id)
    form = TermEditForm()
    if request.method == "GET":
        row = services.term_override(term_id)  # built-in synonyms are shown apart and cannot be removed
        form.fill(term.labels, row.synonyms if row else {})
    if form.validate_on_submit():
        services.save_term(current_user, term.id, term.facet, form.labels(), form.synonyms())
        db.session.commit()
        flash(_("Term %(id)s was saved.", id=term.id), "success")
        return redirect(url_for(".taxonomy", _anchor=f"facet-{term.facet}"))
    return render_template("admin/term_form.html", form=form, term=term, builtin_synonyms=base.synonyms if base else {})


# --- audit -----------------------------------------------------------------------------------------


@bp.route("/audit")
@admin_required
def audit():
    return render_audit(None, "admin.audit")
