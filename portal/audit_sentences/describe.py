"""Audit rows as sentences: who did what to which listing or company, with links.

`describe(entries)` is the one place that turns `AuditLog` rows into text for a page (the staff and admin
audit log, a company's and a listing's history). Every value is escaped: the sentence is a translated
template (trusted) filled with escaped, isolated names and titles.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_currency
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Association,
    AuditLog,
    Company,
    Conversation,
    Interest,
    Listing,
    ListingRevision,
    ListingStatus,
    Outcome,
    User,
)
from ..templating import bdi, term_label
from .sentences import FALLBACK, FIELD_LABELS, REVISION_ACTIONS, SENTENCES, field_label


@dataclass
class AuditLine:
    entry: AuditLog
    sentence: Markup
    changes: list[str] = field(default_factory=list)  # labels of the fields that changed
    note: str | None = None  # the reason, when the sentence does not already say it


def describe(entries) -> list[AuditLine]:
    """One sentence per row, in order; the names and titles they need are loaded in a few queries."""
    entries = list(entries)
    context = _Context(entries)
    return [_line(entry, context) for entry in entries]


class _Context:
    """The listings, companies, users and revisions the rows point at, loaded once."""

    def __init__(self, entries):
        ids = {kind: {e.object_id for e in entries if e.object_type == kind and e.object_id} for kind in _KINDS}
        self.listings = _by_id(
            sa.select(Listing)
            .where(Listing.id.in_(ids["listing"]))
            .options(selectinload(Listing.company), selectinload(Listing.revisions))
        )
        company_ids = ids["company"] | {x.company_id for x in self.listings.values()}
        self.companies = _by_id(sa.select(Company).where(Company.id.in_(company_ids)))
        self.users = _by_id(sa.select(User).where(User.id.in_(ids["user"])))
        revision_ids = {
            (e.detail or {}).get("revision_id") for e in entries if e.action in REVISION_ACTIONS and e.detail
        }
        self.revisions = _by_id(sa.select(ListingRevision).where(ListingRevision.id.in_(revision_ids - {None})))
        association_ids = {e.object_id for e in entries if e.object_type == "association" and e.object_id}
        self.associations = _by_id(sa.select(Association).where(Association.id.in_(association_ids)))
        self.interests = _by_id(
            sa.select(Interest)
            .where(Interest.id.in_(ids["interest"]))
            .options(selectinload(Interest.listing), selectinload(Interest.from_company))
        )
        self.outcomes = _by_id(
            sa.select(Outcome)
            .where(Outcome.id.in_(ids["outcome"]))
            .options(selectinload(Outcome.conversation).selectinload(Conversation.owner_company))
            .options(selectinload(Outcome.conversation).selectinload(Conversation.partner_company))
        )
        # The actor's company: whose people acted on an interest, an outcome or a colleague.
        actor_company_ids = {e.actor.company_id for e in entries if e.actor is not None and e.actor.company_id}
        self.companies |= _by_id(sa.select(Company).where(Company.id.in_(actor_company_ids - set(self.companies))))


_KINDS = ("listing", "company", "user", "interest", "outcome")


def _by_id(query) -> dict:
    return {row.id: row for row in db.session.scalars(query)}


def _link(url: str, text) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url, bdi(text))


def _line(entry: AuditLog, context: _Context) -> AuditLine:
    values = {
        "actor": bdi(entry.actor.name) if entry.actor else _("The system"),
        "comment": Markup('<span dir="auto">{}</span>').format(entry.reason or "—"),
        "action": entry.action,
        "object": _object_label(entry),
        "listing": "",
        "company": "",
        "user": "",
        "partner": "",
        "outcome": "",
        "term": bdi(term_label((entry.detail or {}).get("term") or "")),
        "version": bdi((entry.detail or {}).get("version") or "—"),
        **_detail_values(entry.detail or {}),
    }
    detail = entry.detail or {}
    actor_company = context.companies.get(entry.actor.company_id) if entry.actor is not None else None
    if entry.object_type == "listing":
        listing = context.listings.get(entry.object_id)
        if listing is not None:
            values["listing"] = _link(url_for("listings.detail", listing_id=listing.id), listing.title)
            company = context.companies.get(listing.company_id)
        else:
            values["listing"] = _("listing #%(id)s", id=entry.object_id)
            company = None
        values["company"] = _company(company, None)
    elif entry.object_type == "company":
        values["company"] = _company(context.companies.get(entry.object_id), entry.object_id)
    elif entry.object_type == "user":
        user = context.users.get(entry.object_id)
        values["user"] = bdi(detail.get("email") or (user.email if user else values["object"]))
        values["company"] = _company(actor_company, None)  # joined it, or removed a colleague from it
    elif entry.object_type == "association":
        association = context.associations.get(entry.object_id)
        values["association"] = bdi(association.name if association else values["object"])
    elif entry.object_type == "invitation":
        values["user"] = bdi(detail.get("email") or values["object"])
        values["company"] = _company(actor_company, None)
    elif entry.object_type == "interest":
        _interest_values(values, context.interests.get(entry.object_id), actor_company)
    elif entry.object_type == "outcome":
        _outcome_values(values, context.outcomes.get(entry.object_id), actor_company)
    template = str(SENTENCES.get(entry.action, FALLBACK))  # translated, trusted; the values are escaped
    return AuditLine(
        entry=entry,
        sentence=Markup(template) % values,  # noqa: S704 - our translated template; % escapes every value
        changes=_changes(entry, context),
        note=None if "%(comment)s" in template else entry.reason,
    )


def _detail_values(detail: dict) -> dict:
    """What the insight actions note in their details: a trade figure's year, flow and value, an export's
    format and period (and association: none means all of them), an API token's name and prefix."""
    value = detail.get("value_usd")
    figure = " · ".join(
        str(part)
        for part in (detail.get("year"), detail.get("flow"), format_currency(value, "USD") if value else None)
        if part
    )
    export = " · ".join(str(part) for part in (str(detail.get("format", "")).upper(), detail.get("period")) if part)
    token = " ".join(str(part) for part in (detail.get("name"), detail.get("prefix")) if part)
    return {
        "figure": bdi(figure or "—"),
        "export": bdi(export or "—"),
        "token": bdi(token or "—"),
        "association": bdi(detail.get("association") or _("all associations")),
    }


