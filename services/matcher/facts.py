"""What the matcher knows about an organization, for one surplus, in SQL.

Its own columns, plus what this week and its recent history say: kilos
received since Monday, when it was last served, missed pickups, declined
offers, and whether every contact opted out. These are correlated subqueries,
so a query that stops early (PostGIS KNN with a LIMIT, or a short list of ids
from the in-memory index) computes them only for the organizations it returns.
Both engines read organizations through here and choose them with the same
Shortlist, so they rank alike.

The statements are built once, with bound parameters (`params()`): building
them costs more than running them against an index.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, func, select

from services.matcher import scoring
from shared.models import Claim, Contact, Offer, Organization

ORG = Organization.__table__
SINCE = bindparam("since", type_=Claim.created_at.type)
HISTORY_SINCE = bindparam("history_since", type_=Claim.created_at.type)


def params(since: datetime) -> dict[str, datetime]:
    """The bound values for a week starting at `since` (Monday 00:00)."""
    return {
        "since": since,
        "history_since": since - timedelta(days=scoring.RELIABILITY_DAYS),
    }


def received_kg() -> ColumnElement[Any]:
    """Kilos the organization claimed since Monday."""
    return (
        select(func.coalesce(func.sum(Claim.quantity_kg), 0.0))
        .where(
            Claim.organization_id == ORG.c.id,
            Claim.status == "confirmed",
            Claim.created_at >= SINCE,
        )
        .scalar_subquery()
    )


def opted_out() -> ColumnElement[Any]:
    """It has contacts and every one of them opted out (NULL: no contacts)."""
    each = case((Contact.opted_out_at.is_(None), 0), else_=1)
    every = select(func.min(each)).where(Contact.organization_id == ORG.c.id)
    return every.scalar_subquery() == 1


def _columns() -> list[ColumnElement[Any]]:
    last_served = (
        select(func.max(Claim.created_at))
        .where(Claim.organization_id == ORG.c.id, Claim.status == "confirmed")
        .scalar_subquery()
    )
    no_shows = (
        select(func.count())
        .where(
            Claim.organization_id == ORG.c.id,
            Claim.outcome == "no_show",
            Claim.created_at >= HISTORY_SINCE,
        )
        .scalar_subquery()
    )
    declines = (
        select(func.count())
        .where(
            Offer.organization_id == ORG.c.id,
            Offer.status == "declined",
            Offer.responded_at >= HISTORY_SINCE,
        )
        .scalar_subquery()
    )
    return [
        ORG.c.id,
        ORG.c.name,
        ORG.c.lat,
        ORG.c.lon,
        ORG.c.service_radius_km,
        ORG.c.weekly_capacity_kg,
        ORG.c.cold_storage,
        ORG.c.categories,
        ORG.c.priority,
        ORG.c.active,
        received_kg().label("received_kg"),
        last_served.label("last_served_at"),
        opted_out().label("opted_out"),
        no_shows.label("no_shows"),
        declines.label("declines"),
    ]


COLUMNS = _columns()
# The in-memory engine's read: these organizations, with their facts.
BY_ID = select(*COLUMNS).where(ORG.c.id.in_(bindparam("ids", expanding=True)))


class Shortlist:
    """Organizations handed in nearest first: the first `limit` able to take
    the surplus, and up to MAX_EXCLUDED left out before the last of them.
    """

    MAX_EXCLUDED = 20

    def __init__(self, surplus: scoring.SurplusInfo, limit: int) -> None:
        self.surplus = surplus
        self.limit = limit
        self.kept: list[scoring.Candidate] = []
        self.left_out: list[scoring.Candidate] = []

    @property
    def full(self) -> bool:
        return len(self.kept) >= self.limit

    def consider(self, row: Any, distance_km: float) -> None:
        if self.full:
            return
        candidate = _candidate(row, distance_km)
        if scoring.exclusion(self.surplus, candidate) is None:
            self.kept.append(candidate)
        elif len(self.left_out) < self.MAX_EXCLUDED:
            self.left_out.append(candidate)

    def candidates(self) -> list[scoring.Candidate]:
        return self.kept + self.left_out


def _candidate(row: Any, distance_km: float) -> scoring.Candidate:
    return scoring.Candidate(
        organization_id=row.id,
        name=row.name,
        distance_km=distance_km,
        service_radius_km=row.service_radius_km,
        weekly_capacity_kg=row.weekly_capacity_kg,
        received_this_week_kg=float(row.received_kg or 0.0),
        cold_storage=row.cold_storage,
        categories=frozenset(row.categories or ()),
        priority=row.priority,
        last_served_at=_aware(row.last_served_at),
        active=row.active,
        opted_out=bool(row.opted_out),
        no_shows=int(row.no_shows or 0),
        declines=int(row.declines or 0),
    )


def _aware(value: datetime | str | None) -> datetime | None:
    # An aggregate bypasses the column type, so SQLite hands back naive text.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
