"""Factory functions for test data: each builds, adds and commits one thing, with overridable fields."""

import itertools

import sqlalchemy as sa

from portal.auth.services import accept_terms, create_user
from portal.demo import ensure_associations  # noqa: F401 - re-exported for conftest
from portal.extensions import db
from portal.main import pages
from portal.models import Association, Company, Role
from portal.models.base import utcnow
from portal.models.company import VerificationStatus

PASSWORD = "correct-horse-battery-9"
_seq = itertools.count(1)


def association(code: str) -> Association:
    return db.session.scalar(sa.select(Association).where(Association.code == code))


def make_user(
    email=None,
    name="Test User",
    role="member",
    association=None,
    company=None,
    owner=False,
    confirmed=True,
    password=PASSWORD,
    terms="current",
    **over,
):
    """A user, by default a confirmed one who accepted the Terms now in force (so the Terms gate lets it by).

    terms: "current" (pages.TERMS_VERSION when called, so a monkeypatched version counts), None for an
    account that never accepted any (made before the box existed, or by an admin or `flask create-admin`),
    or a version string for one that accepted that older text."""
    n = next(_seq)
    user = create_user(
        email or f"user{n}@example.org",
        name,
        password,
        role=Role(role),
        association_id=association_obj_id(association),
    )
    if confirmed:
        user.email_confirmed_at = utcnow()
    if terms is not None:
        accept_terms(user, pages.TERMS_VERSION if terms == "current" else terms)
    if company is not None:
        user.company_id = company.id
        if owner:
            company.owner_id = user.id
    for key, value in over.items():
        setattr(user, key, value)
    db.session.commit()
    return user


def association_obj_id(code):
    return association(code).id if code else None


def make_company(name=None, country="PK", association="PTA", verified=False, capabilities=(), **over):
    n = next(_seq)
    company = Company(
        name=name or f"Test Tannery {n}",
        country=country,
        city="Sialkot" if country == "PK" else "Shymkent",
        association_id=association_obj_id(association),
        membership_no=f"{association}-{n:04d}",
        description="We tan cattle hides.",
        status=VerificationStatus.verified if verified else VerificationStatus.unverified,
        **over,
    )
    company.set_capabilities(capabilities)
    db.session.add(company)
    db.session.commit()
    return company


def make_live_listing(
    company,
    title="Wet blue cattle hides for sale",
    description="",
    direction="offer",
    type="trade",
    language=None,
    tags=(),
    **over,
):
    """A published listing (search and matching tests); commits, so it reaches the index."""
    from datetime import timedelta

    from portal.language import detect_language
    from portal.models import Direction, Listing, ListingStatus, ListingType

    now = utcnow()
    listing = Listing(
        company_id=company.id,
        direction=Direction(direction),
        type=ListingType(type),
        title=title,
        summary=over.pop("summary", ""),
        description=description,
        language=language or detect_language(f"{title} {description}"),
        status=over.pop("status", ListingStatus.published),
        published_at=now,
        expires_at=over.pop("expires_at", now + timedelta(days=90)),
        **over,
    )
    listing.set_tags(tags)
    db.session.add(listing)
    db.session.commit()
    return listing


def make_interest(
    listing, company, sender=None, status="open", message="We would like to work with you on this.", **over
):
    """An expression of interest from `company` on `listing`; with status="accepted" also its conversation."""
    from portal.models import Conversation, Interest, InterestStatus

    interest = Interest(
        listing_id=listing.id,
        from_company_id=company.id,
        sender_id=sender.id if sender else None,
        message=message,
        what_we_bring=over.pop("what_we_bring", ""),
        status=InterestStatus(status),
        **over,
    )
    db.session.add(interest)
    if interest.status is InterestStatus.accepted:
        db.session.add(
            Conversation(
                interest=interest,
                listing_id=listing.id,
                owner_company_id=listing.company_id,
                partner_company_id=company.id,
            )
        )
    db.session.commit()
    return interest


def make_saved_search(user, name="Wet blue", query="wet blue", filters=None, frequency="instant", **over):
    from portal.models import AlertFrequency, SavedSearch

    saved = SavedSearch(
        user_id=user.id, name=name, query=query, filters=filters or {}, frequency=AlertFrequency(frequency), **over
    )
    db.session.add(saved)
    db.session.commit()
    return saved


def make_listing(
    company,
    status="draft",
    title="Chrome tanning know-how for a new wet-blue line",
    direction="offer",
    type="technology_transfer",
    description="We share our **chrome recovery** process.",
    tags=(),
    **over,
):
    """A listing in any lifecycle status, with the timestamps that status implies (listings tests)."""
    from datetime import timedelta

    from portal.models import Direction, Listing, ListingStatus, ListingType

    now = utcnow()
    status = ListingStatus(status)
    listing = Listing(
        company_id=company.id,
        direction=Direction(direction),
        type=ListingType(type),
        title=title,
        description=description,
        language=over.pop("language", "en"),
        status=status,
        details=over.pop("details", {"form": "consulting"} if type == "technology_transfer" else {}),
        target_countries=over.pop("target_countries", []),
        submitted_at=over.pop("submitted_at", now if status is not ListingStatus.draft else None),
        published_at=over.pop("published_at", now if status is ListingStatus.published else None),
        expires_at=over.pop("expires_at", now + timedelta(days=365) if status is ListingStatus.published else None),
        **over,
    )
    listing.set_tags(tags)
    db.session.add(listing)
    db.session.commit()
    return listing


def make_api_token(user, scope="read", name="Test script"):
    """A personal access token for the JSON API, made by the same service as Settings; returns its secret."""
    from portal.api.tokens import create_token

    _token, secret = create_token(user, name, scope)
    db.session.commit()
    return secret
