"""The audit trail: one way to record who did what to which object.

`record()` only adds the row to the current session, so it commits (or rolls back) with the change
it describes: an audit row never claims something the database does not hold.
"""

from .extensions import db
from .models import AuditLog


def record(
    actor, action: str, object_type: str, object_id=None, *, association_id=None, reason=None, detail=None
) -> AuditLog:
    """Append one audit row to the current transaction.

    actor: the user who acted (None for the system: the worker, an import run by an operator);
    association_id: whose staff may read the row (None: admins only).
    """
    row = AuditLog(
        actor_id=actor.id if actor is not None else None,
        association_id=association_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        detail=detail,
    )
    db.session.add(row)
    return row
