"""The user's search: parse safely, rank with BM25F, count facets, highlight (escaped), load rows.

A query can only reach the text: the field, wildcard, range and "every" plugins are removed, so
`status:draft`, `owner:*` or `*` are plain words. Visibility is enforced twice: in the index filter
(live listings; companies only for logged-in users, and only verified companies are indexed at all)
and again in SQL when the rows are loaded, in score order, by id.

Counting is done on bitmaps (see bits.py): the set of documents matching the words, ANDed with the
visibility and facet filters, gives the total and every facet count at once; Whoosh then only ranks
the first page of that set.
"""

import html
import logging
import math
import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload
from whoosh import qparser, query, scoring
from whoosh.highlight import ContextFragmenter, Formatter, WholeFragmenter, get_text, highlight

from ..extensions import db
from ..models import Company, Listing
from ..models.base import utcnow
from ..models.company import VerificationStatus
from . import bits as B
from . import index
from .analysis import WORD, MultilingualAnalyzer, normalize, script_of, words
from .concepts import extract_concepts
from .documents import split_key
from .schema import make_schema

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
CONCEPT_BOOST = 1.5
# Facets shown on the search page, by their name in the URL. "capability" reads the concepts field;
# the others are "name:value" terms of the facet field.
FACETS = ("type", "direction", "country", "association", "capability", "certification")
SORTS = ("relevance", "newest", "deadline")


def weighting():
    return scoring.BM25F(B=0.75, K1=1.2)


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


def build_query(text: str):
    """The words OR the concepts they name, so a Russian query also finds English listings.

    A query with quotes, +/- or AND/NOT asks for exactly those words: no concepts are added.
    """
    q, concepts = parse(text)
    if STRICT.search(text):
        concepts = []
    parts = [q] if q is not None else []
    if concepts:
        parts.append(query.Or([query.Term("concepts", c) for c in concepts], boost=CONCEPT_BOOST))
    if not parts:
        return None, concepts
    return (parts[0] if len(parts) == 1 else query.Or(parts)), concepts


# --- document sets for one searcher ---------------------------------------------------------------


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
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            weights[(fieldname, text)] = weights.get((fieldname, text), 0.0) + idf * boost
    scores = B.BitScores()
    biggest = max(weights.values(), default=1.0) or 1.0
    for (fieldname, text), w in weights.items():
        q_int = max(1, round(7 * w / biggest))
        for level in range(1, B.IMPACT_LEVELS + 1):
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


def facet_values(sets: B.DocSets, name: str) -> dict[str, int]:
    """{value: bitmap} for one facet."""
    if name == "capability":
        return {c: sets.term("concepts", c) for c in sets.field_values("concepts")}
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


# --- highlighting ---------------------------------------------------------------------------------


class EscapingFormatter(Formatter):
    """Every fragment is HTML-escaped, quotes included (Whoosh's HtmlFormatter leaves quotes); hits
    are wrapped in <mark>."""

    between = " … "

    def _text(self, text):
        return html.escape(text, quote=True)

    def format_token(self, text, token, replace=False):
        return f"<mark>{html.escape(get_text(text, token, replace), quote=True)}</mark>"


# --- the search -----------------------------------------------------------------------------------


@dataclass
class Hit:
    kind: str
    obj: object
    score: float
    title: Markup
    snippet: Markup


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
) -> SearchResult:
    text = " ".join((text or "").split())
    result = SearchResult(q=text, kind=kind)
    if len(text) > MAX_QUERY_CHARS:
        text = result.q = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUERY_CHARS]
        result.truncated = True
    kinds = kinds_for(user)
    if kind not in kinds:
        kind = result.kind = "listing"
    if not text:
        result.message = "empty"
        return result
    q, concepts = build_query(text)
    result.concepts = concepts
    if q is None:
        result.message = "nothing"
        return result
    try:
        searcher, cache = index.searcher()
    except index.IndexMissing:
        log.error("search index missing: run `flask search rebuild`")
        result.message = "unavailable"
        return result
    sets = docsets(searcher, cache)
    filters = {k: v for k, v in (filters or {}).items() if k in FACETS and v}
    now = utcnow()
    matched_any = query_docset(sets, q)
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
    for name in FACETS:
        counts = []
        for value, vbits in facet_values(sets, name).items():
            n = (matched & vbits).bit_count()
            if n:
                counts.append(FacetValue(value, n, value in filters.get(name, [])))
        counts.sort(key=lambda f: (-f.count, f.value))
        if counts:
            result.facets[name] = counts
    result.facets["verified"] = [FacetValue("1", (matched & verified).bit_count(), verified_only)]
    pages = max(1, math.ceil(result.total / per_page))
    page = min(max(1, page), pages)
    if result.total:
        result.hits = ranked_hits(sets, q, matched, kind, sort, page, per_page)
    if result.total < 3:
        result.suggestion = did_you_mean(searcher, text)
    result.page = HitPagination(
        page=page, per_page=per_page, max_per_page=None, error_out=False, items=result.hits, total=result.total
    )
    return result


def ranked_hits(sets: B.DocSets, q, matched: int, kind: str, sort: str, page: int, per_page: int) -> list[Hit]:
    k = page * per_page
    if sort == "newest":
        order = by_date(sets, matched, "published", True, k)
    elif sort == "deadline" and kind == "listing":
        order = by_date(sets, matched, "deadline", False, k)
    else:
        order = rank(sets, q, matched, k)
    stored = [sets.searcher.stored_fields(d) for d in order[(page - 1) * per_page : k]]
    found = [(doc, split_key(doc["id"])) for doc in stored]
    ids = [pk for _doc, (_k, pk) in found]
    if kind == "listing":
        rows = db.session.scalars(
            sa.select(Listing)
            .where(Listing.id.in_(ids), Listing.live_clause())
            .options(joinedload(Listing.company), selectinload(Listing.tags))
        ).all()
    else:
        rows = db.session.scalars(
            sa.select(Company)
            .where(Company.id.in_(ids), Company.status == VerificationStatus.verified)
            .options(selectinload(Company.capabilities))
        ).all()
    by_id = {r.id: r for r in rows}
    terms = frozenset(t for f, t, _b in scored_terms(q) if f == "body")
    hits = []
    for doc, (_k, pk) in found:
        obj = by_id.get(pk)
        if obj is None:  # the index lags the database: the SQL check wins
            continue
        title = doc.get("title") or ""
        marked_title = marked(title, terms, WholeFragmenter(), top=1, minscore=0) or html.escape(title, quote=True)
        hits.append(Hit(kind, obj, 0.0, Markup(marked_title), snippet(doc, terms)))  # noqa: S704 - escaped
    return hits


_analyzer = MultilingualAnalyzer()


def marked(text: str, terms, fragmenter, top: int = 2, minscore: int = 1) -> str:
    """The text's best fragments with the query's words in <mark>, every fragment HTML-escaped."""
    if not text or not terms:
        return ""
    return highlight(text, terms, _analyzer, fragmenter, EscapingFormatter(), top=top, minscore=minscore)


def snippet(hit, terms) -> Markup:
    for fieldname in ("text", "summary"):
        found = marked(hit.get(fieldname) or "", terms, ContextFragmenter(maxchars=240, surround=60))
        if found:
            return Markup(found)  # noqa: S704 - escaped by EscapingFormatter
    plain = hit.get("summary") or hit.get("text") or ""
    if len(plain) > 240:
        plain = plain[:240].rsplit(" ", 1)[0] + "…"
    return Markup(html.escape(plain, quote=True))  # noqa: S704 - escaped here


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
