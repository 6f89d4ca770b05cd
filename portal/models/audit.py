"""The audit log: who did what, when and why. Rows are written once and never changed."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    association_id: Mapped[int | None] = mapped_column(sa.ForeignKey("association.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    detail: Mapped[dict | None] = mapped_column(sa.JSON)

    actor = relationship("User")

    # The insight dashboard's reads (portal/insight/stats.py): an object's history by action (the submit
    # before a moderation decision, a company's decisions), and the decisions of a kind in a period.
    __table_args__ = (
        sa.Index("ix_audit_log_object", "object_type", "object_id", "action", "at"),
        sa.Index("ix_audit_log_action_at", "object_type", "action", "at", "object_id"),
    )


class AuditLogIsAppendOnly(Exception):
    pass


@sa.event.listens_for(AuditLog, "before_update")
@sa.event.listens_for(AuditLog, "before_delete")
def _refuse_change(_mapper, _conn, target):
    raise AuditLogIsAppendOnly(f"audit log entry {target.id} cannot be changed")
