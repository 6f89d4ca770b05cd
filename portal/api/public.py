"""Public endpoints: listings (the search page's search and facets; live listings only) and the company
directory (verified companies only), each with its detail. No token needed; with one, the caller is
that user (so an anonymous listing names its company to the same people as on the site)."""

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from .. import search
from ..companies.forms import DirectoryFilterForm
from ..companies.services import directory_query
from ..limits import hit
from ..models import Company, Listing
from ..permissions import can_see_company
from . import TOKEN, blueprint
from .errors import ApiError
from .pagination import encode, keyset_page, page_cursor
from .present import company_data, listing_data, load
from .schemas import SEARCH_FACETS, CompanyPage, CompanySchema, DirectoryArgs, ListingPage, ListingSchema, SearchArgs

listings_bp = blueprint("listings_api", "Public listings: search with facets, and one listing.")
companies_bp = blueprint("companies_api", "The directory of verified member companies.")


def not_found(what: str):
    return ApiError(404, "not_found", what)


@listings_bp.route("")
@listings_bp.doc(security=[{}, *TOKEN])
@listings_bp.arguments(SearchArgs, location="query")
@listings_bp.response(200, ListingPage)
def listings(args):
    """Search live listings

    The same search as the /search page: words in any of the portal's languages, facets (several values
    of one facet narrow further), `verified`, `sort`. Without words: every live listing, newest first.
    Rate-limited like the search page."""
    hit("search")
    page, per_page = page_cursor(args.get("cursor"), args["limit"])
    filters = {name: args[name] for name in SEARCH_FACETS if args.get(name)}
    sort = args["sort"] if args["q"].strip() or args["sort"] != "relevance" else "newest"
    result = search.search(
        args["q"],
        user=current_user,
        kind="listing",
        filters=filters,
        verified_only=args["verified"],
        sort=sort,
        page=page,
        per_page=per_page,
    )
    pagination = result.page
    # search() answers the last page for one beyond it: past the end, a cursor gets nothing.
    on_page = pagination is not None and pagination.page == page
    has_next = on_page and page < pagination.pages
    return {
        "items": [listing_data(h.obj, current_user) for h in result.hits] if on_page else [],
        "next_cursor": encode([page + 1, per_page]) if has_next else None,
        "total": result.total,
        "facets": {
            name: [{"value": f.value, "count": f.count, "selected": f.selected} for f in values]
            for name, values in result.facets.items()
        },
        "message": result.message,
    }


@listings_bp.route("/<int:listing_id>")
@listings_bp.doc(security=[{}, *TOKEN])
@listings_bp.response(200, ListingSchema)
def listing(listing_id):
    """One live listing

    Anything not live (a draft, a withdrawn or expired listing, one of an unverified company) is 404."""
    row = load(Listing, listing_id)
    if row is None or not row.is_live:
        raise not_found(_("There is no such listing."))
    return listing_data(row, current_user)


@companies_bp.route("")
@companies_bp.doc(security=[{}, *TOKEN])
@companies_bp.arguments(DirectoryArgs, location="query")
@companies_bp.response(200, CompanyPage)
def companies(args):
    """The company directory

    Verified companies by name, with the directory page's filters; a filter value the page does not
    know is ignored, as there."""
    formdata = MultiDict({k: v for k, v in args.items() if k not in ("limit", "cursor")})
    filters = DirectoryFilterForm(formdata=formdata, meta={"csrf": False}).filters()
    rows, next_cursor = keyset_page(
        directory_query(filters),
        [Company.name, Company.id],
        lambda c: [c.name, c.id],
        (str, int),
        args.get("cursor"),
        args["limit"],
    )
    return {"items": [company_data(c, current_user) for c in rows], "next_cursor": next_cursor}


@companies_bp.route("/<int:company_id>")
@companies_bp.doc(security=[{}, *TOKEN])
@companies_bp.response(200, CompanySchema)
def company(company_id):
    """One company

    Verified companies are public; others only to their own people, their association's staff and admins."""
    row = load(Company, company_id)
    if row is None or not can_see_company(current_user, row):
        raise not_found(_("There is no such company."))
    return company_data(row, current_user)
