"""Bulk import of companies and listings (JSON Lines) and of member rosters (CSV); see docs/import-format.md.

The whole file is validated before anything is written; one invalid record refuses the whole file and
every problem is reported as ``line N: field: problem`` -- also for what a hostile file throws at the
parsers (JSON nested thousands deep, numbers of 5,000 digits, CSV fields beyond the csv module's limit,
NUL bytes), which are per-line problems, never a crash. `max_errors` keeps only the first problems (by
line) while counting them all, so a file of a million bad lines costs neither memory nor a huge page. Records are upserted by ``ref`` in one
transaction, with existing rows preloaded in a few queries (no query per record), so importing the
same file twice changes nothing and 10,000 listings take seconds.
"""

import csv
import json
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..language import detect_language
from ..models import Association, AuditLog, Company, Listing, ListingStatus, Role, base
from ..models.company import COUNTRIES, VerificationStatus
from ..models.listing import LANGUAGES, Direction, ListingType
from ..taxonomy import vocabulary
from ..utils import has_unsafe_chars
from . import details as detail_spec
from .services import lifetime
from .text import _

log = logging.getLogger(__name__)

REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
IMPORT_STATUSES = ("draft", "submitted", "published")
CSV_COLUMNS = ("ref", "name", "country", "city", "association", "membership_no", "website", "description")
CHUNK = 500  # refs per IN (...) query, well under every database's parameter limit
MAX_DEPTH = 20  # nesting of lists and objects in one JSON line; the format needs three


class Problems(list):
    """Problem messages in line order: keeps the first `limit` (all when None) and counts every one."""

    def __init__(self, limit: int | None = None):
        super().__init__()
        self.limit, self.total = limit, 0

    def append(self, message) -> None:
        self.total += 1
        if self.limit is None or len(self) < self.limit:
            super().append(message)

    def add(self, message: str, **values) -> None:
        """Translate and keep the message only while there is room: a million bad lines must not cost a
        million gettext calls."""
        self.total += 1
        if self.limit is None or len(self) < self.limit:
            super().append(_(message, **values))


def N_(message: str) -> str:  # noqa: N802 - Babel's marker for a message translated later (Problems.add)
    return message

    def extend(self, messages) -> None:
        for message in messages:
            self.append(message)


def _merge(limit, *lists) -> Problems:
    """Problem lists, each in line order, as one in line order; the total counts what each one dropped."""
    merged = Problems(limit)
    merged.extend(sorted((m for problems in lists for m in problems), key=_line_of))
    merged.total = sum(getattr(problems, "total", len(problems)) for problems in lists)
    return merged


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


# --- reading --------------------------------------------------------------------------------------


def _lines(path_or_lines):
    """Numbered text lines from a path, an open file, or any iterable of str/bytes lines."""
    if isinstance(path_or_lines, str | Path):
        with open(path_or_lines, encoding="utf-8-sig") as fh:
            yield from enumerate(fh, start=1)
        return
    for n, line in enumerate(path_or_lines, start=1):
        yield n, line.decode("utf-8") if isinstance(line, bytes) else line


def parse_jsonl(path_or_lines, max_errors: int | None = None) -> tuple[list, list]:
    """(line, object) pairs and syntax errors; blank lines are skipped."""
    raw, errors = [], Problems(max_errors)
    try:
        for n, line in _lines(path_or_lines):
            line = line.lstrip("\ufeff").strip()
            if not line:
                continue
            if "\x00" in line:
                errors.add(N_("line %(n)s: file: contains a NUL byte"), n=n)
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.add(N_("line %(n)s: json: %(problem)s"), n=n, problem=f"{exc.msg} (column {exc.colno})")
                continue
            except RecursionError:
                errors.add(N_("line %(n)s: json: nested too deeply"), n=n)
                continue
            except ValueError:  # e.g. an integer of more than 4,300 digits
                errors.add(N_("line %(n)s: json: a number is too long"), n=n)
                continue
            if _depth(obj) > MAX_DEPTH:
                errors.add(N_("line %(n)s: json: nested more than %(max)s levels deep"), n=n, max=MAX_DEPTH)
                continue
            if not isinstance(obj, dict):
                errors.add(N_("line %(n)s: record: must be a JSON object"), n=n)
                continue
            raw.append((n, obj))
    except UnicodeDecodeError:
        errors.add(N_("line %(n)s: file: is not UTF-8 text"), n=1)
    return raw, errors


def _depth(value, level: int = 1) -> int:
    """How deep lists and objects nest (stops counting past MAX_DEPTH)."""
    if level > MAX_DEPTH or not isinstance(value, dict | list):
        return level - (not isinstance(value, dict | list))
    children = value.values() if isinstance(value, dict) else value
    return max((_depth(child, level + 1) for child in children), default=level)


