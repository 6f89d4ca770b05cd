"""Company forms: the profile (with capabilities and certifications), logo, invitations, directory filters."""

from datetime import date
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, Select, html_params

from ..auth.forms import accept_terms_field, language_choices, new_password_field
from ..extensions import db
from ..forms import PortalForm
from ..models import Association
from ..models.company import CAPACITY_UNITS, COUNTRIES, EMPLOYEE_RANGES, HS_CHAPTERS, LWG_LEVELS
from ..taxonomy import vocabulary
from ..templating import COUNTRY_NAMES, current_locale

CAPABILITY_FACETS = ("hide", "stage", "tan", "segment", "service")

# Endonyms: a reader finds their own language whatever the page's language is.
SPOKEN_LANGUAGES = {
    "en": "English",
    "ru": "Русский",
    "kk": "Қазақша",
    "ur": "اردو",
    "tr": "Türkçe",
    "zh": "中文",
    "de": "Deutsch",
    "it": "Italiano",
    "fr": "Français",
    "ar": "العربية",
    "fa": "فارسی",
    "uz": "Oʻzbekcha",
}
CAPACITY_UNIT_LABELS = {
    "sqft_month": _l("square feet a month"),
    "hides_month": _l("hides a month"),
    "skins_month": _l("skins a month"),
    "pairs_month": _l("pairs a month"),
    "pieces_month": _l("pieces a month"),
    "tonnes_month": _l("tonnes a month"),
}
HS_LABELS = {
    "41": _l("41 · Raw hides, skins and leather"),
    "42": _l("42 · Leather articles, saddlery, bags"),
    "6403": _l("6403 · Footwear with leather uppers"),
}
LWG_LEVEL_LABELS = {"gold": _l("Gold"), "silver": _l("Silver"), "bronze": _l("Bronze"), "audited": _l("Audited")}


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes: works without JavaScript and is easier to use than a multi-select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class GroupedSelect(Select):
    """A select with an optgroup per facet; choices under the group "" stand alone (e.g. "Any capability")."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for group, choices in field.iter_groups():
            if group:
                html.append(f"<optgroup {html_params(label=group)}>")
            html.extend(
                self.render_option(value, label, selected, **render_kw) for value, label, selected, render_kw in choices
            )
            if group:
                html.append("</optgroup>")
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704 - html_params and render_option escape every piece


def blank(label):
    return [("", label)]


def normalize_url(value):
    """People type 'www.tannery.pk'; a bare host gets https:// so it still becomes a working link."""
    value = (value or "").strip()
    if value and "://" not in value and ":" not in value.split("/")[0]:
        value = "https://" + value
    return value or None


class CertificationEntryForm(Form):
    """One certificate type: held or not, its expiry, and the LWG rating or the other certificate's name."""

    term_id = None  # set on the per-certificate subclass built by company_form(), which also drops the
    # fields that do not apply: the rating is only for LWG, the name only for "other".

    held = BooleanField(_l("We hold this certificate"))
    level = SelectField(
        _l("LWG rating"), choices=blank(_l("Choose…")) + [(lvl, LWG_LEVEL_LABELS[lvl]) for lvl in LWG_LEVELS]
    )
    name = StringField(_l("Name of the certificate"), validators=[Length(max=120)])
    expires_on = DateField(_l("Valid until"), validators=[Optional()])

    def validate_level(self, field):
        if self.held.data and not field.data:
            raise ValidationError(_l("Choose your LWG rating."))

    def validate_name(self, field):
        if self.held.data and not (field.data or "").strip():
            raise ValidationError(_l("Give the name of the certificate."))


