"""What every partnership page needs: loading an object for its parties only, and acting on it."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...models import Conversation, Interest
from ...permissions import get_or_404_for
from ...rules import back_to
from ..services.common import is_party
from ..services.interests import can_view_interest


def need_company():
    if current_user.company is None:
        flash(_("Please describe your company first."), "info")
        return redirect(url_for("companies.create"))
    return None


def visible_interest(interest_id) -> Interest:
    return get_or_404_for(Interest, interest_id, can_view_interest)


def party_conversation(conversation_id) -> Conversation:
    return get_or_404_for(Conversation, conversation_id, is_party)


def party_object(model, object_id):
    """A meeting or outcome, for the two parties of its conversation only."""
    return get_or_404_for(model, object_id, lambda user, obj: is_party(user, obj.conversation))


def conversation_url(conversation_id, anchor=None) -> str:
    return url_for("partnerships.conversation", conversation_id=conversation_id, _anchor=anchor)


def to_conversation(conversation_id, anchor=None):
    return redirect(conversation_url(conversation_id, anchor))


def party_action(model, object_id, anchor: str, form, act) -> tuple:
    """The body of a meeting's or an outcome's button: the object for the two parties only (404 for anyone
    else); when the form is valid, `act(obj)` (a refusal goes back to the conversation with its message) and
    the commit. Returns (obj, the conversation URL at the object's `anchor`, whether it acted)."""
    obj = party_object(model, object_id)
    back = conversation_url(obj.conversation_id, f"{anchor}-{obj.id}")
    if not form.validate_on_submit():
        return obj, back, False
    with back_to(back):
        act(obj)
    db.session.commit()
    return obj, back, True
