"""Generated rows for bench/insight_speed.py: 10,000 companies and 100,000 listings with their partnerships.

Believable proportions, spread over three years with more of them recent (the portal grows): companies of
both associations (status from the audit log's decisions; a tenth of the verified ones imported without
any), listings of every type, direction and status with their submit and decision audit rows, capability
tags, HS headings and supply months, a few open reports and pending edits, match notices, interests,
conversations, meetings and outcomes. Bulk-inserted with SQLAlchemy Core, in batches.
"""

import random
from datetime import timedelta

BATCH = 5000
YEARS = 3
CITIES = {
    "PK": (("Sialkot", 30), ("Lahore", 25), ("Karachi", 25), ("Kasur", 10), ("Multan", 5), ("Faisalabad", 5)),
    "KZ": (("Almaty", 30), ("Shymkent", 25), ("Astana", 20), ("Kostanay", 10), ("Semey", 10), ("Taraz", 5)),
}
COMPANY_STATUS = (("verified", 78), ("unverified", 12), ("rejected", 6), ("revoked", 4))
LISTING_TYPE = (("trade", 55), ("technology_transfer", 15), ("training", 15), ("joint_venture", 15))
LISTING_STATUS = (
    ("published", 55),
    ("expired", 12),
    ("fulfilled", 8),
    ("withdrawn", 5),
    ("draft", 8),
    ("submitted", 5),
)
LISTING_STATUS += (("changes_requested", 3), ("rejected", 4))
HEADINGS = ("4101", "4102", "4103", "4104", "4105", "4106", "4107", "4112", "4113", "4114", "4115")
OUTCOME_KIND = {"trade": "trade_contract", "technology_transfer": "technology_transfer_agreement"}
OUTCOME_KIND |= {"training": "training_delivered", "joint_venture": "joint_venture_formed"}


def pick(rnd, weighted):
    values, weights = zip(*weighted, strict=True)
    return rnd.choices(values, weights)[0]


def moment(rnd, now, days_back):
    """A time in the last `days_back` days, more of them recent (the portal grows)."""
    return now - timedelta(seconds=int(days_back * 86400 * rnd.random() ** 1.6))


def later(rnd, start, now, max_days):
    """A time after `start` within `max_days`, never after now (None when start is already now)."""
    end = min(now, start + timedelta(days=max_days))
    return None if end <= start else start + (end - start) * rnd.random()


class Rows:
    """Generated rows by table name, inserted in dependency order."""

    def __init__(self):
        self.tables: dict[str, list[dict]] = {}

    def add(self, table, **row):
        self.tables.setdefault(table, []).append(row)


def gen_companies(rows, rnd, n, now, assoc):
    """Companies with the audit rows that explain their status (imported ones have none)."""
    companies = []
    for i in range(1, n + 1):
        country = "PK" if rnd.random() < 0.55 else "KZ"
        code = "PTA" if country == "PK" else "KLA"
        created = moment(rnd, now, YEARS * 365)
        status = pick(rnd, COMPANY_STATUS)
        imported = status == "verified" and rnd.random() < 0.1
        decided = later(rnd, created, now, 14)
        if status != "unverified" and not imported and decided is None:
            status = "unverified"
        audit = dict(object_type="company", object_id=i, association_id=assoc[code], actor_id=None)
        if status in ("verified", "revoked") and not imported:
            rows.add("audit_log", action="company.verify", at=decided, **audit)
        if status == "rejected":
            rows.add("audit_log", action="company.reject", at=decided, **audit)
        if status == "revoked":
            revoked = later(rnd, decided, now, 300) or decided
            rows.add("audit_log", action="company.revoke", at=revoked, reason="Lapsed membership", **audit)
        stored = {"revoked": "rejected"}.get(status, status)
        rows.add(
            "company",
            id=i,
            name=f"Bench Tannery {i}",
            country=country,
            city=pick(rnd, CITIES[country]),
            association_id=assoc[code],
            membership_no=f"{code}-{i:05d}",
            description="",
            languages=[],
            hs_codes=[],
            status=stored,
            created_at=created,
            updated_at=created,
        )
        companies.append((i, code, stored, created))
    return companies


