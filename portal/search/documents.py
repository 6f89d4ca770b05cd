"""Database rows -> index documents, in batches with a fixed number of queries (no N+1).

Rows are read with Core selects rather than ORM objects: the same code serves the after-commit sync
(a handful of ids) and `search rebuild` (every row), where building ORM objects would cost more
than the analysis itself. Only live listings (which includes: of a verified company, see
Listing.live_clause) and verified companies become documents; for any other id the caller deletes
the document.

An anonymous listing's document holds nothing of its company that a viewer could observe: no name,
city, capabilities, certifications, capacity or company id in its stored fields and no certification
facet, so neither the result cards, the facet counts, match reasons nor match scores depend on them.
"""

import hashlib
from collections import Counter, defaultdict
from datetime import date, datetime, time

import sqlalchemy as sa

from ..language import detect_language
from ..models import Association, Certification, Company, CompanyCapability, Listing, ListingTag
from ..models.base import utcnow
from ..models.company import VerificationStatus
from ..models.listing import ListingHsHeading
from .analysis import Body
from .concepts import current_vocabulary, load_vocabulary, matcher
from .schema import FAR_FUTURE, sort_number

BATCH = 1000

# How strongly a listing is about a concept: tags count most, then the title, the summary, the body.
# Inferred tags were read from this very text, so they add presence, not weight.
EXPLICIT_TAG, INFERRED_TAG, IN_TITLE, IN_SUMMARY, IN_TEXT, TEXT_CAP = 2.0, 0.25, 1.5, 1.0, 0.5, 1.5
CAPABILITY = 2.0
MAX_WEIGHT = 4.0


def listing_key(pk: int) -> str:
    return f"listing:{pk}"


def company_key(pk: int) -> str:
    return f"company:{pk}"


def split_key(key: str) -> tuple[str, int]:
    kind, _, pk = key.partition(":")
    return kind, int(pk)


def concept_weights(parts, tags=(), capabilities=(), language=None, vocab=None) -> dict[str, float]:
    """{concept: weight} from (text, per-mention weight, cap) parts plus explicit tags/capabilities."""
    m = matcher(vocab)
    weights: dict[str, float] = defaultdict(float)
    for text, each, cap in parts:
        if not text:
            continue
        counts = Counter(term for term, _s, _e in m.find(text, language))
        for term, n in counts.items():
            weights[term] += min(each * n, cap)
    for term, inferred in tags:
        weights[term] += INFERRED_TAG if inferred else EXPLICIT_TAG
    for term in capabilities:
        weights[term] += CAPABILITY
    return {t: round(min(w, MAX_WEIGHT), 2) for t, w in weights.items()}


def repeat_by_weight(weights: dict[str, float], general=()) -> str:
    """The concepts field: each concept id repeated by its weight, then the general words once each.

    General words (taxonomy "words": leather, hides ...) are in the field for search to reach across
    languages only; they are not in concept_weights, so matching, tags and reasons never see them.
    """
    concepts = " ".join(" ".join([t] * max(1, round(w))) for t, w in sorted(weights.items()))
    return " ".join([concepts, *sorted(general)]).strip()


def general_words(parts, language=None, vocab=None) -> list[str]:
    """The general trade words the texts name, read like concepts (scripts, transliteration, typos)."""
    vocab = vocab if vocab is not None else current_vocabulary()
    if not (vocab.words and vocab.words.terms):
        return []
    m = matcher(vocab.words)
    return sorted({term for text in parts if text for term, _s, _e in m.find(text, language)})


def stamp(doc: dict) -> str:
    """A fingerprint of everything the document holds (`search check` compares them)."""
    stored = repr(sorted((k, v) for k, v in doc["stored"].items() if k != "stamp"))
    parts = [
        stored,
        doc["id"],
        doc["facet"],
        doc["concepts"],
        str(doc["published"]),
        str(doc["deadline"]),
        doc["title"],
        doc["summary"],
        doc["company"],
        doc["text"],
    ]
    return hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()[:16]


def as_datetime(value) -> datetime:
    if value is None:
        return FAR_FUTURE
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time.max.replace(microsecond=0))
    return FAR_FUTURE


def company_extras(conn, company_ids) -> tuple[dict, dict]:
    caps, certs = defaultdict(list), defaultdict(list)
    if not company_ids:
        return caps, certs
    ids = list(company_ids)
    for cid, term in conn.execute(
        sa.select(CompanyCapability.company_id, CompanyCapability.term_id)
        .where(CompanyCapability.company_id.in_(ids))
        .order_by(CompanyCapability.term_id)
    ):
        caps[cid].append(term)
    today = date.today()
    for cid, term, expires in conn.execute(
        sa.select(Certification.company_id, Certification.term_id, Certification.expires_on)
        .where(Certification.company_id.in_(ids))
        .order_by(Certification.term_id)
    ):
        if (expires is None or expires >= today) and term not in certs[cid]:
            certs[cid].append(term)
    return caps, certs


