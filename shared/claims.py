"""Claiming a surplus, whole or in part: atomic, first come first served.

The common case is settled by one conditional UPDATE ("take x if at least x
remains"). Taking all that remains, or more than remains, locks the row and
takes exactly what was there, guarded by the value read, so two claimers can
never both get the last kilos. Everything is written in the caller's
transaction with the events that tell everyone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from shared.events import emit
from shared.models import (
    OPEN_STATUSES,
    Claim,
    Offer,
    OfferStatus,
    Organization,
    Surplus,
    SurplusStatus,
    utcnow,
)

# Remaining quantities below this are dust from unit conversions, not food.
EPSILON_KG = 0.01


class Outcome(enum.StrEnum):
    GRANTED = "granted"  # got what was asked
    CAPPED = "capped"  # asked for more than remained: got what remained
    NOTHING_LEFT = "nothing_left"  # someone else was faster
    CLOSED = "closed"  # cancelled or expired before the claim


@dataclass(frozen=True)
class ClaimResult:
    outcome: Outcome
    granted_kg: float
    remaining_kg: float
    claim: Claim | None

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.GRANTED, Outcome.CAPPED)


def claim(
    session: Session,
    surplus_id: int,
    organization: Organization,
    requested_kg: float | None,
    *,
    via: str,
    pickup_at: datetime | None = None,
) -> ClaimResult:
    """Take requested_kg (None: all that remains) for the organization."""
    if requested_kg is not None and requested_kg <= 0:
        raise ValueError("a claim must ask for a positive quantity")

    # Read before the row is locked: from the UPDATE on, every claimer of
    # this surplus waits for this transaction's commit, so each round trip
    # after it is paid by all of them in turn.
    offer = session.scalar(
        select(Offer).where(
            Offer.surplus_id == surplus_id, Offer.organization_id == organization.id
        )
    )
    taken = _take_exact(session, surplus_id, requested_kg)
    if taken is None:
        taken = _take_all_remaining(session, surplus_id)
    if taken is None:
        surplus = _fresh(session, surplus_id)
        outcome = Outcome.NOTHING_LEFT if surplus.is_open else Outcome.CLOSED
        if surplus.status == SurplusStatus.CLAIMED:
            outcome = Outcome.NOTHING_LEFT
        return ClaimResult(outcome, 0.0, surplus.remaining_kg, None)

    granted, remaining = taken
    surplus = _with_remaining(session, surplus_id, remaining)
    record = _record(
        session, surplus, organization, offer, requested_kg, granted, via, pickup_at
    )
    capped = requested_kg is not None and granted < requested_kg - EPSILON_KG
    return ClaimResult(
        Outcome.CAPPED if capped else Outcome.GRANTED,
        granted,
        surplus.remaining_kg,
        record,
    )


def _fresh(session: Session, surplus_id: int) -> Surplus:
    """The surplus as the database has it now (the UPDATE above changed it
    behind the session's back).

    A surplus the caller already holds gets its columns read again, and
    keeps what was loaded with it: the webhook reads it with its farm and
    parcel for the confirmation, and `populate_existing` dropped those, so
    each came back as one more query.
    """
    known = session.identity_map.get(session.identity_key(Surplus, surplus_id))
    if isinstance(known, Surplus):
        session.refresh(known, attribute_names=_SURPLUS_COLUMNS)
        return known
    surplus = session.get(Surplus, surplus_id)
    if surplus is None:
        raise LookupError(surplus_id)
    return surplus


_SURPLUS_COLUMNS = [column.key for column in inspect(Surplus).column_attrs]


def _with_remaining(session: Session, surplus_id: int, remaining: float) -> Surplus:
    """The surplus with the remaining kilos the UPDATE returned.

    Only remaining_kg changed behind the session's back, and the row is ours
    until commit: a surplus the caller holds is told, not read again.
    """
    known = session.identity_map.get(session.identity_key(Surplus, surplus_id))
    if isinstance(known, Surplus):
        set_committed_value(known, "remaining_kg", remaining)
        return known
    return _fresh(session, surplus_id)


def _open(surplus_id: int) -> tuple[ColumnElement[bool], ...]:
    return (Surplus.id == surplus_id, Surplus.status.in_(OPEN_STATUSES))


def _take_exact(
    session: Session, surplus_id: int, kg: float | None
) -> tuple[float, float] | None:
    """(kg taken, kg remaining) if at least kg remained."""
    if kg is None:
        return None
    remaining = session.scalar(
        update(Surplus)
        .where(*_open(surplus_id), Surplus.remaining_kg >= kg)
        .values(remaining_kg=Surplus.remaining_kg - kg)
        .returning(Surplus.remaining_kg)
        .execution_options(synchronize_session=False)
    )
    return None if remaining is None else (kg, float(remaining))


def _take_all_remaining(
    session: Session, surplus_id: int
) -> tuple[float, float] | None:
    """(kg taken, 0) with all that remained, if anything did."""
    seen = session.scalar(
        select(Surplus.remaining_kg).where(*_open(surplus_id)).with_for_update()
    )
    if seen is None or seen <= EPSILON_KG:
        return None
    taken = session.execute(
        update(Surplus)
        .where(*_open(surplus_id), Surplus.remaining_kg == seen)
        .values(remaining_kg=0.0)
        .returning(Surplus.id)
        .execution_options(synchronize_session=False)
    ).first()
    return (float(seen), 0.0) if taken else None


def _record(
    session: Session,
    surplus: Surplus,
    organization: Organization,
    offer: Offer | None,
    requested_kg: float | None,
    granted: float,
    via: str,
    pickup_at: datetime | None = None,
) -> Claim:
    record = Claim(
        surplus_id=surplus.id,
        organization_id=organization.id,
        offer_id=offer.id if offer else None,
        requested_kg=requested_kg,
        quantity_kg=round(granted, 2),
        via=via,
        # In the INSERT, not set after it: that was one more UPDATE a claim.
        pickup_at=pickup_at,
    )
    session.add(record)
    if offer is not None:
        offer.status = OfferStatus.CLAIMED
        offer.responded_at = utcnow()
    if surplus.remaining_kg <= EPSILON_KG:
        surplus.remaining_kg = 0.0
        surplus.status = SurplusStatus.CLAIMED
        surplus.closed_at = utcnow()
    session.flush()
    emit(session, "claim.confirmed", claim_id=record.id, surplus_id=surplus.id)
    if surplus.status == SurplusStatus.CLAIMED:
        emit(session, "surplus.closed", surplus_id=surplus.id, reason="claimed")
    return record


def decline(session: Session, surplus_id: int, organization: Organization) -> bool:
    """Record a "no thanks"; True when there was an offer to decline."""
    offer = session.scalar(
        select(Offer).where(
            Offer.surplus_id == surplus_id, Offer.organization_id == organization.id
        )
    )
    if offer is None or offer.status in (OfferStatus.CLAIMED, OfferStatus.DECLINED):
        return False
    offer.status = OfferStatus.DECLINED
    offer.responded_at = utcnow()
    session.flush()
    emit(session, "offer.declined", offer_id=offer.id, surplus_id=surplus_id)
    return True


def cancel(session: Session, surplus: Surplus) -> bool:
    """The farmer withdraws what is left; claims already confirmed stand."""
    if not surplus.is_open:
        return False
    surplus.status = SurplusStatus.CANCELLED
    surplus.closed_at = utcnow()
    session.flush()
    emit(session, "surplus.cancelled", surplus_id=surplus.id)
    return True
