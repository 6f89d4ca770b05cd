"""Document sets for a searcher and the orders over them: matched by a query, visible, ranked, by date.

Counting is done on bitmaps (see bits.py): the set of documents matching the words, ANDed with the
visibility and facet filters, gives the total and every facet count at once; `rank` then orders only
that set, by BM25 as scoring.py defines it, its quantised impacts summed as bitmaps.
"""

from datetime import datetime

from whoosh import query

from ..models.base import utcnow
from . import bits as B
from . import scoring
from .concepts import current_vocabulary


def docsets(searcher, cache) -> B.DocSets:
    sets = cache.get("docsets")
    if sets is None or sets.searcher is not searcher:
        sets = cache["docsets"] = B.DocSets(searcher)
    return sets


def query_docset(sets: B.DocSets, q) -> int:
    """The documents a parsed query matches, as boolean algebra on cached term bitmaps."""
    if isinstance(q, query.Term):
        return sets.term(q.fieldname, q.text)
    if isinstance(q, query.Or):
        result = 0
        for sub in q.subqueries:
            result |= query_docset(sets, sub)
        return result
    if isinstance(q, query.And):
        result = sets.live
        for sub in q.subqueries:
            result &= query_docset(sets, sub)
        return result
    if isinstance(q, query.AndNot):
        return query_docset(sets, q.a) & ~query_docset(sets, q.b)
    if isinstance(q, query.Require):
        return query_docset(sets, q.a) & query_docset(sets, q.b)
    if isinstance(q, query.AndMaybe):
        return query_docset(sets, q.a)
    if isinstance(q, query.Not):
        return sets.live & ~query_docset(sets, q.query)
    if q is query.NullQuery:
        return 0
    key = ("query", repr(q))
    hit = sets.extra.get(key)
    if hit is None:
        hit = sets.extra[key] = B.from_docnums(sets.searcher.docs_for_query(q), sets.size) & sets.live
    return hit


def scored_terms(q, boost: float = 1.0):
    """(field, text, boost) of every term that adds to the score: not the negated ones."""
    boost *= getattr(q, "boost", 1.0)
    if isinstance(q, query.Term):
        yield q.fieldname, q.text, boost
    elif isinstance(q, query.Not):
        return
    elif isinstance(q, query.AndNot | query.Require):
        yield from scored_terms(q.a, boost)
    elif isinstance(q, query.AndMaybe):
        yield from scored_terms(q.a, boost)
        yield from scored_terms(q.b, boost)
    else:
        for sub in getattr(q, "subqueries", ()):
            yield from scored_terms(sub, boost)


def rank(sets: B.DocSets, q, matched: int, k: int) -> list[int]:
    """The k best documents of `matched` by BM25 (quantised impacts, summed as bitmaps), best first."""
    n = max(1, sets.searcher.doc_count())
    weights = {}
    for fieldname, text, boost in scored_terms(q):
        df = sets.searcher.doc_frequency(fieldname, text)
        if df:
            weights[(fieldname, text)] = weights.get((fieldname, text), 0.0) + scoring.idf(n, df) * boost
    scores = B.BitScores()
    for (fieldname, text), q_int in scoring.query_levels(weights).items():
        for level in range(1, scoring.IMPACT_LEVELS + 1):
            bits = sets.impact(fieldname, text, level) & matched
            if not bits:
                break
            scores.add(bits, q_int)
    above, equal = scores.split_top(k, matched)
    best = sorted(B.docnums(above), key=lambda d: -scores.score_of(d))
    # Ties at the threshold: the most recently indexed first.
    return best + highest(equal, k - len(best))


def highest(bits: int, count: int) -> list[int]:
    out = []
    while bits and len(out) < count:
        d = bits.bit_length() - 1
        out.append(d)
        bits ^= 1 << d
    return out


def by_date(sets: B.DocSets, matched: int, name: str, newest_first: bool, k: int) -> list[int]:
    """The first k documents of `matched` by a date facet ("published" newest first, "deadline"
    soonest first); day buckets find them without touching the rest, a column orders them."""
    days = sorted(sets.facet_values(name), reverse=newest_first)
    picked = 0
    for day in days:
        picked |= matched & sets.facet(name, day)
        if picked.bit_count() >= k:
            break
    column = sets.searcher.reader().column_reader(name)
    docs = sorted(B.docnums(picked), key=lambda d: (-column[d] if newest_first else column[d], d))[:k]
    if len(docs) < k:  # no date (e.g. no deadline): after the dated ones
        undated = matched & ~picked
        for day in days:
            undated &= ~sets.facet(name, day)
        docs += highest(undated, k - len(docs))
    return docs


def concept_ids(sets: B.DocSets) -> list[str]:
    """The concepts field's values that are concepts: not the general words it also holds (search only)."""
    words = current_vocabulary().words
    general = words.terms if words else {}
    return [c for c in sets.field_values("concepts") if c not in general]


def facet_values(sets: B.DocSets, name: str) -> dict[str, int]:
    """{value: bitmap} for one facet."""
    if name == "capability":
        return {c: sets.term("concepts", c) for c in concept_ids(sets)}
    return {v: sets.facet(name, v) for v in sets.facet_values(name)}


def expired_set(sets: B.DocSets, now: datetime) -> int:
    """Listings past their expiry that the expiry command has not withdrawn yet (normally none).

    Days before today are a cached union of "expiry:yyyymmdd" sets; today's few are checked exactly.
    """
    today = now.strftime("%Y%m%d")
    key = ("expired_before", today)
    past = sets.extra.get(key)
    if past is None:
        past = 0
        for day in sets.facet_values("expiry"):
            if day < today:
                past |= sets.facet("expiry", day)
        sets.extra[key] = past
    exact = past
    for docnum in B.docnums(sets.facet("expiry", today)):
        if sets.searcher.stored_fields(docnum)["stored"]["expires"] <= now:
            exact |= 1 << docnum
    return exact


def visible_set(sets: B.DocSets, kind: str, now: datetime | None = None) -> int:
    base = sets.facet("kind", kind)
    if kind == "listing":
        base &= ~expired_set(sets, now or utcnow())
    return base