LISTING_COLUMNS = (
    Listing.id,
    Listing.ref,
    Listing.company_id,
    Listing.direction,
    Listing.type,
    Listing.title,
    Listing.summary,
    Listing.description,
    Listing.language,
    Listing.interest_deadline,
    Listing.published_at,
    Listing.expires_at,
    Listing.anonymous,
    Company.name.label("company_name"),
    Company.country,
    Company.city,
    Company.status.label("company_status"),
    Company.capacity_amount,
    Association.code.label("association"),
)


def listing_documents(conn, ids=None, vocab=None, batch: int = BATCH, part: tuple[int, int] | None = None):
    """Yield (key, document) for live listings, by id batches; `ids` limits the set (None: all),
    `part` = (i, n) takes the listings whose id is i modulo n (parallel rebuilds)."""
    vocab = vocab or load_vocabulary(conn)
    base = (
        sa.select(*LISTING_COLUMNS)
        .join(Company, Company.id == Listing.company_id)
        .join(Association, Association.id == Company.association_id)
        .where(Listing.live_clause())
        .order_by(Listing.id)
    )
    if part is not None:
        base = base.where(Listing.id % part[1] == part[0])
    for rows in _batches(conn, base, Listing.id, ids, batch):
        listing_ids = [r.id for r in rows]
        tags = defaultdict(list)
        for lid, term, inferred in conn.execute(
            sa.select(ListingTag.listing_id, ListingTag.term_id, ListingTag.inferred)
            .where(ListingTag.listing_id.in_(listing_ids))
            .order_by(ListingTag.term_id)
        ):
            tags[lid].append((term, bool(inferred)))
        headings = listing_headings(conn, listing_ids)
        caps, certs = company_extras(conn, {r.company_id for r in rows})
        for r in rows:
            yield (
                listing_key(r.id),
                listing_document(r, tags[r.id], caps[r.company_id], certs[r.company_id], vocab, headings[r.id]),
            )


def listing_headings(conn, listing_ids) -> dict:
    """listing id -> its HS headings, sorted (chosen or inferred alike: both describe the listing)."""
    found = defaultdict(list)
    for lid, heading in conn.execute(
        sa.select(ListingHsHeading.listing_id, ListingHsHeading.heading)
        .where(ListingHsHeading.listing_id.in_(list(listing_ids)))
        .order_by(ListingHsHeading.heading)
    ):
        found[lid].append(heading)
    return found


def facet_terms(**values) -> str:
    """ "name:value" terms for the `facet` field; list values give one term each, empty ones none."""
    out = []
    for name, value in values.items():
        for v in value if isinstance(value, list | tuple) else [value]:
            if v not in (None, "", False):
                out.append(f"{name}:{v}")
    return " ".join(out)


def finish(doc: dict) -> dict:
    doc["stored"]["stamp"] = stamp(doc)
    return doc


def listing_document(r, tags, capabilities, certifications, vocab=None, hs_headings=()) -> dict:
    text = r.description or ""
    language = r.language or detect_language(f"{r.title} {r.summary} {text}")
    # An anonymous listing must not be findable by its company's name, nor placed by its city, nor
    # told apart by its company's profile: matching and facets see its own words and tags only.
    if r.anonymous:
        company_name, city, company_id, has_capacity = "", "", None, False
        capabilities, certifications = [], []
    else:
        company_name, city, company_id = r.company_name or "", r.city or "", r.company_id
        has_capacity = bool(r.capacity_amount)
    weights = concept_weights(
        [(r.title, IN_TITLE, IN_TITLE), (r.summary, IN_SUMMARY, IN_SUMMARY), (text, IN_TEXT, TEXT_CAP)],
        tags=tags,
        language=language,
        vocab=vocab,
    )
    verified = r.company_status is VerificationStatus.verified
    expires = as_datetime(r.expires_at)
    return finish(
        {
            "id": listing_key(r.id),
            "facet": facet_terms(
                kind="listing",
                type=r.type.value,
                direction=r.direction.value,
                country=r.country,
                association=r.association,
                verified=int(verified),
                company=r.company_id,
                certification=certifications,
                hs=list(hs_headings),
                expiry=expires.strftime("%Y%m%d"),
                published=(r.published_at or datetime(2000, 1, 1)).strftime("%Y%m%d"),
                deadline=r.interest_deadline.strftime("%Y%m%d") if r.interest_deadline else None,
            ),
            "concepts": repeat_by_weight(weights, general_words((r.title, r.summary, text), language, vocab)),
            "body": Body((r.title or "", r.summary or "", company_name, text)),
            "title": r.title or "",
            "summary": r.summary or "",
            "company": company_name,
            "text": text,
            "published": sort_number(r.published_at or datetime(2000, 1, 1)),
            "deadline": sort_number(as_datetime(r.interest_deadline)),
            "stored": {
                "kind": "listing",
                "pk": r.id,
                "ref": r.ref or "",
                "company_id": company_id,
                "type": r.type.value,
                "direction": r.direction.value,
                "country": r.country,
                "city": city,
                "language": language,
                "concept_weights": weights,
                "capabilities": list(capabilities),
                "certifications": list(certifications),
                "verified": verified,
                "has_capacity": has_capacity,
                "expires": expires,
                # Only when there are any: a listing without headings keeps the fingerprint it had
                # before headings existed, so an older index still passes `search check`.
                **({"hs_headings": list(hs_headings)} if hs_headings else {}),
            },
        }
    )


