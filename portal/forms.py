"""The portal's form base class: no single-line text field accepts control characters."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, PasswordField, StringField, TextAreaField

from .utils import has_unsafe_chars


def _single_line_fields(fields):
    """Every single-line text field, also inside FormField and FieldList."""
    for field in fields:
        if isinstance(field, FormField):
            yield from _single_line_fields(field.form)
        elif isinstance(field, FieldList):
            yield from _single_line_fields(field.entries)
        # Passwords are never shown or mailed, and refusing characters at login could lock out an account.
        elif isinstance(field, StringField) and not isinstance(field, TextAreaField | PasswordField):
            yield field


class PortalForm(FlaskForm):
    """Every form of the portal: a line break in a name must never reach a mail header or a calendar line."""

    # `next` is checked where it is used (utils.is_safe_next refuses control characters), and a bad one
    # is ignored, never a reason to refuse a login.
    unchecked_fields = frozenset({"next"})

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in _single_line_fields(self):
            if field.name in self.unchecked_fields:
                continue
            if isinstance(field.data, str) and has_unsafe_chars(field.data):
                field.errors = [*field.errors, _l("Use one line of text, without line breaks or control characters.")]
                valid = False
        return valid
