"""Old home of the index store, rebuild and check; kept so `portal.search.index.X` still works.

The code lives in versions.py (directories, ids, build lock), writing.py (the writer with retry),
searching.py (searchers), building.py and replay.py (rebuild) and index_check.py. Code outside the package
uses `portal.search` itself; this module goes once nothing imports it.
"""

from whoosh.index import LockError  # noqa: F401

from .building import build_new, build_parallel, install, rebuild_processes, remove_old_versions  # noqa: F401
from .documents import expected_documents  # noqa: F401
from .index_check import CheckReport, check, indexed_stamps, repair  # noqa: F401
from .replay import rebuild  # noqa: F401
from .searching import MAX_HOLDERS, Holder, forget_request_searcher, searcher  # noqa: F401
from .versions import (  # noqa: F401
    BUILD_LOCK,
    CURRENT,
    INDEX_ID,
    OPEN_RETRIES,
    IndexMissing,
    RebuildRunning,
    build_lock,
    current_version,
    ensure_index_id,
    index_dir,
    location,
    new_index_id,
    new_version_dir,
    open_index,
    read_index_id,
    rebuild_running,
    set_current,
    status,
)
from .writing import DEFAULT_LOCK_TIMEOUT, lock_timeout, writer  # noqa: F401
