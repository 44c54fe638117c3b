"""The demo data tells a believable story: every parcel can be served."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from services.matcher import scoring
from services.matcher.matching import candidates_for
from shared import crops
from shared.config import Settings
from shared.models import Farm, Organization
from shared.runtime import Runtime

COMMON = ("carotte", "pomme de terre", "courge", "laitue", "maïs", "tomate")


def test_demo_has_the_promised_size(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        farms = session.scalars(select(Farm)).all()
        orgs = session.scalars(select(Organization)).all()
        assert len(farms) >= 10 and all(2 <= len(f.parcels) <= 4 for f in farms)
        assert len(orgs) >= 27
        phones = [c.phone for f in farms for c in f.contacts] + [
            c.phone for o in orgs for c in o.contacts
        ]
        assert all(
            p and p.startswith("+1450555") and 100 <= int(p[-4:]) <= 199 for p in phones
        )
        assert all(
            c.email.endswith("@example.org")
            for o in orgs
            for c in o.contacts
            if c.email
        )


def test_every_parcel_has_three_candidates_for_common_crops(runtime: Runtime) -> None:
    now = datetime.now(Settings().tz)
    with runtime.sessions() as session:
        for farm in session.scalars(select(Farm)):
            for parcel in farm.parcels:
                for name in COMMON:
                    crop = crops.get_crop(name)
                    assert crop is not None
                    info = scoring.SurplusInfo(
                        lat=parcel.lat,
                        lon=parcel.lon,
                        farm_radius_km=farm.radius_km or 40,
                        category=crop.category,
                        perishable=crop.perishable,
                        quantity_kg=300,
                    )
                    found = candidates_for(session, info, now)
                    ranked, _ = scoring.rank(info, found, now)
                    assert len(ranked) >= 3, (farm.name, parcel.code, name)
