"""Demo data: both associations, their staff, an admin, a dozen realistic member companies, their listings
and (`demo_history`) a short partnership history between them."""

import functools
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from .auth.services import accept_terms, create_user, hash_password, normalize_email
from .demo_history import seed_history
from .extensions import db
from .main.pages import current_terms_version
from .models import AlertFrequency, Association, Certification, Company, Role, SavedSearch, User
from .models.base import utcnow
from .models.company import VerificationStatus

DEMO_LISTINGS = Path(__file__).with_name("demo_listings.jsonl")
DEMO_PASSWORD = "leather-demo-2026"  # noqa: S105 - published demo logins

ASSOCIATIONS = [
    ("PTA", "Pakistan Tanners Association", "PK", "https://pakistantanners.example"),
    ("KLA", "Kazakhstan Leather Association", "KZ", "https://kazleather.example"),
]

STAFF = [
    ("staff@pta.example", "Ayesha Siddiqui (PTA)", "PTA"),
    ("staff@kla.example", "Dana Seitkali (KLA)", "KLA"),
]
ADMIN = ("admin@leather-bridge.example", "Portal Admin")
# A saved search kept before the demo listings arrive, so the worker's first pass mails its alert.
DEMO_ALERT = (
    "owner@shymkent-shoes.example",
    "Finished cattle leather offers",
    "direction=offer&capability=stage_finished",
)


@dataclass
class SeedReport:
    """What seed-demo made this time (a second run makes nothing) and the logins to print."""

    logins: list[tuple[str, str]] = field(default_factory=list)
    # "accounts", "companies", "listings", "saved search(es)", "partnership stories"
    created: Counter = field(default_factory=Counter)


