"""Farms and organizations in bulk, for the benchmarks that need many senders.

The demo seed has 20 farms and ~27 organizations; a load of thousands of texts
from 20 phones would only measure the per-sender rate limit (20 texts a
minute, services/web/sms.py). These are spread around Joliette like the seed,
with fictional numbers: 555-0100 to 555-0199 (reserved for fiction) in other
Quebec and Ontario area codes than the seed's 450.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from shared.models import Contact, Farm, Organization, Parcel, utcnow

# Not 450: the demo seed uses +1 450 555 01XX.
AREA_CODES = [
    "418",
    "438",
    "514",
    "579",
    "581",
    "819",
    "873",
    "367",
    "354",
    "263",
    "226",
    "249",
    "289",
    "343",
    "365",
    "416",
    "437",
    "519",
    "548",
    "613",
    "647",
    "705",
    "807",
    "905",
]
JOLIETTE = (46.0214, -73.4400)
CONSENT = "Benchmark data: fictional contact."


def phones(count: int, start: int = 0) -> list[str]:
    """`count` distinct fictional E.164 numbers, numbered from `start`."""
    if start + count > 100 * len(AREA_CODES):
        raise ValueError("not that many fictional numbers")
    return [
        f"+1{AREA_CODES[n // 100]}555{100 + n % 100:04d}"
        for n in range(start, start + count)
    ]


@dataclass(frozen=True)
class People:
    farm_phones: list[str]
    org_phones: list[str]
    organization_ids: list[int]


def _near(rng: random.Random, km: float) -> tuple[float, float]:
    lat, lon = JOLIETTE
    north, east = rng.uniform(-km, km), rng.uniform(-km, km)
    return (
        round(lat + north / 111.2, 5),
        round(lon + east / (111.2 * math.cos(math.radians(lat))), 5),
    )


def populate(
    session: Session,
    farms: int,
    organizations: int,
    seed: int = 7,
    *,
    farm_km: float = 25,
    org_km: float = 25,
) -> People:
    """Add `farms` farms (two parcels, one phone each) within `farm_km` of
    Joliette and `organizations` organizations (one SMS contact each, a 20 to
    40 km service radius) within `org_km`."""
    rng = random.Random(seed)  # nosec B311 # repeatable bench data, not secrets
    farm_numbers = phones(farms)
    org_numbers = phones(organizations, start=farms)
    for n, number in enumerate(farm_numbers):
        lat, lon = _near(rng, farm_km)
        farm = Farm(
            name=f"Ferme banc d'essai {n + 1}",
            municipality="Joliette",
            lat=lat,
            lon=lon,
            radius_km=40.0,
            form_token=secrets.token_urlsafe(16),
        )
        for i in (1, 2):
            p_lat, p_lon = lat + 0.002 * i, lon + 0.002 * i
            farm.parcels.append(
                Parcel(
                    code=f"P{i}",
                    geometry_wkt=f"POINT ({p_lon} {p_lat})",
                    lat=p_lat,
                    lon=p_lon,
                    rules="Ne pas marcher sur les rangs.",
                )
            )
        farm.contacts.append(_contact(f"Fermier {n + 1}", number))
        session.add(farm)
    orgs = []
    for n, number in enumerate(org_numbers):
        lat, lon = _near(rng, org_km)
        org = Organization(
            name=f"Organisme banc d'essai {n + 1}",
            kind="cuisine collective",
            municipality="Joliette",
            lat=lat,
            lon=lon,
            service_radius_km=float(rng.choice([20, 25, 30, 35, 40])),
            weekly_capacity_kg=1_000_000.0,  # never the reason an offer stops
            cold_storage=True,
            categories=[],
            channels=["sms"],
        )
        org.contacts.append(_contact(f"Coordination {n + 1}", number))
        session.add(org)
        orgs.append(org)
    session.flush()
    return People(farm_numbers, org_numbers, [o.id for o in orgs])


def _contact(name: str, number: str) -> Contact:
    return Contact(
        name=name,
        phone=number,
        language="fr",
        consent_at=utcnow(),
        consent_source="bench",
        consent_text=CONSENT,
    )
