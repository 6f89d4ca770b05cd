"""Account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

MIN_PASSWORD = 10


class PasswordStrength:
    """At least MIN_PASSWORD characters, not all digits, not the email."""

    def __call__(self, form, field):
        value = field.data or ""
        if value.isdigit():
            raise ValidationError(_l("Use letters as well as digits."))
        email = getattr(form, "email", None)
        if email is not None and email.data and value.lower() == email.data.lower():
            raise ValidationError(_l("Your password must differ from your email."))


def new_password_field(label):
    return PasswordField(label, validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200), PasswordStrength()])


def language_choices():
    return [("en", "English"), ("ru", "Русский"), ("kk", "Қазақша"), ("ur", "اردو")]


class RegisterForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Work email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = new_password_field(_l("Password"))
    password2 = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))]
    )
    locale = SelectField(_l("Language"), choices=language_choices(), default="en")
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me"))
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send reset link"))


class ResetPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))
    password2 = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))]
    )
    submit = SubmitField(_l("Set new password"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = new_password_field(_l("New password"))
    password2 = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))]
    )
    submit = SubmitField(_l("Change password"))


class SettingsForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    locale = SelectField(_l("Language"), choices=language_choices())
    submit = SubmitField(_l("Save"))


class ResendConfirmationForm(FlaskForm):
    submit = SubmitField(_l("Send the confirmation link again"))
