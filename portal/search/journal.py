"""Old home of the search journal; kept so `portal.search.journal.X` still works.

The code lives in journal_tables.py (the rows, the cursors, `status`), sync.py (writing the rows in the
committing transaction) and replay.py (`apply_journal`). Code outside the package uses `portal.search`
itself; this module goes once nothing imports it.
"""

from .journal_tables import (  # noqa: F401
    CURSOR,
    DEFAULT_IDLE_DAYS,
    JOURNAL,
    KINDS,
    ORDER_LOCK,
    PRUNE_EVERY,
    entries,
    forget_location,
    max_id,
    prune,
    record_error,
    set_cursor,
    status,
    take_order_lock,
    write,
)
from .replay import (  # noqa: F401
    BATCH,
    HEARTBEAT,
    INLINE_BUILD_LIMIT,
    NO_INDEX,
    NeedsRebuild,
    RebuildInProgress,
    apply_journal,
    write_documents,
)
from .sync import DEFAULT_REQUEST_LOCK_WAIT_MS, REQUEST_LIMIT, request_lock_wait  # noqa: F401
