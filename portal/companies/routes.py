"""Company pages: create and edit the profile, logo, colleagues and invitations, public profile, directory."""

from flask import abort, flash, redirect, render_template, request, send_from_directory, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from .. import limits
from ..auth.services import accept_terms, user_by_email
from ..extensions import db
from ..main.pages import TERMS_VERSION
from ..models import Company, Role, User
from ..models.company import VerificationStatus
from ..permissions import can_manage_colleagues, can_see_company, confirmed_required, member_required
from ..rules import or_field_error
from ..utils import paginate
from . import bp, logos, services
from .forms import (
    AcceptInvitationForm,
    ConfirmForm,
    DirectoryFilterForm,
    InviteForm,
    LogoForm,
    RemoveLogoForm,
    company_form,
)


def my_company() -> Company | None:
    return current_user.company if current_user.is_authenticated else None


def no_company_yet():
    flash(_("Tell us about your company first."), "info")
    return redirect(url_for("companies.create"))


@bp.route("/new", methods=["GET", "POST"])
@member_required
@confirmed_required
def create():
    if my_company() is not None:
        flash(_("You already belong to a company; here you can edit its profile."), "info")
        return redirect(url_for("companies.edit"))
    form = company_form(with_logo=False)
    if form.validate_on_submit():
        company = or_field_error(
            form.association_id, lambda: services.create_company(current_user, form.profile_data())
        )
        if company is not None:
            db.session.commit()
            flash(
                _(
                    "Your company profile is saved. %(association)s will verify your membership; we will let you know.",
                    association=company.association.code,
                ),
                "success",
            )
            return redirect(url_for("main.dashboard"))
    return render_template("companies/create.html", form=form), 400 if form.errors else 200


def render_edit(company, form=None, logo_errors=(), status=200):
    if form is None:
        form = company_form(obj=company, with_association=not company.is_verified, formdata=None)
        form.load_company(company)
    if logo_errors:
        form.logo.errors = list(logo_errors)
    return render_template("companies/edit.html", company=company, form=form), status


def commit_logo_change(new: str | None, old: str | None) -> None:
    """Commit; files are deleted only once the database agrees: the new one if the commit fails, else the old one."""
    try:
        db.session.commit()
    except Exception:
        logos.delete_logo_file(new)
        raise
    logos.delete_logo_file(old)


@bp.route("/mine/edit", methods=["GET", "POST"])
@member_required
def edit():
    """The whole profile, logo included, is one form with one Save: nothing is stored unless all of it is."""
    company = my_company()
    if company is None:
        return no_company_yet()
    if request.method == "GET":
        return render_edit(company)
    form = company_form(with_association=not company.is_verified)
    saved = None
    if form.validate_on_submit():
        was_rejected = company.status is VerificationStatus.rejected
        changed = or_field_error(
            form.association_id, lambda: services.update_company(company, current_user, form.profile_data())
        )
        if changed is not None:
            # a refused logo rolls back the whole save, so the profile is never half stored
            saved = or_field_error(
                form.logo,
                lambda: logos.change_logo(company, current_user, form.logo.data, bool(form.remove_logo.data)),
            )
    if saved is not None:
        commit_logo_change(*saved)
        if was_rejected:
            flash(
                _(
                    "Your profile is saved and sent to %(association)s for verification again.",
                    association=company.association.code,
                ),
                "success",
            )
        else:
            flash(_("Your company profile is saved."), "success")
        return redirect(url_for("main.dashboard"))
    if form.logo.data is not None and not form.logo.errors:
        form.logo.errors.append(
            _("Choose the logo again: a browser cannot keep a chosen file when the form comes back with errors.")
        )
    return render_edit(company, form=form, status=400)


@bp.route("/mine/logo", methods=["POST"])
@member_required
def upload_logo():
    """The logo alone (scripts and pages from before the one Save); checked exactly as on the edit page."""
    company = my_company()
    if company is None:
        return no_company_yet()
    form = LogoForm()
    if form.validate_on_submit():
        saved = or_field_error(form.logo, lambda: logos.change_logo(company, current_user, form.logo.data))
        if saved is not None:
            commit_logo_change(*saved)
            flash(_("Your new logo is saved."), "success")
            return redirect(url_for("companies.edit") + "#logo-section")
    return render_edit(company, logo_errors=[e for errors in form.errors.values() for e in errors], status=400)


@bp.route("/mine/logo/remove", methods=["POST"])
@member_required
def remove_logo():
    company = my_company()
    if company is None:
        return no_company_yet()
    if RemoveLogoForm().validate_on_submit():
        old = logos.remove_logo(company, current_user)
        db.session.commit()
        logos.delete_logo_file(old)
        flash(_("The logo was removed."), "info")
    return redirect(url_for("companies.edit") + "#logo-section")


