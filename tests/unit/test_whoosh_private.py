"""Canary for the Whoosh internals portal/search/whoosh_private.py relies on, on a real tiny index.

If one of these fails after upgrading whoosh-reloaded, the message names the internal that changed:
adapt whoosh_private.py (never patch Whoosh), or pin the old version.
"""

import inspect

import pytest
from whoosh import index as whoosh_index
from whoosh.analysis import StandardAnalyzer
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.fields import ID, KEYWORD, Schema
from whoosh.highlight import WholeFragmenter, highlight
from whoosh.index import LockError
from whoosh.matching.wrappers import FilterMatcher
from whoosh.writing import SegmentWriter

from portal.search import building, rebuild, versions, whoosh_private
from tests import factories


def tiny_index(path, docs=()):
    ix = whoosh_index.create_in(str(path), Schema(id=ID(unique=True, stored=True), tags=KEYWORD(scorable=True)))
    if docs:
        w = ix.writer()
        for ident, tags in docs:
            w.add_document(id=ident, tags=tags)
        w.commit()
    return ix


def test_writelock_is_the_lock_whooshs_own_writer_takes(tmp_path):
    ix = tiny_index(tmp_path)
    lock = whoosh_private.write_lock(ix)
    assert lock.acquire(blocking=False), "could not take the WRITELOCK of a fresh index"
    try:
        with pytest.raises(LockError):
            ix.writer()  # Whoosh's writer must see our lock: SegmentWriter no longer locks "WRITELOCK"?
    finally:
        lock.release()
    w = ix.writer()
    try:
        assert not whoosh_private.write_lock(ix).acquire(blocking=False), (
            'SegmentWriter.__init__ no longer takes ix.lock("WRITELOCK"): update whoosh_private.WRITELOCK'
        )
    finally:
        w.cancel()


def test_segment_writer_still_accepts_lk_and_then_leaves_the_lock_alone(tmp_path):
    params = inspect.signature(SegmentWriter.__init__).parameters
    assert "_lk" in params, "SegmentWriter.__init__ lost its `_lk` parameter (whoosh_private.writer_without_lock)"
    ix = tiny_index(tmp_path)
    lock = whoosh_private.write_lock(ix)
    assert lock.acquire(blocking=False)
    try:
        w = whoosh_private.writer_without_lock(ix)  # must not wait for, or take, the lock we hold
        w.add_document(id="a", tags="hide")
        w.commit()
        assert not whoosh_private.write_lock(ix).acquire(blocking=False), "SegmentWriter(_lk=False) released our lock"
    finally:
        lock.release()
    assert ix.doc_count() == 1


def test_the_segment_methods_of_the_parallel_rebuild_are_there():
    for name in whoosh_private.SEGMENT_METHODS:
        assert callable(getattr(SegmentWriter, name, None)), f"SegmentWriter.{name} is gone (whoosh_private)"
    assert list(inspect.signature(SegmentWriter._commit_toc).parameters) == ["self", "segments"], (
        "SegmentWriter._commit_toc(segments) changed its signature (whoosh_private.commit_segments)"
    )
    assert whoosh_private.segments_supported()


def test_segments_written_apart_are_committed_together(tmp_path):
    ix = tiny_index(tmp_path)
    segments = []
    for part in range(2):  # as the rebuild's worker processes do, each with its own writer and no lock
        w = whoosh_private.writer_without_lock(ix)
        for i in range(3):
            w.add_document(id=f"{part}-{i}", tags="hide wet_blue")
        segments.append(whoosh_private.finish_segment(w))
    assert all(s is not None and s.doc_count() == 3 for s in segments), "SegmentWriter._finalize_segment changed"
    whoosh_private.commit_segments(ix, segments)
    ix = whoosh_index.open_dir(str(tmp_path))
    assert ix.doc_count() == 6, "_close_segment/_commit_toc/_finish no longer commit the given segments"
    with ix.searcher() as s:
        assert len(s.reader().leaf_readers()) == 2
        assert {f["id"] for f in s.all_stored_fields()} == {f"{p}-{i}" for p in range(2) for i in range(3)}
    assert whoosh_private.write_lock(ix).acquire(blocking=False), "commit_segments left the index locked"


def test_block_postings_read_whole_blocks_of_the_w3_codec_through_deletions(tmp_path):
    ix = tiny_index(tmp_path, [(str(i), "hide hide" if i % 2 else "hide") for i in range(10)])
    w = ix.writer()
    w.delete_by_term("id", "3")
    w.commit(merge=False)
    with ix.searcher() as s:
        reader = s.reader()
        assert reader.has_deletions()
        matcher = reader.postings("tags", "hide")
        assert isinstance(matcher, FilterMatcher), "deleted documents are no longer masked by a FilterMatcher"
        assert isinstance(getattr(matcher, "child", None), W3LeafMatcher), "FilterMatcher.child is not the W3 matcher"
        for name in ("_read_ids", "_read_weights", "_next_block"):
            assert callable(getattr(matcher.child, name, None)), f"W3LeafMatcher.{name} is gone"
        blocks = list(whoosh_private.block_postings(matcher))
        assert blocks and all(hasattr(m, attr) for m in [matcher.child] for attr in ("_ids", "_weights"))
        ids = [d for block_ids, _w in blocks for d in block_ids]
        weights = [w for _ids, block_weights in blocks for w in block_weights]
        assert ids == list(range(10)), "block_postings must read every posting, deleted ones too (masked later)"
        assert weights == [2.0 if i % 2 else 1.0 for i in range(10)], "W3LeafMatcher._weights are not frequencies"
        public = [(d, m.weight()) for m in [reader.postings("tags", "hide")] for d, _v in m.all_items()]
        assert [d for d, _w in public] == [i for i in range(10) if i != 3]


def test_the_formatters_text_hook_sees_the_text_between_hits():
    class Shouting(whoosh_private.TextEscapingFormatter):
        def escape_text(self, text):
            return text.upper()

        def format_token(self, text, token, replace=False):
            return f"[{text[token.startchar : token.endchar]}]"

    out = highlight("wet blue hides", {"blue"}, StandardAnalyzer(), WholeFragmenter(), Shouting())
    assert out == "WET [blue] HIDES", "Formatter.format_fragment no longer passes plain text through `_text`"


def test_a_rebuild_falls_back_to_one_writer_when_an_internal_is_missing(app, monkeypatch, member):
    listing = factories.make_live_listing(member.company, "Wet blue cattle hides")
    # As if an upgrade had removed one of them (deleting a real one would break Whoosh's own commit too).
    monkeypatch.setattr(whoosh_private, "SEGMENT_METHODS", (*whoosh_private.SEGMENT_METHODS, "_gone_in_3_0"))
    assert not whoosh_private.segments_supported()
    assert building.build_processes(4) == 1
    stats = rebuild(processes=4)
    assert stats["processes"] == 1 and stats["listings"] >= 1
    _name, ix = versions.open_index(versions.index_dir())
    with ix.searcher() as s:
        assert s.document(id=f"listing:{listing.id}") is not None
