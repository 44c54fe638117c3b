"""What the coordinator can do when the loop needs a hand.

Each operation changes the database and writes the events that tell the
matcher and the notifier, in the caller's transaction; the panel records who
did it in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.claims import EPSILON_KG
from shared.events import emit
from shared.models import (
    Claim,
    Match,
    Message,
    Organization,
    Surplus,
    SurplusStatus,
    utcnow,
)
from shared.surpluses import available_again

OUTCOMES = ("pending", "collected", "no_show")


class NotAllowed(ValueError):
    """The change would break a rule; the message says which, for a person."""


def offer_to(session: Session, surplus: Surplus, organization: Organization) -> Match:
    """Offer the surplus to one organization now, outside the waves."""
    if not surplus.is_open or surplus.remaining_kg <= EPSILON_KG:
        raise NotAllowed("closed")
    if any(o.organization_id == organization.id for o in surplus.offers):
        raise NotAllowed("already_offered")
    match = session.scalar(
        select(Match).where(
            Match.surplus_id == surplus.id, Match.organization_id == organization.id
        )
    )
    if match is None:
        last = session.scalar(
            select(func.max(Match.rank)).where(Match.surplus_id == surplus.id)
        )
        match = Match(
            surplus_id=surplus.id,
            organization_id=organization.id,
            rank=(last or 0) + 1,
            distance_km=0.0,
            score=None,
        )
        session.add(match)
    match.excluded = False
    match.reasons = [{"code": "coordinator", "params": {}}, *match.reasons]
    match.wave = max(surplus.wave, 1)
    surplus.wave = match.wave
    surplus.status = SurplusStatus.OFFERED
    session.flush()
    emit(
        session,
        "offers.ready",
        surplus_id=surplus.id,
        wave=match.wave,
        match_ids=[match.id],
    )
    return match


def request_next_wave(session: Session, surplus: Surplus) -> None:
    if not surplus.is_open or surplus.remaining_kg <= EPSILON_KG:
        raise NotAllowed("closed")
    emit(session, "wave.requested", surplus_id=surplus.id, wave=surplus.wave)


def extend(session: Session, surplus: Surplus, until: date, today: date) -> None:
    if until < today:
        raise NotAllowed("date_in_past")
    if surplus.status == SurplusStatus.EXPIRED and surplus.remaining_kg > EPSILON_KG:
        available_again(session, surplus)
    elif not surplus.is_open:
        raise NotAllowed("closed")
    surplus.available_until = until
    emit(session, "surplus.extended", surplus_id=surplus.id)


def close(session: Session, surplus: Surplus) -> None:
    """Stop offering what remains; confirmed claims stand."""
    if not surplus.is_open:
        raise NotAllowed("closed")
    surplus.status = SurplusStatus.CLOSED
    surplus.closed_at = utcnow()
    emit(session, "surplus.cancelled", surplus_id=surplus.id, by="coordinator")


def resend(session: Session, message: Message) -> Message:
    """A new copy of a message that failed, queued for sending."""
    if message.direction != "out" or message.status not in ("failed", "undelivered"):
        raise NotAllowed("not_failed")
    copy = Message(
        direction="out",
        channel=message.channel,
        to_addr=message.to_addr,
        from_addr=message.from_addr,
        subject=message.subject,
        body=message.body,
        status="queued",
        segments=message.segments,
        contact_id=message.contact_id,
        surplus_id=message.surplus_id,
        offer_id=message.offer_id,
    )
    session.add(copy)
    session.flush()
    emit(session, "message.resend", message_id=copy.id)
    return copy


def edit_claim(
    session: Session,
    claim: Claim,
    quantity_kg: float,
    pickup_at: datetime | None,
) -> None:
    """Change a claim's kg (within what the surplus has) or its pickup time."""
    surplus = session.get(Surplus, claim.surplus_id, with_for_update=True)
    assert surplus is not None
    if quantity_kg < 0:
        raise NotAllowed("negative")
    difference = quantity_kg - claim.quantity_kg
    if difference > surplus.remaining_kg + EPSILON_KG:
        raise NotAllowed("more_than_remains")
    surplus.remaining_kg = round(surplus.remaining_kg - difference, 2)
    claim.quantity_kg = round(quantity_kg, 2)
    claim.pickup_at = pickup_at
    if quantity_kg <= EPSILON_KG:
        claim.status = "cancelled"
    if surplus.status == SurplusStatus.CLAIMED and surplus.remaining_kg > EPSILON_KG:
        # Kilos came back: offer them again.
        available_again(session, surplus)
    elif surplus.is_open and surplus.remaining_kg <= EPSILON_KG:
        surplus.remaining_kg = 0.0
        surplus.status = SurplusStatus.CLAIMED
        surplus.closed_at = utcnow()
        emit(session, "surplus.closed", surplus_id=surplus.id, reason="claimed")


@dataclass(frozen=True)
class Shares:
    farmer_pct: float
    gleaners_pct: float
    food_bank_pct: float

    def check(self) -> None:
        parts = (self.farmer_pct, self.gleaners_pct, self.food_bank_pct)
        if any(p < 0 for p in parts) or abs(sum(parts) - 100) > 0.5:
            raise NotAllowed("shares_not_100")


def record_outcome(
    session: Session,
    claim: Claim,
    outcome: str,
    collected_kg: float | None,
    shares: Shares,
    note: str = "",
) -> None:
    """What happened at the pickup; no-shows lower the organization's rank later."""
    if outcome not in OUTCOMES:
        raise NotAllowed("unknown_outcome")
    shares.check()
    if outcome == "collected" and (collected_kg is None or collected_kg < 0):
        raise NotAllowed("collected_kg_missing")
    first_collection = outcome == "collected" and claim.outcome != "collected"
    claim.outcome = outcome
    claim.collected_kg = collected_kg if outcome == "collected" else None
    claim.share_farmer_pct = shares.farmer_pct
    claim.share_gleaners_pct = shares.gleaners_pct
    claim.share_food_bank_pct = shares.food_bank_pct
    claim.outcome_note = note[:2000]
    claim.outcome_at = utcnow()
    if first_collection:
        # The farmer and the organization are asked how it went (a survey).
        emit(session, "pickup.collected", claim_id=claim.id)
