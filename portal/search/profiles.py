"""What matching knows about the listing or company it matches: a Profile, from the index or the database."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from ..models import Company, Listing
from . import bits as B
from . import documents
from .ranking import visible_set


@dataclass
class Match:
    """One suggested listing or company: its score in [0, 1], why, and (once loaded) its row."""

    key: str
    pk: int
    score: float
    same_country: bool
    reasons: list = field(default_factory=list)
    ref: str = ""
    obj: object = None  # stored fields, then the Listing or Company row once loaded
    parts: dict = field(default_factory=dict)
    shares: dict = field(default_factory=dict)  # points of the 100 each part adds: "topics", "wording", "company"


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
        caps, certs = documents.company_extras(conn, {row.company_id})
    tags = [(t.term_id, t.inferred) for t in listing.tags]
    prof = profile_from_doc(documents.listing_document(row, tags, caps[row.company_id], certs[row.company_id]))
    prof.company_id = str(row.company_id)
    return prof


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
            caps, certs = documents.company_extras(conn, {company.id})
        prof = profile_from_doc(documents.company_document(row, caps[company.id], certs[company.id]))
    own = sets.facet("company", company.id) & visible_set(sets, "listing")
    for docnum in B.docnums(own):
        for c, w in searcher.stored_fields(docnum)["stored"]["concept_weights"].items():
            prof.weights[c] = min(documents.MAX_WEIGHT, prof.weights.get(c, 0) + 0.5 * w)
    return prof
