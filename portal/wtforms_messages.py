"""The messages WTForms and Flask-WTF write themselves, listed so `pybabel extract` keeps them in our catalogue.

WTForms ships ru and kk translations but no Urdu, and Flask-WTF does not translate its CSRF messages at all,
so every form would say "This field is required." in English to an Urdu reader. PortalForm (portal/forms.py)
looks these ids up in the portal's own messages catalogue first (translations/<lang>/LC_MESSAGES/messages.po)
and falls back to WTForms' shipped translations. Nothing imports the strings below: they exist so that
extraction and `pybabel update` find the ids and never drop their translations. Keep them word for word
as the libraries write them (WTForms 3.2, Flask-WTF 1.3).
"""

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

WTFORMS = (
    _l("Invalid field name '%s'."),
    _l("Field must be equal to %(other_name)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid IP address."),
    _l("Invalid Mac address."),
    _l("Invalid URL."),
    _l("Invalid UUID."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("This field cannot be edited."),
    _l("This field is disabled and cannot have a value."),
    _l("Invalid CSRF Token."),
    _l("CSRF token missing."),
    _l("CSRF failed."),
    _l("CSRF token expired."),
    _l("Invalid Choice: could not coerce."),
    _l("Choices cannot be None."),
    _l("Not a valid choice."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Not a valid datetime value."),
    _l("Not a valid date value."),
    _l("Not a valid time value."),
    _l("Not a valid week value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
)

# Flask-WTF raises these untranslated (flask_wtf/csrf.py); PortalForm translates them on the csrf_token field.
FLASK_WTF_CSRF = (
    _l("The CSRF token is missing."),
    _l("The CSRF session token is missing."),
    _l("The CSRF token has expired."),
    _l("The CSRF token is invalid."),
    _l("The CSRF tokens do not match."),
)


def _plurals(n):  # pragma: no cover - never called: only read by extraction (ngettext is a default keyword)
    return (
        ngettext(
            "Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", n
        ),
        ngettext(
            "Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", n
        ),
        ngettext("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long.", n),
        ngettext(
            "'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field.", n
        ),
    )