COMPANY_COLUMNS = (
    Company.id,
    Company.ref,
    Company.name,
    Company.country,
    Company.city,
    Company.description,
    Company.capacity_amount,
    Company.verified_at,
    Company.created_at,
    Company.languages,
    Association.code.label("association"),
)


def company_documents(conn, ids=None, vocab=None, batch: int = BATCH):
    """Yield (key, document) for verified companies."""
    vocab = vocab or load_vocabulary(conn)
    base = (
        sa.select(*COMPANY_COLUMNS)
        .join(Association, Association.id == Company.association_id)
        .where(Company.status == VerificationStatus.verified)
        .order_by(Company.id)
    )
    for rows in _batches(conn, base, Company.id, ids, batch):
        caps, certs = company_extras(conn, {r.id for r in rows})
        for r in rows:
            yield company_key(r.id), company_document(r, caps[r.id], certs[r.id], vocab)


def company_document(r, capabilities, certifications, vocab=None) -> dict:
    text = r.description or ""
    weights = concept_weights([(text, IN_TEXT, TEXT_CAP)], capabilities=capabilities, vocab=vocab)
    return finish(
        {
            "id": company_key(r.id),
            "facet": facet_terms(
                kind="company",
                country=r.country,
                association=r.association,
                verified=1,
                company=r.id,
                certification=certifications,
                published=(r.verified_at or r.created_at or datetime(2000, 1, 1)).strftime("%Y%m%d"),
            ),
            "concepts": repeat_by_weight(weights, general_words((text,), None, vocab)),
            "body": Body((r.name, r.city or "", "", text)),
            "title": r.name,
            "summary": r.city or "",
            "company": "",
            "text": text,
            "published": sort_number(r.verified_at or r.created_at or datetime(2000, 1, 1)),
            "deadline": sort_number(FAR_FUTURE),
            "stored": {
                "kind": "company",
                "pk": r.id,
                "ref": r.ref or "",
                "company_id": r.id,
                "type": "",
                "direction": "",
                "country": r.country,
                "city": r.city or "",
                "language": detect_language(text),
                "concept_weights": weights,
                "capabilities": list(capabilities),
                "certifications": list(certifications),
                "verified": True,
                "has_capacity": bool(r.capacity_amount),
                "expires": FAR_FUTURE,
            },
        }
    )


def _batches(conn, base, id_column, ids, batch):
    """Keyset pagination over the whole table, or chunks of the given ids."""
    if ids is not None:
        ids = sorted(set(ids))
        for i in range(0, len(ids), batch):
            rows = conn.execute(base.where(id_column.in_(ids[i : i + batch]))).all()
            if rows:
                yield rows
        return
    last = 0
    while True:
        rows = conn.execute(base.where(id_column > last).limit(batch)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def expected_documents(conn, listing_ids=None, company_ids=None):
    """(key, document) of every listing, then every company, that should be in the index (or of these ids)."""
    yield from listing_documents(conn, listing_ids)
    yield from company_documents(conn, company_ids)


def count_indexable(conn) -> int:
    live = conn.execute(sa.select(sa.func.count()).select_from(Listing).where(Listing.live_clause())).scalar()
    companies = conn.execute(
        sa.select(sa.func.count()).select_from(Company).where(Company.status == VerificationStatus.verified)
    ).scalar()
    return live + companies


def now() -> datetime:
    return utcnow()
