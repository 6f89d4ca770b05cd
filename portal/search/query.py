"""The user's search: parse safely, count facets on bitmaps, rank the page, highlight (escaped), load rows.

A query can only reach the text: the field, wildcard, range and "every" plugins are removed, so
`status:draft`, `owner:*` or `*` are plain words. Visibility is enforced twice: in the index filter
(live listings; companies only for logged-in users, and only verified companies are indexed at all)
and again in SQL when the rows are loaded, in score order, by id. Sets and ranking: ranking.py;
titles and snippets: highlight.py.
"""

import logging
import math
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload
from whoosh import qparser, query

from ..extensions import db
from ..models import Company, Listing
from ..models.base import utcnow
from ..models.company import VerificationStatus
from ..taxonomy import LANGS
from . import bits as B
from . import highlight
from .analysis import WORD, normalize, script_of, stems, words
from .concepts import current_vocabulary, extract_concepts, general_words
from .documents import split_key
from .highlight import EscapingFormatter, marked, snippet  # noqa: F401 - their old home
from .ranking import (  # noqa: F401 - by_date ... visible_set: their old home
    by_date,
    docsets,
    expired_set,
    facet_values,
    highest,
    query_docset,
    rank,
    scored_terms,
    visible_set,
)
from .schema import make_schema
from .scoring import weighting  # noqa: F401 - its old home
from .searching import searcher as index_searcher
from .versions import IndexMissing

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
CONCEPT_BOOST = 1.5
# Facets shown on the search page, by their name in the URL. "capability" reads the concepts field;
# the others are "name:value" terms of the facet field ("hs": a trade listing's HS headings, "hs:4104").
FACETS = ("type", "direction", "country", "association", "capability", "hs", "certification")
SORTS = ("relevance", "newest", "deadline")


_parser = None


def parser():
    """A parser over the body with every plugin that could name a field or expand a wildcard removed."""
    global _parser
    if _parser is None:
        p = qparser.QueryParser("body", make_schema(), group=qparser.OrGroup.factory(0.9))
        for plugin in (qparser.FieldsPlugin, qparser.WildcardPlugin, qparser.RangePlugin, qparser.EveryPlugin):
            p.remove_plugin_class(plugin)
        p.add_plugin(qparser.PlusMinusPlugin())
        _parser = p
    return _parser


def plain_words(text: str) -> str:
    return " ".join(m.group() for m in WORD.finditer(text))


def phrases_as_all_words(q):
    """The body keeps no positions: a quoted phrase means all of its words."""
    if isinstance(q, query.Phrase):
        return query.And([query.Term(q.fieldname, w) for w in q.words], boost=q.boost)
    return q.apply(phrases_as_all_words) if q.is_leaf() is False else q


def parse(text: str):
    """(words query or None, concept ids): the user's words and the concepts they name."""
    try:
        q = phrases_as_all_words(parser().parse(text))
    except Exception:  # noqa: BLE001 - odd syntax falls back to the bare words
        q = parser().parse(plain_words(text))
    if q is query.NullQuery or not list(q.iter_all_terms()):
        q = None
    return q, extract_concepts(text)


STRICT = re.compile(r'"|(?:^|\s)[+-]\w|\b(?:AND|NOT)\b')


@dataclass
class Queries:
    """A search as queries: `words` finds the words as written (None: no searchable word); `ranking`
    orders those hits, the concepts the words name adding to the score; `meaning` (None: nothing to
    expand) carries the search to listings that say the same in other words or languages: those
    that name the same concepts, or the same general trade words ("кожа" also finds leather,
    былғары, چمڑا and chamra; documents.general_words reads them in every document)."""

    words: object
    ranking: object
    meaning: object
    concepts: list
    marked: frozenset = frozenset()  # body stems to highlight: the words, and the general words' forms


def general_forms(word_ids) -> frozenset:
    """The stems of every language's forms of these general words, for highlighting expanded hits."""
    vocab = current_vocabulary().words
    return frozenset(
        stem
        for word_id in word_ids
        for lang in LANGS
        for phrase in [vocab.terms[word_id].labels.get(lang, ""), *vocab.terms[word_id].synonyms.get(lang, [])]
        for stem in stems(phrase.replace("*", " "))
    )


def build_query(text: str) -> Queries:
    """The user's words and what they mean. Quotes, +/- or AND/NOT ask for exactly those words: no
    concepts and no other languages are added."""
    q, concepts = parse(text)
    typed = frozenset(t for f, t, _b in scored_terms(q) if f == "body") if q is not None else frozenset()
    if STRICT.search(text):
        return Queries(q, q, None, [], typed)
    general = general_words(text)
    meaning = [query.Term("concepts", c) for c in [*concepts, *general]]
    ranking = q
    if q is not None and concepts:
        ranking = query.Or([q, query.Or([query.Term("concepts", c) for c in concepts], boost=CONCEPT_BOOST)])
    return Queries(q, ranking, query.Or(meaning) if meaning else None, concepts, typed | general_forms(general))


