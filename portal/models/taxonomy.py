"""Taxonomy terms added or relabelled by admins; the built-in vocabulary lives in portal/taxonomy/terms.json."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class TaxonomyTerm(db.Model):
    __tablename__ = "taxonomy_term"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    facet: Mapped[str] = mapped_column(sa.String(32))
    labels: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    synonyms: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
