"""Admin forms: associations, staff accounts, the user filter, taxonomy terms and official trade figures."""

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, IntegerField, SelectField, StringField, SubmitField, TextAreaField, URLField
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..extensions import db
from ..forms import PortalForm
from ..models import Association, User
from ..models.base import utcnow
from ..taxonomy import LANGS, vocabulary
from ..utils import is_safe_web_url


def strip(value):
    return value.strip() if isinstance(value, str) else value


def upper(value):
    return value.strip().upper() if isinstance(value, str) else value


class ConfirmForm(PortalForm):
    """A button that only needs the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class AssociationForm(PortalForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Regexp(r"^[A-Z0-9]{2,16}$", message=_l("Use 2 to 16 capital letters or digits, e.g. PTA.")),
        ],
        filters=[upper],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    country = StringField(
        _l("Country"),
        validators=[
            DataRequired(),
            Regexp(r"^[A-Z]{2}$", message=_l("Use the two-letter country code, e.g. PK or KZ.")),
        ],
        filters=[upper],
    )
    website = URLField(
        _l("Website"),
        validators=[
            Optional(),
            URL(),
            Regexp(r"^https?://", message=_l("Start the address with https://.")),
            Length(max=300),
        ],
        filters=[strip],
    )
    submit = SubmitField(_l("Save association"))

    def __init__(self, *args, association_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.association_id = association_id  # the association being edited, so its own code is not a clash

    def validate_code(self, field):
        query = sa.select(Association.id).where(Association.code == field.data)
        if self.association_id is not None:
            query = query.where(Association.id != self.association_id)
        if db.session.scalar(query) is not None:
            raise ValidationError(_l("Another association already uses this code."))


class StaffForm(PortalForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)], filters=[strip])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)], filters=[strip])
    association = SelectField(_l("Association"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Create staff account"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rows = db.session.execute(
            sa.select(Association.id, Association.code, Association.name).order_by(Association.code)
        )
        self.association.choices = [(a.id, f"{a.code} · {a.name}") for a in rows]

    def validate_email(self, field):
        if db.session.scalar(sa.select(User.id).where(User.email == field.data.lower())) is not None:
            raise ValidationError(_l("An account with this email already exists."))


class UserFilterForm(PortalForm):
    q = StringField(_l("Name or email"), validators=[Optional(), Length(max=100)], filters=[strip])
    role = SelectField(
        _l("Role"),
        choices=[("", _l("All roles")), ("member", _l("Members")), ("staff", _l("Staff")), ("admin", _l("Admins"))],
        validators=[Optional()],
    )
    state = SelectField(
        _l("State"),
        choices=[("", _l("All")), ("active", _l("Active")), ("inactive", _l("Deactivated"))],
        validators=[Optional()],
    )


LANG_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша", "ur": "اردو"}
SYNONYM_SPLIT = re.compile(r"[,،\n]")  # the Arabic-script comma too, for Urdu


def parse_synonyms(text: str | None) -> list[str]:
    """Comma-separated text -> a clean list, order kept, duplicates dropped."""
    words = (" ".join(w.split()) for w in SYNONYM_SPLIT.split(text or ""))
    return list(dict.fromkeys(w for w in words if w))


def _label_field(lang):
    validators = [DataRequired()] if lang == "en" else [Optional()]
    return StringField(
        _l("Label (%(language)s)", language=LANG_NAMES[lang]),
        validators=[*validators, Length(max=120)],
        filters=[strip],
    )


def _synonyms_field(lang):
    return TextAreaField(
        _l("Synonyms (%(language)s)", language=LANG_NAMES[lang]), validators=[Optional(), Length(max=4000)]
    )


class TermEditForm(PortalForm):
    label_en, label_ru, label_kk, label_ur = (_label_field(lang) for lang in LANGS)
    synonyms_en, synonyms_ru, synonyms_kk, synonyms_ur = (_synonyms_field(lang) for lang in LANGS)
    submit = SubmitField(_l("Save term"))

    def labels(self) -> dict:
        return {lang: self[f"label_{lang}"].data for lang in LANGS if self[f"label_{lang}"].data}

    def synonyms(self) -> dict:
        found = {lang: parse_synonyms(self[f"synonyms_{lang}"].data) for lang in LANGS}
        return {lang: words for lang, words in found.items() if words}

    def fill(self, labels: dict, synonyms: dict) -> None:
        for lang in LANGS:
            self[f"label_{lang}"].data = labels.get(lang, "")
            self[f"synonyms_{lang}"].data = ", ".join(synonyms.get(lang, []))


class TermForm(TermEditForm):
    id = StringField(
        _l("Term id"),
        validators=[
            DataRequired(),
            Regexp(
                r"^[a-z][a-z0-9_]{1,62}[a-z0-9]$",
                message=_l("Use lowercase letters, digits and underscores, e.g. seg_belts."),
            ),
        ],
        filters=[strip],
    )
    facet = SelectField(_l("Facet"), validators=[DataRequired()])

    def __init__(self, *args, locale="en", **kwargs):
        super().__init__(*args, **kwargs)
        vocab = vocabulary()
        self.facet.choices = [(f, vocab.facet_label(f, locale)) for f in vocab.facets]

    def validate_id(self, field):
        if field.data in vocabulary().terms:
            raise ValidationError(_l("A term with this id already exists."))


class TradeFigureForm(PortalForm):
    """An official bilateral trade figure for the scoreboard; it replaces the shipped file's for its year and flow."""

    year = IntegerField(_l("Year"), validators=[InputRequired(message=_l("Give the year."))])
    flow = SelectField(_l("Flow"), validators=[InputRequired()])
    value_usd = IntegerField(
        _l("Value in USD"),
        validators=[
            InputRequired(message=_l("Give the value in whole US dollars.")),
            NumberRange(min=0, max=10**13, message=_l("The value cannot be negative.")),
        ],
    )
    months = IntegerField(
        _l("Months of the year covered"),
        default=12,
        validators=[
            InputRequired(message=_l("Give how many months the figure covers.")),
            NumberRange(min=1, max=12, message=_l("Give a number of months from 1 to 12.")),
        ],
    )
    source = StringField(
        _l("Source"), validators=[DataRequired(message=_l("Name the source.")), Length(max=300)], filters=[strip]
    )
    source_url = URLField(
        _l("Address of the source (optional)"), validators=[Optional(), Length(max=500)], filters=[strip]
    )
    submit = SubmitField(_l("Save figure"))

    def __init__(self, *args, flows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.flow.choices = list(flows)

    def validate_year(self, field):
        last = utcnow().year + 1
        if field.data is not None and not 2000 <= field.data <= last:
            raise ValidationError(_l("Give a year from 2000 to %(last)s.", last=last))

    def validate_source_url(self, field):
        if field.data and not is_safe_web_url(field.data):
            raise ValidationError(_l("Enter a full link starting with https:// or http://, without spaces."))