def _csv_rows(reader, errors):
    """The reader's rows; a row the csv module refuses (a field over its 131,072-character limit)
    becomes a problem on its line and reading goes on."""
    while True:
        before = reader.line_num
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.add(N_("line %(n)s: csv: %(problem)s"), n=before + 1, problem=str(exc))
            if reader.line_num == before:
                return  # no progress: stop rather than loop


def parse_csv(path_or_lines, association: str | None = None, max_errors: int | None = None) -> tuple[list, list]:
    """Company records from a roster CSV; the header's line is line 1, as in a spreadsheet."""
    errors = Problems(max_errors)
    try:
        lines = []
        for n, line in _lines(path_or_lines):
            if "\x00" in line:
                errors.add(N_("line %(n)s: file: contains a NUL byte"), n=n)
                line = line.replace("\x00", "")  # still read the rest, to report its problems too
            lines.append(line)
    except UnicodeDecodeError:
        return [], [_("line %(n)s: file: is not UTF-8 text", n=1)]
    reader = csv.DictReader(lines)
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as exc:
        return [], [_("line %(n)s: csv: %(problem)s", n=1, problem=str(exc))]
    header = [h.strip().lower() for h in fieldnames]
    reader.fieldnames = header
    required = [c for c in ("ref", "name", "country", "association") if not (c == "association" and association)]
    missing = [c for c in required if c not in header]
    if missing:
        return [], [_("line %(n)s: header: missing column %(columns)s", n=1, columns=", ".join(missing))]
    raw = []
    for row in _csv_rows(reader, errors):
        # the row's first line, even when a quoted field spans several lines
        n = reader.line_num - sum(v.count("\n") for v in row.values() if isinstance(v, str))
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        record = {"record": "company"}
        for key in (*CSV_COLUMNS, "verified"):
            value = (row.get(key) or "").strip()
            if value:
                record[key] = value
        if association:
            if record.get("association", association).upper() != association.upper():
                errors.add(
                    N_("line %(n)s: association: %(code)s differs from the chosen association %(chosen)s"),
                    n=n,
                    code=record["association"],
                    chosen=association,
                )
                continue
            record["association"] = association
        if "verified" in record:
            flag = record["verified"].lower()
            record["verified"] = (
                True if flag in ("true", "yes", "1") else False if flag in ("false", "no", "0") else flag
            )
        raw.append((n, record))
    return raw, errors


# --- validating -----------------------------------------------------------------------------------


def _text(obj, key, problems, *, required=False, max_length=None, multiline=False):
    value = obj.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append((key, _("is required")))
        return None
    if not isinstance(value, str):
        problems.append((key, _("must be text")))
        return None
    value = value.strip()
    # One place for what the web forms refuse too: names go into email subjects and calendar lines.
    unsafe = has_unsafe_chars(value.replace("\r\n", "").replace("\n", "")) if multiline else has_unsafe_chars(value)
    if unsafe:
        problems.append((key, _("contains control characters") if multiline else _("must be one line of text")))
        return None
    if max_length and len(value) > max_length:
        problems.append((key, _("is %(n)s characters long; at most %(max)s are allowed", n=len(value), max=max_length)))
    return value


def _choice(obj, key, choices, problems, *, required=False, default=None):
    value = obj.get(key)
    value = default if value is None else value
    if value is None:
        if required:
            problems.append((key, _("is required")))
        return None
    if value not in choices:
        problems.append((key, _("must be one of %(choices)s", choices=", ".join(choices))))
        return None
    return value


def _bool(obj, key, problems):
    value = obj.get(key)
    if value is not None and not isinstance(value, bool):
        problems.append((key, _("must be true or false")))
        return None
    return value


def _ref(obj, key, problems):
    value = obj.get(key)
    if value is None or value == "":
        problems.append((key, _("is required")))
        return None
    if not isinstance(value, str) or not REF.match(value):
        problems.append((key, _("must be 1-64 letters, digits, '.', '_', ':' or '-'")))
        return None
    return value


def _company(obj, problems, associations) -> dict:
    rec = {
        "ref": _ref(obj, "ref", problems),
        "name": _text(obj, "name", problems, required=True, max_length=200),
        "country": _choice(obj, "country", COUNTRIES, problems, required=True),
        "city": _text(obj, "city", problems, max_length=120) or "",
        "association": _choice(obj, "association", sorted(associations), problems, required=True),
        "membership_no": _text(obj, "membership_no", problems, max_length=64) or "",
        "description": _text(obj, "description", problems, max_length=4000, multiline=True) or "",
        "website": _text(obj, "website", problems, max_length=300),
        "verified": _bool(obj, "verified", problems),
    }
    if rec["website"] and not re.match(r"^https?://[^\s/$.?#].\S*$", rec["website"], re.I):
        problems.append(("website", _("must be an http:// or https:// address")))
    return rec


