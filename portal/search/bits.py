"""Document sets as Python big integers (one bit per document number), cached per index segment.

Facet counts, visibility filters and matching candidates are unions and intersections of term
postings; as bitmaps they cost microseconds (`&`, `|`, `int.bit_count()` run in C over 12.5 KB at
100,000 documents) where walking postings in Python costs milliseconds.

A term's bitmap is built once per *segment* and kept in a process-wide cache keyed by the segment's
id, so after a small write only the small new segment is read again; a searcher assembles the
global bitmap by shifting each segment's bitmap to its document offset and masking deleted
documents. `BitScores` adds weighted bitmaps bit-slice by bit-slice to rank documents without a
Python loop over them.
"""

import threading
from collections import OrderedDict

from whoosh.idsets import DocIdSet
from whoosh.reading import TermNotFound

from .scoring import IMPACT_LEVELS, impact_level
from .whoosh_private import block_postings

SEGMENT_CACHE_SIZE = 12_000  # segment bitmaps kept per process (at most 12.5 KB each at 100k docs)
SCORED_FIELDS = ("body", "concepts")


def from_docnums(docnums, size: int) -> int:
    buf = bytearray((size >> 3) + 1)
    for d in docnums:
        buf[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buf, "little")


def docnums(bits: int):
    """The set bits, lowest first."""
    if not bits:
        return
    raw = bits.to_bytes((bits.bit_length() >> 3) + 1, "little")
    for i, byte in enumerate(raw):
        if byte:
            base = i << 3
            for j in range(8):
                if byte >> j & 1:
                    yield base + j


class SegmentCache:
    """Process-wide LRU of per-segment term bitmaps: (segment id, field, term, min weight) -> int."""

    def __init__(self, size=SEGMENT_CACHE_SIZE):
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key, value):
        with self.lock:
            self.data[key] = value
            if len(self.data) > self.size:
                self.data.popitem(last=False)


SEGMENTS = SegmentCache()


def segment_term_bits(reader, segid, fieldname: str, text: str, min_weight: float = 0.0) -> int:
    key = (segid, fieldname, text, min_weight)
    hit = SEGMENTS.get(key)
    if hit is not None:
        return hit
    size = reader.doc_count_all()
    buf = bytearray((size >> 3) + 1)
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        matcher = None
    if matcher is not None:
        for ids, weights in block_postings(matcher):
            if min_weight:
                for d, w in zip(ids, weights, strict=False):
                    if w >= min_weight:
                        buf[d >> 3] |= 1 << (d & 7)
            else:
                for d in ids:
                    buf[d >> 3] |= 1 << (d & 7)
    bits = int.from_bytes(buf, "little")
    SEGMENTS.put(key, bits)
    return bits


def segment_lengths(reader, segid, fieldname: str) -> list[int]:
    """Every document's length in the field, read once per segment."""
    key = (segid, "lengths", fieldname)
    hit = SEGMENTS.get(key)
    if hit is None:
        length = reader.doc_field_length
        hit = [length(d, fieldname) for d in range(reader.doc_count_all())]
        SEGMENTS.put(key, hit)
    return hit


def segment_impacts(reader, segid, fieldname: str, text: str, avg_length: float, level: int) -> int:
    """Documents whose BM25 term-frequency part for this term reaches `level` (1..IMPACT_LEVELS).

    The level is scoring.impact_level: quantised, the part ranks like BM25 while letting a query add
    terms as bitmaps (an impact-ordered index, in spirit).
    """
    key = (segid, "impact", fieldname, text, level)
    hit = SEGMENTS.get(key)
    if hit is not None:
        return hit
    size = reader.doc_count_all()
    bufs = [bytearray((size >> 3) + 1) for _ in range(IMPACT_LEVELS + 1)]
    lengths = segment_lengths(reader, segid, fieldname)
    avg = avg_length or 1.0
    levels: dict = {}  # (tf, length) -> level: both take few distinct values (lengths are stored as a byte)
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        matcher = None
    if matcher is not None:
        for ids, weights in block_postings(matcher):
            for d, tf in zip(ids, weights, strict=False):
                dl = lengths[d]
                lvl = levels.get((tf, dl))
                if lvl is None:
                    lvl = levels[(tf, dl)] = impact_level(tf, dl, avg)
                bufs[lvl][d >> 3] |= 1 << (d & 7)
    at_least = 0
    result = 0
    for lvl in range(IMPACT_LEVELS, 0, -1):
        at_least |= int.from_bytes(bufs[lvl], "little")
        SEGMENTS.put((segid, "impact", fieldname, text, lvl), at_least)
        if lvl == level:
            result = at_least
    return result


