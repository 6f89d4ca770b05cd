"""Why a listing or company was suggested, in words in the viewer's language (or English outside a request)."""

from flask_babel import format_number, get_locale, ngettext
from flask_babel import gettext as _

from .. import geography
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
        reasons.append(_places_sentence(cand["city"], prof.city, as_owner))
    if cand["country"] == prof.country:
        reasons.append(_("Also in your country") if as_owner else _("In the same country as this listing"))
    return reasons


def city_name(written: str) -> str:
    """A company's city in the reader's language when it is a known one, else as the company wrote it."""
    city = geography.find_city(written)
    return city.label(_locale()) if city else written


def _places_sentence(their_city: str, your_city: str, as_owner: bool) -> str:
    """Where they are from "you" (or "this listing"): the same city, about how long by road, or both names.

    A road time only within one country (portal.geography says why); across the border, or for a city
    portal.geography does not know, both cities are named.
    """
    theirs, yours = geography.find_city(their_city), geography.find_city(your_city)
    names = {"theirs": city_name(their_city), "yours": city_name(your_city)}
    if theirs and yours and theirs.id == yours.id:
        if as_owner:
            return _("They are in the same city as you: %(city)s", city=names["yours"])
        return _("They are in the same city as this listing: %(city)s", city=names["yours"])
    road = geography.road_time(theirs, yours) if theirs and yours else None
    if road is None:
        if as_owner:
            return _("They are in %(theirs)s; you are in %(yours)s", **names)
        return _("They are in %(theirs)s; this listing is from %(yours)s", **names)
    count = format_number(road.amount)  # ngettext's %(num)s is the raw int; num= is taken
    if road.unit == "under_hour":
        if as_owner:
            return _("They are in %(theirs)s, less than an hour by road from you in %(yours)s", **names)
        return _(
            "They are in %(theirs)s, less than an hour by road from %(yours)s, where this listing is from", **names
        )
    if road.unit == "hours":
        if as_owner:
            return ngettext(
                "They are in %(theirs)s, about %(count)s hour by road from you in %(yours)s",
                "They are in %(theirs)s, about %(count)s hours by road from you in %(yours)s",
                road.amount,
                count=count,
                **names,
            )
        return ngettext(
            "They are in %(theirs)s, about %(count)s hour by road from %(yours)s, where this listing is from",
            "They are in %(theirs)s, about %(count)s hours by road from %(yours)s, where this listing is from",
            road.amount,
            count=count,
            **names,
        )
    if as_owner:
        return ngettext(
            "They are in %(theirs)s, about %(count)s day by road from you in %(yours)s",
            "They are in %(theirs)s, about %(count)s days by road from you in %(yours)s",
            road.amount,
            count=count,
            **names,
        )
    return ngettext(
        "They are in %(theirs)s, about %(count)s day by road from %(yours)s, where this listing is from",
        "They are in %(theirs)s, about %(count)s days by road from %(yours)s, where this listing is from",
        road.amount,
        count=count,
        **names,
    )


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
        reasons.append(f"{city_name(prof.city)} ↔ {city_name(cand['city'])}")
    return reasons
