"""What /readyz reports: is this instance fit to take traffic, and is the work behind it keeping up?

Each check answers with a state and numbers only (no exception text, no paths), because the answer
is served to anyone who can reach the probe. Only the database and the two backlogs decide the
status: the index is a cache (search degrades, the portal runs) and a missing worker heartbeat
shows up as a growing backlog anyway. The mail backlog counts only when PORTAL_MAIL_SERVER is set;
without one (the demo) mail stays in the outbox on purpose.
"""

import logging
import os
import tempfile

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import OutboxMessage
from ..models.base import utcnow

log = logging.getLogger(__name__)


def _age(then) -> float | None:
    return round(max((utcnow() - then).total_seconds(), 0.0), 1) if then else None


def database_state() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means "not ready"; why goes to the log
        db.session.rollback()
        log.exception("readiness: the database does not answer")
        return "unavailable"


def index_state() -> str:
    from ..search import index_status

    return index_status()


def index_writable() -> bool:
    """A tiny file written and removed where the index lives (its directory, or the parent it will go in)."""
    path = os.path.abspath(current_app.config["INDEX_DIR"])
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    if not os.path.isdir(path):
        return False  # e.g. a plain file where a directory has to be
    try:
        with tempfile.TemporaryFile(dir=path, prefix=".readyz-"):
            return True
    except OSError:
        return False


def journal_state() -> dict | None:
    """Backlog and age of the oldest entry; None when the journal cannot be read."""
    from ..search import journal_status

    try:
        status = journal_status()
    except Exception:  # noqa: BLE001 - reported as unknown, never raised
        db.session.rollback()
        log.exception("readiness: search.journal_status() failed")
        return {"state": "unknown"}
    # numbers and flags only: last_error holds exception text and the location a path
    return {
        "backlog": status["backlog"],
        "oldest_age_seconds": status["oldest_age_seconds"],
        "failing": bool(status["failing"]),
        "needs_rebuild": bool(status["needs_rebuild"]),
    }


def mail_state() -> dict:
    pending = sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
    count, oldest = db.session.execute(
        sa.select(sa.func.count(OutboxMessage.id), sa.func.min(OutboxMessage.created_at)).where(pending)
    ).one()
    return {
        "pending": count,
        "oldest_age_seconds": _age(oldest),
        "delivering": bool(current_app.config.get("MAIL_SERVER")),
    }


def worker_state() -> dict:
    from ..worker import last_heartbeat

    return {"last_heartbeat_age_seconds": _age(last_heartbeat())}


def readiness() -> tuple[dict, bool]:
    """({check: figures}, ready)."""
    limit = current_app.config["READY_MAX_LAG_SECONDS"]
    report = {"database": database_state(), "max_lag_seconds": limit}
    ready = report["database"] == "ok"
    report["index"] = {"state": index_state(), "writable": index_writable()}
    journal = journal_state()
    if journal is not None:
        report["journal"] = journal
        # unknown (the index cannot even say how far it is) counts as behind
        ready = ready and journal.get("state") != "unknown" and (journal.get("oldest_age_seconds") or 0) <= limit
    if ready:  # these read the database: skip them when it is down
        try:
            report["mail"], report["worker"] = mail_state(), worker_state()
        except Exception:  # noqa: BLE001 - e.g. a table missing before a migration
            db.session.rollback()
            log.exception("readiness: the mail or worker figures cannot be read")
            return report, False
        mail = report["mail"]
        ready = not mail["delivering"] or (mail["oldest_age_seconds"] or 0) <= limit
    return report, ready
