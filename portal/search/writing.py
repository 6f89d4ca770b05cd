"""The one writer at a time: Whoosh's lock, taken with a bounded, backing-off wait.

Several worker processes share one index. Whoosh lets one writer in at a time and raises LockError
for the others; writers here retry with backoff within the wait they are given (about 100 ms after a
request's commit, INDEX_LOCK_TIMEOUT seconds for the worker), and an open that trips over a file a
concurrent commit has just removed (FileNotFoundError, or any OSError) is retried a few times too.
"""

import logging
import time
from contextlib import contextmanager

from flask import current_app, has_app_context
from whoosh.index import LockError

from .versions import OPEN_RETRIES, current_version, open_index
from .whoosh_private import write_lock, writer_without_lock

log = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT = 10.0


def lock_timeout() -> float:
    """How long a writer waits for the lock: INDEX_LOCK_TIMEOUT seconds (the default outside an app)."""
    return (
        float(current_app.config.get("INDEX_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT))
        if has_app_context()
        else DEFAULT_LOCK_TIMEOUT
    )


class _Swapped(Exception):
    """A rebuild swapped CURRENT while we waited for the lock: open the version it names now."""


def _try_writer(base: str):
    """One attempt: (version name, held lock, writer); LockError when another writer holds the lock."""
    name, ix = open_index(base)
    lock = write_lock(ix)
    if not lock.acquire(blocking=False):
        raise LockError(base)
    try:
        if current_version(base) != name:  # a rebuild swapped the index while we waited
            raise _Swapped
        return name, lock, writer_without_lock(ix)
    except BaseException:
        lock.release()
        raise


@contextmanager
def writer(base: str, timeout: float | None = None):
    """(version name, writer) on the current index, waiting up to `timeout` s for another writer.

    Commits on a clean exit unless the caller cancelled it, cancels on an exception. Raises LockError
    when the wait runs out, IndexMissing when there is no index, and the OSError of an open that still
    fails after OPEN_RETRIES tries.

    The lock is taken and released here rather than by Whoosh's writer: its constructor reads the TOC
    and makes temporary storage AFTER locking, and when that fails (a TOC a concurrent commit just
    removed, a directory that cannot be written) it never releases the lock, which the process would
    then hold until it exits.
    """
    timeout = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    delay, failures = 0.01, 0
    while True:
        try:
            name, lock, w = _try_writer(base)
            break
        except _Swapped:
            continue
        except LockError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.1)
        except OSError:
            failures += 1
            if failures > OPEN_RETRIES:
                raise
            time.sleep(0.01 * failures)
    try:
        yield name, w
        if not w.is_closed:
            w.commit()
    except BaseException:
        if not w.is_closed:
            try:
                w.cancel()
            except Exception:  # noqa: BLE001 - the first error is the one to report
                log.warning("search index: cancelling a failed writer failed too", exc_info=True)
        raise
    finally:
        lock.release()
