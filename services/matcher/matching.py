"""From a stored surplus to stored matches and waves of offers.

The pure parts (geo index, scoring) live beside this module; this one reads
the organizations, asks them, and writes what was decided with its reasons.
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, time, timedelta
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session

from services.matcher import facts, geo, postgis, scoring
from shared.config import Settings
from shared.events import emit
from shared.models import (
    Match,
    Organization,
    Surplus,
    SurplusStatus,
)

# A surplus is ranked against the organizations nearest to it able to take it,
# as many as this many waves offer; far more than a surplus ever needs.
SHORTLIST_WAVES = 10


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of the week of `now`, in now's timezone."""
    monday = now.date() - timedelta(days=now.weekday())
    return datetime.combine(monday, time(0), tzinfo=now.tzinfo)


class OrganizationIndex:
    """The in-memory geo index of organizations, one per database.

    Built in full on first use; afterwards each ranking reads only the
    organizations changed in the last CHANGES_WINDOW (an indexed range on
    updated_at, usually empty) and moves them in the index, which rebuilds
    its tree in the background. A change is therefore seen by the next
    ranking, and no ranking waits for a rebuild.
    """

    # Longer than any transaction that changes an organization, so one that
    # commits late, with an earlier updated_at, is still read.
    CHANGES_WINDOW = timedelta(seconds=60)

    def __init__(self) -> None:
        self._indexes: WeakKeyDictionary[Engine, geo.MemoryGeoIndex] = (
            WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def get(self, session: Session) -> geo.MemoryGeoIndex:
        engine = session.get_bind().engine
        index = self._indexes.get(engine)
        if index is None:
            with self._lock:
                index = self._indexes.get(engine)
                if index is None:
                    index = self._load(session)
                    self._indexes[engine] = index
                    return index
        since = datetime.now(UTC) - self.CHANGES_WINDOW
        for row in session.connection().execute(_CHANGED, {"since": since}):
            index.add(row.id, row.lat, row.lon)
        return index

    @staticmethod
    def _load(session: Session) -> geo.MemoryGeoIndex:
        rows = session.execute(
            select(Organization.id, Organization.lat, Organization.lon)
        ).all()
        return geo.MemoryGeoIndex((r.id, r.lat, r.lon) for r in rows).build()


_CHANGED = select(Organization.id, Organization.lat, Organization.lon).where(
    Organization.updated_at >= bindparam("since", type_=Organization.updated_at.type)
)
ORGANIZATIONS = OrganizationIndex()


def candidates_for(
    session: Session,
    surplus: scoring.SurplusInfo,
    now: datetime,
    limit: int = postgis.MAX_CANDIDATES,
) -> list[scoring.Candidate]:
    """The `limit` nearest organizations able to take the surplus, and those
    left out nearer than the last of them, from PostGIS or the in-memory index.
    """
    since = week_start(now)
    if session.get_bind().dialect.name == "postgresql":
        return postgis.candidates(session, surplus, since, limit)
    return _memory_candidates(session, surplus, since, limit=limit)


def _memory_candidates(
    session: Session,
    surplus: scoring.SurplusInfo,
    since: datetime,
    index: OrganizationIndex | None = None,
    limit: int = postgis.MAX_CANDIDATES,
) -> list[scoring.Candidate]:
    shortlist = facts.Shortlist(surplus, limit)
    # Facts are read for a few organizations at a time, nearest first, until
    # enough of them can take the surplus.
    batch = 3 * limit + 6
    # The tree is read a little past the batch: the farthest items read are
    # not settled until more are (services.matcher.geo).
    nearby = (
        (index or ORGANIZATIONS)
        .get(session)
        .nearest(surplus.lat, surplus.lon, surplus.farm_radius_km, first=batch + 8)
    )
    connection = session.connection()
    while not shortlist.full:
        distances = dict(itertools.islice(nearby, batch))
        if not distances:
            break
        rows = connection.execute(
            facts.BY_ID, {**facts.params(since), "ids": list(distances)}
        )
        known = {row.id: row for row in rows}
        for org_id, km in distances.items():
            if org_id in known:  # else deleted since the index saw it
                shortlist.consider(known[org_id], km)
        batch *= 4
    return shortlist.candidates()


def shortlist_size(settings: Settings) -> int:
    """How many organizations a surplus is ranked against: enough for ten waves."""
    return SHORTLIST_WAVES * settings.wave_size


def surplus_lat(surplus: Surplus) -> float:
    return surplus.parcel.lat if surplus.parcel else surplus.farm.lat


def surplus_lon(surplus: Surplus) -> float:
    return surplus.parcel.lon if surplus.parcel else surplus.farm.lon


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
    ranked, excluded = scoring.rank(
        info, candidates_for(session, info, now, limit=shortlist_size(settings)), now
    )
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
