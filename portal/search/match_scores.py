"""The parts of a match score: concept vectors and their idf, key terms, company fit, and the shortlist.

See matching.py for how they add up. The shortlist is the first, approximate stage: integer scores for
every candidate at once, as bit-sliced arithmetic on cached bitmaps (bits.py).
"""

import math

from . import bits as B
from .analysis import words
from .ranking import concept_ids, visible_set

RERANK = 60
KEY_TERMS = 15
FACET_WEIGHT = {"cert": 0.5}
OTHER_COUNTRY = {"PK": "KZ", "KZ": "PK"}
LEVELS = (1, 2, 3, 4)  # a concept's weight in a document, rounded, is how often its id is repeated


def idf_table(sets: B.DocSets) -> dict[str, float]:
    """idf of each concept over live listings, cached with the searcher generation."""
    hit = sets.extra.get("concept_idf")
    if hit is None:
        live = visible_set(sets, "listing")
        n = max(1, live.bit_count())
        hit = {c: math.log(1 + n / max(1, (live & sets.term("concepts", c)).bit_count())) for c in concept_ids(sets)}
        sets.extra["concept_idf"] = hit
    return hit


def pool_idf(sets: B.DocSets, pool: int) -> dict[str, float]:
    """idf of every concept among the candidates: a concept they all share (say, training among
    training offers) cannot tell them apart, however rare it is over the whole index."""
    n = pool.bit_count()
    return {c: math.log(1 + (n + 1) / ((pool & sets.term("concepts", c)).bit_count() + 1)) for c in concept_ids(sets)}


def concept_vector(weights: dict, idf: dict, facets: dict) -> dict[str, float]:
    default = math.log(2)
    return {c: w * idf.get(c, default) * FACET_WEIGHT.get(facets.get(c), 1.0) for c, w in weights.items()}


def cosine(a: dict, b: dict) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b[c] for c, v in a.items() if c in b)
    if not dot:
        return 0.0
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def key_terms(searcher, text: str, limit: int = KEY_TERMS) -> dict[str, float]:
    """The text's most distinctive stems, weighted by tf-idf against the index."""
    tf: dict[str, int] = {}
    for w in words(text):
        if not w.stop and len(w.stem) > 2 and not w.stem.isdigit():
            tf[w.stem] = tf.get(w.stem, 0) + 1
    n = max(1, searcher.doc_count())
    scored = {}
    for stem, count in tf.items():
        df = searcher.doc_frequency("body", stem)
        if 0 < df <= n * 0.2:  # words in a fifth of all documents say nothing about a match
            scored[stem] = (1 + math.log(count)) * math.log(1 + n / df)
    return dict(sorted(scored.items(), key=lambda kv: -kv[1])[:limit])


def company_fit(target_weights: dict, cand: dict, facets: dict) -> float:
    """Share of the listing's topic the candidate's company covers, plus certificates, capacity, verification."""
    caps = set(cand["capabilities"])
    certs = set(cand["certifications"])
    topic = {c: w for c, w in target_weights.items() if facets.get(c) != "cert"}
    total = sum(topic.values()) or 1.0
    covered = sum(w for c, w in topic.items() if c in caps) / total
    wanted_certs = {c for c in target_weights if facets.get(c) == "cert"}
    cert_part = (len(wanted_certs & certs) / len(wanted_certs)) if wanted_certs else (0.5 if certs else 0.0)
    return 0.55 * covered + 0.15 * cert_part + 0.15 * bool(cand["has_capacity"]) + 0.15 * bool(cand["verified"])


def quantize(values: dict, top: int) -> dict:
    """Positive weights to integers 1..top, proportionally (bit-sliced arithmetic adds integers)."""
    if not values:
        return {}
    biggest = max(values.values()) or 1.0
    return {k: max(1, round(top * v / biggest)) for k, v in values.items() if v > 0}


def shortlist(sets: B.DocSets, allowed: int, target: dict, terms: dict, k: int) -> list[int]:
    """Docnums of the ~k candidates with the best approximate score (concept levels and key terms)."""
    scores = B.BitScores()
    reached = 0
    for c, q in quantize(target, 15).items():
        for level in LEVELS:
            bits = sets.term("concepts", c, min_weight=level) & allowed
            if not bits:
                break
            scores.add(bits, q)
            reached |= bits
    for t, q in quantize(terms, 6).items():
        bits = sets.term("body", t) & allowed
        scores.add(bits, q)
        reached |= bits
    if not reached:
        return []
    best = scores.top(k, reached)
    out = []
    for d in B.docnums(best):  # ties may bring more than k: keep the best-scored ones
        out.append(d)
    if len(out) > k * 3:
        out.sort(key=lambda d: -scores.score_of(d))
        out = out[: k * 3]
    return out