@bp.route("/<int:company_id>/logo")
def logo(company_id):
    company = db.get_or_404(Company, company_id)
    if not can_see_company(current_user, company) or not company.logo_filename:
        abort(404)
    if not logos.LOGO_NAME.match(company.logo_filename):
        abort(404)
    response = send_from_directory(logos.logo_dir(), company.logo_filename, mimetype="image/png", max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    if not company.is_verified:
        response.cache_control.public = False
        response.cache_control.private = True
    return response


# --- colleagues ------------------------------------------------------------------------------------


def owned_company() -> Company:
    """The current member's company, if they own it; colleagues who are not the owner get 403."""
    company = my_company()
    if company is None:
        abort(redirect(url_for("companies.create")))
    if not can_manage_colleagues(current_user, company):
        abort(403)
    return company


@bp.route("/mine/colleagues", methods=["GET", "POST"])
@member_required
def colleagues():
    company = owned_company()
    form = InviteForm()
    if form.validate_on_submit():
        limits.hit("invite")
        invitation = or_field_error(form.email, lambda: services.invite(company, current_user, form.email.data))
        if invitation is not None:
            db.session.commit()
            flash(_("We sent an invitation to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("companies.colleagues"))
    return render_template(
        "companies/colleagues.html",
        company=company,
        form=form,
        confirm_form=ConfirmForm(formdata=None),
        people=services.colleagues_of(company),
        invitations=services.pending_invitations(company),
        is_expired=services.is_expired,
    ), 400 if form.errors else 200


@bp.route("/mine/invitations/<int:invitation_id>/revoke", methods=["POST"])
@member_required
def revoke_invitation(invitation_id):
    company = owned_company()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not services.revoke_invitation(company, current_user, invitation_id):
        abort(404)
    db.session.commit()
    flash(_("The invitation was withdrawn; its link no longer works."), "info")
    return redirect(url_for("companies.colleagues"))


@bp.route("/mine/colleagues/<int:user_id>/remove", methods=["GET", "POST"])
@member_required
def remove_colleague(user_id):
    company = owned_company()
    colleague = db.get_or_404(User, user_id)
    if colleague.company_id != company.id:
        abort(404)
    if colleague.id == company.owner_id:
        flash(_("You cannot remove the owner of the company."), "warning")
        return redirect(url_for("companies.colleagues"))
    form = ConfirmForm()
    if form.validate_on_submit():
        services.remove_colleague(company, current_user, colleague)
        db.session.commit()
        flash(_("%(name)s no longer works with your company on Leather Bridge.", name=colleague.name), "info")
        return redirect(url_for("companies.colleagues"))
    return render_template("companies/remove_colleague.html", company=company, colleague=colleague, form=form)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    invitation = services.invitation_for_token(token)
    problem = None
    if invitation is None:
        problem = _("This invitation link is not valid. Check that you copied the whole link from the email.")
    elif invitation.accepted_at is not None:
        problem = _("This invitation was already used. If that was you, log in.")
    elif services.is_expired(invitation):
        problem = _("This invitation has expired. Ask your colleague to invite you again.")
    if problem:
        return render_template("companies/invitation.html", problem=problem), 404
    company = invitation.company

    if current_user.is_authenticated:
        if current_user.role is not Role.member:
            problem = _("Association staff and administrators cannot join a member company.")
        elif not services.invitation_is_for(invitation, current_user):
            problem = _(
                "This invitation was sent to another email address. Log out, then open the link again and "
                "log in or register with the address it was sent to."
            )
            return render_template("companies/invitation.html", problem=problem, company=company), 403
        elif current_user.company_id == company.id:
            problem = _("You already work with %(company)s on Leather Bridge.", company=company.name)
        elif current_user.company_id is not None:
            problem = _(
                "You already belong to another company. One account works for one company; "
                "log out and accept with a new account."
            )
        if problem:
            return render_template("companies/invitation.html", problem=problem, company=company), 409
        form = ConfirmForm()
        if form.validate_on_submit():
            if not services.join(current_user, invitation):
                db.session.rollback()
                return render_template("companies/invitation.html", problem=_("This invitation was already used.")), 409
            db.session.commit()
            flash(_("Welcome to %(company)s on Leather Bridge.", company=company.name), "success")
            return redirect(url_for("main.dashboard"))
        return render_template("companies/invitation.html", company=company, invitation=invitation, join_form=form)

    if user_by_email(invitation.email) is not None:
        flash(
            _("An account with %(email)s exists already. Log in to accept the invitation.", email=invitation.email),
            "info",
        )
        return redirect(url_for("auth.login", next=request.path))
    form = AcceptInvitationForm()
    form.password_owner = invitation  # the new password may not contain the invited email
    if request.method == "GET":
        form.locale.data = request.accept_languages.best_match(["en", "ru", "kk", "ur"]) or "en"
    if form.validate_on_submit():
        user = services.register_and_join(invitation, form.name.data, form.password.data, form.locale.data)
        if user is None:
            db.session.rollback()
            return render_template("companies/invitation.html", problem=_("This invitation was already used.")), 409
        accept_terms(user, TERMS_VERSION)
        db.session.commit()
        session.clear()  # a fresh session for the new account, as on login
        login_user(user)
        flash(_("Welcome to %(company)s on Leather Bridge.", company=company.name), "success")
        return redirect(url_for("main.dashboard"))
    return render_template(
        "companies/invitation.html", company=company, invitation=invitation, register_form=form
    ), 400 if form.errors else 200


# --- public pages ----------------------------------------------------------------------------------


@bp.route("/")
def directory():
    form = DirectoryFilterForm(formdata=request.args, meta={"csrf": False})
    filters = form.filters()
    page = paginate(services.directory_query(filters))
    return render_template("companies/directory.html", form=form, page=page, filtered=bool(filters))


@bp.route("/<int:company_id>")
def profile(company_id):
    company = db.get_or_404(Company, company_id)
    if not can_see_company(current_user, company):
        abort(404)
    return render_template("companies/profile.html", company=company, listings=services.public_listings(company))
