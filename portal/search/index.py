"""Where the index lives and how it is opened, written, rebuilt and checked against the database.

Layout of INDEX_DIR:
    INDEX_ID    this directory's random id: its cursor in the database's search journal is keyed by it
    CURRENT     the name of the live versioned subdirectory (replaced atomically by `rebuild`)
    BUILD.lock  held (flock) while a rebuild builds a new version, so one host builds one at a time
    v<stamp>-<random>/   a Whoosh index; readers and writers open whichever one CURRENT names

What the index still has to apply lives in the database (`search_journal`, `search_cursor`; see
journal.py), never in this directory, so a directory that cannot be written loses nothing.

Several worker processes share one index. Whoosh lets one writer in at a time and raises LockError
for the others; writers here retry with backoff within the wait they are given (about 100 ms after a
request's commit, INDEX_LOCK_TIMEOUT seconds for the worker), and an open that trips over a file a
concurrent commit has just removed (FileNotFoundError, or any OSError) is retried a few times too. A
searcher is opened once per process and checked once per request: it is reopened only when the index
generation changed (opening one costs tens of milliseconds on a large index, checking costs a
directory listing).
"""

import errno
import fcntl
import logging
import os
import secrets
import shutil
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app, g, has_app_context
from whoosh import index as whoosh_index
from whoosh.index import LockError

from .schema import make_schema

log = logging.getLogger(__name__)

CURRENT, INDEX_ID, BUILD_LOCK = "CURRENT", "INDEX_ID", "BUILD.lock"
DEFAULT_LOCK_TIMEOUT = 10.0
OPEN_RETRIES = 4  # FileNotFoundError/OSError while opening: a concurrent commit swapped the files


class IndexMissing(Exception):
    pass


class RebuildRunning(Exception):
    """Another process is building a new version of this index directory right now."""


def index_dir(app=None) -> str:
    app = app or current_app
    return os.path.abspath(app.config["INDEX_DIR"])


