"""One-time form tokens, so a create POST sent twice (the answer never arrived, the user pressed again)
makes one row: the form carries a random token from the moment it is rendered, the created row keeps
it in a unique `form_token` column, and a second POST with that token is answered with the first row.

Checking first keeps the common retry cheap; the unique constraint decides when two copies race, and
`create_once` turns the loser's failure into the winner's row.
"""

import secrets

import sqlalchemy as sa
from flask import abort
from wtforms import HiddenField
from wtforms.validators import Length, Optional, Regexp

from .extensions import db

TOKEN_MAX = 64  # the column's length; token_urlsafe(32) makes 43 characters


def new_token() -> str:
    return secrets.token_urlsafe(32)


class FormTokenMixin:
    """Mix into a create form: a hidden `form_token`, filled in when the form is first rendered.

    It is optional, so a client that sends none (an old page, a script) still creates, just without
    the protection."""

    form_token = HiddenField(validators=[Optional(), Length(max=TOKEN_MAX), Regexp(r"^[A-Za-z0-9_-]+$")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.form_token.data:
            self.form_token.data = new_token()
        self.form_token.id = f"{type(self).__name__.lower()}-token"  # two such forms can share a page

    @property
    def token(self) -> str | None:
        """The token the browser sent back, or None when it sent none."""
        return self.form_token.data if self.form_token.raw_data and self.form_token.data else None


def existing_or_none(model, token: str | None, *owned_by):
    """The row an earlier POST with this token created (and `owned_by` clauses allow), or None."""
    if not token:
        return None
    return db.session.scalar(sa.select(model).where(model.form_token == token, *owned_by))


def create_once(model, token: str | None, create, *owned_by):
    """The row this form's token already made, or `create()`'s new row, stamped with the token and committed.

    When a concurrent copy of the same POST wins the race, whatever this copy then hits (the unique
    constraint, or a service rule such as "already recorded") is rolled back and the winner's row
    returned, so both copies get the same answer. Errors not explained by such a copy propagate."""
    row = existing_or_none(model, token, *owned_by)
    if row is not None:
        return row
    session = db.session()

    def stamp(_session, _context, _instances):
        """The token goes into the INSERT itself, even when the service flushes (or commits) early."""
        for obj in session.new:
            if isinstance(obj, model) and obj.form_token is None:
                obj.form_token = token
                return

    if token:
        sa.event.listen(session, "before_flush", stamp)
    try:
        row = create()
        session.commit()
    except Exception as exc:
        db.session.rollback()
        if not token:
            raise
        winner = existing_or_none(model, token, *owned_by)
        if winner is not None:
            return winner
        if isinstance(exc, sa.exc.IntegrityError) and db.session.scalar(
            sa.select(model.id).where(model.form_token == token)
        ):
            abort(400)  # someone else's token: nothing to show, nothing to create
        raise
    finally:
        if token:
            sa.event.remove(session, "before_flush", stamp)
    return row
