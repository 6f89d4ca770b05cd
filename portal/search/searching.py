"""The process's searchers: one per index directory, opened once, checked once per request.

Opening a searcher costs tens of milliseconds on a large index, checking costs a directory listing: it
is reopened only when the index generation changed.
"""

import os
import threading
import time
from dataclasses import dataclass, field

from flask import g, has_app_context
from whoosh import index as whoosh_index

from .scoring import weighting
from .versions import OPEN_RETRIES, IndexMissing, current_version, index_dir


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
