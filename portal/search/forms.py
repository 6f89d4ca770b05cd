"""The search form (GET, no CSRF: it changes nothing)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SearchField, SelectField
from wtforms.validators import Optional

from ..forms import PortalForm
from .query import MAX_QUERY_CHARS


class SearchForm(PortalForm):
    q = SearchField(
        _l("Search"), validators=[Optional()], render_kw={"maxlength": MAX_QUERY_CHARS * 2, "autocomplete": "off"}
    )
    sort = SelectField(
        _l("Sort by"),
        choices=[("relevance", _l("Relevance")), ("newest", _l("Newest")), ("deadline", _l("Deadline"))],
        default="relevance",
        validators=[Optional()],
    )
    verified = BooleanField(_l("Verified companies only"))
    kind = HiddenField(default="listing")

    def validate_sort(self, field):
        if field.data not in dict(field.choices):
            field.data = "relevance"
