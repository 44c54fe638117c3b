"""From a stored surplus to stored matches and waves of offers.

The pure parts (geo index, scoring) live beside this module; this one reads
the organizations, asks them, and writes what was decided with its reasons.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from services.matcher import geo, postgis, scoring
from shared.config import Settings
from shared.events import emit
from shared.models import (
    Claim,
    Match,
    Offer,
    Organization,
    Surplus,
    SurplusStatus,
)

# How far back no-shows and declines count (before the week's start).
HISTORY = timedelta(days=scoring.RELIABILITY_DAYS)


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of the week of `now`, in now's timezone."""
    monday = now.date() - timedelta(days=now.weekday())
    return datetime.combine(monday, time(0), tzinfo=now.tzinfo)


class OrganizationIndex:
    """The in-memory geo index over active organizations, rebuilt on change."""

    def __init__(self) -> None:
        self._key: tuple[int, int | None] | None = None
        self._index: geo.MemoryGeoIndex | None = None

    def get(self, session: Session) -> geo.MemoryGeoIndex:
        key = session.execute(
            select(func.count(Organization.id), func.max(Organization.id))
        ).one()
        if self._index is None or tuple(key) != self._key:
            rows = session.execute(
                select(Organization.id, Organization.lat, Organization.lon)
            ).all()
            self._index = geo.MemoryGeoIndex((r.id, r.lat, r.lon) for r in rows)
            self._key = (key[0], key[1])
        return self._index


ORGANIZATIONS = OrganizationIndex()


def candidates_for(
    session: Session, surplus: scoring.SurplusInfo, now: datetime
) -> list[scoring.Candidate]:
    """Organizations near the surplus, from PostGIS or the in-memory index."""
    since = week_start(now)
    if session.get_bind().dialect.name == "postgresql":
        return postgis.candidates(session, surplus, since)
    return _memory_candidates(session, surplus, since)


def _memory_candidates(
    session: Session,
    surplus: scoring.SurplusInfo,
    since: datetime,
    index: OrganizationIndex | None = None,
) -> list[scoring.Candidate]:
    nearby = (
        (index or ORGANIZATIONS)
        .get(session)
        .within(surplus.lat, surplus.lon, surplus.farm_radius_km)
    )
    if not nearby:
        return []
    distances = dict(nearby)
    ids = list(distances)
    orgs = session.scalars(
        select(Organization)
        .where(Organization.id.in_(ids))
        .options(selectinload(Organization.contacts))
    ).all()
    received = _received_since(session, ids, since)
    last_served = _last_served(session, ids)
    no_shows, declines = _history(session, ids, since - HISTORY)
    return [
        scoring.Candidate(
            organization_id=org.id,
            name=org.name,
            distance_km=distances[org.id],
            service_radius_km=org.service_radius_km,
            weekly_capacity_kg=org.weekly_capacity_kg,
            received_this_week_kg=received.get(org.id, 0.0),
            cold_storage=org.cold_storage,
            categories=frozenset(org.categories or ()),
            priority=org.priority,
            last_served_at=last_served.get(org.id),
            active=org.active,
            opted_out=bool(org.contacts) and all(c.opted_out for c in org.contacts),
            no_shows=no_shows.get(org.id, 0),
            declines=declines.get(org.id, 0),
        )
        for org in orgs
    ]


def _history(
    session: Session, ids: list[int], since: datetime
) -> tuple[dict[int, int], dict[int, int]]:
    """Recent no-shows and declines per organization, for reliability."""
    no_shows = session.execute(
        select(Claim.organization_id, func.count())
        .where(
            Claim.organization_id.in_(ids),
            Claim.outcome == "no_show",
            Claim.created_at >= since,
        )
        .group_by(Claim.organization_id)
    ).all()
    declines = session.execute(
        select(Offer.organization_id, func.count())
        .where(
            Offer.organization_id.in_(ids),
            Offer.status == "declined",
            Offer.responded_at >= since,
        )
        .group_by(Offer.organization_id)
    ).all()
    return {o: n for o, n in no_shows}, {o: n for o, n in declines}


