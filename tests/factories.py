"""Factory functions for test data: each builds, adds and commits one thing, with overridable fields."""

import itertools

import sqlalchemy as sa

from portal.auth.services import create_user
from portal.demo import ensure_associations  # noqa: F401 - re-exported for conftest
from portal.extensions import db
from portal.models import Association, Company, Role
from portal.models.base import utcnow
from portal.models.company import VerificationStatus

PASSWORD = "correct-horse-battery-9"
_seq = itertools.count(1)


def association(code: str) -> Association:
    return db.session.scalar(sa.select(Association).where(Association.code == code))


def make_user(email=None, name="Test User", role="member", association=None, company=None, owner=False,
              confirmed=True, password=PASSWORD, **over):
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
