"""Bulk import of companies and listings (JSON Lines) and of member rosters (CSV); see docs/import-format.md.

The whole file is read (`import_read`) and validated (`import_check`) before anything is written; one
invalid record refuses the whole file and every problem is reported as ``line N: field: problem``.
`max_errors` keeps only the first problems (by line) while counting them all. Records are upserted by
``ref`` in one transaction, with existing rows preloaded in a few queries (no query per record), so importing the
same file twice changes nothing and 10,000 listings take seconds.
"""

import logging
import time
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from .. import audit, search
from ..extensions import db
from ..language import detect_language
from ..models import Association, Company, Listing, ListingStatus, Role, base
from ..models.company import VerificationStatus
from ..models.listing import Direction, ListingType
from . import hs
from .import_check import IMPORT_STATUSES, chunks, validate_records
from .import_read import merge_problems, parse_csv, parse_jsonl
from .lifecycle import transition

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)  # the first max_errors problems, by line
    error_count: int = 0  # all of them
    counts: dict = field(default_factory=lambda: {"company": Counter(), "listing": Counter()})
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, record: str, outcome: str) -> None:
        self.counts[record][outcome] += 1
        setattr(self, outcome, getattr(self, outcome) + 1)

    def summary(self) -> str:
        parts = []
        for record, label in (("company", _("companies")), ("listing", _("listings"))):
            c = self.counts[record]
            parts.append(
                _(
                    "%(label)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged",
                    label=label,
                    created=c["created"],
                    updated=c["updated"],
                    unchanged=c["unchanged"],
                )
            )
        return "; ".join(parts)


# --- writing --------------------------------------------------------------------------------------


def _assign(obj, values: dict) -> bool:
    """Set only what differs, so an unchanged row is not written and keeps its updated_at."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def infer_tags(text: str, language: str) -> list[str]:
    """Taxonomy terms read from the text by the search package's concept extractor."""
    return search.extract_concepts(text, language)


def _write_company(rec, company, associations, now):
    values = {k: rec[k] for k in ("name", "country", "city", "membership_no", "description", "website")}
    values["association_id"] = associations[rec["association"]]
    if company is None:
        company = Company(ref=rec["ref"], **values)
        db.session.add(company)
        changed = True
    else:
        changed = _assign(company, values)
    if rec["verified"] and company.status is not VerificationStatus.verified:
        company.status, company.verified_at, company.status_reason = VerificationStatus.verified, now, None
        changed = True
    return company, changed


def _write_listing(rec, listing, company, actor):
    values = {
        k: rec[k]
        for k in (
            "direction",
            "type",
            "title",
            "summary",
            "description",
            "target_countries",
            "details",
            "anonymous",
            "interest_deadline",
        )
    }
    values["direction"], values["type"] = Direction(values["direction"]), ListingType(values["type"])
    values["language"] = rec["language"] or detect_language(f"{rec['title']}\n{rec['description']}")
    created = listing is None
    if created:
        listing = Listing(ref=rec["ref"], company=company, status=ListingStatus.draft, **values)
        db.session.add(listing)
        changed = True
    else:
        changed = _assign(listing, values)
    text_changed = changed
    status = ListingStatus(rec["status"])
    # The file sets the status of new listings and of those still before or at publication; a listing
    # that has moved on (withdrawn, expired, fulfilled, back with its owner) keeps its own status.
    if listing.status is not status and listing.status.value in IMPORT_STATUSES:
        transition(listing, f"import_{status.value}", actor)
        changed = True
    if rec["tags"] is not None:
        if sorted(listing.tag_ids) != rec["tags"] or any(t.inferred for t in listing.tags):
            listing.set_tags(rec["tags"])
            changed = True
    elif all(t.inferred for t in listing.tags) and (text_changed or not listing.tags):
        # No explicit tags: read them from the text, again only when the text changed (inference is the slow part).
        inferred = infer_tags(f"{listing.title}\n{listing.summary}\n{listing.description}", listing.language)
        if sorted(inferred) != sorted(listing.tag_ids):
            listing.set_tags(inferred, inferred=True)
            changed = True
    # A chosen heading replaces the inferred ones; without any, they are read from the tags just set.
    if hs.refresh(listing, rec["hs_headings"]):
        changed = True
    if hs.set_months(listing, rec["available_months"] or []):  # left out: none (like target_countries)
        changed = True
    return listing, changed, created


def import_records(records, actor=None, progress=None) -> ImportReport:
    """Upsert validated records; the caller commits (or rolls back) once."""
    report, now = ImportReport(), base.utcnow()
    associations = {a.code: a.id for a in db.session.scalars(sa.select(Association))}
    company_refs = {r["ref"] for r in records if r["record"] == "company"} | {
        r["company_ref"] for r in records if r["record"] == "listing"
    }
    companies = {}
    for chunk in chunks(company_refs):
        companies.update({c.ref: c for c in db.session.scalars(sa.select(Company).where(Company.ref.in_(chunk)))})
    listings = {}
    for chunk in chunks(r["ref"] for r in records if r["record"] == "listing"):
        rows = db.session.scalars(
            sa.select(Listing)
            .where(Listing.ref.in_(chunk))
            .options(selectinload(Listing.tags), selectinload(Listing.hs_headings), selectinload(Listing.months))
        )
        listings.update({x.ref: x for x in rows})
    with db.session.no_autoflush:  # one flush at the end instead of one per lookup
        for rec in records:
            if rec["record"] == "company":
                existed = rec["ref"] in companies
                companies[rec["ref"]], changed = _write_company(rec, companies.get(rec["ref"]), associations, now)
                report.count("company", "updated" if existed and changed else "created" if not existed else "unchanged")
            else:
                listing, changed, created = _write_listing(
                    rec, listings.get(rec["ref"]), companies[rec["company_ref"]], actor
                )
                listings[rec["ref"]] = listing
                report.count("listing", "created" if created else "updated" if changed else "unchanged")
            if progress:
                progress(1)
    if report.created or report.updated:
        own = actor.association_id if actor is not None and actor.role is Role.staff else None
        audit.record(
            actor, "import", "import", association_id=own, detail={k: dict(v) for k, v in report.counts.items()}
        )
    db.session.flush()
    return report


def _run(raw, parse_errors, actor, progress, commit, max_errors) -> ImportReport:
    started = time.perf_counter()
    records, errors = validate_records(raw, actor, max_errors)
    errors = merge_problems(max_errors, parse_errors, errors)
    if errors:
        return ImportReport(errors=list(errors), error_count=errors.total, seconds=time.perf_counter() - started)
    try:
        report = import_records(records, actor, progress)
        if commit:
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    report.seconds = time.perf_counter() - started
    log.info("import: %s in %.1f s", report.summary(), report.seconds)
    return report


def import_jsonl(path_or_lines, actor=None, progress=None, commit=True, max_errors=None) -> ImportReport:
    """Validate the whole JSON Lines file, then upsert it in one transaction; errors mean nothing written.

    With `max_errors`, the report keeps the first problems by line and `error_count` counts them all."""
    raw, errors = parse_jsonl(path_or_lines, max_errors)
    return _run(raw, errors, actor, progress, commit, max_errors)


def import_csv(
    path_or_lines, association=None, actor=None, progress=None, commit=True, max_errors=None
) -> ImportReport:
    """Import a member roster (companies) from CSV; `association` fills or checks the association column."""
    raw, errors = parse_csv(path_or_lines, association, max_errors)
    return _run(raw, errors, actor, progress, commit, max_errors)
