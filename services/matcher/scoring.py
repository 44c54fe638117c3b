"""Rank the food organizations that could take a surplus, and say why.

Pure domain logic: the caller reads the surplus and the candidate organizations
(with their exact distance from the geo index) and stores what `rank` returns.
Every organization left out keeps one reason, so the coordinator sees the
decision as it was made.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.reasons import Reason

SECONDS_PER_DAY = 86_400.0
# No-shows and declines older than this are forgiven.
RELIABILITY_DAYS = 60

# Exclusion codes in the order they are checked; an organization left out keeps
# the first that applies. Its own standing comes first, then what it accepts,
# then the farm's radius before its own, then this week's load, then equipment.
EXCLUSION_ORDER = (
    "inactive",
    "opted_out",
    "category",
    "too_far_for_farm",
    "too_far_for_org",
    "no_capacity",
    "no_cold_storage",
)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True)
class SurplusInfo:
    """What the matcher needs to know about a surplus and its parcel."""

    lat: float
    lon: float
    farm_radius_km: float  # how far the farmer accepts organizations to come from
    category: str  # food category of the crop, e.g. "legume", "fruit"
    perishable: bool  # needs cold storage
    quantity_kg: float | None  # remaining kg, None (or 0) when unknown

    def __post_init__(self) -> None:
        _require(self.farm_radius_km >= 0, "farm_radius_km must be >= 0")
        if self.quantity_kg is not None:
            _require(self.quantity_kg >= 0, "quantity_kg must be >= 0 or None")


@dataclass(frozen=True)
class Candidate:
    """An organization that might take the surplus, as of now."""

    organization_id: int
    name: str
    distance_km: float  # exact geodesic, from the geo index
    service_radius_km: float  # how far the organization travels
    weekly_capacity_kg: float
    received_this_week_kg: float  # claimed kg since Monday 00:00 local
    cold_storage: bool
    categories: frozenset[str]  # accepted categories; empty = accepts all
    priority: bool  # serves the most vulnerable
    last_served_at: datetime | None  # last confirmed claim, for fairness
    active: bool
    opted_out: bool  # every contact opted out of messages
    # Recent history (RELIABILITY_DAYS): pickups missed, offers declined.
    no_shows: int = 0
    declines: int = 0

    def __post_init__(self) -> None:
        _require(self.distance_km >= 0, "distance_km must be >= 0")
        _require(self.service_radius_km >= 0, "service_radius_km must be >= 0")
        _require(self.weekly_capacity_kg >= 0, "weekly_capacity_kg must be >= 0")
        _require(self.received_this_week_kg >= 0, "received_this_week_kg must be >= 0")

    @property
    def capacity_left_kg(self) -> float:
        return self.weekly_capacity_kg - self.received_this_week_kg


@dataclass(frozen=True)
class Ranked:
    organization_id: int
    rank: int  # 1 is the best match
    distance_km: float  # rounded to 0.1
    score: float  # in [0, 1], rounded to 3 decimals
    reasons: tuple[Reason, ...]  # strongest first


@dataclass(frozen=True)
class Excluded:
    organization_id: int
    distance_km: float  # rounded to 0.1
    reason: Reason


@dataclass(frozen=True)
class Weights:
    """How much each component counts in a score; only their ratios matter.

    With the defaults and reach = min(farm radius, organization radius):
    - distance leads (0.40): a short trip is what gets produce picked up by
      small teams on small budgets;
    - capacity (0.25): being able to take the whole surplus rather than half of
      it is worth 31 % of the reach, because each extra taker means another
      wave of offers and another visit to the farmer's field;
    - fairness (0.20): going unserved for the whole horizon is worth half the
      reach, and more than priority, so priority organizations cannot take every
      surplus in turn while others wait two weeks;
    - priority (0.15): serving the most vulnerable beats an otherwise equal
      organization up to 37.5 % of the reach closer (9.4 km at a 25 km reach).
    """

    distance: float = 0.40
    capacity: float = 0.25
    fairness: float = 0.20
    priority: float = 0.15
    fairness_horizon_days: float = 14.0

    def __post_init__(self) -> None:
        parts = (self.distance, self.capacity, self.fairness, self.priority)
        _require(all(math.isfinite(w) and w >= 0 for w in parts), "weights >= 0")
        _require(sum(parts) > 0, "at least one weight must be > 0")
        _require(self.fairness_horizon_days > 0, "fairness_horizon_days must be > 0")

    @property
    def total(self) -> float:
        return self.distance + self.capacity + self.fairness + self.priority


DEFAULT_WEIGHTS = Weights()


def rank(
    surplus: SurplusInfo,
    candidates: Iterable[Candidate],
    now: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
) -> tuple[list[Ranked], list[Excluded]]:
    """Rank the candidates able to take the surplus; say why others are left out.

    Ranked organizations come best first (ties: nearer, then lower id);
    excluded ones nearest first. `now` and every `last_served_at` must both be
    timezone-aware or both naive.
    """
    scored: list[tuple[float, Candidate, tuple[Reason, ...]]] = []
    excluded: list[Excluded] = []
    seen: set[int] = set()
    for candidate in candidates:
        org_id = candidate.organization_id
        _require(org_id not in seen, f"organization {org_id} is a candidate twice")
        seen.add(org_id)

        reason = exclusion(surplus, candidate)
        if reason is not None:
            excluded.append(_excluded(candidate, reason))
            continue
        score, reasons = _score(surplus, candidate, now, weights)
        # The rounded score decides, so organizations that look tied in the
        # panel are ordered by distance rather than by float noise.
        scored.append((round(score, 3), candidate, reasons))

    scored.sort(key=lambda s: (-s[0], s[1].distance_km, s[1].organization_id))
    excluded.sort(key=lambda e: (e.distance_km, e.organization_id))
    ranked = [
        Ranked(c.organization_id, position, round(c.distance_km, 1), score, reasons)
        for position, (score, c, reasons) in enumerate(scored, start=1)
    ]
    return ranked, excluded


def exclusion(surplus: SurplusInfo, candidate: Candidate) -> Reason | None:
    """The first reason, in EXCLUSION_ORDER, that leaves the candidate out."""
    c = candidate
    if not c.active:
        return Reason("inactive")
    if c.opted_out:
        return Reason("opted_out")
    if c.categories and surplus.category not in c.categories:
        return Reason("category", {"category": surplus.category})
    if c.distance_km > surplus.farm_radius_km:
        return Reason("too_far_for_farm", {"radius_km": _km(surplus.farm_radius_km)})
    if c.distance_km > c.service_radius_km:
        return Reason("too_far_for_org", {"radius_km": _km(c.service_radius_km)})
    if c.capacity_left_kg <= 0:
        return Reason("no_capacity")
    if surplus.perishable and not c.cold_storage:
        return Reason("no_cold_storage")
    return None


@dataclass(frozen=True)
class _Component:
    weight: float
    value: float  # in [0, 1]
    reason: Reason
    always_told: bool  # told even when it adds nothing to the score

    @property
    def points(self) -> float:
        return self.weight * self.value


def _score(
    surplus: SurplusInfo, candidate: Candidate, now: datetime, weights: Weights
) -> tuple[float, tuple[Reason, ...]]:
    """Weighted score in [0, 1], and the components that explain it."""
    components = _components(surplus, candidate, now, weights)
    score = sum(c.points for c in components) / weights.total
    score *= reliability(candidate)

    told = [c for c in components if c.weight > 0 and (c.always_told or c.value > 0)]
    # The sort is stable: equal contributions keep the components' order.
    told.sort(key=lambda c: -c.points)
    reasons = [c.reason for c in told]
    if candidate.no_shows or candidate.declines:
        counts = {"no_shows": candidate.no_shows, "declines": candidate.declines}
        reasons.append(Reason("reliability", counts))
    if surplus.perishable:
        reasons.append(Reason("cold_storage"))
    return _unit(score), tuple(reasons)


def _components(
    surplus: SurplusInfo, candidate: Candidate, now: datetime, weights: Weights
) -> list[_Component]:
    days = _days_since_served(candidate, now)
    return [
        _Component(
            weights.distance,
            _distance_value(surplus, candidate),
            Reason("distance", {"km": _km(candidate.distance_km)}),
            always_told=True,
        ),
        _Component(
            weights.capacity,
            _capacity_value(surplus, candidate),
            Reason("capacity", {"kg": _kg(candidate.capacity_left_kg)}),
            always_told=True,
        ),
        _Component(
            weights.fairness,
            1.0 if days is None else _unit(days / weights.fairness_horizon_days),
            Reason("fairness", {} if days is None else {"days": math.floor(days)}),
            always_told=False,
        ),
        _Component(
            weights.priority,
            1.0 if candidate.priority else 0.0,
            Reason("priority"),
            always_told=False,
        ),
    ]


def reliability(candidate: Candidate) -> float:
    """A factor in (0, 1]: a missed pickup costs far more than an honest "no".

    A food organization that said no has told the farmer where he stands; one
    that claimed and did not come left food in the field.
    """
    return 1.0 / (1.0 + 0.5 * candidate.no_shows + 0.1 * candidate.declines)


def _distance_value(surplus: SurplusInfo, candidate: Candidate) -> float:
    """1 on the farm, 0 at the nearer of the two radii."""
    reach_km = min(surplus.farm_radius_km, candidate.service_radius_km)
    if reach_km <= 0:
        return 1.0
    return _unit(1.0 - candidate.distance_km / reach_km)


def _capacity_value(surplus: SurplusInfo, candidate: Candidate) -> float:
    """Share of the surplus it can take, or of its week left when kg are unknown."""
    left_kg = candidate.capacity_left_kg
    if not surplus.quantity_kg:
        return _unit(left_kg / candidate.weekly_capacity_kg)
    return _unit(left_kg / surplus.quantity_kg)


def _days_since_served(candidate: Candidate, now: datetime) -> float | None:
    if candidate.last_served_at is None:
        return None
    return (now - candidate.last_served_at).total_seconds() / SECONDS_PER_DAY


def _excluded(candidate: Candidate, reason: Reason) -> Excluded:
    distance_km = round(candidate.distance_km, 1)
    return Excluded(candidate.organization_id, distance_km, reason)


def _km(value: float) -> float:
    return round(value, 1)


def _kg(value: float) -> float:
    return round(value) if abs(value) >= 10 else round(value, 1)


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)