def _interest_values(values: dict, interest, actor_company) -> None:
    """The listing, the actor's company and the other side of an interest. Staff may open listings and
    company profiles; nothing here leads into the two companies' conversation."""
    values["company"] = _company(actor_company, None)
    if interest is None:
        values["listing"] = "…"
        return
    values["listing"] = _link(url_for("listings.detail", listing_id=interest.listing_id), interest.listing.title)
    values["partner"] = _company(interest.from_company, None)


def _outcome_values(values: dict, outcome, actor_company) -> None:
    """The outcome's kind and value, the actor's company and the other party of the conversation."""
    from ..partnerships.services.outcomes import outcome_label

    values["company"] = _company(actor_company, None)
    if outcome is None:
        values["outcome"] = "…"
        return
    conversation = outcome.conversation
    mine = actor_company.id if actor_company is not None else outcome.recorded_by_company_id
    values["partner"] = _company(conversation.other_company(mine), None)
    kind = outcome_label(outcome.kind)
    values["outcome"] = (
        _("%(kind)s, %(value)s", kind=kind, value=format_currency(outcome.value_usd, "USD"))
        if outcome.value_usd is not None
        else kind
    )


def _company(company, company_id) -> Markup | str:
    if company is None:
        return _("company #%(id)s", id=company_id) if company_id else "—"
    return _link(url_for("companies.profile", company_id=company.id), company.name)


def _object_label(entry) -> str:
    if entry.object_id:
        return f"{entry.object_type} #{entry.object_id}"
    return entry.object_type


def _changes(entry: AuditLog, context: _Context) -> list[str]:
    """The labels of what an edit changed; empty when the row records no edit (or the before is lost)."""
    detail = entry.detail or {}
    if entry.action in ("company.update", "company.resubmit"):
        return [field_label("company", key) for key in detail.get("changed") or []]
    if entry.action == "association.update":
        return [field_label("association", key) for key in detail]
    if entry.action in ("listing.tags", "listing.hs_headings"):
        before, after = set(detail.get("from") or []), set(detail.get("to") or [])
        name = term_label if entry.action == "listing.tags" else str  # HS headings are their codes
        added = [name(t) for t in sorted(after - before)]
        removed = [name(t) for t in sorted(before - after)]
        return [
            *([_("added: %(terms)s", terms=", ".join(added))] if added else []),
            *([_("removed: %(terms)s", terms=", ".join(removed))] if removed else []),
        ]
    if entry.action in REVISION_ACTIONS:
        if "changed" in detail:  # noted when the edit was decided
            return [field_label("listing", key) for key in detail["changed"]]
        revision = context.revisions.get(detail.get("revision_id"))
        listing = context.listings.get(entry.object_id)
        if revision is None or listing is None:
            return []
        before = _before(listing, revision)
        if before is None:
            return []
        return [
            field_label("listing", key)
            for key in FIELD_LABELS["listing"]
            if key in revision.data and before.get(key) != revision.data.get(key)
        ]
    return []


def _before(listing, revision) -> dict | None:
    """What the listing said before this edit: the last approved edit before it, or the listing as it is
    when no edit has been approved since the listing went online; None when that is no longer known."""
    from ..listings.services import snapshot

    approved = [r for r in listing.revisions if r.status is ListingStatus.published]
    earlier = [r for r in approved if r.id < revision.id]
    if earlier:
        return earlier[-1].data
    if not any(r.id >= revision.id for r in approved):
        return snapshot(listing)
    return None
