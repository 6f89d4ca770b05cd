"""Every use of Whoosh's non-public parts, each behind one small function that says why it is needed.

whoosh-reloaded 2.7.5 is frozen code: it is wrapped here, never patched. tests/unit/test_whoosh_private.py
is the canary: it fails, naming the internal, when an upgrade renames, re-signs or changes one of them.
Where a public way exists the callers fall back to it: `block_postings` reads postings one by one, and a
rebuild without `segments_supported()` writes with one plain writer instead of one per process.
"""

import inspect

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.highlight import Formatter
from whoosh.matching.wrappers import FilterMatcher
from whoosh.writing import SegmentWriter

# The name SegmentWriter.__init__ locks (ix.lock("WRITELOCK")); a lock we take ourselves must be that one,
# or our writers and Whoosh's own (a `whoosh` shell, an older process) would write at the same time.
WRITELOCK = "WRITELOCK"

# What the parallel rebuild calls on SegmentWriter, beyond its public add_document/commit/cancel.
SEGMENT_METHODS = ("_finalize_segment", "_close_segment", "_commit_toc", "_finish")


def write_lock(ix):
    """The index's writer lock, the very one Whoosh's writers take, to hold it around our own writer."""
    return ix.lock(WRITELOCK)


def writer_without_lock(ix, **kwargs) -> SegmentWriter:
    """A writer that does not lock (`_lk=False`): the caller already holds `write_lock(ix)`.

    Whoosh's writer locks first and then reads the TOC and makes temporary storage; when that fails it
    never releases the lock, which the process would hold until it exits. Taking the lock ourselves
    lets the caller release it on every path. The parallel rebuild's workers use it too: their index
    is new and private to the parent, as in Whoosh's own MpWriter.
    """
    return SegmentWriter(ix, _lk=False, **kwargs)


def segments_supported() -> bool:
    """Whether this Whoosh still has what the parallel rebuild needs (else: one plain writer)."""
    return "_lk" in inspect.signature(SegmentWriter.__init__).parameters and all(
        callable(getattr(SegmentWriter, name, None)) for name in SEGMENT_METHODS
    )


def finish_segment(w: SegmentWriter):
    """Write out a worker's segment without committing a TOC (`_finalize_segment`): the parent commits
    every worker's segment at once, as MpWriter(multisegment=True) does."""
    return w._finalize_segment()


def commit_segments(ix, segments: list) -> None:
    """Make the workers' segments the whole index: one new TOC naming them (`_close_segment`,
    `_commit_toc`, `_finish`, what SegmentWriter.commit does minus adding its own empty segment)."""
    w = SegmentWriter(ix)
    w._close_segment()
    w._commit_toc(segments)
    w._finish()


def block_postings(matcher):
    """(ids, weights) per postings block: whole blocks from the W3 codec's matcher, one by one otherwise.

    Building a bitmap a block at a time (`_read_ids`, `_read_weights`, `_ids`, `_weights`, `_next_block`)
    is several times faster than Matcher.all_items(). Deleted documents are masked globally by the
    caller, so a FilterMatcher of deletions is unwrapped (`.child`) to reach the codec's matcher.
    """
    if isinstance(matcher, FilterMatcher) and hasattr(matcher, "child"):
        matcher = matcher.child
    if isinstance(matcher, W3LeafMatcher) and all(
        hasattr(matcher, name) for name in ("_read_ids", "_read_weights", "_next_block")
    ):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            yield matcher._ids, matcher._weights
            matcher._next_block()
        return
    ids, weights = [], []
    for docnum, _value in matcher.all_items():
        ids.append(docnum)
        weights.append(matcher.weight() if hasattr(matcher, "weight") else 1.0)
    yield ids, weights


class TextEscapingFormatter(Formatter):
    """A Formatter whose text between hits goes through `escape_text`.

    Formatter.format_fragment hands that text to its `_text` hook; overriding the hook is the one way to
    escape it without copying format_fragment. Subclasses define escape_text and format_token.
    """

    def escape_text(self, text: str) -> str:
        raise NotImplementedError

    def _text(self, text):
        return self.escape_text(text)
