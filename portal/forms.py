"""The portal's form base class: no single-line text field accepts control characters, and the messages
WTForms and Flask-WTF write themselves read in the user's language."""

from flask import current_app
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
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


class LibraryMessages:
    """WTForms' own messages: the portal's catalogue first (it has Urdu, which WTForms lacks, and Flask-WTF's
    CSRF messages; the ids are listed in wtforms_messages.py), then the translations WTForms ships."""

    def gettext(self, string):
        ours = get_translations().gettext(string)
        return ours if ours != string else wtforms_translations.gettext(string)

    def ngettext(self, singular, plural, n):
        ours = get_translations().ngettext(singular, plural, n)
        return ours if ours not in (singular, plural) else wtforms_translations.ngettext(singular, plural, n)


library_messages = LibraryMessages()


class PortalForm(FlaskForm):
    """Every form of the portal: a line break in a name must never reach a mail header or a calendar line."""

    # `next` is checked where it is used (utils.is_safe_next refuses control characters), and a bad one
    # is ignored, never a reason to refuse a login.
    unchecked_fields = frozenset({"next"})

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return library_messages

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        csrf_field = getattr(self, "csrf_token", None)
        if csrf_field is not None and csrf_field.errors:
            # Flask-WTF raises its CSRF messages in English, past WTForms' translations.
            csrf_field.errors = [library_messages.gettext(str(e)) for e in csrf_field.errors]
        for field in _single_line_fields(self):
            if field.name in self.unchecked_fields:
                continue
            if isinstance(field.data, str) and has_unsafe_chars(field.data):
                field.errors = [*field.errors, _l("Use one line of text, without line breaks or control characters.")]
                valid = False
        return valid
