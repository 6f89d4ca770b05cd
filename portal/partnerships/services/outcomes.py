"""Partnership outcomes: recorded by one company, confirmed or disputed by the other; confirmed ones are counted."""

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from ... import audit
from ...extensions import db
from ...models import Company, Conversation, Outcome, OutcomeKind, OutcomeStatus
from ...models.base import utcnow
from ...rules import RuleError
from .common import count_of, notify_company, other_company_id, require_party
from .conversations import conversation_ids


def _link(outcome) -> str:
    return url_for(
        "partnerships.conversation", conversation_id=outcome.conversation_id, _anchor=f"outcome-{outcome.id}"
    )


def record_outcome(
    user, conversation, kind: OutcomeKind, value_usd: int | None, note: str | None = None, agrees_to_be_named=False
) -> Outcome:
    """agrees_to_be_named: the recording company's consent to be named on the public scoreboard."""
    require_party(user, conversation)
    duplicate = db.session.scalar(
        sa.select(Outcome.id).where(
            Outcome.conversation_id == conversation.id, Outcome.kind == kind, Outcome.status != OutcomeStatus.disputed
        )
    )
    if duplicate:
        raise RuleError(_("This outcome is already recorded for this partnership."), "conflict")
    if value_usd is not None and value_usd < 0:
        raise RuleError(_("The value cannot be negative."))
    outcome = Outcome(
        conversation_id=conversation.id,
        kind=kind,
        value_usd=value_usd,
        note=(note or "").strip() or None,
        recorded_by_company_id=user.company_id,
        recorded_by_id=user.id,
        recorder_agrees_to_be_named=bool(agrees_to_be_named),
    )
    db.session.add(outcome)
    db.session.flush()
    audit.record(
        user,
        "outcome.record",
        "outcome",
        outcome.id,
        association_id=user.company.association_id,
        detail={"kind": kind.value, "value_usd": value_usd, "agrees_to_be_named": bool(agrees_to_be_named)},
    )
    who = user.company.name
    notify_company(
        other_company_id(conversation, user.company_id),
        lambda _u: _(
            "%(company)s recorded an outcome of your partnership: %(kind)s. Please confirm it.",
            company=who,
            kind=outcome_label(kind),
        ),
        _link(outcome),
        lambda _u: _("Please confirm a partnership outcome recorded by %(company)s", company=who),
    )
    return outcome


def _decidable(user, outcome) -> None:
    """Only the other company confirms or disputes: nobody confirms their own claim."""
    require_party(user, outcome.conversation)
    if user.company_id == outcome.recorded_by_company_id:
        raise RuleError(_("The other company must confirm this outcome."))
    if outcome.status is not OutcomeStatus.recorded:
        raise RuleError(_("This outcome was already confirmed or disputed."))


def confirm_outcome(user, outcome, agrees_to_be_named=False) -> Outcome:
    """agrees_to_be_named: the confirming company's consent to be named on the public scoreboard."""
    _decidable(user, outcome)
    outcome.status, outcome.decided_at = OutcomeStatus.confirmed, utcnow()
    outcome.confirmed_by_company_id, outcome.confirmed_by_id = user.company_id, user.id
    outcome.confirmer_agrees_to_be_named = bool(agrees_to_be_named)
    audit.record(
        user,
        "outcome.confirm",
        "outcome",
        outcome.id,
        association_id=user.company.association_id,
        detail={"agrees_to_be_named": bool(agrees_to_be_named)},
    )
    _notify_decision(user, outcome, confirmed=True)
    return outcome


