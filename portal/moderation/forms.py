"""Moderation forms: a decision (one or in bulk), resolving reports, correcting tags and HS headings, the import
upload."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, RadioField, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import PortalForm
from ..listings.details import TYPE_LABELS
from ..listings.forms import MultiCheckboxField

DECISIONS = [("approve", _l("Approve")), ("request_changes", _l("Request changes")), ("reject", _l("Reject"))]
QUEUE_STATUSES = [
    ("submitted", _l("Waiting for review")),
    ("changes_requested", _l("Changes requested")),
    ("rejected", _l("Rejected")),
    ("published", _l("Published")),
    ("flagged", _l("Reported")),
]


STALE_PAGE = _l("This page is out of date. Open the listing again and decide on what it shows now.")


class CommentRequired:
    """A comment is required unless the action is one that needs none (approve, dismiss)."""

    def __init__(self, free_actions):
        self.free_actions = free_actions

    def __call__(self, form, field):
        if form.action.data not in self.free_actions and not (field.data or "").strip():
            raise ValidationError(_l("Please tell the company why: the comment is sent to them."))


class DecisionForm(PortalForm):
    action = RadioField(_l("Decision"), choices=DECISIONS, validators=[DataRequired(message=_l("Choose a decision."))])
    comment = TextAreaField(
        _l("Comment or reason for the company"), validators=[CommentRequired(("approve",)), Length(max=2000)]
    )
    # The Listing.version staff looked at; a decision on any other version is refused.
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(message=STALE_PAGE)])
    submit = SubmitField(_l("Send decision"))


class PicksField(SelectMultipleField):
    """Ticked listings as "id:version" values: each tick decides on the version the queue showed."""

    def process_formdata(self, valuelist):
        picks = []
        for value in valuelist:
            pk, sep, version = str(value).partition(":")
            if not (sep and pk.isdigit() and version.isdigit()):
                self.data = []
                raise ValueError(STALE_PAGE)
            picks.append((int(pk), int(version)))
        self.data = picks


class BulkDecisionForm(DecisionForm):
    version = None  # each tick carries its own
    ids = PicksField(validate_choice=False, validators=[DataRequired(message=_l("Tick at least one listing."))])
    submit = SubmitField(_l("Apply to the ticked listings"))


class FlagResolutionForm(PortalForm):
    action = RadioField(
        _l("Reports"),
        choices=[
            ("dismiss", _l("Dismiss the reports: the listing is fine")),
            ("unpublish", _l("Take the listing offline and send it back to the company")),
        ],
        validators=[DataRequired(message=_l("Choose what to do."))],
    )
    comment = TextAreaField(_l("Comment for the company"), validators=[CommentRequired(("dismiss",)), Length(max=2000)])
    submit = SubmitField(_l("Resolve reports"))


class TagsForm(PortalForm):
    tags = MultiCheckboxField(_l("Capabilities"), choices=[])
    submit = SubmitField(_l("Save capabilities"))


class HsHeadingsForm(PortalForm):
    """Staff's correction of a trade listing's HS headings (choices: listings.hs.choices())."""

    hs_headings = MultiCheckboxField(_l("HS headings"), choices=[])
    submit = SubmitField(_l("Save HS headings"))


class QueueFilterForm(PortalForm):
    """The queue's filters, read from the query string (no CSRF)."""

    status = SelectField(_l("Status"), choices=QUEUE_STATUSES, default="submitted", validators=[Optional()])
    type = SelectField(_l("Type"), choices=[("", _l("Any type")), *TYPE_LABELS.items()], validators=[Optional()])
    association = SelectField(_l("Association"), choices=[], validators=[Optional()])


class ImportForm(PortalForm):
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file to import."))])
    format = SelectField(
        _l("Format"),
        choices=[
            ("", _l("From the file name")),
            ("jsonl", _l("JSON Lines: companies and listings")),
            ("csv", _l("CSV: member roster (companies)")),
        ],
        validators=[Optional()],
    )
    association = SelectField(_l("Association of the roster (CSV)"), choices=[], validators=[Optional()])
    submit = SubmitField(_l("Check and import"))
