"""Validating import records as a whole file: fields, references between lines and to the database,
and which association the importing staff member may write to. Nothing is written here."""

import re
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import Association, Company, Listing, Role
from ..models.company import COUNTRIES
from ..models.listing import LANGUAGES, Direction, ListingType
from ..taxonomy import vocabulary
from ..utils import has_unsafe_chars
from . import details as detail_spec
from . import hs
from .import_read import N_, Problems, merge_problems, parse_jsonl

REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
IMPORT_STATUSES = ("draft", "submitted", "published")
CHUNK = 500  # refs per IN (...) query, well under every database's parameter limit


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
        "hs_headings": None,
        "available_months": None,
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
    _trade_codes(obj, rec, problems)
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


def _trade_codes(obj, rec, problems) -> None:
    """hs_headings (a trade listing's) and available_months (a trade offer's), both optional lists."""
    trade = rec["type"] == "trade"
    codes = obj.get("hs_headings")
    if codes is not None:
        if not isinstance(codes, list) or any(not isinstance(c, str) for c in codes):
            problems.append(("hs_headings", _('must be a list of HS headings such as "4104"')))
        elif unknown := [c for c in codes if c not in hs.headings()]:
            problems.append(("hs_headings", _("unknown HS headings: %(codes)s", codes=", ".join(unknown))))
        elif codes and rec["type"] and not trade:
            problems.append(("hs_headings", _("only trade listings have HS headings")))
        else:
            rec["hs_headings"] = sorted(set(codes))
    months = obj.get("available_months")
    if months is not None:
        if not isinstance(months, list) or any(isinstance(m, bool) or m not in hs.MONTHS for m in months):
            problems.append(("available_months", _("must be a list of month numbers from 1 to 12")))
        elif months and rec["type"] and rec["direction"] and not hs.takes_months(rec["type"], rec["direction"]):
            problems.append(("available_months", _("only trade offers have supply months")))
        else:
            rec["available_months"] = sorted(set(months))


def chunks(items, size=CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _existing_companies(refs) -> dict:
    """ref -> (association code, company id) for companies already in the database."""
    found = {}
    for chunk in chunks(refs):
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
    for chunk in chunks(refs):
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
    return records, merge_problems(max_errors, errors, more)
