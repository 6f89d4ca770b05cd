"""Account pages."""

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..models.base import utcnow
from ..utils import is_safe_next, redirect_next
from . import bp, services
from .forms import (
    ChangePasswordForm,
    LoginForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    ResetRequestForm,
    SettingsForm,
)


def client_ip() -> str:
    # Behind a proxy, configure ProxyFix so remote_addr is the client's address.
    return request.remote_addr or "-"


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    if request.method == "GET":
        form.locale.data = (
            session.get("locale") or request.accept_languages.best_match(["en", "ru", "kk", "ur"]) or "en"
        )
    if form.validate_on_submit():
        if services.user_by_email(form.email.data):
            form.email.errors.append(_("An account with this email already exists. Log in or reset your password."))
        else:
            user = services.create_user(form.email.data, form.name.data, form.password.data, locale=form.locale.data)
            services.send_confirmation(user)
            db.session.commit()
            login_user(user)
            flash(
                _(
                    "Welcome! We sent a confirmation link to %(email)s. Now tell us about your company.",
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("companies.create"))
    return render_template("auth/register.html", form=form)


@bp.route("/confirm/<token>")
def confirm(token):
    user = services.confirm_email(token)
    if user is None:
        flash(_("This confirmation link is invalid or has expired."), "danger")
        return redirect(url_for("main.index"))
    db.session.commit()
    flash(_("Your email address is confirmed."), "success")
    return redirect(url_for("main.dashboard") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/confirm/resend", methods=["POST"])
@login_required
def resend_confirmation():
    form = ResendConfirmationForm()
    if form.validate_on_submit() and not current_user.email_confirmed:
        services.send_confirmation(current_user)
        db.session.commit()
        flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "info")
    return redirect(url_for("main.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        email, ip = form.email.data, client_ip()
        # The same words for every failure, known email or not, so accounts cannot be discovered.
        if services.is_throttled(email, ip):
            flash(_("Too many failed attempts. Please wait 15 minutes and try again."), "danger")
            return render_template("auth/login.html", form=form), 429
        user = services.authenticate(email, form.password.data)
        if user is None:
            services.record_failure(email, ip)
            flash(_("Invalid email or password."), "danger")
            return render_template("auth/login.html", form=form), 200
        services.clear_failures(email)
        user.last_login_at = utcnow()
        db.session.commit()
        session.clear()  # a fresh session on login: nothing planted before it survives
        login_user(user, remember=form.remember.data)
        flash(_("Welcome back, %(name)s.", name=user.name), "success")
        target = form.next.data
        return redirect(target if is_safe_next(target) else url_for("main.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Logging out ends every session of the user, on every device, remember cookies included."""
    current_user.rotate_session_token()
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        if services.is_throttled(form.email.data, client_ip()):
            abort(429)
        services.send_reset(form.email.data)
        services.record_failure("reset:" + form.email.data, client_ip())  # counts towards the limit too
        db.session.commit()
        flash(_("If an account exists for that email, we sent a link to reset the password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = services.user_for_reset_token(token)
    if user is None:
        flash(_("This reset link is invalid, has expired or was already used."), "danger")
        return redirect(url_for("auth.reset_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        services.clear_failures(user.email)
        db.session.commit()
        logout_user()
        flash(_("Your password was changed. Please log in."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if form.submit.data and form.validate_on_submit():
        current_user.name = form.name.data
        current_user.locale = form.locale.data
        db.session.commit()
        flash(_("Your settings were saved."), "success")
        return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form, password_form=password_form)


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    form = SettingsForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        if services.authenticate(current_user.email, password_form.current.data) is None:
            password_form.current.errors.append(_("Your current password is not right."))
        else:
            services.set_password(current_user, password_form.password.data)
            db.session.commit()
            login_user(
                current_user._get_current_object()
            )  # this browser stays logged in with the new token; others are out
            flash(_("Your password was changed. Other sessions were logged out."), "success")
            return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form, password_form=password_form), 400


@bp.route("/language/<code>")
def set_language(code):
    """The language switcher: remembered in the session, and on the account when logged in."""
    if code in ("en", "ru", "kk", "ur"):
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect_next()
