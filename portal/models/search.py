"""The search journal (what changed, written with the change) and each index's cursor into it."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class SearchJournal(db.Model):
    """One row per object whose index documents a committed transaction may have changed.

    kind is 'listing', 'company', 'cascade' (every listing of company object_id) or 'taxonomy'
    (object_id empty: concepts changed, every document is re-read). Ids only grow, in commit order
    (portal/search/journal.py), so an index's cursor passes each entry exactly once; rows every known
    cursor has passed are pruned.
    """

    __tablename__ = "search_journal"
    # AUTOINCREMENT: SQLite would otherwise hand out an emptied table's ids again, below the cursors.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    object_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchCursor(db.Model):
    """How far one index directory (on one host) has applied the journal, and how it is faring.

    index_id is the random id in the directory's INDEX_ID file; version the versioned subdirectory the
    cursor is about (a rebuild swaps both at once); location the host and path, for people.
    """

    __tablename__ = "search_cursor"

    index_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(120))
    last_id: Mapped[int] = mapped_column(default=0)
    location: Mapped[str] = mapped_column(sa.String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # the cursor last moved (or was set)
    applied_at: Mapped[datetime | None]  # the last apply that succeeded
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))
    error_at: Mapped[datetime | None]
