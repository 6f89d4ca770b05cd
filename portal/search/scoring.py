"""The one BM25 definition: the searcher's BM25F weighting and the quantised impacts rank() adds up.

Whoosh scores with `whoosh.scoring.bm25(idf, tf, length, avg_length, B, K1)`; the bitmaps of bits.py keep,
per posting, that same function's term-frequency part (idf=1) quantised to IMPACT_LEVELS levels, and
query.rank() weights each query term by `idf` (BM25's probabilistic idf, which never goes negative) times
its boost, quantised to QUERY_LEVELS. K1 and B live here only, so the two cannot drift apart.
"""

import math

from whoosh import scoring as whoosh_scoring

K1, B = 1.2, 0.75
IMPACT_LEVELS = 6  # a posting's term-frequency part, quantised
QUERY_LEVELS = 7  # a query term's weight, quantised


def weighting() -> whoosh_scoring.BM25F:
    """The weighting every searcher is opened with (more_like, did-you-mean's lookups)."""
    return whoosh_scoring.BM25F(B=B, K1=K1)


def term_part(tf: float, length: float, avg_length: float) -> float:
    """BM25's term-frequency part, tf*(K1+1) / (tf + K1*(1-B+B*length/avg_length)), in (0, K1+1)."""
    return whoosh_scoring.bm25(1.0, tf, length, avg_length, B, K1)


def impact_level(tf: float, length: float, avg_length: float) -> int:
    """The term part as a level 1..IMPACT_LEVELS: ranks like BM25 while letting scores add as bitmaps."""
    part = term_part(tf, length, avg_length)
    return min(IMPACT_LEVELS, max(1, math.ceil(IMPACT_LEVELS * part / (K1 + 1))))


def idf(doc_count: int, doc_frequency: int) -> float:
    """BM25's idf, log(1 + (N - df + 0.5) / (df + 0.5))."""
    return math.log(1 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


def query_levels(weights: dict) -> dict:
    """Query term weights as integers 1..QUERY_LEVELS, proportional to the biggest."""
    biggest = max(weights.values(), default=1.0) or 1.0
    return {key: max(1, round(QUERY_LEVELS * w / biggest)) for key, w in weights.items()}
