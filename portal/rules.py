"""Domain refusals: the one exception services raise when a rule says no, and the one handler that answers it.

Services raise `RuleError(message, kind)` and never commit; the handler registered by `init_app` makes the
answer the same everywhere: `not_found` is the 404 page (someone else's object seems not to exist),
`forbidden` the 403 page, and `invalid` / `conflict` roll back, flash the message and send the browser back
to the page the route named with `back_to(url)`; without one, or for API clients, the message is shown
with 400 / 409.
"""

from contextlib import contextmanager

from flask import flash, redirect

from .errors import render_error
from .extensions import db
from .permissions import wants_json
from .utils import is_safe_next

KINDS = ("invalid", "not_found", "forbidden", "conflict")
STATUS = {"invalid": 400, "not_found": 404, "forbidden": 403, "conflict": 409}


class RuleError(Exception):
    """A rule refused the action. `message` is for the user (already translated); `kind` picks the answer."""

    def __init__(self, message: str = "", kind: str = "invalid", *, category: str = "warning"):
        if kind not in KINDS:
            raise ValueError(f"unknown RuleError kind {kind!r}")
        super().__init__(message)
        self.message, self.kind, self.category = message, kind, category
        self.back: str | None = None

    def __str__(self) -> str:
        return self.message


@contextmanager
def back_to(url: str):
    """A refusal raised inside goes back to `url` (a same-site path), with its message flashed."""
    try:
        yield
    except RuleError as exc:
        if exc.back is None:
            exc.back = url
        raise


def or_field_error(field, action):
    """`action()`'s result, or None with the refusal written under the form `field` (the page is shown again).

    Only `invalid` and `conflict` become field errors: not_found and forbidden still answer 404 / 403.
    """
    try:
        return action()
    except RuleError as exc:
        if exc.kind in ("not_found", "forbidden"):
            raise
        db.session.rollback()
        field.errors.append(exc.message)
        return None


def handle_rule_error(exc: RuleError):
    """The one answer to a refusal; the route's changes so far are rolled back, never half committed."""
    db.session.rollback()
    status = STATUS[exc.kind]
    if exc.kind in ("not_found", "forbidden"):
        return render_error(status)
    if wants_json() or not is_safe_next(exc.back):
        return render_error(status, exc.message or None)
    flash(exc.message, exc.category)
    return redirect(exc.back)


def init_app(app):
    app.register_error_handler(RuleError, handle_rule_error)
