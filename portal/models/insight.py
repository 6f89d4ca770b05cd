"""Tables for the associations' insight pages: official trade figures beside what the portal brokered."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class TradeFigure(db.Model):
    """An official bilateral trade figure in USD as an admin entered it. The shipped data file holds the
    published figures with their sources; a row here for the same year and flow replaces the file's, so
    admins can update the scoreboard without a release."""

    __tablename__ = "trade_figure"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    flow: Mapped[str] = mapped_column(sa.String(16))  # "pk_to_kz", "kz_to_pk" or "total"
    value_usd: Mapped[int] = mapped_column(sa.BigInteger)
    months: Mapped[int] = mapped_column(default=12)  # how many months of the year the figure covers
    source: Mapped[str] = mapped_column(sa.String(300))
    source_url: Mapped[str | None] = mapped_column(sa.String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    updated_by = relationship("User")

    __table_args__ = (sa.UniqueConstraint("year", "flow", name="uq_trade_figure_year_flow"),)


class ApiToken(db.Model):
    """A personal access token for the JSON API. Only its SHA-256 is kept (the token is shown once); the
    prefix lets its owner tell tokens apart in Settings."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(8))  # "read" or "write"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user = relationship("User")


class InsightSnapshot(db.Model):
    """One dashboard figure as the worker last computed it (portal/insight/snapshots): for one scope (an
    association's id, or "all" for the whole portal) and one fixed period ("30d", "quarter", "year", "all",
    or "now" for the figures that have none), its value as JSON, dates tagged."""

    __tablename__ = "insight_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    figure: Mapped[str] = mapped_column(sa.String(40))
    scope: Mapped[str] = mapped_column(sa.String(16))
    period_key: Mapped[str] = mapped_column(sa.String(16))
    computed_at: Mapped[datetime]
    value: Mapped[object] = mapped_column(sa.JSON)

    __table_args__ = (sa.UniqueConstraint("figure", "scope", "period_key", name="uq_insight_snapshot_figure"),)
