"""Account forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from ..forms import PortalForm
from .passwords import password_problem


class PasswordStrength:
    """The one check of every new password (registration, invitation, reset, change; staff set theirs by
    the reset link): see auth/passwords.py. The email and name come from the form's fields, or from
    `form.password_owner` (the account) where the form has none."""

    def __call__(self, form, field):
        owner = getattr(form, "password_owner", None)
        email = getattr(getattr(form, "email", None), "data", None) or getattr(owner, "email", None)
        name = getattr(getattr(form, "name", None), "data", None) or getattr(owner, "name", None)
        problem = password_problem(field.data or "", email=email, name=name)
        if problem:
            raise ValidationError(problem)


def new_password_field(label):
    return PasswordField(label, validators=[DataRequired(), Length(max=200), PasswordStrength()])


def language_choices():
    return [("en", "English"), ("ru", "Русский"), ("kk", "Қазақша"), ("ur", "اردو")]


class RegisterForm(PortalForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Work email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = new_password_field(_l("Password"))
    password2 = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))]
    )
    locale = SelectField(_l("Language"), choices=language_choices(), default="en")
    submit = SubmitField(_l("Create account"))


class LoginForm(PortalForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me"))
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class ResetRequestForm(PortalForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send reset link"))


class ResetPasswordForm(PortalForm):
    password = new_password_field(_l("New password"))
    password2 = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))]
    )
    submit = SubmitField(_l("Set new password"))


class ChangePasswordForm(PortalForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = new_password_field(_l("New password"))
    password2 = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))]
    )
    submit = SubmitField(_l("Change password"))


class SettingsForm(PortalForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    locale = SelectField(_l("Language"), choices=language_choices())
    submit = SubmitField(_l("Save"))


class ResendConfirmationForm(PortalForm):
    submit = SubmitField(_l("Send the confirmation link again"))
