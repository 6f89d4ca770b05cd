"""Forms to save a search and to change or delete a saved one."""

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..forms import PortalForm

FREQUENCIES = [
    ("instant", _l("As soon as they are published")),
    ("daily", _l("Once a day")),
    ("weekly", _l("Once a week")),
]


class SaveSearchForm(PortalForm):
    name = StringField(_l("Name of the alert"), validators=[DataRequired(), Length(max=120)])
    frequency = SelectField(_l("Email me new matches"), choices=FREQUENCIES, default="daily")
    search_args = HiddenField(validators=[Length(max=2000)])
    submit = SubmitField(_l("Save this search"))


def save_search_form() -> SaveSearchForm:
    """The search page's "Save this search" form, carrying the current query string."""
    form = SaveSearchForm(formdata=None)
    form.search_args.data = request.query_string.decode("utf-8", "replace")
    form.name.data = request.args.get("q", "")[:120]
    return form


class EditSearchForm(PortalForm):
    name = StringField(_l("Name of the alert"), validators=[DataRequired(), Length(max=120)])
    frequency = SelectField(_l("Email me new matches"), choices=FREQUENCIES)
    submit = SubmitField(_l("Save"))


class ConfirmForm(PortalForm):
    submit = SubmitField(_l("Confirm"))
