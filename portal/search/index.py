"""Where the index lives and how it is opened, written, rebuilt, checked and marked dirty.

Layout of INDEX_DIR:
    CURRENT     the name of the live versioned subdirectory (replaced atomically by `rebuild`)
    DIRTY       present when a write failed: the index may lag the database until `search rebuild`
    REBUILDING  present while `search rebuild` builds a new version; writers then also note the
    JOURNAL     keys they change here, and the rebuild replays them once the new version is live
    v<stamp>/   a Whoosh index; readers and writers open whichever one CURRENT names

Several worker processes share one index. Whoosh lets one writer in at a time and raises LockError
for the others; writers here retry with backoff within INDEX_LOCK_TIMEOUT seconds, then give up,
log, and mark the index dirty. A searcher is opened once per process and checked once per request:
it is reopened only when the index generation changed (opening one costs tens of milliseconds on a
large index, checking costs a directory listing).
"""

import logging
import os
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app, g, has_app_context
from whoosh import index as whoosh_index
from whoosh.index import LockError

from .schema import make_schema

log = logging.getLogger(__name__)

CURRENT, DIRTY, REBUILDING, JOURNAL = "CURRENT", "DIRTY", "REBUILDING", "JOURNAL"
DEFAULT_LOCK_TIMEOUT = 10.0


class IndexMissing(Exception):
    pass


def index_dir(app=None) -> str:
    app = app or current_app
    return os.path.abspath(app.config["INDEX_DIR"])


