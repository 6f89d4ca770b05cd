"""Which matches a listing's owner has been told about, so each new match is notified once."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class MatchNotice(db.Model):
    __tablename__ = "match_notice"

    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True, index=True)
    score: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.Index("ix_match_notice_listing_created", "listing_id", "created_at"),)  # insight funnel
