"""Why a listing or company was suggested, in words in the viewer's language (or English outside a request)."""

from flask_babel import get_locale
from flask_babel import gettext as _

from ..lists import join_list
from .concepts import current_vocabulary
from .profiles import Profile


def term_facets() -> dict[str, str]:
    """{term id: its facet} ("service", "cert", ...) over the current vocabulary."""
    return {t.id: t.facet for t in current_vocabulary().terms.values()}


def label(term_id: str) -> str:
    return current_vocabulary().label(term_id, _locale())


def _locale() -> str:
    return str(get_locale() or "en")


def labels(term_ids) -> str:
    """The labels as the reader's language lists them (Urdu with "،"): lists.join_list."""
    return join_list(label(c) for c in term_ids)


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
    if not shared:
        if prof.weights:
            reasons.append(_("No topic in common: suggested for its type and wording"))
        else:
            reasons.append(_("No topic was recognised in this listing: suggested for its type and wording"))
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
