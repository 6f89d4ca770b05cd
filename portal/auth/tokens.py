"""Settings > API tokens: list, create (the token shown once), revoke after a confirmation. The rules
live in portal/api/tokens.py, which the API itself uses to accept tokens."""

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..api import tokens as token_services
from ..extensions import db
from ..forms import PortalForm
from ..rules import back_to, or_field_error
from . import bp


class TokenForm(PortalForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Give the token a name, e.g. the program that uses it.")), Length(max=80)],
    )
    scope = RadioField(
        _l("Access"),
        choices=[
            ("read", _l("Read: listings, companies, your matches and interests, statistics")),
            ("write", _l("Read and write: also create, edit and submit your listings")),
        ],
        default="read",
        validators=[DataRequired(message=_l("Choose read or write."))],
    )
    submit = SubmitField(_l("Create token"))


class RevokeTokenForm(PortalForm):
    submit = SubmitField(_l("Revoke token"))


def _page(form, secret=None, created=None, status=200):
    response = make_response(
        render_template(
            "auth/tokens.html",
            form=form,
            tokens=token_services.tokens_of(current_user),
            secret=secret,
            created=created,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"  # the page may show a new token: never keep it anywhere
    return response


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def api_tokens():
    """The list and the create form; after a create, the same page shows the new token, this once only
    (it is not put in the session or a flash, which would keep it in a cookie)."""
    form = TokenForm()
    if form.validate_on_submit():
        made = or_field_error(
            form.name, lambda: token_services.create_token(current_user, form.name.data, form.scope.data)
        )
        if made is not None:
            token, secret = made
            db.session.commit()
            return _page(TokenForm(formdata=None), secret=secret, created=token)
    return _page(form, status=400 if form.errors else 200)


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_api_token(token_id):
    """GET asks for confirmation; POST revokes."""
    token = token_services.own_token(current_user, token_id)
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        return render_template("auth/token_revoke.html", token=token, form=form)
    with back_to(url_for("auth.api_tokens")):
        token_services.revoke_token(current_user, token.id)
    db.session.commit()
    flash(
        _("The token %(name)s was revoked. Programs using it can no longer reach the API.", name=token.name), "success"
    )
    return redirect(url_for("auth.api_tokens"))