def lock_timeout() -> float:
    return (
        float(current_app.config.get("INDEX_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT))
        if has_app_context()
        else DEFAULT_LOCK_TIMEOUT
    )


def current_version(base: str) -> str | None:
    try:
        with open(os.path.join(base, CURRENT), encoding="utf-8") as fh:
            name = fh.read().strip()
    except FileNotFoundError:
        return None
    return name if name and os.path.isdir(os.path.join(base, name)) else None


def set_current(base: str, name: str) -> None:
    tmp = os.path.join(base, f"{CURRENT}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(name)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, os.path.join(base, CURRENT))


def new_version_dir(base: str) -> tuple[str, str]:
    name = f"v{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 1_000_000}"
    path = os.path.join(base, name)
    os.makedirs(path)
    return name, path


def open_index(base: str, create: bool = False):
    """The current index; with create=True an empty one is made when there is none."""
    name = current_version(base)
    if name is None:
        if not create:
            raise IndexMissing(base)
        os.makedirs(base, exist_ok=True)
        name, path = new_version_dir(base)
        whoosh_index.create_in(path, make_schema())
        set_current(base, name)
    return name, whoosh_index.open_dir(os.path.join(base, name))


# --- dirty marker ---------------------------------------------------------------------------------


def mark_dirty(base: str, reason: str) -> None:
    log.error("search index marked dirty: %s", reason)
    try:
        os.makedirs(base, exist_ok=True)
        with open(os.path.join(base, DIRTY), "a", encoding="utf-8") as fh:
            fh.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {reason}\n")
    except OSError as exc:
        log.error("could not write the dirty marker in %s: %s", base, exc)


def is_dirty(base: str) -> bool:
    return os.path.exists(os.path.join(base, DIRTY))


def clear_dirty(base: str) -> None:
    try:
        os.remove(os.path.join(base, DIRTY))
    except FileNotFoundError:
        pass


def status(base: str) -> str:
    """'ok', 'dirty', 'missing' or 'error: ...' for /healthz."""
    try:
        if current_version(base) is None:
            return "missing"
        _name, ix = open_index(base)
        ix.latest_generation()
    except Exception as exc:  # noqa: BLE001 - health checks report, they do not raise
        return f"error: {type(exc).__name__}"
    return "dirty" if is_dirty(base) else "ok"


# --- writers --------------------------------------------------------------------------------------


@contextmanager
def writer(base: str, create: bool = True, timeout: float | None = None):
    """A writer on the current index, waiting up to `timeout` s for another process's writer.

    Commits on a clean exit, cancels on an exception. Raises LockError when the wait runs out.
    """
    timeout = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        name, ix = open_index(base, create=create)
        try:
            w = ix.writer()
        except LockError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.5)
            continue
        if current_version(base) != name:  # a rebuild swapped the index while we waited
            w.cancel()
            continue
        break
    try:
        yield w
    except BaseException:
        w.cancel()
        raise
    w.commit()


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


def _holder(base: str) -> Holder:
    name = current_version(base)
    if name is None:
        raise IndexMissing(base)
    with _holders_lock:
        holder = _holders.get(base)
        if holder is None or holder.version != name:
            ix = whoosh_index.open_dir(os.path.join(base, name))
            from .query import weighting

            holder = Holder(name, ix, ix.searcher(weighting=weighting()))
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

            holder.searcher = holder.ix.searcher(weighting=weighting())
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


def swap_in(base: str, name: str) -> str | None:
    """Point CURRENT at `name`; wait for writers still busy on the old index; return the old name."""
    old = current_version(base)
    set_current(base, name)
    if old:
        try:
            ix = whoosh_index.open_dir(os.path.join(base, old))
            lock = ix.lock("WRITELOCK")
            deadline = time.monotonic() + lock_timeout()
            while not lock.acquire(blocking=False):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            else:
                lock.release()
        except Exception as exc:  # noqa: BLE001 - the old index may be broken; it is being replaced
            log.warning("old index %s: %s", old, exc)
    return old


def remove_old_versions(base: str, keep) -> None:
    """Delete versioned directories but those in `keep` (the live one and the one it just replaced,
    which other processes may still be reading or waiting to write to)."""
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


def journal(base: str, changes: dict) -> None:
    """While a rebuild runs, note what a writer changes (before it writes), for the rebuild to replay."""
    if os.path.exists(os.path.join(base, REBUILDING)):
        lines = [f"listing:{i}" for i in changes["listings"]] + [f"company:{i}" for i in changes["companies"]]
        lines += [f"cascade:{i}" for i in changes["cascade"]]
        with open(os.path.join(base, JOURNAL), "a", encoding="utf-8") as fh:
            fh.write("".join(f"{line}\n" for line in lines))


def rebuild(base: str | None = None, progress=None) -> dict:
    """Build a new index from the database, swap it in, then replay what writers changed meanwhile."""
    from ..extensions import db

    base = base or index_dir()
    os.makedirs(base, exist_ok=True)
    for name in (JOURNAL, REBUILDING):
        with open(os.path.join(base, name), "w", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {time.strftime('%Y-%m-%dT%H:%M:%S')}\n" if name == REBUILDING else "")
    clear_dirty(base)  # failures from now on mark it again
    started = time.monotonic()
    stats = {"listings": 0, "companies": 0}
    url = db.engine.url
    procs = rebuild_processes(url)
    try:
        if procs > 1:
            db.engine.dispose()  # the workers are forked: they must not share pooled connections
            name, stats["listings"], stats["companies"] = build_parallel(
                base, url.render_as_string(hide_password=False), procs, progress
            )
        else:
            with db.engine.connect() as conn:  # one transaction: one consistent snapshot of the database

                def counted():
                    for key, doc in expected_documents(conn):
                        stats["listings" if doc["stored"]["kind"] == "listing" else "companies"] += 1
                        if progress:
                            progress(1)
                        yield key, doc

                name, _count = build_new(base, counted())
        build_seconds = time.monotonic() - started
        old = swap_in(base, name)  # also waits for writers still busy on the old version
        replayed = replay_journal(base)
    finally:
        for leftover in (REBUILDING, JOURNAL):
            try:
                os.remove(os.path.join(base, leftover))
            except FileNotFoundError:
                pass
    remove_old_versions(base, keep={name, old})
    forget_request_searcher(base)
    stats.update(
        documents=stats["listings"] + stats["companies"],
        seconds=build_seconds,
        replayed=replayed,
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


def replay_journal(base: str) -> int:
    """Apply, on the new version, every change a writer noted while the rebuild ran."""
    from .sync import apply

    try:
        with open(os.path.join(base, JOURNAL), encoding="utf-8") as fh:
            lines = {line.strip() for line in fh if line.strip()}
    except FileNotFoundError:
        return 0
    changes = {"listings": set(), "companies": set(), "cascade": set(), "taxonomy": False}
    bucket = {"listing": "listings", "company": "companies", "cascade": "cascade"}
    for line in lines:
        kind, _, pk = line.partition(":")
        if kind in bucket and pk.isdigit():
            changes[bucket[kind]].add(int(pk))
    if not any(changes[k] for k in bucket.values()):
        return 0
    return apply(base, changes)


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
    with db.engine.connect() as conn:
        docs = dict(expected_documents(conn, listing_ids, company_ids))
    with writer(base, create=False) as w:
        for key in report.extra:
            w.delete_by_term("id", key)
        for key in fix:
            if key in docs:
                w.update_document(**docs[key])
            else:
                w.delete_by_term("id", key)
    return len(fix) + len(report.extra)