# (slug, name, country, city, association, membership no, employees, capacity, unit, capabilities, certs, description)
COMPANIES = [
    (
        "korangi-tanners",
        "Korangi Tanners (Pvt) Ltd",
        "PK",
        "Karachi (Korangi)",
        "PTA",
        "PTA-1187",
        "250-999",
        450000,
        "sqft_month",
        [
            "hide_cattle",
            "hide_buffalo",
            "stage_wetblue",
            "stage_crust",
            "stage_finished",
            "tan_chrome",
            "seg_footwear",
            "seg_upholstery",
            "svc_effluent",
            "svc_training",
        ],
        [("cert_lwg", "gold", date(2027, 9, 30)), ("cert_iso14001", None, date(2028, 3, 31))],
        "Cow and buffalo leather from wet-blue to finished for footwear and upholstery, with our own effluent treatment plant in the Korangi Industrial Area.",
    ),
    (
        "sialkot-saddlery",
        "Sialkot Saddlery Works",
        "PK",
        "Sialkot",
        "PTA",
        "PTA-2034",
        "50-249",
        3000,
        "pieces_month",
        ["hide_cattle", "stage_finished", "tan_vegetable", "seg_saddlery", "seg_sports", "svc_design"],
        [("cert_iso9001", None, date(2027, 12, 31))],
        "Vegetable-tanned saddles, bridles and horse tack, plus leather for sports balls, exported to Europe for thirty years.",
    ),
    (
        "kasur-tannery",
        "Kasur Leather Industries",
        "PK",
        "Kasur",
        "PTA",
        "PTA-0871",
        "50-249",
        120000,
        "sqft_month",
        ["hide_cattle", "hide_goat", "stage_raw", "stage_wetblue", "tan_chrome", "svc_effluent", "svc_techtransfer"],
        [("cert_lwg", "audited", date(2027, 5, 31))],
        "Wet-blue processing of cow and goat hides in the Kasur tannery cluster; we share our chrome recovery know-how.",
    ),
    (
        "lahore-garments",
        "Lahore Leather Garments",
        "PK",
        "Lahore",
        "PTA",
        "PTA-1502",
        "250-999",
        8000,
        "pieces_month",
        ["hide_sheep", "hide_goat", "stage_finished", "seg_garment", "seg_bags", "svc_design", "svc_training"],
        [("cert_lwg", "silver", date(2027, 11, 30))],
        "Sheep and goat nappa garments and small leather goods; design studio and cutting-room training for partners.",
    ),
    (
        "multan-khussa",
        "Multan Leather Works",
        "PK",
        "Multan",
        "PTA",
        "PTA-2290",
        "10-49",
        600,
        "pairs_month",
        ["hide_goat", "stage_finished", "tan_vegetable", "seg_footwear", "svc_training"],
        [],
        "Goat leather and handmade khussa footwear; we train artisans in finishing and hand stitching.",
    ),
    (
        "karachi-gloves",
        "Indus Gloves & Chemicals",
        "PK",
        "Karachi",
        "PTA",
        "PTA-0655",
        "50-249",
        40000,
        "pieces_month",
        ["hide_goat", "hide_sheep", "seg_gloves", "svc_chemicals", "svc_lab", "tan_chromefree"],
        [("cert_iso9001", None, date(2028, 1, 31)), ("cert_other", None, None)],
        "Work and fashion gloves from goat and sheep skins; in-house lab for chrome VI and azo testing; chrome-free tanning agents.",
    ),
    (
        "sialkot-machinery",
        "Sialkot Tannery Machines",
        "PK",
        "Sialkot",
        "PTA",
        "PTA-3110",
        "10-49",
        None,
        None,
        ["svc_machinery", "svc_techtransfer", "svc_training"],
        [],
        "Drums, fleshing and splitting machines, installation and operator training for new tanneries.",
    ),
    (
        "shymkent-hides",
        "ТОО «Шымкент Былғары»",
        "KZ",
        "Shymkent",
        "KLA",
        "KLA-0114",
        "50-249",
        6000,
        "hides_month",
        ["hide_cattle", "hide_sheep", "stage_raw", "stage_wetblue", "tan_chrome"],
        [],
        "Сбор и консервирование шкур КРС и овчины в Туркестанской области; запускаем линию вет-блю и ищем технологического партнера.",
    ),
    (
        "almaty-leather",
        "Almaty Leather Company",
        "KZ",
        "Almaty",
        "KLA",
        "KLA-0042",
        "250-999",
        90000,
        "sqft_month",
        ["hide_cattle", "stage_wetblue", "stage_crust", "stage_finished", "seg_footwear", "seg_bags", "svc_lab"],
        [("cert_iso9001", None, date(2027, 6, 30))],
        "Finished cattle leather for footwear and bags; looking for partners in finishing technology and LWG certification.",
    ),
    (
        "kostanay-kozha",
        "ТОО «Костанай Кожа»",
        "KZ",
        "Kostanay",
        "KLA",
        "KLA-0207",
        "50-249",
        8000,
        "hides_month",
        ["hide_cattle", "hide_horse", "stage_raw", "stage_wetblue", "svc_effluent"],
        [],
        "Мокросоленые шкуры КРС и конские шкуры из северного Казахстана; нужна модернизация очистных сооружений.",
    ),
    (
        "pavlodar-ton",
        "«Ертіс Тон» ЖШС",
        "KZ",
        "Pavlodar",
        "KLA",
        "KLA-0233",
        "10-49",
        9000,
        "skins_month",
        ["hide_sheep", "stage_raw", "stage_finished", "seg_garment"],
        [],
        "Павлодар облысындағы қой терісін илеу және тон тігу; хроммен илеу технологиясын үйренгіміз келеді.",
    ),
    (
        "almaty-saddles",
        "Alatau Horse Tack",
        "KZ",
        "Almaty",
        "KLA",
        "KLA-0301",
        "10-49",
        400,
        "pieces_month",
        ["hide_horse", "hide_cattle", "seg_saddlery", "tan_vegetable"],
        [],
        "Traditional Kazakh saddles and horse tack; we want vegetable-tanned leather and design partners.",
    ),
    (
        "shymkent-shoes",
        "Shymkent Shoe Factory",
        "KZ",
        "Shymkent",
        "KLA",
        "KLA-0150",
        "250-999",
        30000,
        "pairs_month",
        ["hide_cattle", "stage_finished", "seg_footwear"],
        [],
        "Work and school footwear; we buy finished cattle leather and want to train our cutting room.",
    ),
    (
        "kazchem",
        "KazLeather Chemicals",
        "KZ",
        "Pavlodar",
        "KLA",
        "KLA-0310",
        "10-49",
        None,
        None,
        ["svc_chemicals", "svc_lab", "svc_effluent"],
        [],
        "Tanning chemicals distribution and wastewater analysis for tanneries across northern Kazakhstan.",
    ),
]


@functools.cache
def _demo_password_hash(method: str) -> str:
    """The demo password's hash with the app's hash method (the cache key: the tests' apps use a fast one)."""
    return hash_password(DEMO_PASSWORD)


