"""The demo's partnership history: interests, conversations, meetings and outcomes between the demo companies,
made through the partnership services so the dashboard's funnel and the public scoreboard have something real
to show (`seed-demo` calls `seed_history` after the listings).

Each story is one interest of one company in one demo listing; a story whose interest exists already is left
alone, so a second run adds nothing. The services stamp everything "now" and only schedule meetings in the
future, so once a story has been played its rows are moved back to the days the story gives (within the
dashboard's default quarter); the audit log keeps the moment of seeding, since its rows are never updated.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import Company, Interest, Listing, Message, OutcomeKind
from .models.base import utcnow

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Meeting:
    days_ago: int  # > 0: held that many days ago; < 0: agreed for that many days ahead
    place: str | None = None
    online_url: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    value_usd: int
    days_ago: int
    recorded_by: str  # "owner" (the listing's company) or "partner" (the interested one)
    confirmed: bool = True
    recorder_named: bool = False  # the recording company agrees to be named on the scoreboard
    confirmer_named: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Story:
    listing_ref: str
    partner: str  # the interested company's slug
    days_ago: int  # when the interest was sent
    message: str
    what_we_bring: str = ""
    answer: str | None = "accept"  # "accept", "decline", or None: still waiting for the listing's company
    answer_note: str | None = None
    messages: tuple[tuple[str, str], ...] = ()  # ("owner" | "partner", text), one a day after acceptance
    meeting: Meeting | None = None
    outcome: Outcome | None = None


# The browser tests' demo journeys are Korangi Tanners' and Shymkent Hides': no story involves them, so those
# journeys start from the same empty partnership inboxes as before.
STORIES = (
    Story(
        "demo-l07",
        "kostanay-kozha",
        75,
        "Мы заготавливаем мокросоленые шкуры КРС в Костанайской области и можем поставлять 5 000 шкур в месяц.",
        "Wet-salted cattle hides, 20-28 kg, from our own collection points; veterinary certificates for export.",
        messages=(
            ("owner", "Thank you. Could you send a trial container of 1,200 hides to Karachi?"),
            ("partner", "Да: 40-футовый контейнер выйдет из Костаная через две недели. USD 24 per hide CFR Karachi."),
            ("owner", "The trial went well: 93% first grade. Let us agree the annual contract in a call."),
        ),
        meeting=Meeting(40, online_url="https://meet.example/kasur-kostanay", note="Annual supply contract"),
        outcome=Outcome(
            OutcomeKind.trade_contract,
            184_000,
            30,
            "owner",
            recorder_named=True,
            confirmer_named=True,
            note="7,600 wet-salted cattle hides over 12 months, CFR Karachi.",
        ),
    ),
    Story(
        "demo-l27",
        "multan-khussa",
        70,
        "Multan Leather Works trains cutters and stitchers; we can run a two-week course in your cutting room.",
        "Two master cutters who teach in Urdu and English, with a Russian interpreter.",
        messages=(
            ("owner", "Нам подходит. Двенадцать раскройщиков, в октябре."),
            ("partner", "October it is: 12 trainees, USD 800 each, travel included."),
        ),
        outcome=Outcome(
            OutcomeKind.training_delivered,
            9_600,
            12,
            "partner",
            note="Twelve cutters trained in leather cutting and waste reduction.",
        ),
    ),
    Story(
        "demo-l23",
        "lahore-garments",
        60,
        "Lahore Leather Garments can teach chrome tanning of sheepskins and nappa garment making.",
        "Tanning recipes, patterns, and training of your cutters and tailors in Lahore.",
        messages=(
            ("owner", "Бізге рецептер мен үлгілер керек. How long is the training?"),
            ("partner", "Two weeks in Lahore for four people, then a week of our technician in Pavlodar."),
            ("owner", "Келістік. Let us meet in Lahore when our team comes."),
        ),
        meeting=Meeting(25, place="Lahore, Lahore Leather Garments, design studio"),
        outcome=Outcome(
            OutcomeKind.technology_transfer_agreement,
            38_000,
            10,
            "owner",
            recorder_named=True,
            note="Sheepskin chrome tanning recipes, garment patterns and training.",
        ),
    ),
    Story(
        "demo-l06",
        "almaty-leather",
        45,
        "We want to recover chrome at our Almaty tannery: please tell us about your process and its cost.",
        "A cattle leather tannery of 90,000 sq ft a month with a laboratory.",
        messages=(
            ("owner", "Our package: process design, the recovery unit's drawings and a month of supervision."),
            ("partner", "Agreed in principle; our board signs next week."),
        ),
        outcome=Outcome(
            OutcomeKind.technology_transfer_agreement, 52_000, 5, "owner", confirmed=False, recorder_named=True
        ),
    ),
    Story(
        "demo-l24",
        "sialkot-saddlery",
        35,
        "Sialkot Saddlery Works would like to set up the saddlery workshop with you in Almaty.",
        "Thirty years of saddle making, tools and training for the workshop's craftsmen.",
        messages=(
            ("owner", "Қуаныштымыз! Let us meet in Almaty and talk about the shares."),
            ("partner", "Agreed. Our director will bring a draft business plan."),
        ),
        meeting=Meeting(-12, place="Almaty, Alatau Horse Tack, workshop", note="Joint venture: shares and plan"),
    ),
    Story(
        "demo-l11",
        "kostanay-kozha",
        30,
        "Нас интересуют бесхромовые дубители и анализ на хром VI для нашего завода.",
        answer="decline",
        answer_note="Thank you; our chrome-free agents are not yet registered for sale in Kazakhstan.",
    ),
    Story(
        "demo-l05",
        "almaty-saddles",
        6,
        "We would buy 2,500 sq ft a month of your vegetable-tanned leather for our saddles.",
        "A saddle workshop in Almaty making 400 pieces of horse tack a month.",
        answer=None,
    ),
)


def seed_history() -> int:
    """Play every story not played yet; returns how many it played. Links in notifications need a request."""
    played = 0
    with current_app.test_request_context(base_url=current_app.config.get("PUBLIC_URL") or None):
        for story in STORIES:
            played += _play(story)
    db.session.commit()
    return played


def _company(slug: str) -> Company | None:
    return db.session.scalar(sa.select(Company).where(Company.ref == f"demo-{slug}"))


def _play(story: Story) -> int:
    from .partnerships.services import interests

    listing = db.session.scalar(sa.select(Listing).where(Listing.ref == story.listing_ref))
    partner = _company(story.partner)
    if listing is None or partner is None or not listing.is_live:
        return 0
    done = sa.select(Interest.id).where(Interest.listing_id == listing.id, Interest.from_company_id == partner.id)
    if db.session.scalar(done) is not None:
        return 0
    owner_user, partner_user = listing.company.owner, partner.owner
    interest = interests.express_interest(partner_user, listing, story.message, story.what_we_bring)
    start = utcnow() - story.days_ago * DAY
    _published_before(listing, start - 3 * DAY)
    interest.created_at = start
    if story.answer == "decline":
        interests.decline_interest(owner_user, interest, story.answer_note)
        interest.responded_at = start + DAY
    elif story.answer == "accept":
        conversation = interests.accept_interest(owner_user, interest, story.answer_note)
        interest.responded_at = conversation.created_at = start + DAY
        people = {"owner": owner_user, "partner": partner_user}
        _talk(conversation, people, story.messages, start + 2 * DAY)
        if story.meeting:
            _meet(conversation, people, story.meeting)
        if story.outcome:
            _agree(conversation, people, story.outcome)
    return 1


def _published_before(listing, moment: datetime) -> None:
    """The importer publishes the demo listings now: one that has a story was published before it began."""
    if listing.published_at is None or listing.published_at > moment:
        listing.created_at = listing.submitted_at = listing.published_at = moment


def _talk(conversation, people, messages, first_at: datetime) -> None:
    from .partnerships.services.conversations import post_message

    for day, (side, text) in enumerate(messages):
        message: Message = post_message(people[side], conversation, text)
        message.created_at = conversation.last_message_at = first_at + day * DAY


def _meet(conversation, people, plan: Meeting) -> None:
    """Proposed by the listing's company and accepted by the other; a held one is then moved to its past day."""
    from .partnerships.services import meetings

    owner = people["owner"]
    tz_name = meetings.default_timezone(owner)
    day = (utcnow() - plan.days_ago * DAY).date() if plan.days_ago < 0 else (utcnow() + 2 * DAY).date()
    proposal = meetings.propose_meeting(
        owner, conversation, datetime.combine(day, time(11)), tz_name, 60, plan.online_url, plan.place, plan.note
    )
    meetings.answer_meeting(people["partner"], proposal, accept=True)
    if plan.days_ago > 0:
        held = (utcnow() - plan.days_ago * DAY).date()
        proposal.starts_at = meetings.to_utc(datetime.combine(held, time(11)), tz_name)
        proposal.created_at = proposal.starts_at - 5 * DAY
        proposal.responded_at = proposal.starts_at - 4 * DAY


def _agree(conversation, people, plan: Outcome) -> None:
    from .partnerships.services import outcomes

    recorder = people[plan.recorded_by]
    confirmer = people["partner" if plan.recorded_by == "owner" else "owner"]
    outcome = outcomes.record_outcome(
        recorder, conversation, plan.kind, plan.value_usd, plan.note, agrees_to_be_named=plan.recorder_named
    )
    outcome.created_at = utcnow() - plan.days_ago * DAY
    if plan.confirmed:
        outcomes.confirm_outcome(confirmer, outcome, agrees_to_be_named=plan.confirmer_named)
        outcome.decided_at = outcome.created_at + 2 * DAY