def _listing(obj, problems) -> dict:
    rec = {
        "ref": _ref(obj, "ref", problems),
        "company_ref": _ref(obj, "company_ref", problems),
        "direction": _choice(obj, "direction", [d.value for d in Direction], problems, required=True),
        "type": _choice(obj, "type", [t.value for t in ListingType], problems, required=True),
        "title": _text(obj, "title", problems, required=True, max_length=150),
        "summary": _text(obj, "summary", problems, max_length=500, multiline=True) or "",
        "description": _text(obj, "description", problems, required=True, max_length=4000, multiline=True),
        "language": _choice(obj, "language", LANGUAGES, problems),
        "status": _choice(obj, "status", IMPORT_STATUSES, problems, default="draft"),
        "anonymous": bool(_bool(obj, "anonymous", problems)),
        "target_countries": [],
        "details": {},
        "tags": None,
        "interest_deadline": None,
    }
    countries = obj.get("target_countries")
    if countries is not None:
        if not isinstance(countries, list) or any(c not in COUNTRIES for c in countries):
            problems.append(("target_countries", _("must be a list of %(choices)s", choices=", ".join(COUNTRIES))))
        else:
            rec["target_countries"] = sorted(set(countries))
    tags = obj.get("tags")
    if tags is not None:
        terms = vocabulary().terms
        if not isinstance(tags, list) or any(not isinstance(t, str) for t in tags):
            problems.append(("tags", _("must be a list of taxonomy term ids")))
        elif unknown := [t for t in tags if t not in terms]:
            problems.append(("tags", _("unknown taxonomy terms: %(terms)s", terms=", ".join(unknown))))
        else:
            rec["tags"] = sorted(set(tags))
    if obj.get("details") is not None:
        found = detail_spec.check(rec["type"], obj["details"], require=False) if rec["type"] else []
        problems.extend((f"details.{key}", problem) for key, problem in found)
        if not found:
            rec["details"] = dict(obj["details"])
    if obj.get("interest_deadline"):
        try:
            rec["interest_deadline"] = date.fromisoformat(str(obj["interest_deadline"]))
        except ValueError:
            problems.append(("interest_deadline", _("must be a date as YYYY-MM-DD")))
    return rec


def _chunks(items, size=CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _existing_companies(refs) -> dict:
    """ref -> (association code, company id) for companies already in the database."""
    found = {}
    for chunk in _chunks(refs):
        rows = db.session.execute(
            sa.select(Company.ref, Association.code, Company.id)
            .join(Association, Company.association_id == Association.id)
            .where(Company.ref.in_(chunk))
        )
        found.update({ref: (code, cid) for ref, code, cid in rows})
    return found


def _existing_listing_owners(refs) -> dict:
    """listing ref -> its company's ref, for listings already in the database."""
    found = {}
    for chunk in _chunks(refs):
        rows = db.session.execute(
            sa.select(Listing.ref, Company.ref)
            .join(Company, Listing.company_id == Company.id)
            .where(Listing.ref.in_(chunk))
        )
        found.update(dict(rows.all()))
    return found


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_nul(v) for v in value)


