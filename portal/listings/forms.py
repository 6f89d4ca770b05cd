"""Listing forms: create/edit with type-specific fieldsets, the index filters, flags and confirmations."""

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import PortalForm
from ..idempotency import FormTokenMixin
from ..language import detect_language
from ..taxonomy import vocabulary
from ..templating import COUNTRY_NAMES, LANGUAGE_NAMES, current_locale
from . import details as spec
from . import hs

TITLE_MAX = 150
DESCRIPTION_MAX = 4000
SUMMARY_MAX = 500
FACETS = ("hide", "stage", "tan", "segment", "service", "cert")


def tag_choices():
    """Every taxonomy term, facet by facet, labelled in the user's language."""
    vocab, locale = vocabulary(), current_locale()
    return [(t.id, t.label(locale)) for facet in FACETS for t in vocab.facet_terms(facet)]


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes instead of a multi-select: usable without JavaScript and on phones."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(options: dict, blank=None):
    pairs = list(options.items())
    return [("", blank), *pairs] if blank else pairs


class RequiredForItsType:
    """Marks a detail field its type requires, so the form shows it as required before it is sent.

    It checks nothing itself: only the chosen type's section counts, and ListingForm checks that one
    (details.check); the other sections' fields stay empty without an error."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        return None


def _number_field(field):
    validators = [Optional(), NumberRange(min=0, max=100 if field.kind == "percent" else None)]
    if field.required:
        validators.append(RequiredForItsType())
    if field.kind == "int":
        return IntegerField(field.label, validators)
    return DecimalField(field.label, validators, places=None)


def _detail_form(type_value):
    """A sub-form for one listing type, built from the shared field table."""
    attrs = {}
    for key, field in spec.SPEC[type_value].items():
        marks = [RequiredForItsType()] if field.required else []
        if isinstance(field.kind, dict):
            if len(field.kind) <= 4:
                attrs[key] = RadioField(field.label, choices=_choices(field.kind), validators=[Optional(), *marks])
            else:
                attrs[key] = SelectField(
                    field.label, choices=_choices(field.kind, "—"), validators=[Optional(), *marks]
                )
        elif field.kind == "text":
            attrs[key] = StringField(field.label, [Optional(), Length(max=field.max_length), *marks])
        else:
            attrs[key] = _number_field(field)
    return type(f"{type_value.title().replace('_', '')}DetailsForm", (Form,), attrs)


def _plain(value):
    """Decimals from the form become JSON numbers: ints when whole."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class ListingForm(FormTokenMixin, PortalForm):
    direction = RadioField(
        _l("I want to"),
        choices=[("offer", _l("Offer something")), ("request", _l("Find something"))],
        validators=[DataRequired(message=_l("Choose offer or request."))],
    )
    type = RadioField(
        _l("Type"),
        choices=list(spec.TYPE_LABELS.items()),
        validators=[DataRequired(message=_l("Choose the type of listing."))],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=SUMMARY_MAX)], render_kw={"rows": 2})
    description = TextAreaField(
        _l("Description"), validators=[DataRequired(), Length(max=DESCRIPTION_MAX)], render_kw={"rows": 12}
    )
    language = SelectField(
        _l("Language of the text"), choices=[("", _l("Detect from the text")), *LANGUAGE_NAMES.items()]
    )
    target_countries = MultiCheckboxField(_l("Target countries"), choices=list(COUNTRY_NAMES.items()))
    tags = MultiCheckboxField(_l("Capabilities"), choices=[])
    anonymous = BooleanField(_l("Anonymous: hide our company's name and contacts"))
    interest_deadline = DateField(_l("Expressions of interest until"), validators=[Optional()])
    technology_transfer = FormField(_detail_form("technology_transfer"), label=spec.TYPE_LABELS["technology_transfer"])
    training = FormField(_detail_form("training"), label=spec.TYPE_LABELS["training"])
    joint_venture = FormField(_detail_form("joint_venture"), label=spec.TYPE_LABELS["joint_venture"])
    trade = FormField(_detail_form("trade"), label=spec.TYPE_LABELS["trade"])
    # Shown in the trade section; top-level fields, because they are rows of their own, not `details`.
    hs_headings = MultiCheckboxField(_l("HS headings"), choices=[])
    available_months = MultiCheckboxField(_l("Available in these months"), choices=[], coerce=int)
    save = SubmitField(_l("Save draft"))
    submit = SubmitField(_l("Save and submit for review"))
    preview = SubmitField(_l("Preview"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tags.choices = tag_choices()
        self.hs_headings.choices = hs.choices()
        self.available_months.choices = hs.month_choices()

    @classmethod
    def from_data(cls, data: dict, **kwargs):
        """A form filled from a listing's (or a revision's) data, details in their type's fieldset."""
        values = {k: v for k, v in data.items() if k not in ("details", "interest_deadline")}
        if data.get("interest_deadline"):
            values["interest_deadline"] = date.fromisoformat(data["interest_deadline"])
        if data.get("type"):
            values[data["type"]] = data.get("details") or {}
        return cls(data=values, **kwargs)

    def validate_interest_deadline(self, field):
        if field.data and field.data < date.today():
            raise ValidationError(_l("The deadline cannot be in the past."))

    def validate(self, extra_validators=None):
        """Only the chosen type's fieldset counts: the others may hold anything (they are not saved)."""
        super().validate(extra_validators)
        chosen = self.type.data
        for type_value in spec.SPEC:
            sub = self[type_value]
            for key, field in spec.SPEC[type_value].items():
                subfield = sub.form[key]
                if type_value != chosen:
                    subfield.errors = []
                elif field.required and subfield.data in (None, "") and not subfield.errors:
                    subfield.errors = [_l("Required for this type of listing.")]
            low, high = spec.RANGES.get(type_value, (None, None))
            if type_value == chosen and type_value == "trade":
                self._check_months()
            if type_value == chosen and low:
                lo, hi = sub.form[low].data, sub.form[high].data
                if lo is not None and hi is not None and lo > hi and not sub.form[high].errors:
                    sub.form[high].errors = [_l("Must not be less than the lower value.")]
        if chosen != "trade":  # the trade section's fields are ignored, like its details
            self.hs_headings.errors, self.available_months.errors = [], []
        return not any(self.errors_of(f) for f in self)

    def _check_months(self):
        if self.available_months.data and self.direction.data != "offer" and not self.available_months.errors:
            self.available_months.errors = [_l("Supply months are for offers only.")]

    @staticmethod
    def errors_of(field):
        if isinstance(field, FormField):
            return any(sub.errors for sub in field.form)
        return bool(field.errors)

    def to_data(self) -> dict:
        """The listing's editable data, JSON-ready, in the same shape as services.snapshot()."""
        title, description = self.title.data.strip(), self.description.data.strip()
        chosen = self.type.data
        details = {k: _plain(v) for k, v in self[chosen].data.items() if v not in (None, "")}
        return {
            "direction": self.direction.data,
            "type": chosen,
            "title": title,
            "summary": (self.summary.data or "").strip(),
            "description": description,
            "language": self.language.data or detect_language(f"{title}\n{description}"),
            "target_countries": sorted(self.target_countries.data or []),
            "details": details,
            "anonymous": bool(self.anonymous.data),
            "interest_deadline": self.interest_deadline.data.isoformat() if self.interest_deadline.data else None,
            "tags": sorted(self.tags.data or []),
            "hs_headings": sorted(self.hs_headings.data or []) if chosen == "trade" else [],
            "available_months": sorted(self.available_months.data or [])
            if chosen == "trade" and self.direction.data == "offer"
            else [],
        }


class FlagForm(PortalForm):
    reason = TextAreaField(
        _l("What is wrong with this listing?"), validators=[DataRequired(), Length(min=10, max=1000)]
    )
    submit = SubmitField(_l("Report to the association"))


class ActionForm(PortalForm):
    """A bare POST button (submit, renew, withdraw, fulfil): the CSRF token is all it carries."""

    submit = SubmitField(_l("Confirm"))