# --- the search -----------------------------------------------------------------------------------


@dataclass
class Hit:
    kind: str
    obj: object
    score: float
    title: Markup
    snippet: Markup
    expanded: bool = False  # found through what the words mean, not the words themselves


@dataclass
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    q: str = ""
    kind: str = "listing"
    message: str | None = None  # empty | nothing | unavailable
    truncated: bool = False
    hits: list = field(default_factory=list)
    page: object = None
    total: int = 0
    kind_counts: dict = field(default_factory=dict)
    facets: dict = field(default_factory=dict)  # name -> [FacetValue]
    suggestion: str | None = None
    concepts: list = field(default_factory=list)
    expand: bool = True  # the search also reaches other words and languages (see Queries.meaning)
    browse: bool = False  # no words: everything visible, as the listings page shows it
    other_total: int = 0  # of the results (or, with expand off, left out): found only through the meaning


class HitPagination(Pagination):
    """Flask-SQLAlchemy's pagination (so the shared macro renders it) over search hits."""

    def _query_items(self):
        return self._query_args["items"]

    def _query_count(self):
        return self._query_args["total"]


def kinds_for(user) -> tuple[str, ...]:
    return ("listing", "company") if user is not None and user.is_authenticated else ("listing",)


def search(
    text: str,
    user=None,
    kind: str = "listing",
    filters: dict | None = None,
    verified_only: bool = False,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 10,
    expand: bool = True,
) -> SearchResult:
    """The /search page's answer (and saved searches'): hits of one page, counts, facets, a suggestion.

    Hits with the words come first; with `expand`, those found only through what the words mean
    (other words, other languages) follow them. No words at all is browsing: every visible listing,
    newest first, with the same facets (the listings page). `message` says why there are no hits:
    "nothing" (no searchable words) or "unavailable" (no index).
    """
    text = " ".join((text or "").split())
    result = SearchResult(q=text, kind=kind, expand=expand)
    if len(text) > MAX_QUERY_CHARS:
        text = result.q = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUERY_CHARS]
        result.truncated = True
    kinds = kinds_for(user)
    if kind not in kinds:
        kind = result.kind = "listing"
    result.browse = not text
    queries = build_query(text) if text else Queries(None, None, None, [])
    result.concepts = queries.concepts
    if text and queries.words is None and queries.meaning is None:
        result.message = "nothing"
        return result
    try:
        searcher, cache = index_searcher()
    except IndexMissing:
        log.error("search index missing: run `flask search rebuild`")
        result.message = "unavailable"
        return result
    sets = docsets(searcher, cache)
    filters = {k: v for k, v in (filters or {}).items() if k in FACETS and v}
    if result.browse:  # no words: every visible listing (or company), newest first
        exact = sets.live
        sort = "newest" if sort == "relevance" else sort
    else:
        exact = query_docset(sets, queries.words) if queries.words is not None else 0
    other = query_docset(sets, queries.meaning) & ~exact if queries.meaning is not None else 0
    matched = _count(result, sets, exact, other, kinds, kind, filters, verified_only)
    pages = max(1, math.ceil(result.total / per_page))
    page = min(max(1, page), pages)
    if result.total:
        result.hits = ranked_hits(sets, queries, matched & exact, matched & other, kind, sort, page, per_page)
    if result.total < 3 and text:
        result.suggestion = did_you_mean(searcher, text)
    result.page = HitPagination(
        page=page, per_page=per_page, max_per_page=None, error_out=False, items=result.hits, total=result.total
    )
    return result


def _count(
    result: SearchResult, sets: B.DocSets, exact: int, other: int, kinds, kind: str, filters: dict, verified_only: bool
) -> int:
    """The documents of `kind` the search matches within the filters; fills in the counts and facets.

    `exact` are the documents with the words, `other` those found only through their meaning: they
    count only when the search expands, and `other_total` says how many there are either way.
    """
    now = utcnow()
    matched_any = exact | other if result.expand else exact
    visible = {k: visible_set(sets, k, now) for k in kinds}
    for k in kinds:
        result.kind_counts[k] = (matched_any & visible[k]).bit_count()
    allowed = visible[kind]
    for name, values in filters.items():
        for value in values:  # several values of one facet narrow further (AND), like adding words
            allowed &= sets.term("concepts", value) if name == "capability" else sets.facet(name, value)
    verified = sets.facet("verified", 1)
    if verified_only:
        allowed &= verified
    matched = matched_any & allowed
    result.total = matched.bit_count()
    result.other_total = (other & allowed).bit_count()
    for name in FACETS:
        selected = filters.get(name, [])
        counts = [  # a selected value stays even at 0, so the filter can be seen and removed
            FacetValue(value, n, value in selected)
            for value, vbits in facet_values(sets, name).items()
            if (n := (matched & vbits).bit_count()) or value in selected
        ]
        counts.sort(key=lambda f: (-f.count, f.value))
        if counts:
            result.facets[name] = counts
    result.facets["verified"] = [FacetValue("1", (matched & verified).bit_count(), verified_only)]
    return matched