def gen_listings(rows, rnd, n, now, companies, terms, assoc):
    """Listings with their submit and decision audit rows, tags, HS headings and supply months."""
    listings = []
    for i in range(1, n + 1):
        company_id, code, company_status, company_created = companies[rnd.randrange(len(companies))]
        created = later(rnd, company_created, now, YEARS * 365) or now
        status = pick(rnd, LISTING_STATUS) if company_status == "verified" else rnd.choice(("draft", "submitted"))
        submitted = later(rnd, created, now, 2) if status != "draft" else None
        decided = later(rnd, submitted, now, 5) if submitted else None
        if submitted is None or (decided is None and status != "submitted"):
            status, submitted, decided = "draft", None, None
        published = decided if status in ("published", "expired", "fulfilled", "withdrawn") else None
        expires = published + timedelta(days=365) if published else None
        if status == "published" and expires <= now:
            status = "expired"
        kind, direction = pick(rnd, LISTING_TYPE), "offer" if rnd.random() < 0.6 else "request"
        audit = dict(object_type="listing", object_id=i, association_id=assoc[code], actor_id=None)
        if submitted:
            rows.add("audit_log", action="listing.submit", at=submitted, **audit)
        if decided:
            action = {"rejected": "listing.reject", "changes_requested": "listing.request_changes"}.get(status)
            rows.add("audit_log", action=action or "listing.approve", at=decided, **audit)
        rows.add(
            "listing",
            id=i,
            company_id=company_id,
            direction=direction,
            type=kind,
            title=f"Bench listing {i}",
            summary="",
            description="",
            language="en",
            target_countries=[],
            details={},
            anonymous=False,
            status=status,
            created_at=created,
            updated_at=created,
            submitted_at=submitted,
            published_at=published,
            expires_at=expires,
            version=1,
        )
        for term in rnd.sample(terms, rnd.randint(1, 4)):
            rows.add("listing_tag", listing_id=i, term_id=term, inferred=rnd.random() < 0.5)
        if kind == "trade":
            for heading in rnd.sample(HEADINGS, rnd.randint(1, 2)):
                rows.add("listing_hs_heading", listing_id=i, heading=heading, inferred=True)
            if direction == "offer" and rnd.random() < 0.4:
                for month in sorted(rnd.sample(range(1, 13), rnd.randint(2, 6))):
                    rows.add("listing_month", listing_id=i, month=month)
        listings.append((i, company_id, status, published or created, kind))
    return listings


def gen_moderation(rows, rnd, now, listings):
    """A few open reports and pending edits, so the moderation queue's figures have rows to read."""
    published = [row for row in listings if row[2] == "published"]
    for listing_id, _company, _status, since, _kind in rnd.sample(published, min(300, len(published))):
        at = later(rnd, since, now, 60) or now
        rows.add("listing_flag", listing_id=listing_id, reason="Looks like spam", created_at=at)
    for listing_id, _company, _status, since, _kind in rnd.sample(published, min(300, len(published))):
        at = later(rnd, since, now, 60) or now
        rows.add("listing_revision", listing_id=listing_id, data={}, status="submitted", created_at=at)


def gen_partnerships(rows, rnd, now, companies, listings, interests_per_listing):
    """Match notices, interests, conversations, meetings and outcomes on the listings that went live."""
    went_live = [row for row in listings if row[2] in ("published", "expired", "fulfilled", "withdrawn")]
    pairs, interest_pairs = set(), set()
    ids = {"interest": 0, "conversation": 0, "meeting": 0, "outcome": 0}
    for listing_id, owner, _status, since, kind in went_live:
        for _ in range(rnd.choice((0, 0, 1, 2, 3, 5))):
            match = went_live[rnd.randrange(len(went_live))][0]
            if match != listing_id and (listing_id, match) not in pairs:
                pairs.add((listing_id, match))
                at = later(rnd, since, now, 30) or now
                rows.add("match_notice", listing_id=listing_id, match_id=match, score=rnd.random(), created_at=at)
        for _ in range(int(interests_per_listing * 2 * rnd.random() + 0.5)):
            sender = companies[rnd.randrange(len(companies))][0]
            if sender == owner or (listing_id, sender) in interest_pairs:
                continue
            interest_pairs.add((listing_id, sender))
            created = later(rnd, since, now, 90) or now
            state = pick(rnd, (("open", 30), ("accepted", 40), ("declined", 20), ("withdrawn", 10)))
            responded = later(rnd, created, now, 10) if state in ("accepted", "declined") else None
            if state in ("accepted", "declined") and responded is None:
                state = "open"
            ids["interest"] += 1
            rows.add(
                "interest",
                id=ids["interest"],
                listing_id=listing_id,
                from_company_id=sender,
                message="We would like to work with you.",
                what_we_bring="",
                status=state,
                created_at=created,
                responded_at=responded,
            )
            if state == "accepted":
                gen_conversation(rows, rnd, now, ids, listing_id, owner, sender, responded, kind)


