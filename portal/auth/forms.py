"""Account forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from ..forms import PortalForm
from ..templating import COMMON_TIMEZONES, country_zone, known_timezones
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


def accept_terms_field(message=None):
    """The consent every new account gives, and every account again when the Terms change; the template
    (pages/_accept_terms.html) adds the links. `message`: what an unticked box says, where "to create an
    account" would be wrong."""
    return BooleanField(
        _l("I accept the Terms of use and the Privacy policy"),
        validators=[
            DataRequired(
                message=message or _l("Please accept the Terms of use and the Privacy policy to create an account.")
            )
        ],
    )


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
    accept_terms = accept_terms_field()
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


ZONE_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


def timezone_choices(automatic: str) -> dict:
    """The Settings list: "automatic" (the country's zone, kept up to date if the company moves) and the
    usual zones first, then every IANA zone by region; legacy aliases ("US/Pacific", "Etc/GMT+5") left out."""
    groups = {
        str(_l("Usual")): [("", str(_l("Automatic, from your country (%(zone)s)", zone=automatic)))]
        + [(z, z) for z in COMMON_TIMEZONES],
    }
    for zone in sorted(known_timezones()):
        region = zone.split("/", 1)[0]
        if region in ZONE_REGIONS and "/" in zone and zone not in COMMON_TIMEZONES:
            groups.setdefault(region, []).append((zone, zone.replace("_", " ")))
    return groups


class SettingsForm(PortalForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    locale = SelectField(_l("Language"), choices=language_choices())
    timezone = SelectField(_l("Time zone"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices(country_zone(kwargs.get("obj")))

    def validate_timezone(self, field):
        if field.data and field.data not in known_timezones():
            raise ValidationError(_l("Choose a time zone from the list."))


class AcceptTermsForm(PortalForm):
    """The Terms gate's page (auth/consent.py): an existing account accepts the Terms now in force."""

    accept_terms = accept_terms_field(
        message=_l("Please tick the box to accept the Terms of use and the Privacy policy, or log out.")
    )
    next = HiddenField()
    submit = SubmitField(_l("Accept and continue"))


class ResendConfirmationForm(PortalForm):
    submit = SubmitField(_l("Send the confirmation link again"))