class CompanyForm(PortalForm):
    """The whole profile. Status, verification and ownership are never fields here."""

    name = StringField(_l("Legal name"), validators=[DataRequired(), Length(max=200)])
    country = SelectField(
        _l("Country"),
        choices=[("", _l("Choose…"))] + [(c, COUNTRY_NAMES[c]) for c in COUNTRIES],
        validators=[DataRequired(message=_l("Choose a country."))],
    )
    city = StringField(_l("City or region"), validators=[DataRequired(), Length(max=120)])
    association_id = SelectField(
        _l("Association"),
        coerce=lambda v: int(v) if v not in (None, "") else None,
        validators=[DataRequired(message=_l("Choose your association."))],
    )
    # A field missing from the POST has data None; the column is NOT NULL (empty means "not given").
    membership_no = StringField(
        _l("Membership number"), filters=[lambda value: (value or "").strip()], validators=[Optional(), Length(max=64)]
    )
    description = TextAreaField(
        _l("About the company"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 6}
    )
    website = StringField(_l("Website"), filters=[normalize_url], validators=[Optional(), Length(max=300)])
    phone = StringField(
        _l("Phone"),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^\+?[0-9 ()./-]{5,40}$", message=_l("Use digits, spaces and + ( ) - only.")),
        ],
    )
    year_founded = IntegerField(_l("Year founded"), validators=[Optional()])
    employees_range = SelectField(
        _l("Employees"), choices=blank(_l("Choose…")) + [(r, r) for r in EMPLOYEE_RANGES], validators=[Optional()]
    )
    languages = MultiCheckboxField(_l("Languages you do business in"), choices=list(SPOKEN_LANGUAGES.items()))
    cap_hide = MultiCheckboxField()
    cap_stage = MultiCheckboxField()
    cap_tan = MultiCheckboxField()
    cap_segment = MultiCheckboxField()
    cap_service = MultiCheckboxField()
    capacity_amount = IntegerField(
        _l("Production capacity"),
        validators=[Optional(), NumberRange(min=1, max=10**9, message=_l("Enter a whole number above zero."))],
    )
    capacity_unit = SelectField(
        _l("Unit"),
        choices=blank(_l("Choose…")) + [(u, CAPACITY_UNIT_LABELS[u]) for u in CAPACITY_UNITS],
        validators=[Optional()],
    )
    hs_codes = MultiCheckboxField(
        _l("Products you trade (HS chapters)"), choices=[(c, HS_LABELS[c]) for c in HS_CHAPTERS]
    )
    # Part of the one Save: optional, checked by its content when saved (`logos.change_logo`), never by its name.
    logo = FileField(_l("Logo (PNG or JPEG)"), render_kw={"accept": "image/png,image/jpeg"})
    remove_logo = BooleanField(_l("Remove logo"))
    submit = SubmitField(_l("Save company profile"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        vocab, locale = vocabulary(), current_locale()
        for facet in CAPABILITY_FACETS:
            field = self[f"cap_{facet}"]
            field.label.text = vocab.facet_label(facet, locale)
            field.choices = [(t.id, t.label(locale)) for t in vocab.facet_terms(facet)]
        associations = db.session.scalars(sa.select(Association).order_by(Association.code)).all()
        if "association_id" in self:
            self.association_id.choices = blank(_l("Choose…")) + [(a.id, f"{a.name} ({a.code})") for a in associations]

    @property
    def capability_fields(self):
        return [self[f"cap_{facet}"] for facet in CAPABILITY_FACETS]

    @property
    def certification_fields(self):
        return [field for name, field in self._fields.items() if name.startswith("cert__")]

    def validate_year_founded(self, field):
        if field.data is not None and not 1800 <= field.data <= date.today().year:
            raise ValidationError(_l("Enter a year between 1800 and %(year)s.", year=date.today().year))

    def validate_website(self, field):
        if field.data:
            parts = urlsplit(field.data)
            if (
                parts.scheme not in ("http", "https")
                or "." not in (parts.hostname or "")
                or any(c.isspace() for c in field.data)
            ):
                raise ValidationError(_l("Enter a web address starting with http:// or https://."))

    def validate_capacity_unit(self, field):
        if self.capacity_amount.data and not field.data:
            raise ValidationError(_l("Choose the unit of your capacity."))
        if field.data and not self.capacity_amount.data:
            raise ValidationError(_l("Enter the amount too, or leave the unit empty."))

    def profile_data(self) -> dict:
        """The validated answers as plain data for the services, whatever else the request carried."""
        from .services import PROFILE_FIELDS  # the one list of the fields a profile form may set

        data = {name: self[name].data for name in PROFILE_FIELDS}
        if "association_id" in self:
            data["association_id"] = self.association_id.data
        data["capabilities"] = [t for field in self.capability_fields for t in (field.data or [])]
        data["certifications"] = [
            {
                "term_id": entry.term_id,
                "level": (entry["level"].data or None) if "level" in entry else None,
                "name": ((entry["name"].data or "").strip() or None) if "name" in entry else None,
                "expires_on": entry.expires_on.data,
            }
            for entry in (field.form for field in self.certification_fields)
            if entry.held.data
        ]
        return data

    def load_company(self, company) -> None:
        """Fill the capability and certification fields from a stored profile (the rest comes via obj=)."""
        for facet in CAPABILITY_FACETS:
            ids = {t.id for t in vocabulary().facet_terms(facet)}
            self[f"cap_{facet}"].data = [t for t in company.capability_ids if t in ids]
        held = {}
        for cert in company.certifications:
            held.setdefault(cert.term_id, cert)
        for field in self.certification_fields:
            cert = held.get(field.form.term_id)
            if cert:
                entry = field.form
                entry.held.data, entry.expires_on.data = True, cert.expires_on
                if "level" in entry:
                    entry["level"].data = cert.level or ""
                if "name" in entry:
                    entry["name"].data = cert.name


def company_form(*args, with_association=True, with_logo=True, **kwargs) -> CompanyForm:
    """A CompanyForm with one certification block per certificate in the vocabulary; without the logo
    fields for a company not created yet."""
    vocab, locale = vocabulary(), current_locale()
    attrs = {}
    for term in vocab.facet_terms("cert"):
        entry_attrs = {"term_id": term.id}
        if term.id != "cert_lwg":
            entry_attrs["level"] = None
        if term.id != "cert_other":
            entry_attrs["name"] = None
        entry_form = type(f"Cert_{term.id}", (CertificationEntryForm,), entry_attrs)
        attrs[f"cert__{term.id}"] = FormField(entry_form, label=term.label(locale))
    form_class = type("CompanyProfileForm", (CompanyForm,), attrs)
    if not with_association:
        form_class.association_id = None  # a verified company stays with its association
    if not with_logo:
        form_class.logo = form_class.remove_logo = None
    return form_class(*args, **kwargs)


class LogoForm(PortalForm):
    """The logo alone, for POST /mine/logo; the edit page saves the logo with the rest of the profile."""

    logo = FileField(
        _l("Logo (PNG or JPEG)"),
        validators=[FileRequired(message=_l("Choose an image file."))],
        render_kw={"accept": "image/png,image/jpeg"},
    )
    submit = SubmitField(_l("Upload logo"))


class RemoveLogoForm(PortalForm):
    submit = SubmitField(_l("Remove logo"))


class InviteForm(PortalForm):
    email = EmailField(_l("Colleague's work email"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send invitation"))


class ConfirmForm(PortalForm):
    """An empty form: a CSRF-protected button for actions that need no input."""

    submit = SubmitField(_l("Confirm"))


class AcceptInvitationForm(PortalForm):
    """For a visitor without an account: the email is the invited one and is not a field."""

    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    password = new_password_field(_l("Password"))
    password2 = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))]
    )
    locale = SelectField(_l("Language"), choices=language_choices(), default="en")
    accept_terms = accept_terms_field()
    submit = SubmitField(_l("Create account and join"))


