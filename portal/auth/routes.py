"""Account pages."""

from flask import current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import limits
from ..extensions import db
from ..main.pages import current_terms_version, terms_date
from ..models.base import utcnow
from ..observability import count_login_failure
from ..utils import is_safe_next, redirect_next
from . import bp, services
from .forms import (
    AcceptTermsForm,
    ChangePasswordForm,
    LoginForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    ResetRequestForm,
    SettingsForm,
)


def client_ip() -> str:
    # Behind a proxy, PORTAL_PROXY_HOPS makes ProxyFix put the client's address here.
    return limits.client_address()


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
        email = services.normalize_email(form.email.data)
        limits.hit("register", account=email)
        # A new email gets an account and its confirmation link; a known one a note to its holder. The
        # answer is the same redirect, the same page and the same session either way, and nobody is
        # logged in: the link in the mail, opened in this browser, does that.
        services.register(email, form.name.data, form.password.data, form.locale.data, current_terms_version())
        db.session.commit()
        session["registered_email"] = email
        return redirect(url_for("auth.check_email"))
    return render_template("auth/register.html", form=form)


@bp.route("/register/check-email")
def check_email():
    email = session.get("registered_email")
    if not email:
        return redirect(url_for("auth.register"))
    return render_template("auth/check_email.html", email=email)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token):
    """Confirm an address from the link mailed to it. The link proves the mailbox, not the password: anyone
    can register a stranger's address with a password of their own and wait for the stranger to confirm it
    (pre-account hijacking). So only the browser that registered (or is logged in as the account) confirms
    at once; any other asks for a new password with the confirmation, which ends every other session."""
    user = services.user_for_confirm_token(token)
    if user is None:
        flash(_("This confirmation link is invalid, has expired or was already used."), "danger")
        return redirect(url_for("main.dashboard") if current_user.is_authenticated else url_for("main.index"))
    if current_user.is_authenticated and current_user.id != user.id:
        flash(_("This confirmation link is for another account. Log out, then open it again."), "warning")
        return redirect(url_for("main.dashboard"))
    registering_browser = current_user.is_authenticated or session.get("registered_email") == user.email
    form = ResetPasswordForm()
    form.password_owner = user  # the new password may not contain the account's email or name
    if not registering_browser and not form.validate_on_submit():
        return render_template("auth/confirm_password.html", form=form, email=user.email)
    services.confirm_email(user, None if registering_browser else form.password.data)
    db.session.commit()
    next_step = url_for("companies.create") if user.is_member and user.company_id is None else None
    if current_user.is_authenticated:
        flash(_("Your email address is confirmed."), "success")
        return redirect(next_step or url_for("main.dashboard"))
    if not user.active:
        flash(_("Your email address is confirmed. Please log in."), "success")
        return redirect(url_for("auth.login"))
    session.clear()
    login_user(user)
    flash(_("Your email address is confirmed. Now tell us about your company."), "success")
    return redirect(next_step or url_for("main.dashboard"))


@bp.route("/confirm")
@login_required
def unconfirmed():
    """Where an unconfirmed account is sent when it tries to act: what to do, and the resend button."""
    if current_user.email_confirmed:
        return redirect(url_for("main.dashboard"))
    return render_template("auth/unconfirmed.html", form=ResendConfirmationForm())


@bp.route("/confirm/resend", methods=["POST"])
@login_required
@limits.limited("resend")
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
        attempt = services.begin_attempt(email, ip)  # counted before the password is checked
        if attempt is None:
            minutes = max(1, services.retry_after_seconds() // 60)
            flash(
                _("Too many failed attempts. Please wait %(minutes)s minutes and try again.", minutes=minutes),
                "danger",
            )
            response = make_response(render_template("auth/login.html", form=form), 429)
            response.headers["Retry-After"] = str(services.retry_after_seconds())
            return response
        user = services.authenticate(email, form.password.data)
        if user is None:
            count_login_failure()
            flash(_("Invalid email or password."), "danger")
            return render_template("auth/login.html", form=form), 200
        services.attempt_succeeded(attempt)
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


@bp.route("/terms", methods=["GET", "POST"])
@login_required
def accept_terms():
    """Where the Terms gate (consent.py) sends an account that has not accepted the Terms now in force."""
    version = current_terms_version()
    if services.has_accepted(current_user, version):
        return redirect_next("main.dashboard")
    form = AcceptTermsForm()
    if request.method == "GET":
        target = request.args.get("next", "")
        form.next.data = target if is_safe_next(target) else ""  # never echo an unsafe one into the page
    if form.validate_on_submit():
        services.accept_updated_terms(current_user, version)
        db.session.commit()
        flash(_("Thank you for accepting the Terms of use and the Privacy policy."), "success")
        target = form.next.data
        return redirect(target if is_safe_next(target) else url_for("main.dashboard"))
    previous = current_user.terms_version
    page = render_template(
        "auth/accept_terms.html",
        form=form,
        terms_version=version,
        terms_date=terms_date(version),
        previous_date=terms_date(previous) if previous else None,
    )
    return page, 400 if form.errors else 200


@bp.route("/reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        # Its own limits, never the login lock: a stranger's wrong passwords cannot keep the owner from a reset.
        limits.hit("reset", account=services.normalize_email(form.email.data))
        services.send_reset(form.email.data)
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
    form.password_owner = user  # the new password may not contain the account's email or name
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
        current_user.timezone = form.timezone.data or None  # none: follow the country (templating.user_zone)
        db.session.commit()
        flash(_("Your settings were saved."), "success")
        return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form, password_form=password_form)


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    form = SettingsForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    password_form.password_owner = current_user
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


@bp.route("/language", methods=["POST"])
def set_language():
    """The language switcher: remembered in the session, and on the account when logged in.

    A POST with a CSRF token, because it changes the account: a GET could be fired by any page's <img>."""
    code = request.form.get("code")
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect_next()
