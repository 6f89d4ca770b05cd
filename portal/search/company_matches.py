"""Companies you may want to meet: verified companies of the other country that complement this one."""

import sqlalchemy as sa

from ..extensions import db
from ..models import Company
from ..models.company import VerificationStatus
from .match_scores import OTHER_COUNTRY, RERANK, concept_vector, cosine, idf_table, shortlist
from .profiles import Match, company_profile
from .ranking import docsets
from .reasons import company_reasons, term_facets
from .searching import searcher as index_searcher
from .versions import IndexMissing


def company_suggestions(company, limit: int = 5) -> list[Match]:
    """Verified companies of the other country whose profiles complement this one."""
    try:
        searcher, cache = index_searcher()
    except IndexMissing:
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
    return load_companies(matches)


def load_companies(matches: list[Match]) -> list[Match]:
    """Replace stored fields by verified companies' rows, in the same order; the others are dropped."""
    ids = [m.pk for m in matches]
    if not ids:
        return []
    rows = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Company).where(Company.id.in_(ids), Company.status == VerificationStatus.verified)
        )
    }
    kept = []
    for m in matches:
        if m.pk in rows:
            m.obj = rows[m.pk]
            kept.append(m)
    return kept
