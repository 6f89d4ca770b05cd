"""The API's marshmallow schemas: what each endpoint reads (query and body) and answers, in its OpenAPI spec."""

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from ..models import Direction, ListingStatus, ListingType
from ..models.company import COUNTRIES
from .pagination import DEFAULT_LIMIT, MAX_LIMIT

# The facets of the search page, by their URL names (tests/functional/test_api.py checks them against it).
SEARCH_FACETS = ("type", "direction", "country", "association", "capability", "hs", "certification")
FACET_VALUE = validate.Length(min=1, max=40)


class UtcDateTime(fields.DateTime):
    """The tables keep naive UTC; the API says so (RFC 3339 wants the offset: "...T10:05:00+00:00")."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class ErrorBody(ma.Schema):
    code = fields.String(required=True, metadata={"description": "Stable code: not_found, unauthorized, ..."})
    message = fields.String(required=True, metadata={"description": "For people, in the request's language"})
    details = fields.Dict(required=True, metadata={"description": "Field errors, retry_after, ..."})


class ErrorSchema(ma.Schema):
    error = fields.Nested(ErrorBody, required=True)


class PageArgs(ma.Schema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(min=1, max=400))


class SearchArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=400), metadata={"description": "Words to find"})
    sort = fields.String(load_default="relevance", validate=validate.OneOf(("relevance", "newest", "deadline")))
    verified = fields.Boolean(load_default=False, metadata={"description": "Verified companies only"})
    type = fields.List(fields.String(validate=validate.OneOf([t.value for t in ListingType])))
    direction = fields.List(fields.String(validate=validate.OneOf([d.value for d in Direction])))
    country = fields.List(fields.String(validate=validate.OneOf(COUNTRIES)))
    association = fields.List(fields.String(validate=FACET_VALUE))
    capability = fields.List(fields.String(validate=FACET_VALUE))
    hs = fields.List(fields.String(validate=FACET_VALUE))
    certification = fields.List(fields.String(validate=FACET_VALUE))


class DirectoryArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "Name or city"})
    country = fields.String(validate=validate.Length(max=8))
    association = fields.String(validate=validate.Length(max=16))
    capability = fields.String(validate=validate.Length(max=64))
    certification = fields.String(validate=validate.Length(max=64))


class CompanyRef(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    country = fields.String(required=True)


class ListingSchema(ma.Schema):
    id = fields.Integer(required=True)
    direction = fields.String(required=True)
    type = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    description = fields.String(required=True, metadata={"description": "Markdown"})
    language = fields.String(required=True)
    target_countries = fields.List(fields.String(), required=True)
    details = fields.Dict(required=True)
    tags = fields.List(fields.String(), required=True)
    hs_headings = fields.List(fields.String(), required=True)
    available_months = fields.List(fields.Integer(), required=True)
    anonymous = fields.Boolean(required=True)
    interest_deadline = fields.Date(allow_none=True, required=True)
    published_at = UtcDateTime(allow_none=True, required=True)
    expires_at = UtcDateTime(allow_none=True, required=True)
    company = fields.Nested(CompanyRef, allow_none=True, required=True, metadata={"description": "null: anonymous"})


class OwnListingSchema(ListingSchema):
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in ListingStatus]))
    version = fields.Integer(required=True)
    staff_comment = fields.String(allow_none=True, required=True)
    pending_edit = fields.Boolean(
        required=True, metadata={"description": "An edit of the published listing awaits review"}
    )
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class FacetValueSchema(ma.Schema):
    value = fields.String(required=True)
    count = fields.Integer(required=True)
    selected = fields.Boolean(required=True)


class ListingPage(ma.Schema):
    items = fields.List(fields.Nested(ListingSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
    total = fields.Integer(required=True)
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValueSchema)), required=True)
    message = fields.String(allow_none=True, required=True, metadata={"description": "nothing | unavailable"})


class OwnListingPage(ma.Schema):
    items = fields.List(fields.Nested(OwnListingSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class OwnListingArgs(PageArgs):
    status = fields.String(validate=validate.OneOf([s.value for s in ListingStatus]))


class IdempotencyHeaders(ma.Schema):
    """A create request's optional `Idempotency-Key`: the same key again gets the first request's row."""

    class Meta:
        unknown = ma.EXCLUDE  # every other header

    key = fields.String(
        data_key="Idempotency-Key",
        validate=[validate.Length(min=1, max=64), validate.Regexp(r"^[A-Za-z0-9_-]+$")],
        metadata={
            "description": "Any string of up to 64 letters, digits, '-' and '_', new for each listing: a retry "
            "with the same key creates nothing and answers with the listing the first request created."
        },
    )


class ListingInput(ma.Schema):
    """The listing form's fields; the form's own rules check them (the same messages as on the page)."""

    direction = fields.String(validate=validate.OneOf([d.value for d in Direction]))
    type = fields.String(validate=validate.OneOf([t.value for t in ListingType]))
    title = fields.String(validate=validate.Length(max=1000))
    summary = fields.String(validate=validate.Length(max=5000))
    description = fields.String(validate=validate.Length(max=40000))
    language = fields.String(validate=validate.Length(max=8))
    target_countries = fields.List(fields.String(validate=validate.Length(max=8)), validate=validate.Length(max=10))
    tags = fields.List(fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=200))
    anonymous = fields.Boolean()
    interest_deadline = fields.Date(allow_none=True)
    details = fields.Dict(
        keys=fields.String(validate=validate.Length(max=40)),
        values=fields.Raw(allow_none=True),
        metadata={"description": "The type's fields, e.g. trade: product, quantity, unit, incoterms"},
    )
    hs_headings = fields.List(fields.String(validate=validate.Length(max=4)), validate=validate.Length(max=50))
    available_months = fields.List(fields.Integer(validate=validate.Range(1, 12)), validate=validate.Length(max=12))


class CompanySchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    country = fields.String(required=True)
    city = fields.String(required=True)
    association = fields.String(allow_none=True, required=True)
    description = fields.String(required=True)
    capabilities = fields.List(fields.String(), required=True)
    year_founded = fields.Integer(allow_none=True, required=True)
    employees_range = fields.String(allow_none=True, required=True)
    languages = fields.List(fields.String(), required=True)
    website = fields.String(allow_none=True, required=True, metadata={"description": "Only for logged-in callers"})
    phone = fields.String(allow_none=True, required=True, metadata={"description": "Only for logged-in callers"})


class CompanyPage(ma.Schema):
    items = fields.List(fields.Nested(CompanySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ListingRef(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)


class MatchSchema(ma.Schema):
    listing = fields.Nested(ListingSchema, required=True)
    score = fields.Float(required=True)
    reasons = fields.List(fields.String(), required=True)


class MatchGroupSchema(ma.Schema):
    listing = fields.Nested(ListingRef, required=True, metadata={"description": "One of your live listings"})
    matches = fields.List(fields.Nested(MatchSchema), required=True)


class MatchPage(ma.Schema):
    items = fields.List(fields.Nested(MatchGroupSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class InterestArgs(PageArgs):
    box = fields.String(load_default="received", validate=validate.OneOf(("received", "sent")))


class InterestSchema(ma.Schema):
    id = fields.Integer(required=True)
    box = fields.String(required=True)
    status = fields.String(required=True)
    listing = fields.Nested(ListingRef, required=True)
    from_company = fields.Nested(CompanyRef, required=True)
    message = fields.String(required=True)
    what_we_bring = fields.String(required=True)
    response_note = fields.String(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    responded_at = UtcDateTime(allow_none=True, required=True)


class InterestPage(ma.Schema):
    items = fields.List(fields.Nested(InterestSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class StatisticsArgs(ma.Schema):
    period = fields.String(load_default="quarter", validate=validate.OneOf(("30d", "quarter", "year", "all", "custom")))
    from_ = fields.Date(data_key="from", metadata={"description": "First day of a custom period"})
    to = fields.Date(metadata={"description": "Last day of a custom period (included)"})
    association = fields.String(validate=validate.Length(max=16), metadata={"description": "Admins only: PTA, KLA"})


class PeriodSchema(ma.Schema):
    key = fields.String(required=True)
    start = UtcDateTime(allow_none=True, required=True)
    end = UtcDateTime(required=True)


class StatisticsSchema(ma.Schema):
    association = fields.String(allow_none=True, required=True, metadata={"description": "null: the whole portal"})
    period = fields.Nested(PeriodSchema, required=True)
    membership = fields.List(fields.Dict(), required=True)
    listings = fields.List(fields.Dict(), required=True)
    decisions = fields.Dict(required=True)
    funnel = fields.List(fields.Dict(), required=True)
    outcomes = fields.List(fields.Dict(), required=True)
    cities = fields.List(fields.Dict(), required=True)
    hs_headings = fields.List(fields.Dict(), required=True)
    figures_as_of = UtcDateTime(
        allow_none=True,
        required=True,
        metadata={"description": "when the worker computed the oldest figure shown; null: all computed now"},
    )