def validate_records(raw, actor=None, max_errors: int | None = None) -> tuple[list, list]:
    """Check parsed (line, object) pairs as a whole; returns clean records (with "line") and error lines."""
    associations = {a.code: a.id for a in db.session.scalars(sa.select(Association))}
    own = actor.association.code if actor is not None and actor.role is Role.staff and actor.association else None
    company_refs = {o.get("ref") for _n, o in raw if o.get("record") == "company"}
    referenced = {o.get("company_ref") for _n, o in raw if o.get("record") == "listing"}
    in_db = _existing_companies({r for r in company_refs | referenced if isinstance(r, str)})
    listing_owners = _existing_listing_owners(
        {o.get("ref") for _n, o in raw if o.get("record") == "listing" and isinstance(o.get("ref"), str)}
    )
    defined: dict[str, tuple[int, str]] = {}  # company ref -> (line, association) earlier in this file
    listing_lines: dict[str, int] = {}
    records, errors = [], Problems(max_errors)
    for n, obj in raw:
        problems: list[tuple[str, str]] = []
        kind = obj.get("record")
        if _has_nul(obj):  # a \u0000 escape: PostgreSQL refuses NUL in text, so refuse it here
            rec = {}
            problems.append(("record", _("contains a NUL character")))
        elif kind == "company":
            rec = _company(obj, problems, associations)
            ref = rec["ref"]
            if ref and ref in defined:
                problems.append(
                    ("ref", _("duplicate: company %(ref)s is already on line %(line)s", ref=ref, line=defined[ref][0]))
                )
            if own and rec["association"] and rec["association"] != own:
                problems.append(("association", _("you may import companies of %(own)s only", own=own)))
            if own and ref in in_db and in_db[ref][0] != own:
                problems.append(("ref", _("belongs to a company of another association")))
            if ref and ref not in defined:
                defined[ref] = (n, rec["association"])
        elif kind == "listing":
            rec = _listing(obj, problems)
            ref, company_ref = rec["ref"], rec["company_ref"]
            if ref and ref in listing_lines:
                problems.append(
                    (
                        "ref",
                        _("duplicate: listing %(ref)s is already on line %(line)s", ref=ref, line=listing_lines[ref]),
                    )
                )
            if company_ref:
                if company_ref in defined:
                    association = defined[company_ref][1]
                elif company_ref in in_db:
                    association = in_db[company_ref][0]
                else:
                    association = None
                    problems.append(
                        (
                            "company_ref",
                            _(
                                "unknown company %(ref)s (define it on an earlier line or import it first)",
                                ref=company_ref,
                            ),
                        )
                    )
                if own and association and association != own:
                    problems.append(("company_ref", _("you may import listings of %(own)s companies only", own=own)))
                if ref in listing_owners and listing_owners[ref] != company_ref:
                    problems.append(
                        ("ref", _("listing %(ref)s belongs to company %(owner)s", ref=ref, owner=listing_owners[ref]))
                    )
            if ref and ref not in listing_lines:
                listing_lines[ref] = n
        else:
            rec = {}
            problems.append(("record", _('must be "company" or "listing"')))
        for key, problem in problems:
            errors.add(N_("line %(n)s: %(field)s: %(problem)s"), n=n, field=key, problem=problem)
        if not problems:
            records.append({"line": n, "record": kind, **rec})
    return records, errors


def validate_jsonl(lines, actor=None, max_errors: int | None = None) -> tuple[list, list]:
    """Parse and validate a whole JSON Lines file (a path or its lines): (records, errors), nothing written."""
    raw, errors = parse_jsonl(lines, max_errors)
    records, more = validate_records(raw, actor, max_errors)
    return records, _merge(max_errors, errors, more)


def _line_of(message: str) -> int:
    match = re.search(r"\d+", message)
    return int(match.group()) if match else 0


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
    from ..search.concepts import extract_concepts

    return extract_concepts(text, language)


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


def _write_listing(rec, listing, company, now):
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
        listing.status = status
        if status is ListingStatus.submitted:
            listing.submitted_at = now
        if status is ListingStatus.published:
            listing.published_at = now
            listing.expires_at, listing.reminded_at = now + lifetime(), None
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
    return listing, changed, created


def import_records(records, actor=None, progress=None) -> ImportReport:
    """Upsert validated records; the caller commits (or rolls back) once."""
    report, now = ImportReport(), base.utcnow()
    associations = {a.code: a.id for a in db.session.scalars(sa.select(Association))}
    company_refs = {r["ref"] for r in records if r["record"] == "company"} | {
        r["company_ref"] for r in records if r["record"] == "listing"
    }
    companies = {}
    for chunk in _chunks(company_refs):
        companies.update({c.ref: c for c in db.session.scalars(sa.select(Company).where(Company.ref.in_(chunk)))})
    listings = {}
    for chunk in _chunks(r["ref"] for r in records if r["record"] == "listing"):
        rows = db.session.scalars(sa.select(Listing).where(Listing.ref.in_(chunk)).options(selectinload(Listing.tags)))
        listings.update({x.ref: x for x in rows})
    with db.session.no_autoflush:  # one flush at the end instead of one per lookup
        for rec in records:
            if rec["record"] == "company":
                existed = rec["ref"] in companies
                companies[rec["ref"]], changed = _write_company(rec, companies.get(rec["ref"]), associations, now)
                report.count("company", "updated" if existed and changed else "created" if not existed else "unchanged")
            else:
                listing, changed, created = _write_listing(
                    rec, listings.get(rec["ref"]), companies[rec["company_ref"]], now
                )
                listings[rec["ref"]] = listing
                report.count("listing", "created" if created else "updated" if changed else "unchanged")
            if progress:
                progress(1)
    if report.created or report.updated:
        own = actor.association_id if actor is not None and actor.role is Role.staff else None
        db.session.add(
            AuditLog(
                actor_id=actor.id if actor is not None else None,
                association_id=own,
                action="import",
                object_type="import",
                object_id=None,
                reason=None,
                detail={k: dict(v) for k, v in report.counts.items()},
            )
        )
    db.session.flush()
    return report


def _run(raw, parse_errors, actor, progress, commit, max_errors) -> ImportReport:
    started = time.perf_counter()
    records, errors = validate_records(raw, actor, max_errors)
    errors = _merge(max_errors, parse_errors, errors)
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