class DocSets:
    """Global bitmaps for one searcher (one index generation), built from the segment cache."""

    def __init__(self, searcher):
        self.searcher = searcher
        reader = searcher.reader()
        self.leaves = []
        live = 0
        for leaf, offset in reader.leaf_readers():
            segment = leaf.segment() if hasattr(leaf, "segment") else None
            segid = segment.segment_id() if segment is not None else id(leaf)
            self.leaves.append((leaf, offset, segid))
            n = leaf.doc_count_all()
            seg_live = (1 << n) - 1
            if leaf.has_deletions():
                seg_live &= ~from_docnums(leaf.deleted_docs_set, n)
            live |= seg_live << offset
        self.live = live
        self.size = reader.doc_count_all()
        self._terms: dict = {}
        self.extra: dict = {}  # other per-generation caches (idf tables, expiry unions ...)

    def term(self, fieldname: str, text: str, min_weight: float = 0.0) -> int:
        """Live documents having the term (with at least `min_weight` occurrences/weight)."""
        if not min_weight and fieldname in SCORED_FIELDS:
            return self.impact(fieldname, text, 1)  # the same set, and one pass over the postings for both
        key = (fieldname, text, min_weight)
        hit = self._terms.get(key)
        if hit is None:
            hit = 0
            for leaf, offset, segid in self.leaves:
                seg = segment_term_bits(leaf, segid, fieldname, text, min_weight)
                if seg:
                    hit |= seg << offset
            hit &= self.live
            if len(self._terms) > 50_000:
                self._terms.clear()
            self._terms[key] = hit
        return hit

    def impact(self, fieldname: str, text: str, level: int) -> int:
        """Live documents whose quantised BM25 term part for the term is at least `level`."""
        key = ("impact", fieldname, text, level)
        hit = self._terms.get(key)
        if hit is None:
            avg = self.searcher.avg_field_length(fieldname, 1.0)
            hit = 0
            for leaf, offset, segid in self.leaves:
                seg = segment_impacts(leaf, segid, fieldname, text, avg, level)
                if seg:
                    hit |= seg << offset
            hit &= self.live
            self._terms[key] = hit
        return hit

    def facet(self, name: str, value) -> int:
        return self.term("facet", f"{name}:{value}")

    def facet_values(self, name: str) -> list[str]:
        """The values present for a facet ("type" -> ["trade", "training", ...]), from the lexicon."""
        key = ("values", name)
        hit = self.extra.get(key)
        if hit is None:
            prefix = f"{name}:"
            hit = [t.decode("utf-8")[len(prefix) :] for t in self.searcher.reader().expand_prefix("facet", prefix)]
            self.extra[key] = hit
        return hit

    def field_values(self, fieldname: str) -> list[str]:
        key = ("field", fieldname)
        hit = self.extra.get(key)
        if hit is None:
            hit = self.extra[key] = [t.decode("utf-8") for t in self.searcher.reader().lexicon(fieldname)]
        return hit


class Bits(DocIdSet):
    """A read-only DocIdSet over a bitmap, so a Whoosh collector can use it as its `filter`."""

    def __init__(self, bits: int):
        self.value = bits
        self._bytes = bits.to_bytes((bits.bit_length() >> 3) + 1, "little")

    def __contains__(self, docnum) -> bool:
        i = docnum >> 3
        return i < len(self._bytes) and bool(self._bytes[i] >> (docnum & 7) & 1)

    def __len__(self) -> int:
        return self.value.bit_count()

    def __bool__(self) -> bool:
        return self.value != 0

    def __iter__(self):
        return docnums(self.value)


class BitScores:
    """Integer scores for every document at once, stored as bit planes (bit-sliced arithmetic).

    add(bits, w) adds the integer w to the score of every document in `bits` with a ripple carry
    over the planes; top(k) finds the k best documents by walking the planes from the highest.
    """

    def __init__(self):
        self.planes: list[int] = []

    def add(self, bits: int, weight: int) -> None:
        j = 0
        while weight and bits:
            if weight & 1:
                carry, k = bits, j
                while carry:
                    while k >= len(self.planes):
                        self.planes.append(0)
                    plane = self.planes[k]
                    self.planes[k] = plane ^ carry
                    carry &= plane
                    k += 1
            weight >>= 1
            j += 1

    def top(self, k: int, universe: int) -> int:
        """Documents of `universe` whose score is at least the k-th best score (ties included)."""
        above, equal = self.split_top(k, universe)
        return above | equal

    def split_top(self, k: int, universe: int) -> tuple[int, int]:
        """(documents scoring above the k-th best score, documents scoring exactly that)."""
        above, equal = 0, universe
        for plane in reversed(self.planes):
            with_bit = equal & plane
            if (above | with_bit).bit_count() >= k:
                equal = with_bit
            else:
                above |= with_bit
                equal &= ~plane
        return above, equal

    def score_of(self, docnum: int) -> int:
        return sum(((plane >> docnum) & 1) << j for j, plane in enumerate(self.planes))
