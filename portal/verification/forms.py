"""Staff decision forms and the audit log filter."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import PortalForm


class VerifyForm(PortalForm):
    submit = SubmitField(_l("Verify membership"))


class RejectForm(PortalForm):
    reason = TextAreaField(
        _l("Reason (the company sees it)"),
        validators=[
            DataRequired(message=_l("Please give a reason: the company needs to know what to fix.")),
            Length(max=2000),
        ],
        filters=[lambda s: s.strip() if s else s],
    )
    submit = SubmitField(_l("Reject"))


class RevokeForm(RejectForm):
    submit = SubmitField(_l("Revoke verification"))


class AuditFilterForm(PortalForm):
    """GET filter; the view fills the action choices from the actions that exist in the viewer's scope."""

    action = SelectField(_l("Action"), choices=[], validators=[Optional()])
