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

Ranking thousands of candidates in Python would be slow, so it runs in two stages: an approximate
score for every candidate at once, as bit-sliced integer arithmetic on cached bitmaps (bits.py), then
the exact score above for the best RERANK of them, from their stored fields. Other-country matches
come first (PK <-> KZ is the portal's purpose); same-country ones follow. Every match carries its
reasons in words, in the viewer's language.
"""

import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Company, Listing
from ..models.company import VerificationStatus
from ..permissions import can_see_listing_company
from . import bits as B
from . import documents, index
from .analysis import words
from .query import docsets, visible_set

RERANK = 60
KEY_TERMS = 15
W_CONCEPTS, W_TEXT, W_FIT = 0.60, 0.25, 0.15
FACET_WEIGHT = {"cert": 0.5}
OTHER_COUNTRY = {"PK": "KZ", "KZ": "PK"}
LEVELS = (1, 2, 3, 4)  # a concept's weight in a document, rounded, is how often its id is repeated


def _(text: str, **values) -> str:
    """gettext in a request or under force_locale; plain English where no locale can be chosen."""
    try:
        return gettext(text, **values)
    except RuntimeError:
        return text % values if values else text


@dataclass
class Match:
    key: str
    pk: int
    score: float
    same_country: bool
    reasons: list = field(default_factory=list)
    ref: str = ""
    obj: object = None  # stored fields, then the Listing or Company row once loaded
    parts: dict = field(default_factory=dict)


@dataclass
class Profile:
    """What matching needs to know about the listing (or company) being matched."""

    key: str
    pk: int
    kind: str
    type: str
    direction: str
    country: str
    city: str
    company_id: str
    weights: dict
    text: str
    capabilities: set = field(default_factory=set)
    certifications: set = field(default_factory=set)


def profile_from_doc(doc: dict) -> Profile:
    st = doc["stored"]
    return Profile(
        key=doc["id"],
        pk=st["pk"],
        kind=st["kind"],
        type=st["type"],
        direction=st["direction"],
        country=st["country"],
        city=st["city"],
        company_id="" if st["company_id"] is None else str(st["company_id"]),  # None: anonymous
        weights=dict(st["concept_weights"]),
        text=" ".join(doc.get(f) or "" for f in ("title", "summary", "text")),
        capabilities=set(st["capabilities"]),
        certifications=set(st["certifications"]),
    )


def listing_profile(listing, searcher=None) -> Profile | None:
    """From the index when the listing is there (cheap), else built from the database (drafts too).

    The company id comes from the row: an anonymous listing's document does not store it, and its own
    company's listings must still be left out of its matches.
    """
    if searcher is not None:
        stored = searcher.document(id=documents.listing_key(listing.id))
        if stored:
            prof = profile_from_doc(stored)
            prof.company_id = str(listing.company_id)
            return prof
    with db.engine.connect() as conn:
        row = conn.execute(
            sa.select(*documents.LISTING_COLUMNS)
            .join(Company, Company.id == Listing.company_id)
            .join(documents.Association, documents.Association.id == Company.association_id)
            .where(Listing.id == listing.id)
        ).first()
        if row is None:
            return None
        caps, certs = documents._company_extras(conn, {row.company_id})
    tags = [(t.term_id, t.inferred) for t in listing.tags]
    prof = profile_from_doc(documents.listing_document(row, tags, caps[row.company_id], certs[row.company_id]))
    prof.company_id = str(row.company_id)
    return prof


# --- scoring --------------------------------------------------------------------------------------


def idf_table(sets: B.DocSets) -> dict[str, float]:
    """idf of each concept over live listings, cached with the searcher generation."""
    hit = sets.extra.get("concept_idf")
    if hit is None:
        live = visible_set(sets, "listing")
        n = max(1, live.bit_count())
        hit = {
            c: math.log(1 + n / max(1, (live & sets.term("concepts", c)).bit_count()))
            for c in sets.field_values("concepts")
        }
        sets.extra["concept_idf"] = hit
    return hit


def pool_idf(sets: B.DocSets, pool: int) -> dict[str, float]:
    """idf of every concept among the candidates: a concept they all share (say, training among
    training offers) cannot tell them apart, however rare it is over the whole index."""
    n = pool.bit_count()
    return {
        c: math.log(1 + (n + 1) / ((pool & sets.term("concepts", c)).bit_count() + 1))
        for c in sets.field_values("concepts")
    }


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


# --- listing matches ------------------------------------------------------------------------------


def candidate_set(sets: B.DocSets, prof: Profile) -> int:
    opposite = "request" if prof.direction == "offer" else "offer"
    allowed = visible_set(sets, "listing") & sets.facet("type", prof.type) & sets.facet("direction", opposite)
    return allowed & ~sets.facet("company", prof.company_id)


def find_matches(
    listing, limit: int = 5, same_country: bool = True, with_reasons: bool = True, exclude_own: bool = True
) -> list[Match]:
    """The best complementary listings, other country first; [] when the index is unavailable.

    `exclude_own=False` keeps the listing's own company's listings among the candidates: on an
    anonymous listing's page, seen by someone who may not know its company, leaving exactly one
    company's listings out would point at it.
    """
    try:
        searcher, cache = index.searcher()
    except index.IndexMissing:
        return []
    prof = listing_profile(listing, searcher)
    if prof is None:
        return []
    if not exclude_own:
        prof.company_id = ""
    return match_profile(searcher, docsets(searcher, cache), prof, limit, same_country, with_reasons)


def match_profile(
    searcher, sets: B.DocSets, prof: Profile, limit: int = 5, same_country: bool = True, with_reasons: bool = True
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
    for docnum in shortlist(sets, allowed, target, terms, RERANK):
        doc = searcher.stored_fields(docnum)
        cand = doc["stored"]
        parts = {
            "concepts": cosine(target, concept_vector(cand["concept_weights"], idf, facets)),
            "text": sum(w for t, w in terms.items() if term_bits[t] >> docnum & 1) / (sum(terms.values()) or 1.0),
            "fit": company_fit(prof.weights, cand, facets),
        }
        score = W_CONCEPTS * parts["concepts"] + W_TEXT * parts["text"] + W_FIT * parts["fit"]
        m = Match(doc["id"], cand["pk"], round(score, 4), cand["country"] == prof.country, ref=cand["ref"], parts=parts)
        m.obj = {**cand, "title": doc.get("title", "")}
        matches.append(m)
    matches.sort(key=lambda m: (m.same_country, -m.score, m.pk))
    matches = matches[:limit]
    if with_reasons:
        for m in matches:
            m.reasons = listing_reasons(prof, m.obj, facets)
    return matches


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
    return load_listings(find_matches(listing, limit=limit, exclude_own=exclude_own))


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


# --- reasons --------------------------------------------------------------------------------------


def term_facets() -> dict[str, str]:
    from .concepts import current_vocabulary

    return {t.id: t.facet for t in current_vocabulary().terms.values()}


def label(term_id: str) -> str:
    from .concepts import current_vocabulary

    return current_vocabulary().label(term_id, _locale())


def _locale() -> str:
    try:
        from flask_babel import get_locale

        return str(get_locale() or "en")
    except RuntimeError:
        return "en"


def labels(term_ids) -> str:
    return ", ".join(label(c) for c in term_ids)


def listing_reasons(prof: Profile, cand: dict, facets: dict) -> list[str]:
    reasons = []
    cand_weights = cand["concept_weights"]
    shared = sorted((c for c in prof.weights if c in cand_weights), key=lambda c: -(prof.weights[c] * cand_weights[c]))
    topical = [c for c in shared if facets.get(c) != "service"]
    services = [c for c in shared if facets.get(c) == "service"]
    if topical:
        reasons.append(_("Both: %(terms)s", terms=labels(topical[:4])))
    if services:
        side = _("They offer") if cand["direction"] == "offer" else _("They need")
        reasons.append(_("%(side)s: %(terms)s", side=side, terms=labels(services[:3])))
    caps = set(cand["capabilities"])
    covered = [c for c in prof.weights if c in caps and c not in shared][:3]
    if covered:
        reasons.append(_("Their company works with %(terms)s", terms=labels(covered)))
    if cand["certifications"]:
        reasons.append(_("Certified: %(terms)s", terms=labels(cand["certifications"][:3])))
    offer_city, request_city = (cand["city"], prof.city) if cand["direction"] == "offer" else (prof.city, cand["city"])
    if offer_city and request_city:
        reasons.append(f"{offer_city} → {request_city}")
    if cand["country"] == prof.country:
        reasons.append(_("Also in your country"))
    return reasons


# --- companies you may want to meet ---------------------------------------------------------------


def company_profile(company, searcher, sets: B.DocSets) -> Profile:
    """The company's capabilities and description, plus the concepts of its live listings."""
    stored = searcher.document(id=documents.company_key(company.id))
    if stored:
        prof = profile_from_doc(stored)
    else:
        with db.engine.connect() as conn:
            row = conn.execute(
                sa.select(*documents.COMPANY_COLUMNS)
                .join(documents.Association, documents.Association.id == Company.association_id)
                .where(Company.id == company.id)
            ).first()
            caps, certs = documents._company_extras(conn, {company.id})
        prof = profile_from_doc(documents.company_document(row, caps[company.id], certs[company.id]))
    own = sets.facet("company", company.id) & visible_set(sets, "listing")
    for docnum in B.docnums(own):
        for c, w in searcher.stored_fields(docnum)["stored"]["concept_weights"].items():
            prof.weights[c] = min(documents.MAX_WEIGHT, prof.weights.get(c, 0) + 0.5 * w)
    return prof


def company_suggestions(company, limit: int = 5) -> list[Match]:
    """Verified companies of the other country whose profiles complement this one."""
    try:
        searcher, cache = index.searcher()
    except index.IndexMissing:
        return []
    sets = docsets(searcher, cache)
    prof = company_profile(company, searcher, sets)
    if not prof.weights:
        return []
    allowed = sets.facet("kind", "company") & ~sets.facet("company", company.id)
    if prof.country in OTHER_COUNTRY:
        allowed &= sets.facet("country", OTHER_COUNTRY[prof.country])
    idf = idf_table(sets)
    facets = term_facets()
    target = concept_vector(prof.weights, idf, facets)
    lacking = {c: w for c, w in prof.weights.items() if c not in prof.capabilities}
    matches = []
    for docnum in shortlist(sets, allowed, target, {}, RERANK):
        doc = searcher.stored_fields(docnum)
        cand = doc["stored"]
        common = cosine(target, concept_vector(cand["concept_weights"], idf, facets))
        # Complementary: they can do what this company's listings ask for but its capabilities lack.
        caps = set(cand["capabilities"])
        brings = sum(w for c, w in lacking.items() if c in caps) / (sum(lacking.values()) or 1.0)
        score = 0.6 * common + 0.3 * brings + 0.1 * bool(cand["certifications"])
        m = Match(doc["id"], cand["pk"], round(score, 4), False, ref=cand["ref"])
        m.obj = cand
        matches.append(m)
    matches.sort(key=lambda m: (-m.score, m.pk))
    matches = matches[:limit]
    for m in matches:
        m.reasons = company_reasons(prof, m.obj, facets)
    ids = [m.pk for m in matches]
    rows = (
        {
            c.id: c
            for c in db.session.scalars(
                sa.select(Company).where(Company.id.in_(ids), Company.status == VerificationStatus.verified)
            )
        }
        if ids
        else {}
    )
    kept = []
    for m in matches:
        if m.pk in rows:
            m.obj = rows[m.pk]
            kept.append(m)
    return kept


def company_reasons(prof: Profile, cand: dict, facets: dict) -> list[str]:
    reasons = []
    cweights = cand["concept_weights"]
    shared = sorted(
        (c for c in prof.weights if c in cweights and facets.get(c) != "service"),
        key=lambda c: -(prof.weights[c] * cweights[c]),
    )
    if shared:
        reasons.append(_("Both work with %(terms)s", terms=labels(shared[:4])))
    caps = set(cand["capabilities"])
    brings = [c for c in prof.weights if c in caps and c not in prof.capabilities][:3]
    if brings:
        reasons.append(_("They bring %(terms)s", terms=labels(brings)))
    if cand["certifications"]:
        reasons.append(_("Certified: %(terms)s", terms=labels(cand["certifications"][:3])))
    if prof.city and cand["city"]:
        reasons.append(f"{prof.city} ↔ {cand['city']}")
    return reasons