def surplus_lat(surplus: Surplus) -> float:
    return surplus.parcel.lat if surplus.parcel else surplus.farm.lat


def surplus_lon(surplus: Surplus) -> float:
    return surplus.parcel.lon if surplus.parcel else surplus.farm.lon


def _received_since(
    session: Session, ids: list[int], since: datetime
) -> dict[int, float]:
    rows = session.execute(
        select(Claim.organization_id, func.sum(Claim.quantity_kg))
        .where(
            Claim.organization_id.in_(ids),
            Claim.status == "confirmed",
            Claim.created_at >= since,
        )
        .group_by(Claim.organization_id)
    ).all()
    return {org_id: float(kg or 0) for org_id, kg in rows}


def _last_served(session: Session, ids: list[int]) -> dict[int, datetime]:
    rows = session.execute(
        select(Claim.organization_id, func.max(Claim.created_at))
        .where(Claim.organization_id.in_(ids), Claim.status == "confirmed")
        .group_by(Claim.organization_id)
    ).all()
    return {org_id: _aware(at) for org_id, at in rows if at is not None}


def _aware(value: datetime | str) -> datetime:
    # func.max() bypasses the column type, so SQLite hands back naive text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def match_surplus(
    session: Session, surplus: Surplus, settings: Settings, now: datetime
) -> list[Match]:
    """Rank every nearby organization, store the decision, open the first wave."""
    radius = surplus.farm.radius_km or settings.default_farm_radius_km
    info = scoring.SurplusInfo(
        lat=surplus_lat(surplus),
        lon=surplus_lon(surplus),
        farm_radius_km=radius,
        category=surplus.category,
        perishable=surplus.perishable,
        quantity_kg=surplus.remaining_kg,
    )
    ranked, excluded = scoring.rank(info, candidates_for(session, info, now), now)
    for r in ranked:
        session.add(
            Match(
                surplus_id=surplus.id,
                organization_id=r.organization_id,
                rank=r.rank,
                distance_km=r.distance_km,
                score=r.score,
                reasons=[_reason_json(reason) for reason in r.reasons],
            )
        )
    for x in excluded:
        session.add(
            Match(
                surplus_id=surplus.id,
                organization_id=x.organization_id,
                rank=None,
                distance_km=x.distance_km,
                score=None,
                reasons=[_reason_json(x.reason)],
                excluded=True,
            )
        )
    session.flush()
    session.refresh(surplus, ["matches"])
    if not ranked:
        surplus.status = SurplusStatus.UNMATCHED
        emit(session, "surplus.unmatched", surplus_id=surplus.id)
        return []
    return open_next_wave(session, surplus, settings)


def _reason_json(reason: scoring.Reason) -> dict[str, object]:
    return {"code": reason.code, "params": dict(reason.params)}


def open_next_wave(
    session: Session, surplus: Surplus, settings: Settings
) -> list[Match]:
    """Offer the surplus to the next organizations in rank order, if any remain."""
    if not surplus.is_open or surplus.remaining_kg <= 0:
        return []
    waiting = [m for m in surplus.matches if not m.excluded and m.wave is None]
    chosen = sorted(waiting, key=lambda m: m.rank or 0)[: settings.wave_size]
    if not chosen:
        return []
    surplus.wave += 1
    surplus.status = SurplusStatus.OFFERED
    for match in chosen:
        match.wave = surplus.wave
    session.flush()
    emit(
        session,
        "offers.ready",
        surplus_id=surplus.id,
        wave=surplus.wave,
        match_ids=[m.id for m in chosen],
    )
    return chosen


def wave_settled(surplus: Surplus) -> bool:
    """Everyone offered in the current wave said no (or could not be reached)."""
    current = [o for o in surplus.offers if o.wave == surplus.wave]
    return bool(current) and all(
        o.status in ("declined", "failed", "closed", "expired") for o in current
    )


def expire(session: Session, surplus: Surplus) -> bool:
    if not surplus.is_open:
        return False
    surplus.status = SurplusStatus.EXPIRED
    surplus.closed_at = datetime.now(UTC)
    emit(session, "surplus.expired", surplus_id=surplus.id)
    return True
