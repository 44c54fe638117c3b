"""Announcing a surplus: the one path used by SMS, the farmer's form and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from shared import crops
from shared.events import emit
from shared.models import Farm, Parcel, Surplus, SurplusStatus

# Letters of offer codes: no I or O (read as digits) and no P (parcel codes).
CODE_LETTERS = "ABCDEFGHJKLMNQRSTUVWXYZ"


def code_for(surplus_id: int) -> str:
    """A short code that is unique for ever: A1, B1, ... Z1, A2, ...

    Derived from the id, so it is never reused and a late "OUI A12" can never
    land on a newer surplus.
    """
    index = surplus_id - 1
    letter = CODE_LETTERS[index % len(CODE_LETTERS)]
    return f"{letter}{index // len(CODE_LETTERS) + 1}"


@dataclass(frozen=True)
class Announcement:
    parcel: Parcel | None
    crop: str
    quantity: float
    unit: str
    quantity_kg: float
    available_until: date
    kind: str = "glean"
    notes: str = ""


def announce(
    session: Session, farm: Farm, announcement: Announcement, *, source: str
) -> Surplus:
    """Store the surplus and its surplus.announced event in the same transaction."""
    crop = crops.get_crop(announcement.crop) or crops.find_crop(announcement.crop)
    surplus = Surplus(
        farm_id=farm.id,
        parcel_id=announcement.parcel.id if announcement.parcel else None,
        crop=crop.name if crop else announcement.crop,
        category=crop.category if crop else "legume",
        perishable=crop.perishable if crop else False,
        quantity=announcement.quantity,
        unit=announcement.unit,
        quantity_kg=round(announcement.quantity_kg, 2),
        remaining_kg=round(announcement.quantity_kg, 2),
        available_until=announcement.available_until,
        kind=announcement.kind,
        notes=announcement.notes,
        source=source,
        status=SurplusStatus.OPEN,
    )
    session.add(surplus)
    session.flush()
    surplus.code = code_for(surplus.id)
    emit(session, "surplus.announced", surplus_id=surplus.id)
    return surplus


def available_again(session: Session, surplus: Surplus) -> None:
    """Kilos are claimable again (a claim shrank, or the window was extended)."""
    surplus.status = SurplusStatus.OFFERED if surplus.wave else SurplusStatus.OPEN
    surplus.closed_at = None
    session.flush()
