"""The member dashboard's partnership figures, gathered from every room in one call."""

from ...extensions import db
from ...models import InterestStatus
from . import conversations, interests, meetings, outcomes
from .common import count_of


def summary(user) -> dict:
    """Interests waiting (and the first five), open interests sent, unread messages, meetings and outcomes to answer."""
    company_id = user.company_id
    if not company_id:
        return {}
    waiting = interests.received_interests_query(company_id, InterestStatus.open)
    return {
        "waiting": count_of(waiting),
        "waiting_items": db.session.scalars(waiting.limit(5)).all(),
        "sent_open": count_of(interests.sent_interests_query(company_id, InterestStatus.open)),
        "unread": sum(conversations.unread_counts(user).values()),
        "meetings": meetings.proposals_to_answer(company_id),
        "outcomes": outcomes.outcomes_to_confirm(company_id),
    }
