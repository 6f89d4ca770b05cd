"""Offers and requests, their capability tags, pending revisions and members' flags."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .company import Company, VerificationStatus


class Direction(enum.Enum):
    offer = "offer"
    request = "request"

    @property
    def opposite(self) -> "Direction":
        return Direction.request if self is Direction.offer else Direction.offer


class ListingType(enum.Enum):
    technology_transfer = "technology_transfer"
    training = "training"
    joint_venture = "joint_venture"
    trade = "trade"


class ListingStatus(enum.Enum):
    draft = "draft"
    submitted = "submitted"
    changes_requested = "changes_requested"
    published = "published"
    rejected = "rejected"
    expired = "expired"
    withdrawn = "withdrawn"
    fulfilled = "fulfilled"


LANGUAGES = ("en", "ru", "kk", "ur")


def _enum(cls, name):
    return sa.Enum(cls, name=name, native_enum=False, length=24)


class Listing(db.Model):
    __tablename__ = "listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # the import file's key
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"), index=True)
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "listing_direction"), index=True)
    type: Mapped[ListingType] = mapped_column(_enum(ListingType, "listing_type"), index=True)
    title: Mapped[str] = mapped_column(sa.String(150))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown, sanitised when shown
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    target_countries: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Fields that depend on the type (duration, seats, investment range, Incoterms, ...).
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    anonymous: Mapped[bool] = mapped_column(default=False)
    interest_deadline: Mapped[date | None]
    status: Mapped[ListingStatus] = mapped_column(
        _enum(ListingStatus, "listing_status"), default=ListingStatus.draft, index=True
    )
    staff_comment: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    reminded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    form_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # portal/idempotency.py
    # What staff decide on: bumped by every change of the content under review (the listing's own
    # editable fields, its pending revision) and by every transition, never by bookkeeping such as
    # reminders. Moderation forms carry the version staff looked at and a decision on another one is
    # refused (listings.services.decide). It is also the ORM's version column, with the value set by
    # us (version_id_generator=False): every UPDATE of the row says "WHERE version = <what I read>",
    # so a decision that races an edit matches no row and fails instead of publishing unseen text.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    company = relationship("Company")
    tags = relationship("ListingTag", cascade="all, delete-orphan", order_by="ListingTag.term_id")
    revisions = relationship("ListingRevision", cascade="all, delete-orphan", order_by="ListingRevision.id")
    hs_headings = relationship("ListingHsHeading", cascade="all, delete-orphan", order_by="ListingHsHeading.heading")
    months = relationship("ListingMonth", cascade="all, delete-orphan", order_by="ListingMonth.month")

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    # The insight dashboard's figures of an association's listings (by type, direction, status, created,
    # gone live, live now) read this index alone, never the wide rows (portal/insight/stats.py).
    __table_args__ = (
        sa.Index(
            "ix_listing_company_activity",
            "company_id",
            "status",
            "type",
            "direction",
            "created_at",
            "published_at",
            "expires_at",
        ),
    )

    @property
    def is_live(self) -> bool:
        """Published, not past its expiry (whether or not the expiry command has run yet), and of a
        company its association verifies: a revoked or rejected company's listings are off the portal."""
        return (
            self.status is ListingStatus.published
            and (self.expires_at is None or self.expires_at > utcnow())
            and self.company is not None
            and self.company.is_verified
        )

    @classmethod
    def live_clause(cls):
        """The SQL twin of is_live, for queries (pages, search index, matches, alerts, notices)."""
        return sa.and_(
            cls.status == ListingStatus.published,
            sa.or_(cls.expires_at.is_(None), cls.expires_at > utcnow()),
            # A plain IN (not a correlated EXISTS), so queries that already join Company stay correct.
            cls.company_id.in_(sa.select(Company.id).where(Company.status == VerificationStatus.verified)),
        )

    def bump_version(self) -> None:
        """What awaits moderation changed: decisions taken on the version before are refused."""
        self.version = (self.version or 0) + 1

    @property
    def tag_ids(self) -> list[str]:
        return [t.term_id for t in self.tags]

    def set_tags(self, term_ids, inferred: bool = False) -> None:
        """Replace the tags; explicit tags replace inferred ones."""
        wanted = list(dict.fromkeys(term_ids))
        self.tags = [t for t in self.tags if t.term_id in wanted]
        have = set(self.tag_ids)
        self.tags.extend(ListingTag(term_id=t, inferred=inferred) for t in wanted if t not in have)
        if not inferred:
            for tag in self.tags:
                tag.inferred = False

    @property
    def pending_revision(self):
        return next(
            (
                r
                for r in reversed(self.revisions)
                if r.status in (ListingStatus.submitted, ListingStatus.changes_requested)
            ),
            None,
        )

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.direction.value} {self.type.value}>"


class ListingTag(db.Model):
    """A taxonomy term the listing is about; `inferred` when the portal read it from the text."""

    __tablename__ = "listing_tag"

    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True)
    term_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, index=True)
    inferred: Mapped[bool] = mapped_column(default=False)


class ListingHsHeading(db.Model):
    """A customs heading of the Harmonized System ("4104": tanned hides) that a trade listing deals in, so the
    associations' figures line up with customs statistics; `inferred` when read from the listing's topics
    rather than chosen by its owner or corrected by staff."""

    __tablename__ = "listing_hs_heading"

    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True)
    heading: Mapped[str] = mapped_column(sa.String(4), primary_key=True, index=True)
    inferred: Mapped[bool] = mapped_column(default=False)


class ListingMonth(db.Model):
    """A month (1-12) in which an offer of raw hides or skins is available: the supply calendar's rows.
    A table, not a JSON list, so "what is offered in June, by country" is one indexed GROUP BY."""

    __tablename__ = "listing_month"

    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[int] = mapped_column(primary_key=True, index=True)


class ListingRevision(db.Model):
    """An edit of a published listing, waiting for moderation while the published version stays visible."""

    __tablename__ = "listing_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[ListingStatus] = mapped_column(
        _enum(ListingStatus, "revision_status"), default=ListingStatus.submitted
    )
    staff_comment: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]


class ListingFlag(db.Model):
    """A member's report that a listing breaks the rules; it lands in the owner's association queue."""

    __tablename__ = "listing_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    listing = relationship("Listing")