def ranked_hits(
    sets: B.DocSets, queries: Queries, exact: int, other: int, kind: str, sort: str, page: int, per_page: int
) -> list[Hit]:
    """One page of hits in the chosen order, those with the words before those found through their
    meaning; rows loaded and visibility checked again in SQL."""
    k = page * per_page
    order = _order(sets, queries.ranking, exact, kind, sort, k) if exact else []
    first_other = len(order)
    if len(order) < k and other:
        order += _order(sets, queries.meaning, other, kind, sort, k - len(order))
    start = (page - 1) * per_page
    stored = [(sets.searcher.stored_fields(d), i >= first_other) for i, d in enumerate(order[start:k], start)]
    by_id = _rows(kind, [split_key(doc["id"])[1] for doc, _ in stored])
    terms = queries.marked
    hits = []
    for doc, expanded in stored:
        obj = by_id.get(split_key(doc["id"])[1])
        if obj is None:  # the index lags the database: the SQL check wins
            continue
        # Browsing (no words): no snippet, so the card shows the listing's summary or its excerpt.
        title, text = highlight.title(doc.get("title") or "", terms), snippet(doc, terms) if terms else None
        hits.append(Hit(kind, obj, 0.0, title, text, expanded))
    return hits


def _order(sets: B.DocSets, q, matched: int, kind: str, sort: str, k: int) -> list[int]:
    if sort == "newest":
        return by_date(sets, matched, "published", True, k)
    if sort == "deadline" and kind == "listing":
        return by_date(sets, matched, "deadline", False, k)
    return rank(sets, q, matched, k)


def _rows(kind: str, ids: list[int]) -> dict:
    """{id: row} of the visible listings or verified companies among `ids`."""
    if kind == "listing":
        statement = (
            sa.select(Listing)
            .where(Listing.id.in_(ids), Listing.live_clause())
            .options(joinedload(Listing.company), selectinload(Listing.tags))
        )
    else:
        statement = (
            sa.select(Company)
            .where(Company.id.in_(ids), Company.status == VerificationStatus.verified)
            .options(selectinload(Company.capabilities))
        )
    return {r.id: r for r in db.session.scalars(statement).all()}


def did_you_mean(searcher, text: str) -> str | None:
    """The query with unknown English and Russian words replaced by the nearest indexed word.

    Candidates are the body's stems within edit distance 1-2; the real word for the chosen stem is
    read back from a document that contains it (so "efluent" becomes "effluent", not a bare stem).
    Only runs when a search finds little, so its cost stays off the common path.
    """
    # Field-style and wildcard tokens reach no field and match nothing: suggest nothing for them.
    text = " ".join(t for t in text.split() if ":" not in t and "*" not in t and "?" not in t)
    corrector = None
    changed = False
    out = []
    last = 0
    for m in WORD.finditer(text):
        word = m.group()
        out.append(text[last : m.start()])
        last = m.end()
        surface, stem, stop = normalize(word)
        replacement = word
        if not stop and len(surface) >= 3 and script_of(surface) in ("la", "cy") and not surface.isdigit():
            if searcher.doc_frequency("body", stem) == 0:
                corrector = corrector or searcher.corrector("body")
                for suggestion in corrector.suggest(stem, limit=3, maxdist=2 if len(stem) >= 5 else 1):
                    if suggestion[:1] != stem[:1]:  # typos seldom hit the first letter: "коровьи" is not "готовую"
                        continue
                    real = surface_for(searcher, suggestion)
                    if real and real != surface:
                        replacement, changed = real, True
                        break
        out.append(replacement)
    out.append(text[last:])
    return "".join(out) if changed else None


def surface_for(searcher, stem: str) -> str | None:
    """A word as written in some document whose stem is `stem`."""
    for hit in searcher.search(query.Term("body", stem), limit=1):
        for fieldname in ("title", "summary", "text", "company"):
            for w in words(hit.get(fieldname) or ""):
                if w.stem == stem:
                    return w.surface
    return None
