"""Forms for interests, messages, meetings and outcomes."""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, ValidationError

from ..forms import PortalForm
from ..idempotency import FormTokenMixin
from ..models import OutcomeKind
from ..models.base import utcnow
from ..rules import RuleError
from ..utils import is_safe_web_url
from .services.attachments import inspect_upload
from .services.meetings import TIMEZONES, to_utc
from .services.outcomes import outcome_label


class InterestForm(FormTokenMixin, PortalForm):
    message = TextAreaField(_l("Your message"), validators=[DataRequired(), Length(min=20, max=4000)])
    what_we_bring = TextAreaField(_l("What your company brings"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Send expression of interest"))


class AnswerForm(PortalForm):
    note = TextAreaField(_l("Note to the company (optional)"), validators=[Optional(), Length(max=1000)])
    accept = SubmitField(_l("Accept and start a conversation"))
    decline = SubmitField(_l("Decline"))


class DeclineForm(PortalForm):
    """The confirmation page's form: it posts to the answer URL with `decline`, as AnswerForm's Decline did."""

    note = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=1000)])
    decline = SubmitField(_l("Yes, decline the interest"))


class ActionForm(PortalForm):
    """Just the CSRF token, for buttons that act on POST."""

    submit = SubmitField(_l("Confirm"))


class MessageForm(FormTokenMixin, PortalForm):
    body = TextAreaField(_l("Message"), validators=[Optional(), Length(max=10000)])
    attachment = FileField(_l("Attach a file (PDF, PNG or JPEG)"))
    submit = SubmitField(_l("Send"))

    def validate_attachment(self, field):
        """The content decides: the file is read and checked here, and kept for the service."""
        self.upload = None
        file = field.data
        if not file or not getattr(file, "filename", ""):
            return
        try:
            content_type, data = inspect_upload(file.stream)
        except RuleError as exc:
            raise ValidationError(str(exc)) from None
        self.upload = (file.filename, content_type, data)

    def validate_body(self, field):
        file = self.attachment.data
        if not (field.data or "").strip() and not (file and getattr(file, "filename", "")):
            raise ValidationError(_l("Write a message or attach a file."))


DURATIONS = [
    (30, _l("30 minutes")),
    (45, _l("45 minutes")),
    (60, _l("1 hour")),
    (90, _l("1 hour 30 minutes")),
    (120, _l("2 hours")),
    (240, _l("Half a day")),
    (480, _l("A full day")),
]
TIMEZONE_LABELS = {
    "Asia/Karachi": _l("Pakistan (Karachi, Lahore, Sialkot)"),
    "Asia/Almaty": _l("Kazakhstan (Almaty, Astana, Shymkent)"),
    "Asia/Qostanay": _l("Kazakhstan (Kostanay)"),
    "Asia/Aqtobe": _l("Kazakhstan (Aktobe, west)"),
    "Asia/Tashkent": _l("Uzbekistan (Tashkent)"),
    "Asia/Dubai": _l("United Arab Emirates (Dubai)"),
    "Europe/Istanbul": _l("Türkiye (Istanbul)"),
    "Europe/Moscow": _l("Russia (Moscow)"),
    "Europe/Berlin": _l("Central Europe (Berlin, Milan)"),
    "Europe/London": _l("United Kingdom (London)"),
    "UTC": _l("UTC"),
}


class MeetingForm(PortalForm):
    day = DateField(_l("Date"), validators=[DataRequired(message=_l("Choose a date."))])
    time = TimeField(_l("Time"), validators=[DataRequired(message=_l("Choose a time."))])
    timezone = SelectField(_l("Time zone"), choices=[(tz, TIMEZONE_LABELS[tz]) for tz in TIMEZONES])
    duration = SelectField(_l("Duration"), choices=DURATIONS, coerce=int, default=60)
    online_url = StringField(_l("Online meeting link"), validators=[Optional(), Length(max=500)])
    place = StringField(_l("Or a place"), validators=[Optional(), Length(max=300)])
    note = TextAreaField(_l("Agenda or note (optional)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Propose meeting"))

    def validate_online_url(self, field):
        # The link goes into the .ics URL property and an href: one clean http(s) URL, nothing more.
        if field.data and not is_safe_web_url(field.data.strip()):
            raise ValidationError(_l("Enter a full link starting with https://, without spaces or line breaks."))

    def validate_place(self, field):
        if not (field.data or "").strip() and not (self.online_url.data or "").strip():
            raise ValidationError(_l("Give an online meeting link or a place."))

    def validate_time(self, field):
        if not self.day.data or not field.data or self.timezone.data not in TIMEZONES:
            return
        starts_at = to_utc(self.local_start, self.timezone.data)
        if starts_at <= utcnow():
            raise ValidationError(_l("Choose a time in the future."))
        if starts_at > utcnow() + timedelta(days=2 * 365):
            raise ValidationError(_l("Choose a date within the next two years."))

    @property
    def local_start(self) -> datetime:
        return datetime.combine(self.day.data, self.time.data)


# The public scoreboard names the two companies of an agreement only when both ticked this box.
NAMED_LABEL = _l("Our company may be named on the public scoreboard")


class OutcomeForm(FormTokenMixin, PortalForm):
    kind = SelectField(_l("What came of it"), choices=[])
    value_usd = IntegerField(
        _l("Estimated value in USD (optional)"), validators=[Optional(), NumberRange(min=0, max=10**12)]
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])
    agrees_to_be_named = BooleanField(NAMED_LABEL, default=False)
    submit = SubmitField(_l("Record outcome"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, outcome_label(k)) for k in OutcomeKind]


class ConfirmOutcomeForm(PortalForm):
    """The other company's confirmation, with its own consent to be named on the scoreboard (unticked)."""

    agrees_to_be_named = BooleanField(NAMED_LABEL, default=False)
    submit = SubmitField(_l("Confirm outcome"))


class NamingConsentForm(PortalForm):
    """A party's change of mind about being named on the scoreboard: "1" to allow it, "0" to withdraw it."""

    agrees = HiddenField(validators=[AnyOf(("0", "1"))])


class DisputeForm(PortalForm):
    reason = TextAreaField(_l("What is not right?"), validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Dispute"))


class MeetingAnswerForm(PortalForm):
    accept = SubmitField(_l("Accept"))
    decline = SubmitField(_l("Decline"))