def gen_conversation(rows, rnd, now, ids, listing_id, owner, partner, opened, kind):
    ids["conversation"] += 1
    conversation = ids["conversation"]
    rows.add(
        "conversation",
        id=conversation,
        interest_id=ids["interest"],
        listing_id=listing_id,
        owner_company_id=owner,
        partner_company_id=partner,
        created_at=opened,
        last_message_at=opened,
    )
    for _ in range(rnd.choice((0, 1, 1, 2))):
        ids["meeting"] += 1
        starts = opened + timedelta(days=rnd.randint(1, 40), hours=rnd.randint(0, 23))
        state = pick(rnd, (("accepted", 60), ("proposed", 15), ("declined", 10), ("cancelled", 10), ("superseded", 5)))
        meeting = dict(id=ids["meeting"], conversation_id=conversation, proposer_company_id=partner)
        rows.add("meeting", **meeting, starts_at=starts, timezone="UTC", status=state, created_at=opened)
    if rnd.random() < 0.3:
        ids["outcome"] += 1
        recorded = later(rnd, opened, now, 120) or now
        state = pick(rnd, (("confirmed", 60), ("recorded", 30), ("disputed", 10)))
        decided = later(rnd, recorded, now, 14) if state != "recorded" else None
        rows.add(
            "outcome",
            id=ids["outcome"],
            conversation_id=conversation,
            kind=OUTCOME_KIND[kind],
            value_usd=rnd.choice((None, rnd.randrange(1_000, 500_000, 500))),
            status=state if decided or state == "recorded" else "recorded",
            recorded_by_company_id=owner,
            confirmed_by_company_id=partner if decided else None,
            recorder_agrees_to_be_named=rnd.random() < 0.5,
            confirmer_agrees_to_be_named=rnd.random() < 0.5,
            created_at=recorded,
            decided_at=decided,
        )


# The tables in the order their foreign keys need.
ORDER = """company listing listing_tag listing_hs_heading listing_month listing_flag listing_revision
match_notice interest conversation meeting outcome audit_log""".split()


def populate(n_companies, n_listings, interests_per_listing, seed) -> dict[str, int]:
    """Generate and bulk-insert every table; returns the row counts."""
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.models import Association
    from portal.models.base import utcnow
    from portal.taxonomy import builtin

    rnd, now, rows = random.Random(seed), utcnow(), Rows()
    assoc = {a.code: a.id for a in db.session.scalars(sa.select(Association))}
    terms = sorted(builtin().terms)
    companies = gen_companies(rows, rnd, n_companies, now, assoc)
    listings = gen_listings(rows, rnd, n_listings, now, companies, terms, assoc)
    gen_moderation(rows, rnd, now, listings)
    gen_partnerships(rows, rnd, now, companies, listings, interests_per_listing)
    rows.tables["audit_log"].sort(key=lambda r: r["at"])  # ids grow with time, as they do when written
    with db.engine.begin() as conn:
        for name in ORDER:
            table = db.metadata.tables[name]
            batch = rows.tables.get(name, [])
            for k in range(0, len(batch), BATCH):
                conn.execute(sa.insert(table), batch[k : k + BATCH])
        if conn.dialect.name == "postgresql":
            for name in ("company", "listing", "interest", "conversation", "meeting", "outcome"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
                )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("VACUUM ANALYZE")
        else:  # fold the write-ahead log into the file, as SQLite does by itself as it runs
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return {name: len(rows.tables.get(name, [])) for name in ORDER}
