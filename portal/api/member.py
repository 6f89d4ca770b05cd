"""A member's own endpoints: their listings (create as a draft, edit, submit, through the listing form's own
rules and the listings services, as on the pages), their matches and their expressions of interest.
Another company's listing is 404, as on the site."""

import hashlib

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from .. import search
from ..extensions import db
from ..idempotency import create_once
from ..listings import services
from ..listings.forms import ListingForm
from ..listings.services import ListingError, NotAllowed
from ..models import Interest, Listing, ListingStatus
from ..partnerships.services.interests import received_interests_query, sent_interests_query
from . import TOKEN, blueprint
from .auth import api_user, member_company, requires
from .errors import ApiError
from .pagination import keyset_page
from .present import interest_data, listing_data, load, own_listing_data
from .schemas import (
    IdempotencyHeaders,
    InterestArgs,
    InterestPage,
    ListingInput,
    MatchPage,
    OwnListingArgs,
    OwnListingPage,
    OwnListingSchema,
)

bp = blueprint("me_api", "The caller's own listings, matches and expressions of interest (a member's token).")
TEXT_FIELDS = ("direction", "type", "title", "summary", "description")
LIST_FIELDS = ("target_countries", "tags", "hs_headings", "available_months")


def _own(listing_id: int) -> Listing:
    """The caller's company's listing; anyone else's seems not to exist."""
    member_company()
    listing = load(Listing, listing_id)
    if listing is None or not services.is_owner(api_user(), listing):
        raise ApiError(404, "not_found", _("There is no such listing."))
    return listing


def listing_form(data: dict) -> ListingForm:
    """The listing page's form, filled from JSON: the API checks a listing by exactly the page's rules."""
    formdata = MultiDict()
    for key in TEXT_FIELDS:
        if data.get(key) is not None:
            formdata.add(key, str(data[key]))
    formdata.add("language", str(data.get("language") or ""))  # the page's "detect from the text"
    for key in LIST_FIELDS:
        for value in data.get(key) or []:
            formdata.add(key, str(value))
    if data.get("anonymous"):
        formdata.add("anonymous", "y")
    deadline = data.get("interest_deadline")
    if deadline:
        formdata.add("interest_deadline", deadline if isinstance(deadline, str) else deadline.isoformat())
    for key, value in (data.get("details") or {}).items():
        if value is not None and data.get("type"):
            formdata.add(f"{data['type']}-{key}", str(value))
    return ListingForm(formdata=formdata, meta={"csrf": False})


def validated(data: dict) -> dict:
    """The form's data, or 422 with the form's messages by field (a type's own fields under `details`)."""
    form = listing_form(data)
    if form.validate():
        return form.to_data()
    fields = {}
    for name, problems in form.errors.items():
        if isinstance(problems, dict):
            fields.setdefault("details", {}).update({k: [str(p) for p in v] for k, v in problems.items()})
        else:
            fields[name] = [str(p) for p in problems]
    raise ApiError(422, "validation_failed", _("Some values are not valid."), {"json": fields})


def _commit_or_conflict() -> None:
    try:
        db.session.commit()
    except StaleDataError:  # staff decided on the listing while this edit was on its way
        db.session.rollback()
        raise ApiError(
            409, "conflict", _("Your listing changed while you were editing it (for example, staff decided on it).")
        ) from None


def _loaded(query):
    return query.options(
        selectinload(Listing.tags),
        selectinload(Listing.hs_headings),
        selectinload(Listing.months),
        selectinload(Listing.revisions),
    )


@bp.route("/listings")
@requires("read")
@bp.doc(security=TOKEN)
@bp.arguments(OwnListingArgs, location="query")
@bp.response(200, OwnListingPage)
def my_listings(args):
    """Your company's listings

    Every status, newest first; `status` narrows to one."""
    company = member_company()
    query = sa.select(Listing).where(Listing.company_id == company.id).order_by(Listing.id.desc())
    if args.get("status"):
        query = query.where(Listing.status == ListingStatus(args["status"]))
    rows, next_cursor = keyset_page(
        _loaded(query), [Listing.id], lambda r: [r.id], (int,), args.get("cursor"), args["limit"], descending=True
    )
    return {"items": [own_listing_data(r, api_user()) for r in rows], "next_cursor": next_cursor}


