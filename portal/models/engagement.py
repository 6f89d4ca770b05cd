"""The partnership tables: interests, conversations, messages, attachments, meetings, outcomes, saved searches.

Models are named by their tables, so this module keeps its name; the rules and pages are `portal/partnerships/`.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


def _enum(cls, name):
    return sa.Enum(cls, name=name, native_enum=False, length=32)


class InterestStatus(enum.Enum):
    open = "open"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"


class Interest(db.Model):
    """A company's expression of interest in a listing; the listing's company accepts or declines it."""

    __tablename__ = "interest"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id", ondelete="CASCADE"), index=True)
    from_company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(sa.Text)
    what_we_bring: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[InterestStatus] = mapped_column(
        _enum(InterestStatus, "interest_status"), default=InterestStatus.open, index=True
    )
    response_note: Mapped[str | None] = mapped_column(sa.Text)
    responded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]
    form_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # portal/idempotency.py

    listing = relationship("Listing")
    from_company = relationship("Company")
    sender = relationship("User", foreign_keys=[sender_id])
    responded_by = relationship("User", foreign_keys=[responded_by_id])
    conversation = relationship("Conversation", back_populates="interest", uselist=False)

    # The service refuses a second open interest; the partial unique index makes a race lose too.
    __table_args__ = (
        sa.Index(
            "uq_interest_open_per_company",
            "listing_id",
            "from_company_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
        # The insight funnel and activity by city count interests from these indexes alone.
        sa.Index("ix_interest_listing_activity", "listing_id", "created_at", "status", "responded_at"),
        sa.Index("ix_interest_sender_created", "from_company_id", "created_at"),
    )

    @property
    def is_open(self) -> bool:
        return self.status is InterestStatus.open


class Conversation(db.Model):
    """The private thread of the two companies, opened when the listing's company accepts an interest."""

    __tablename__ = "conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(sa.ForeignKey("interest.id", ondelete="CASCADE"), unique=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id", ondelete="CASCADE"), index=True)
    owner_company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"), index=True)
    partner_company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(index=True)

    interest = relationship("Interest", back_populates="conversation")
    listing = relationship("Listing")
    owner_company = relationship("Company", foreign_keys=[owner_company_id])
    partner_company = relationship("Company", foreign_keys=[partner_company_id])

    __table_args__ = (sa.Index("ix_conversation_listing_created", "listing_id", "created_at"),)  # insight funnel

    @property
    def company_ids(self) -> tuple[int, int]:
        return self.owner_company_id, self.partner_company_id

    def other_company(self, company_id: int):
        return self.partner_company if company_id == self.owner_company_id else self.owner_company


class Message(db.Model):
    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    form_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # portal/idempotency.py

    conversation = relationship("Conversation")
    author = relationship("User")
    company = relationship("Company")
    attachments = relationship(
        "Attachment", back_populates="message", cascade="all, delete-orphan", order_by="Attachment.id"
    )


class ConversationState(db.Model):
    """Per user and conversation: the last message read, and the last one a digest email covered."""

    __tablename__ = "conversation_state"

    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    last_read_message_id: Mapped[int] = mapped_column(default=0)
    last_digest_message_id: Mapped[int] = mapped_column(default=0)
    read_at: Mapped[datetime | None]
    digest_at: Mapped[datetime | None]


class Attachment(db.Model):
    """A PDF or image sent with a message; the file lives under UPLOAD_DIR/attachments/<stored_name>."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("message.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    message = relationship("Message", back_populates="attachments")


class MeetingStatus(enum.Enum):
    proposed = "proposed"
    accepted = "accepted"
    declined = "declined"
    superseded = "superseded"  # the other side proposed another time instead
    cancelled = "cancelled"


class Meeting(db.Model):
    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    proposer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    proposer_company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]  # naive UTC
    timezone: Mapped[str] = mapped_column(sa.String(64))  # the zone it was proposed in, for showing it back
    duration_minutes: Mapped[int] = mapped_column(default=60)
    online_url: Mapped[str | None] = mapped_column(sa.String(500))
    place: Mapped[str | None] = mapped_column(sa.String(300))
    note: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[MeetingStatus] = mapped_column(
        _enum(MeetingStatus, "meeting_status"), default=MeetingStatus.proposed
    )
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meeting.id", ondelete="SET NULL"))
    responded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]

    conversation = relationship("Conversation")
    proposer = relationship("User", foreign_keys=[proposer_id])
    proposer_company = relationship("Company")

    __table_args__ = (sa.Index("ix_meeting_conversation_activity", "conversation_id", "status", "starts_at"),)

    @property
    def has_started(self) -> bool:
        """Its time has come: an agreed meeting is then held (the dashboard's funnel counts it so), and a
        proposal nobody answered has lapsed; neither can be answered or cancelled any more."""
        return self.starts_at <= utcnow()


class OutcomeKind(enum.Enum):
    technology_transfer_agreement = "technology_transfer_agreement"
    training_delivered = "training_delivered"
    joint_venture_formed = "joint_venture_formed"
    trade_contract = "trade_contract"


class OutcomeStatus(enum.Enum):
    recorded = "recorded"
    confirmed = "confirmed"
    disputed = "disputed"


class Outcome(db.Model):
    """A partnership that came of a conversation: recorded by one company, confirmed by the other."""

    __tablename__ = "outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[OutcomeKind] = mapped_column(_enum(OutcomeKind, "outcome_kind"))
    value_usd: Mapped[int | None] = mapped_column(sa.BigInteger)
    note: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[OutcomeStatus] = mapped_column(
        _enum(OutcomeStatus, "outcome_status"), default=OutcomeStatus.recorded, index=True
    )
    recorded_by_company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    confirmed_by_company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"))
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    dispute_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The public scoreboard names the two companies only when both agreed; otherwise the value counts unnamed.
    recorder_agrees_to_be_named: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    confirmer_agrees_to_be_named: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    form_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # portal/idempotency.py

    conversation = relationship("Conversation")
    recorded_by_company = relationship("Company", foreign_keys=[recorded_by_company_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])

    def naming_consent_of(self, company_id) -> bool | None:
        """That company's own consent to be named on the scoreboard, or None when it has none to give: the
        recorder has one from the start, the other company once it has confirmed; a dispute ends both."""
        if self.status is OutcomeStatus.disputed:
            return None
        if company_id == self.recorded_by_company_id:
            return self.recorder_agrees_to_be_named
        if company_id == self.confirmed_by_company_id and self.status is OutcomeStatus.confirmed:
            return self.confirmer_agrees_to_be_named
        return None

    # The insight funnel and outcomes by kind: an association's outcomes by status and time.
    __table_args__ = (
        sa.Index("ix_outcome_conversation_activity", "conversation_id", "status", "decided_at", "created_at"),
    )


class AlertFrequency(enum.Enum):
    instant = "instant"
    daily = "daily"
    weekly = "weekly"


class SavedSearch(db.Model):
    """A member's search kept for alerts: the query, the filters, how often to mail new matches."""

    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    query: Mapped[str] = mapped_column(sa.String(300), default="")
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    frequency: Mapped[AlertFrequency] = mapped_column(
        _enum(AlertFrequency, "alert_frequency"), default=AlertFrequency.daily
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sent_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]

    user = relationship("User")

    @property
    def active(self) -> bool:
        return self.unsubscribed_at is None


class AlertSent(db.Model):
    """This listing was mailed for this saved search: never again."""

    __tablename__ = "alert_sent"

    saved_search_id: Mapped[int] = mapped_column(sa.ForeignKey("saved_search.id", ondelete="CASCADE"), primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