def get_or_create_user(email, name, role=Role.member, association=None) -> tuple[User, bool]:
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user:
        return user, False
    # Every demo account has the published password: its hash is made once, not once per account (a strong
    # hash takes ~0.6 s: 17 accounts made `make run` and every browser test's server wait 10 s).
    password_hash = _demo_password_hash(current_app.config["PASSWORD_HASH_METHOD"])
    association_id = association.id if association else None
    user = create_user(email, name, role=role, association_id=association_id, password_hash=password_hash)
    user.email_confirmed_at = utcnow()
    # Demo people are fictitious (.example addresses) and seeded as if they had registered and confirmed,
    # so they also accepted the Terms in force when seeded: a demo starts at the dashboard, not the Terms
    # gate. Accounts that exist already are left as they are, so after a TERMS_VERSION change they are
    # asked again like everyone else. Real accounts (create-admin, admin-made staff) record nothing: only
    # the person can accept.
    accept_terms(user, current_terms_version())
    return user, True


def ensure_associations() -> dict[str, Association]:
    """The PTA and the KLA exist from the start (also created by the first migration's data step)."""
    found = {a.code: a for a in db.session.scalars(sa.select(Association))}
    for code, name, country, website in ASSOCIATIONS:
        if code not in found:
            found[code] = Association(code=code, name=name, country=country, website=website)
            db.session.add(found[code])
    db.session.flush()
    return found


def seed_demo() -> SeedReport:
    """Create whatever of the demo is missing; running it again changes nothing.

    The companies are made here and only the listings go through the importer, so the importer's own
    summary says "companies: 0 created"; the report counts what this whole run made."""
    associations = ensure_associations()
    report = SeedReport()
    logins, created = report.logins, report.created
    admin, new = get_or_create_user(*ADMIN, role=Role.admin)
    created["accounts"] += new
    logins.append((admin.email, "admin"))
    for email, name, code in STAFF:
        user, new = get_or_create_user(email, name, role=Role.staff, association=associations[code])
        created["accounts"] += new
        logins.append((user.email, f"staff {code}"))
    for index, (
        slug,
        name,
        country,
        city,
        assoc,
        number,
        employees,
        capacity,
        unit,
        caps,
        certs,
        description,
    ) in enumerate(COMPANIES):
        ref = f"demo-{slug}"
        company = db.session.scalar(sa.select(Company).where(Company.ref == ref))
        owner, new = get_or_create_user(f"owner@{slug}.example", f"Owner of {name}")
        created["accounts"] += new
        if company is None:
            created["companies"] += 1
            company = Company(
                ref=ref,
                name=name,
                country=country,
                city=city,
                association_id=associations[assoc].id,
                membership_no=number,
                description=description,
                website=f"https://{slug}.example",
                phone="+92 21 0000 0000" if country == "PK" else "+7 727 000 0000",
                year_founded=1975 + 3 * index,
                employees_range=employees,
                languages=["en", "ur"] if country == "PK" else ["ru", "kk", "en"],
                capacity_amount=capacity,
                capacity_unit=unit,
                hs_codes=["41", "42"] if "seg_bags" in caps else ["41"],
                # the last company of each country waits in its association's verification queue
                status=VerificationStatus.unverified
                if slug in ("sialkot-machinery", "kazchem")
                else VerificationStatus.verified,
            )
            if company.status is VerificationStatus.verified:
                # Members for some months, so the partnership history (demo_history) comes after they joined;
                # the two waiting for verification registered just now.
                company.created_at = utcnow() - timedelta(days=180 - 5 * index)
                company.verified_at = company.created_at + timedelta(days=2)
            company.set_capabilities(caps)
            company.certifications = [Certification(term_id=t, level=lvl, expires_on=exp) for t, lvl, exp in certs]
            db.session.add(company)
            db.session.flush()
        if owner.company_id is None:
            owner.company_id = company.id
            company.owner_id = owner.id
        logins.append((owner.email, name))
    created["saved search(es)"] += ensure_demo_alert()
    db.session.commit()
    created["listings"] += import_demo_listings()
    created["partnership stories"] += seed_history()
    return report


def ensure_demo_alert() -> int:
    """One member's saved search, made before the listings so they count as new for it; 1 if created."""
    from .alerts.services import save_search

    email, name, query_string = DEMO_ALERT
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    exists = db.session.scalar(
        sa.select(SavedSearch.id).where(SavedSearch.user_id == user.id, SavedSearch.name == name)
    )
    if exists is not None:
        return 0
    save_search(user, name, query_string, AlertFrequency.daily.value)
    return 1


def import_demo_listings() -> int:
    """The demo's offers and requests, through the real importer (upserted by ref, so idempotent).

    Returns how many listings it created."""
    from .listings.importer import import_jsonl

    report = import_jsonl(DEMO_LISTINGS)
    if report.errors:
        raise RuntimeError("demo listings do not import: " + "; ".join(map(str, report.errors)))
    return report.counts["listing"]["created"]
