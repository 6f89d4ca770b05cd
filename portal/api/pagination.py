"""Cursor pagination: `?limit=` (default 20, at most 100) and an opaque `cursor`; answers are
{"items": [...], "next_cursor": "..." | null}.

A cursor is the sort key of the last row sent (URL-safe base64 of a JSON list), so the next page starts
right after it whatever was added meanwhile (keyset pagination: no OFFSET, no duplicates, no gaps). Search
results are ranked, not keyed, so their cursor holds the next page number and the page size instead.
"""

import base64
import binascii
import json

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from .errors import ApiError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_CHARS = 400
MAX_KEY = 2**31 - 1


def encode(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, types: tuple) -> list | None:
    """The values a cursor holds, each of the given type, or a 400 validation_failed; None for no cursor."""
    if cursor is None:
        return None
    try:
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError
        if not all(type(v) is t for v, t in zip(values, types, strict=True)):  # bool is no int here
            raise ValueError
        if any(type(v) is int and abs(v) > MAX_KEY for v in values):  # no integer column holds it
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(
            400, "validation_failed", _("This cursor is not valid."), {"cursor": [_("Not a valid cursor.")]}
        ) from None
    return values


def after(columns: list, values: list, descending: bool):
    """SQL: the row's sort key comes after `values` in the (all ascending or all descending) order."""
    clauses = []
    for i, column in enumerate(columns):
        beyond = column < values[i] if descending else column > values[i]
        clauses.append(sa.and_(*(c == v for c, v in zip(columns[:i], values[:i], strict=True)), beyond))
    return sa.or_(*clauses)


def keyset_page(query, columns: list, key, types: tuple, cursor: str | None, limit: int, descending: bool = False):
    """(rows, next_cursor) of `query` (already ordered by `columns`) after the cursor's row.

    `key(row)` is the row's sort key, a list matching `columns`, of `types`; one row more than asked says
    whether there is a next page."""
    values = decode(cursor, types)
    if values is not None:
        query = query.where(after(columns, values, descending))
    rows = list(db.session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode(key(rows[-1])) if more and rows else None


def page_cursor(cursor: str | None, limit: int) -> tuple[int, int]:
    """(page, per_page) for a ranked search: the cursor's, or page 1 of `limit`."""
    if cursor is None:
        return 1, limit
    page, per_page = decode(cursor, (int, int))
    if page < 2 or not 1 <= per_page <= MAX_LIMIT:
        raise ApiError(400, "validation_failed", _("This cursor is not valid."), {"cursor": [_("Not a valid cursor.")]})
    return page, per_page