def set_naming_consent(user, outcome, agrees: bool) -> Outcome:
    """A party changes its own consent to be named on the public scoreboard, whenever it likes: the recorder
    from the start, the other company once it has confirmed. Names need both consents, so either company
    withdrawing its own takes both names off the scoreboard at once."""
    require_party(user, outcome.conversation)
    if outcome.naming_consent_of(user.company_id) is None:
        raise RuleError(_("Confirm the outcome first: the consent comes with the confirmation."))
    if user.company_id == outcome.recorded_by_company_id:
        outcome.recorder_agrees_to_be_named = agrees
    else:
        outcome.confirmer_agrees_to_be_named = agrees
    action = "outcome.naming_allow" if agrees else "outcome.naming_withdraw"
    audit.record(user, action, "outcome", outcome.id, association_id=user.company.association_id)
    return outcome


def dispute_outcome(user, outcome, reason: str) -> Outcome:
    _decidable(user, outcome)
    outcome.status, outcome.decided_at = OutcomeStatus.disputed, utcnow()
    outcome.dispute_reason = (reason or "").strip() or None
    audit.record(
        user,
        "outcome.dispute",
        "outcome",
        outcome.id,
        association_id=user.company.association_id,
        reason=outcome.dispute_reason,
    )
    _notify_decision(user, outcome, confirmed=False)
    return outcome


def _notify_decision(user, outcome, confirmed: bool) -> None:
    who, kind = user.company.name, outcome.kind
    notify_company(
        outcome.recorded_by_company_id,
        lambda _u: (
            _("%(company)s confirmed the outcome: %(kind)s.", company=who, kind=outcome_label(kind))
            if confirmed
            else _("%(company)s disputed the outcome: %(kind)s.", company=who, kind=outcome_label(kind))
        ),
        _link(outcome),
        lambda _u: (
            _("Outcome confirmed by %(company)s", company=who)
            if confirmed
            else _("Outcome disputed by %(company)s", company=who)
        ),
    )


def outcome_label(kind: OutcomeKind) -> str:
    return {
        OutcomeKind.technology_transfer_agreement: _("Technology transfer agreement"),
        OutcomeKind.training_delivered: _("Training delivered"),
        OutcomeKind.joint_venture_formed: _("Joint venture formed"),
        OutcomeKind.trade_contract: _("Trade contract"),
    }[kind]


def outcomes_to_confirm_query(company_id: int):
    """Outcomes the other company recorded in this company's conversations, waiting for its confirmation: oldest first."""
    return (
        sa.select(Outcome)
        .where(
            Outcome.conversation_id.in_(conversation_ids(company_id)),
            Outcome.status == OutcomeStatus.recorded,
            Outcome.recorded_by_company_id != company_id,
        )
        .order_by(Outcome.created_at, Outcome.id)
    )


def outcomes_to_confirm(company_id: int) -> int:
    return count_of(outcomes_to_confirm_query(company_id))


def confirmed_outcomes(association_id: int | None = None) -> dict:
    """Confirmed partnership outcomes for the statistics: {"count", "value_usd", "by_kind": {kind: {...}}}.

    With an association, the outcomes where at least one of the two companies is its member.
    """
    owner, partner = aliased(Company), aliased(Company)
    query = (
        sa.select(Outcome.kind, sa.func.count(), sa.func.coalesce(sa.func.sum(Outcome.value_usd), 0))
        .join(Conversation, Outcome.conversation_id == Conversation.id)
        .where(Outcome.status == OutcomeStatus.confirmed)
        .group_by(Outcome.kind)
    )
    if association_id is not None:
        query = (
            query.join(owner, Conversation.owner_company_id == owner.id)
            .join(partner, Conversation.partner_company_id == partner.id)
            .where(sa.or_(owner.association_id == association_id, partner.association_id == association_id))
        )
    by_kind = {kind.value: {"count": 0, "value_usd": 0} for kind in OutcomeKind}
    for kind, count, value in db.session.execute(query):
        by_kind[kind.value] = {"count": count, "value_usd": int(value)}
    return {
        "count": sum(k["count"] for k in by_kind.values()),
        "value_usd": sum(k["value_usd"] for k in by_kind.values()),
        "by_kind": by_kind,
    }