@bp.route("/listings", methods=["POST"])
@requires("write")
@bp.doc(security=TOKEN)
@bp.arguments(ListingInput)
@bp.arguments(IdempotencyHeaders, location="headers")
@bp.response(201, OwnListingSchema)
def create_listing(data, headers):
    """Create a draft listing

    Checked by the listing form's rules (the same messages as on the page, in the request's language);
    it stays a draft until you submit it. Send an `Idempotency-Key` to retry safely: a request whose answer
    never arrived, sent again with the same key, gets the listing the first one made."""
    company, user = member_company(), api_user()
    # The key shares the listing's form-token column with the page's forms: hashed with the caller's id, so
    # one account's key can neither collide with another's nor find its listing.
    key = headers.get("key")
    token = f"api-{hashlib.sha256(f'{user.id}:{key}'.encode()).hexdigest()[:40]}" if key else None

    def create():
        return services.create_listing(company, validated(data), user)

    try:
        listing = create_once(Listing, token, create, Listing.company_id == company.id)
    except NotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    return own_listing_data(listing, user)


@bp.route("/listings/<int:listing_id>")
@requires("read")
@bp.doc(security=TOKEN)
@bp.response(200, OwnListingSchema)
def my_listing(listing_id):
    """One of your listings"""
    return own_listing_data(_own(listing_id), api_user())


@bp.route("/listings/<int:listing_id>", methods=["PATCH"])
@requires("write")
@bp.doc(security=TOKEN)
@bp.arguments(ListingInput)
@bp.response(200, OwnListingSchema)
def edit_listing(data, listing_id):
    """Change one of your listings

    The fields sent replace those of the listing; the rest stay. As on the edit page: a published
    listing's edit goes to moderation while the published version stays online (`pending_edit`), a
    submitted one goes back to the queue as a new version, and a closed one cannot be edited (409)."""
    listing = _own(listing_id)
    if listing.status not in services.EDITABLE_STATUSES:
        message = _(
            "A listing that is %(status)s can no longer be edited.", status=services.status_label(listing.status)
        )
        raise ApiError(409, "conflict", message)
    merged = {**services.form_data(listing), **{k: v for k, v in data.items()}}
    try:
        services.edit_listing(listing, validated(merged), api_user())
    except ListingError as exc:
        db.session.rollback()
        raise ApiError(409, "conflict", str(exc)) from None
    _commit_or_conflict()
    return own_listing_data(listing, api_user())


@bp.route("/listings/<int:listing_id>/submit", methods=["POST"])
@requires("write")
@bp.doc(security=TOKEN)
@bp.response(200, OwnListingSchema)
def submit_listing(listing_id):
    """Submit a draft for review

    Refused (409) when the listing is not a draft or has changes requested, or your company is not verified."""
    listing = _own(listing_id)
    try:
        services.transition(listing, "submit", api_user())
    except NotAllowed:
        raise ApiError(404, "not_found", _("There is no such listing.")) from None
    except ListingError as exc:
        db.session.rollback()
        raise ApiError(409, "conflict", str(exc)) from None
    _commit_or_conflict()
    return own_listing_data(listing, api_user())


@bp.route("/matches")
@requires("read")
@bp.doc(security=TOKEN)
@bp.response(200, MatchPage)
def my_matches():
    """Matches for your listings

    As your dashboard shows them: your most recent live listings that have matches, each with its best
    matches and why they match."""
    company = member_company()
    groups = search.dashboard_matches(company)
    return {
        "items": [
            {
                "listing": {"id": listing.id, "title": listing.title},
                "matches": [
                    {
                        "listing": listing_data(m.obj, api_user()),
                        "score": m.score,
                        "reasons": [str(r) for r in m.reasons],
                    }
                    for m in matches
                ],
            }
            for listing, matches in groups
        ],
        "next_cursor": None,
    }


@bp.route("/interests")
@requires("read")
@bp.doc(security=TOKEN)
@bp.arguments(InterestArgs, location="query")
@bp.response(200, InterestPage)
def my_interests(args):
    """Expressions of interest

    `box=received` (the default): those other companies sent about your listings; `box=sent`: yours."""
    company = member_company()
    box = args["box"]
    query = (received_interests_query if box == "received" else sent_interests_query)(company.id)
    query = query.options(selectinload(Interest.listing), selectinload(Interest.from_company))
    rows, next_cursor = keyset_page(
        query, [Interest.id], lambda r: [r.id], (int,), args.get("cursor"), args["limit"], descending=True
    )
    return {"items": [interest_data(r, box) for r in rows], "next_cursor": next_cursor}
