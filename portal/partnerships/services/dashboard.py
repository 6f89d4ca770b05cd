"""The partnership figures: the member dashboard's card and the Partnerships overview of what needs an answer."""

from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Conversation, Interest, InterestStatus, Listing, Meeting, Outcome
from . import conversations, interests, meetings, outcomes
from .common import count_of

OVERVIEW_ITEMS = 5  # per section; the tabs and the conversation pages hold the rest


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


def _in_conversation(*relations):
    """Load the conversation of a meeting or outcome with what its line shows: both companies and the listing."""
    conversation = selectinload(relations[0])
    return [
        conversation.selectinload(Conversation.owner_company),
        conversation.selectinload(Conversation.partner_company),
        conversation.selectinload(Conversation.listing),
        *(selectinload(r) for r in relations[1:]),
    ]


def overview(user, limit: int = OVERVIEW_ITEMS) -> dict:
    """What waits for this company's answer, in four sections, each {"count", "items"} (the first `limit`).

    interests: received, still open, oldest first (the longest wait on top); conversations: rows of
    (conversation, unread count), latest message first; meetings: proposals of the other side, soonest first;
    outcomes: recorded by the other side, oldest first. Also "total" (all four counts) and "sent_open" (the
    company's own interests still waiting for the other side, for information). Counts are SQL counts.
    """
    company_id = user.company_id
    if not company_id:
        return {}
    waiting = (
        interests.received_interests_query(company_id, InterestStatus.open)
        .order_by(None)
        .order_by(Interest.created_at, Interest.id)
    )
    unread = conversations.unread_conversations_query(user)
    proposals = meetings.proposals_to_answer_query(company_id)
    to_confirm = outcomes.outcomes_to_confirm_query(company_id)
    sections = {
        "interests": {
            "count": count_of(waiting),
            "items": db.session.scalars(
                waiting.options(
                    selectinload(Interest.listing).selectinload(Listing.company), selectinload(Interest.from_company)
                ).limit(limit)
            ).all(),
        },
        "conversations": {
            "count": count_of(unread),
            "items": db.session.execute(
                unread.options(
                    selectinload(Conversation.listing),
                    selectinload(Conversation.owner_company),
                    selectinload(Conversation.partner_company),
                ).limit(limit)
            ).all(),
        },
        "meetings": {
            "count": count_of(proposals),
            "items": db.session.scalars(
                proposals.options(*_in_conversation(Meeting.conversation, Meeting.proposer_company)).limit(limit)
            ).all(),
        },
        "outcomes": {
            "count": count_of(to_confirm),
            "items": db.session.scalars(
                to_confirm.options(*_in_conversation(Outcome.conversation, Outcome.recorded_by_company)).limit(limit)
            ).all(),
        },
    }
    return {
        **sections,
        "total": sum(section["count"] for section in sections.values()),
        "sent_open": count_of(interests.sent_interests_query(company_id, InterestStatus.open)),
    }