class DirectoryFilterForm(PortalForm):
    q = StringField(_l("Name or city"), validators=[Optional(), Length(max=100)])
    country = SelectField(_l("Country"), validators=[Optional()])
    association = SelectField(_l("Association"), validators=[Optional()])
    capability = SelectField(_l("Capability"), validators=[Optional()], widget=GroupedSelect())
    certification = SelectField(_l("Certification"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        vocab, locale = vocabulary(), current_locale()
        self.country.choices = blank(_l("Any country")) + [(c, COUNTRY_NAMES[c]) for c in COUNTRIES]
        codes = db.session.scalars(sa.select(Association.code).order_by(Association.code)).all()
        self.association.choices = blank(_l("Any association")) + [(c, c) for c in codes]
        groups = {"": blank(_l("Any capability"))}
        for facet in CAPABILITY_FACETS:
            groups[vocab.facet_label(facet, locale)] = [(t.id, t.label(locale)) for t in vocab.facet_terms(facet)]
        self.capability.choices = groups
        self.certification.choices = blank(_l("Any certification")) + [
            (t.id, t.label(locale)) for t in vocab.facet_terms("cert")
        ]

    def filters(self) -> dict:
        """Only the filters that passed validation; a hand-edited URL with a bad value is ignored, not an error."""
        self.validate()
        return {
            name: field.data
            for name, field in self._fields.items()
            if name != "csrf_token" and field.data and not field.errors
        }
