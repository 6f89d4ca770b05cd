"""Where the index lives: its versioned directories, its id, the build lock, and opening the live one.

Layout of INDEX_DIR:
    INDEX_ID    this directory's random id: its cursor in the database's search journal is keyed by it
    CURRENT     the name of the live versioned subdirectory (replaced atomically by a rebuild)
    BUILD.lock  held (flock) while a rebuild builds a new version, so one host builds one at a time
    v<stamp>-<random>/   a Whoosh index; readers and writers open whichever one CURRENT names

What the index still has to apply lives in the database (`search_journal`, `search_cursor`; see
journal_tables.py), never in this directory, so a directory that cannot be written loses nothing.
Writers (writing.py) and searchers (searching.py) open whichever version CURRENT names.
"""

import errno
import fcntl
import os
import secrets
import socket
import time
import uuid
from contextlib import contextmanager

from flask import current_app
from whoosh import index as whoosh_index

CURRENT, INDEX_ID, BUILD_LOCK = "CURRENT", "INDEX_ID", "BUILD.lock"
OPEN_RETRIES = 4  # FileNotFoundError/OSError while opening: a concurrent commit swapped the files


class IndexMissing(Exception):
    """There is no index in this directory yet (no CURRENT, or it names no directory)."""


class RebuildRunning(Exception):
    """Another process is building a new version of this index directory right now."""


def index_dir(app=None) -> str:
    """INDEX_DIR, absolute."""
    app = app or current_app
    return os.path.abspath(app.config["INDEX_DIR"])


def location(base: str) -> str:
    """Host and path, for people reading the cursor table."""
    return f"{socket.gethostname()}:{base}"


def current_version(base: str) -> str | None:
    try:
        with open(os.path.join(base, CURRENT), encoding="utf-8") as fh:
            name = fh.read().strip()
    except FileNotFoundError:
        return None
    return name if name and os.path.isdir(os.path.join(base, name)) else None


def _write_atomically(path: str, text: str) -> None:
    tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def set_current(base: str, name: str) -> None:
    _write_atomically(os.path.join(base, CURRENT), name)


def new_version_dir(base: str) -> tuple[str, str]:
    # The random part keeps names apart across hosts and containers (where every pid may be 1).
    name = f"v{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(4)}"
    path = os.path.join(base, name)
    os.makedirs(path)
    return name, path


def open_index(base: str):
    """(version name, index) for the current index; IndexMissing when there is none."""
    name = current_version(base)
    if name is None:
        raise IndexMissing(base)
    return name, whoosh_index.open_dir(os.path.join(base, name))


# --- identity -------------------------------------------------------------------------------------


def read_index_id(base: str) -> str | None:
    try:
        with open(os.path.join(base, INDEX_ID), encoding="utf-8") as fh:
            return fh.read().strip() or None
    except FileNotFoundError:
        return None


def ensure_index_id(base: str) -> tuple[str, bool]:
    """(this directory's id, whether it was created just now). The id is stored in the directory, not
    derived from host and path: it survives a renamed host or a container's new hostname, and two
    directories never share one unless someone copies INDEX_ID (don't: delete it in a copy and rebuild)."""
    ident = read_index_id(base)
    if ident:
        return ident, False
    os.makedirs(base, exist_ok=True)
    path = os.path.join(base, INDEX_ID)
    tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(uuid.uuid4().hex)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)  # fails if another process made one first: both then use that one
        created = True
    except FileExistsError:
        created = False
    finally:
        os.remove(tmp)
    return read_index_id(base), created


def new_index_id(base: str) -> str:
    """Replace this directory's id (it was copied from another host's directory)."""
    ident = uuid.uuid4().hex
    _write_atomically(os.path.join(base, INDEX_ID), ident)
    return ident


@contextmanager
def build_lock(base: str, wait: bool = True):
    """Hold this directory's build lock; yields False at once when wait=False and it is taken."""
    os.makedirs(base, exist_ok=True)
    fd = os.open(os.path.join(base, BUILD_LOCK), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            held = True
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            held = False
        yield held
    finally:
        os.close(fd)  # releases the lock


def rebuild_running(base: str) -> bool:
    try:
        with build_lock(base, wait=False) as held:
            return not held
    except OSError:
        return False


def status(base: str) -> str:
    """'ok', 'missing' or 'error: ...' for the files alone (journal_tables.status says how far behind it is)."""
    try:
        _name, ix = open_index(base)
        ix.latest_generation()
    except IndexMissing:
        return "missing"
    except Exception as exc:  # noqa: BLE001 - health checks report, they do not raise
        return f"error: {type(exc).__name__}"
    return "ok"
