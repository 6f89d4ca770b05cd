"""Company pages (placeholder routes; the full pages are being built)."""

from flask import abort, render_template
from flask_login import current_user, login_required

from ..extensions import db
from ..models import Company
from ..permissions import can_see_company
from . import bp


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    return render_template("companies/placeholder.html")


@bp.route("/mine/edit", methods=["GET", "POST"])
@login_required
def edit():
    return render_template("companies/placeholder.html")


@bp.route("/mine/colleagues", methods=["GET", "POST"])
@login_required
def colleagues():
    return render_template("companies/placeholder.html")


@bp.route("/")
def directory():
    return render_template("companies/placeholder.html")


@bp.route("/<int:company_id>")
def profile(company_id):
    company = db.get_or_404(Company, company_id)
    if not can_see_company(current_user, company):
        abort(404)
    return render_template("companies/placeholder.html")
