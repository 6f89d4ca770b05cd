"""Matchmaking: the complementary listings for a listing, the companies a company may want to meet.

Candidates for a listing are live listings of the same type and the opposite direction, never the
listing's own company's. Each gets ONE score in [0, 1]:

    score = 0.60 * concepts + 0.25 * text + 0.15 * fit

* concepts: cosine similarity of the two concept vectors: how strongly each listing is about each
  concept (tags, title, body; see documents.concept_weights) times the concept's idf among the
  candidates, so a rare concept such as camel hides says more than cattle hides, and one that all
  candidates share says nothing; certifications count half, as they are seldom what a listing is
  about. Concepts are language-independent, which is what lets a Russian request meet an English offer;
* text: the share of the listing's key terms (its most distinctive stems by tf-idf, i.e. BM25
  `more_like` evidence) that the candidate contains;
* fit: how much of the listing's topic the other company's capability profile covers, whether it
  holds current certifications the listing names, states a capacity, and is verified.

A listing in which the portal recognises no concept, or whose concepts and key terms no candidate
shares, is not left without matches: the newest candidates of its type are scored the same way (the
text and fit parts carry them) and their reasons say the suggestion rests on type and wording.

Ranking thousands of candidates in Python would be slow, so it runs in two stages: an approximate
score for every candidate at once, as bit-sliced integer arithmetic on cached bitmaps (bits.py), then
the exact score above for the best RERANK of them, from their stored fields. Other-country matches
come first (PK <-> KZ is the portal's purpose); same-country ones follow. Every match carries its
reasons in words, in the viewer's language.

The parts live apart: profiles.py (what is matched), match_scores.py (the score's parts and the
shortlist), reasons.py (the words), company_matches.py (companies you may want to meet).
"""

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Listing
from ..permissions import can_see_listing_company, is_member_of
from . import bits as B
from .company_matches import company_suggestions  # noqa: F401 - its old home
from .match_scores import (  # noqa: F401 - idf_table ... quantize: their old home
    FACET_WEIGHT,
    KEY_TERMS,
    LEVELS,
    OTHER_COUNTRY,
    RERANK,
    company_fit,
    concept_vector,
    cosine,
    idf_table,
    key_terms,
    pool_idf,
    quantize,
    shortlist,
)
from .profiles import Match, Profile, company_profile, listing_profile, profile_from_doc  # noqa: F401
from .ranking import docsets, highest, visible_set
from .reasons import company_reasons, label, labels, listing_reasons, term_facets  # noqa: F401
from .searching import searcher as index_searcher
from .versions import IndexMissing

W_CONCEPTS, W_TEXT, W_FIT = 0.60, 0.25, 0.15


def candidate_set(sets: B.DocSets, prof: Profile) -> int:
    opposite = "request" if prof.direction == "offer" else "offer"
    allowed = visible_set(sets, "listing") & sets.facet("type", prof.type) & sets.facet("direction", opposite)
    return allowed & ~sets.facet("company", prof.company_id)


def find_matches(
    listing,
    limit: int = 5,
    same_country: bool = True,
    with_reasons: bool = True,
    exclude_own: bool = True,
    as_owner: bool = False,
) -> list[Match]:
    """The best complementary listings, other country first; [] when the index is unavailable.

    `exclude_own=False` keeps the listing's own company's listings among the candidates: on an
    anonymous listing's page, seen by someone who may not know its company, leaving exactly one
    company's listings out would point at it.
    """
    try:
        searcher, cache = index_searcher()
    except IndexMissing:
        return []
    prof = listing_profile(listing, searcher)
    if prof is None:
        return []
    if not exclude_own:
        prof.company_id = ""
    return match_profile(searcher, docsets(searcher, cache), prof, limit, same_country, with_reasons, as_owner)


