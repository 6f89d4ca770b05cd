"""Associations, member companies, their capabilities, certifications and invitations."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class Association(db.Model):
    __tablename__ = "association"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2))
    website: Mapped[str | None] = mapped_column(sa.String(300))

    def __repr__(self) -> str:
        return f"<Association {self.code}>"


class VerificationStatus(enum.Enum):
    unverified = "unverified"
    verified = "verified"
    rejected = "rejected"


COUNTRIES = ("PK", "KZ", "other")
EMPLOYEE_RANGES = ("1-9", "10-49", "50-249", "250-999", "1000+")
CAPACITY_UNITS = ("sqft_month", "hides_month", "skins_month", "pairs_month", "pieces_month", "tonnes_month")
HS_CHAPTERS = ("41", "42", "6403")


class Company(db.Model):
    __tablename__ = "company"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # the import file's key
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    country: Mapped[str] = mapped_column(sa.String(8), index=True)
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("association.id"), index=True)
    membership_no: Mapped[str] = mapped_column(sa.String(64), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    website: Mapped[str | None] = mapped_column(sa.String(300))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    year_founded: Mapped[int | None]
    employees_range: Mapped[str | None] = mapped_column(sa.String(16))
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)  # ISO codes: en, ru, kk, ur, ...
    capacity_amount: Mapped[int | None]
    capacity_unit: Mapped[str | None] = mapped_column(sa.String(32))
    hs_codes: Mapped[list] = mapped_column(sa.JSON, default=list)
    logo_filename: Mapped[str | None] = mapped_column(sa.String(80))
    status: Mapped[VerificationStatus] = mapped_column(
        sa.Enum(VerificationStatus, name="verification_status", native_enum=False, length=16),
        default=VerificationStatus.unverified,
        index=True,
    )
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    verified_at: Mapped[datetime | None]
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", use_alter=True))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    association = relationship("Association")
    owner = relationship("User", foreign_keys=[owner_id], post_update=True)
    users = relationship("User", foreign_keys="User.company_id", back_populates="company")
    capabilities = relationship("CompanyCapability", cascade="all, delete-orphan", order_by="CompanyCapability.term_id")
    certifications = relationship("Certification", cascade="all, delete-orphan", order_by="Certification.id")

    # The insight dashboard counts an association's members by month, status and city from the index alone.
    __table_args__ = (sa.Index("ix_company_association_activity", "association_id", "created_at", "status", "city"),)

    @property
    def is_verified(self) -> bool:
        return self.status is VerificationStatus.verified

    @property
    def capability_ids(self) -> list[str]:
        return [c.term_id for c in self.capabilities]

    def set_capabilities(self, term_ids) -> None:
        """Replace the capability tags, keeping the rows that stay."""
        wanted = list(dict.fromkeys(term_ids))
        self.capabilities = [c for c in self.capabilities if c.term_id in wanted]
        have = set(self.capability_ids)
        self.capabilities.extend(CompanyCapability(term_id=t) for t in wanted if t not in have)

    def __repr__(self) -> str:
        return f"<Company {self.name}>"


class CompanyCapability(db.Model):
    """One taxonomy term (hide, stage, tanning method, segment, service) the company works with."""

    __tablename__ = "company_capability"

    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"), primary_key=True)
    term_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, index=True)


LWG_LEVELS = ("gold", "silver", "bronze", "audited")


class Certification(db.Model):
    """A certificate the company holds: a taxonomy cert term, an LWG level, an expiry date."""

    __tablename__ = "certification"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"), index=True)
    term_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    level: Mapped[str | None] = mapped_column(sa.String(16))
    name: Mapped[str | None] = mapped_column(sa.String(120))  # for "other" certifications
    expires_on: Mapped[date | None]

    @property
    def is_current(self) -> bool:
        return self.expires_on is None or self.expires_on >= date.today()


class Invitation(db.Model):
    """The owner invites a colleague by email; the token's hash is stored, the token is mailed."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]

    company = relationship("Company")