def lock_timeout() -> float:
    return (
        float(current_app.config.get("INDEX_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT))
        if has_app_context()
        else DEFAULT_LOCK_TIMEOUT
    )


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
    """'ok', 'missing' or 'error: ...' for the files alone (journal.status says how far behind it is)."""
    try:
        _name, ix = open_index(base)
        ix.latest_generation()
    except IndexMissing:
        return "missing"
    except Exception as exc:  # noqa: BLE001 - health checks report, they do not raise
        return f"error: {type(exc).__name__}"
    return "ok"


# --- writers --------------------------------------------------------------------------------------


class _Swapped(Exception):
    pass


def _try_writer(base: str):
    """One attempt: (version name, held lock, writer); LockError when another writer holds the lock."""
    name, ix = open_index(base)
    lock = ix.lock("WRITELOCK")
    if not lock.acquire(blocking=False):
        raise LockError(base)
    try:
        if current_version(base) != name:  # a rebuild swapped the index while we waited
            raise _Swapped
        return name, lock, ix.writer(_lk=False)
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


# --- searchers ------------------------------------------------------------------------------------


@dataclass
class Holder:
    version: str
    ix: object
    searcher: object
    lock: threading.Lock = field(default_factory=threading.Lock)
    cache: dict = field(default_factory=dict)  # per-searcher-generation caches (filters, facets)


_holders: dict[str, Holder] = {}
_holders_lock = threading.Lock()
MAX_HOLDERS = 8


def _retrying(fn):
    """fn() again when it trips over files a concurrent commit replaced (a few times, then raise)."""
    for attempt in range(OPEN_RETRIES):
        try:
            return fn()
        except FileNotFoundError:
            time.sleep(0.01 * (attempt + 1))
    return fn()


def _holder(base: str) -> Holder:
    name = current_version(base)
    if name is None:
        raise IndexMissing(base)
    with _holders_lock:
        holder = _holders.get(base)
        if holder is None or holder.version != name:
            from .query import weighting

            ix = _retrying(lambda: whoosh_index.open_dir(os.path.join(base, name)))
            holder = Holder(name, ix, _retrying(lambda: ix.searcher(weighting=weighting())))
            _holders[base] = holder
            while len(_holders) > MAX_HOLDERS:
                _holders.pop(next(iter(_holders)))
        return holder


def searcher(base: str | None = None):
    """(searcher, cache) for this request: the process's searcher, refreshed once per request."""
    base = base or index_dir()
    key = f"search_searcher:{base}"
    if has_app_context() and key in g:
        return g.get(key)
    holder = _holder(base)
    with holder.lock:
        if holder.ix.latest_generation() != holder.searcher.reader().generation():
            # A new reader, not Searcher.refresh(): whoosh-reloaded 2.7.5's reader reuse keeps merged-away
            # segments and stale deletions, so refreshed searchers return duplicates and deleted documents.
            from .query import weighting

            holder.searcher = _retrying(lambda: holder.ix.searcher(weighting=weighting()))
            holder.cache = {}
        result = (holder.searcher, holder.cache)
    if has_app_context():
        setattr(g, key, result)
    return result


def forget_request_searcher(base: str | None = None) -> None:
    """Drop the request's searcher so the next call sees writes made since (used after commits)."""
    if has_app_context():
        g.pop(f"search_searcher:{base or index_dir()}", None)


# --- rebuild --------------------------------------------------------------------------------------


def build_new(base: str, documents, limitmb: int = 256):
    """Write all documents into a fresh versioned directory; return (name, count)."""
    os.makedirs(base, exist_ok=True)
    name, path = new_version_dir(base)
    ix = whoosh_index.create_in(path, make_schema())
    w = ix.writer(limitmb=limitmb)
    count = 0
    try:
        for _key, doc in documents:
            w.add_document(**doc)
            count += 1
    except BaseException:
        w.cancel()
        shutil.rmtree(path, ignore_errors=True)
        raise
    w.commit(merge=False)
    return name, count


def _build_part(url: str, path: str, part: int, parts: int, limitmb: int, counter, results) -> None:
    """In a worker process: index every `parts`-th listing (and, in part 0, the companies) into a
    segment of the new index; put (part, segment, listings, companies) or (part, error) on `results`."""
    try:
        results.put((part, *_index_part(url, path, part, parts, limitmb, counter)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises
        results.put((part, f"{type(exc).__name__}: {exc}"))


def _index_part(url, path, part, parts, limitmb, counter) -> tuple:
    import sqlalchemy as sa
    from whoosh.writing import SegmentWriter

    from . import documents
    from .concepts import load_vocabulary

    engine = sa.create_engine(url)
    ix = whoosh_index.open_dir(path)
    # No lock: the parent holds the new, still private index, as Whoosh's own MpWriter does.
    w = SegmentWriter(ix, _lk=False, limitmb=limitmb)
    listings = companies = 0
    with engine.connect() as conn:
        vocab = load_vocabulary(conn)
        for _key, doc in documents.listing_documents(conn, vocab=vocab, part=(part, parts)):
            w.add_document(**doc)
            listings += 1
            if listings % 200 == 0:
                with counter.get_lock():
                    counter.value += 200
        if part == 0:
            for _key, doc in documents.company_documents(conn, vocab=vocab):
                w.add_document(**doc)
                companies += 1
    engine.dispose()
    with counter.get_lock():
        counter.value += listings % 200 + companies
    segment = w._finalize_segment() if listings + companies else None
    return segment, listings, companies


def build_parallel(base: str, url: str, procs: int, progress=None, limitmb: int = 256) -> tuple[str, int, int]:
    """Like build_new, with `procs` worker processes each writing its own segment; the parent then
    commits the segments together, as Whoosh's MpWriter does with multisegment=True."""
    import multiprocessing

    from whoosh.writing import SegmentWriter

    os.makedirs(base, exist_ok=True)
    name, path = new_version_dir(base)
    ix = whoosh_index.create_in(path, make_schema())
    ctx = multiprocessing.get_context("fork")
    counter, queue = ctx.Value("i", 0), ctx.Queue()
    workers = [
        ctx.Process(target=_build_part, args=(url, path, i, procs, limitmb, counter, queue), daemon=True)
        for i in range(procs)
    ]
    try:
        for worker in workers:
            worker.start()
        results, reported = [], 0
        while len(results) < procs:
            try:
                results.append(queue.get(timeout=0.2))
            except Exception:  # noqa: BLE001 - queue.Empty: report progress, check the workers live
                if not any(w.is_alive() for w in workers) and queue.empty():
                    raise RuntimeError("an index worker died") from None
            if progress and counter.value > reported:
                progress(counter.value - reported)
                reported = counter.value
        for worker in workers:
            worker.join()
        errors = [r[1] for r in results if len(r) == 2]
        if errors:
            raise RuntimeError(f"indexing failed: {errors[0]}")
        if progress and counter.value > reported:
            progress(counter.value - reported)
        w = SegmentWriter(ix)
        w._close_segment()
        w._commit_toc([r[1] for r in results if r[1] is not None])
        w._finish()
    except BaseException:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        shutil.rmtree(path, ignore_errors=True)
        raise
    results = [r[1:] for r in results]
    return name, sum(r[1] for r in results), sum(r[2] for r in results)


def install(base: str, name: str, last_id: int) -> str | None:
    """Make version `name` live with its cursor at journal entry `last_id`; return the old version.

    The cursor moves first: until CURRENT names the new version, appliers see a cursor that is not
    about the version they opened and leave it alone (a rebuild is running). A writer still busy on
    the old version commits there; its cursor update names the old version and changes nothing, and
    whatever it applied is applied again on the new one from `last_id` (applying is idempotent).
    """
    from . import journal

    ident, _created = ensure_index_id(base)
    journal.set_cursor(ident, name, last_id, location(base))
    old = current_version(base)
    set_current(base, name)
    return old


def remove_old_versions(base: str, keep) -> None:
    """Delete versioned directories but those in `keep` (the live one and the one it just replaced,
    which other processes may still be reading)."""
    for entry in os.listdir(base):
        if entry.startswith("v") and entry not in keep and os.path.isdir(os.path.join(base, entry)):
            shutil.rmtree(os.path.join(base, entry), ignore_errors=True)


# --- rebuild and check against the database -------------------------------------------------------


@dataclass
class CheckReport:
    missing: list = field(default_factory=list)  # in the database, not in the index
    extra: list = field(default_factory=list)  # in the index, no longer live in the database
    stale: list = field(default_factory=list)  # in both, but the document differs
    expired: list = field(default_factory=list)  # past expiry: hidden by queries until the expiry run
    indexed: int = 0
    expected: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.stale)


def expected_documents(conn, listing_ids=None, company_ids=None):
    from . import documents

    yield from documents.listing_documents(conn, listing_ids)
    yield from documents.company_documents(conn, company_ids)


def rebuild(
    base: str | None = None, progress=None, wait: bool = True, processes: int | None = None, replay: bool = True
) -> dict:
    """Build a new index from the database, swap it in, then apply what the journal gained meanwhile.

    The journal's newest id is read BEFORE any document: every change up to it is in the build, and
    every later one is applied after the swap (by this call when replay=True). With wait=False,
    RebuildRunning is raised at once when another process is already rebuilding this directory.
    """
    from ..extensions import db
    from . import journal

    base = base or index_dir()
    with build_lock(base, wait=wait) as held:
        if not held:
            raise RebuildRunning(base)
        ident, created = ensure_index_id(base)
        if created:
            journal.forget_location(location(base), keep=ident)  # this directory's earlier incarnation
        started = time.monotonic()
        with db.engine.connect() as conn:
            start_id = journal.max_id(conn)
        stats = {"listings": 0, "companies": 0}
        url = db.engine.url
        procs = processes or rebuild_processes(url)
        if procs > 1:
            db.engine.dispose()  # the workers are forked: they must not share pooled connections
            name, stats["listings"], stats["companies"] = build_parallel(
                base, url.render_as_string(hide_password=False), procs, progress
            )
        else:
            with db.engine.connect() as conn:

                def counted():
                    for key, doc in expected_documents(conn):
                        stats["listings" if doc["stored"]["kind"] == "listing" else "companies"] += 1
                        if progress:
                            progress(1)
                        yield key, doc

                name, _count = build_new(base, counted())
        build_seconds = time.monotonic() - started
        old = install(base, name, start_id)
        forget_request_searcher(base)
        remove_old_versions(base, keep={name, old})
    replayed = journal.apply_journal(limit=10**9) if replay else 0
    stats.update(
        documents=stats["listings"] + stats["companies"],
        seconds=build_seconds,
        replayed=replayed,
        journal_id=start_id,
        rate=stats["listings"] / build_seconds if build_seconds else 0.0,
        version=name,
        processes=procs,
    )
    return stats


def rebuild_processes(url) -> int:
    """Worker processes for a rebuild: one per core (INDEX_REBUILD_PROCESSES overrides); one for an
    in-memory SQLite database, which other processes cannot open."""
    configured = current_app.config.get("INDEX_REBUILD_PROCESSES") if has_app_context() else None
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return 1
    return max(1, int(configured or os.cpu_count() or 1))


def indexed_stamps(base: str) -> dict:
    _name, ix = open_index(base)
    with ix.searcher() as s:
        return {f["id"]: (f["stored"].get("stamp"), f["stored"].get("expires")) for f in s.all_stored_fields()}


def check(base: str | None = None) -> CheckReport:
    """Compare the index with the database document by document."""
    from ..extensions import db
    from .documents import now

    base = base or index_dir()
    actual = indexed_stamps(base)
    report = CheckReport(indexed=len(actual))
    with db.engine.connect() as conn:
        expected = {key: doc["stored"]["stamp"] for key, doc in expected_documents(conn)}
    report.expected = len(expected)
    moment = now()
    for key, st in expected.items():
        if key not in actual:
            report.missing.append(key)
        elif actual[key][0] != st:
            report.stale.append(key)
    for key, (_st, expires) in actual.items():
        if key not in expected:
            (report.expired if expires is not None and expires <= moment else report.extra).append(key)
    return report


def repair(base: str, report: CheckReport) -> int:
    """Write the documents a check found missing, stale or extra."""
    from ..extensions import db
    from .documents import split_key

    fix = report.missing + report.stale
    listing_ids = [split_key(k)[1] for k in fix if k.startswith("listing:")]
    company_ids = [split_key(k)[1] for k in fix if k.startswith("company:")]
    with writer(base) as (_name, w), db.engine.connect() as conn:  # the writer first: then the rows
        docs = dict(expected_documents(conn, listing_ids, company_ids))
        for key in report.extra:
            w.delete_by_term("id", key)
        for key in fix:
            if key in docs:
                w.update_document(**docs[key])
            else:
                w.delete_by_term("id", key)
    return len(fix) + len(report.extra)