def match_profile(
    searcher,
    sets: B.DocSets,
    prof: Profile,
    limit: int = 5,
    same_country: bool = True,
    with_reasons: bool = True,
    as_owner: bool = False,
) -> list[Match]:
    allowed = candidate_set(sets, prof)
    if not same_country and prof.country in OTHER_COUNTRY:
        allowed &= sets.facet("country", OTHER_COUNTRY[prof.country])
    if not allowed:
        return []
    idf = pool_idf(sets, allowed)
    facets = term_facets()
    target = concept_vector(prof.weights, idf, facets)
    terms = key_terms(searcher, prof.text)
    term_bits = {t: sets.term("body", t) for t in terms}
    matches = []
    for docnum in shortlist(sets, allowed, target, terms, RERANK) or highest(allowed, RERANK):
        doc = searcher.stored_fields(docnum)
        cand = doc["stored"]
        parts = {
            "concepts": cosine(target, concept_vector(cand["concept_weights"], idf, facets)),
            "text": sum(w for t, w in terms.items() if term_bits[t] >> docnum & 1) / (sum(terms.values()) or 1.0),
            "fit": company_fit(prof.weights, cand, facets),
        }
        score = W_CONCEPTS * parts["concepts"] + W_TEXT * parts["text"] + W_FIT * parts["fit"]
        m = Match(doc["id"], cand["pk"], round(score, 4), cand["country"] == prof.country, ref=cand["ref"], parts=parts)
        m.shares = {
            "topics": round(100 * W_CONCEPTS * parts["concepts"]),
            "wording": round(100 * W_TEXT * parts["text"]),
            "company": round(100 * W_FIT * parts["fit"]),
        }
        m.obj = {**cand, "title": doc.get("title", "")}
        matches.append(m)
    matches.sort(key=lambda m: (m.same_country, -m.score, m.pk))
    matches = matches[:limit]
    if with_reasons:
        for m in matches:
            m.reasons = listing_reasons(prof, m.obj, facets, as_owner)
    return matches


def understood_concepts(listing) -> list[str]:
    """The concepts matching reads in the listing (tags, title, text), strongest first: what the owner is
    shown as "what the portal understood", so a listing it misreads can be corrected with tags."""
    try:
        searcher, _ = index_searcher()
    except IndexMissing:
        searcher = None
    prof = listing_profile(listing, searcher)
    if prof is None:
        return []
    return [c for c, _ in sorted(prof.weights.items(), key=lambda kv: (-kv[1], kv[0]))]


def load_listings(matches: list[Match]) -> list[Match]:
    """Replace stored fields by live rows, in the same order; a match no longer live is dropped."""
    ids = [m.pk for m in matches]
    if not ids:
        return []
    rows = db.session.scalars(
        sa.select(Listing).where(Listing.id.in_(ids), Listing.live_clause()).options(joinedload(Listing.company))
    ).all()
    by_id = {r.id: r for r in rows}
    kept = []
    for m in matches:
        if m.pk in by_id:
            m.obj = by_id[m.pk]
            kept.append(m)
    return kept


def listing_matches(listing, limit: int = 5, viewer=None) -> list[Match]:
    """For templates: the listing's matches with reasons, rows loaded and re-checked in SQL.

    `viewer` defaults to the current user; see find_matches for why it matters on anonymous listings.
    """
    if viewer is None and has_request_context():
        viewer = current_user
    exclude_own = viewer is None or can_see_listing_company(viewer, listing)
    as_owner = viewer is not None and is_member_of(viewer, listing.company)
    return load_listings(find_matches(listing, limit=limit, exclude_own=exclude_own, as_owner=as_owner))


def dashboard_matches(company, listings: int = 5, per_listing: int = 3) -> list[tuple]:
    """[(listing, matches)] for the company's most recent live listings that have matches."""
    rows = db.session.scalars(
        sa.select(Listing)
        .where(Listing.company_id == company.id, Listing.live_clause())
        .order_by(Listing.published_at.desc(), Listing.id.desc())
        .limit(listings)
    ).all()
    groups = []
    for listing in rows:
        found = listing_matches(listing, limit=per_listing)
        if found:
            groups.append((listing, found))
    return groups
