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


def listing_reasons(prof: Profile, cand: dict, facets: dict, as_owner: bool = False) -> list[str]:
    """Plain sentences: what both listings are about, what the other side offers or needs, who they are.

    `as_owner`: the reader owns the matched listing ("You offer ...; they need ..."); anyone else reads
    about "this listing".
    """
    reasons = []
    cand_weights = cand["concept_weights"]
    shared = sorted((c for c in prof.weights if c in cand_weights), key=lambda c: -(prof.weights[c] * cand_weights[c]))
    topical = [c for c in shared if facets.get(c) != "service"]
    services = [c for c in shared if facets.get(c) == "service"]
    if topical:
        reasons.append(_topics_sentence(prof.direction, labels(topical[:4]), as_owner))
    if services:
        terms = labels(services[:3])
        reasons.append(
            _("They offer %(terms)s", terms=terms)
            if cand["direction"] == "offer"
            else _("They need %(terms)s", terms=terms)
        )
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
        reasons.append(_("They are certified: %(terms)s", terms=labels(cand["certifications"][:3])))
    if cand["city"] and prof.city:
        if as_owner:
            reasons.append(_("They are in %(theirs)s; you are in %(yours)s", theirs=cand["city"], yours=prof.city))
        else:
            reasons.append(
                _("They are in %(theirs)s; this listing is from %(yours)s", theirs=cand["city"], yours=prof.city)
            )
    if cand["country"] == prof.country:
        reasons.append(_("Also in your country") if as_owner else _("In the same country as this listing"))
    return reasons


def _topics_sentence(direction: str, terms: str, as_owner: bool) -> str:
    if direction == "offer":
        if as_owner:
            return _("You offer %(terms)s; they need %(terms)s", terms=terms)
        return _("This listing offers %(terms)s; they need %(terms)s", terms=terms)
    if as_owner:
        return _("You need %(terms)s; they offer %(terms)s", terms=terms)
    return _("This listing asks for %(terms)s; they offer %(terms)s", terms=terms)


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
