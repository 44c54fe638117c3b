"""A surplus is ranked against the organizations nearest to it able to take
it (ten waves' worth), not every one within the farm's radius."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select

from shared.db import transaction
from shared.models import Contact, Farm, Match, Organization
from shared.runtime import Runtime
from tests.conftest import FARMER, Twilio
from tests.services.matcher.test_waves import announce


def test_only_the_nearest_able_are_ranked_and_nearer_ones_left_out_say_why(
    runtime: Runtime, twilio: Twilio, work: Any
) -> None:
    runtime.settings = replace(runtime.settings, wave_size=2)  # a short list of 20
    with transaction(runtime.sessions) as session:
        farm = session.scalars(
            select(Farm).join(Contact).where(Contact.phone == FARMER)
        ).one()
        parcel = next(p for p in farm.parcels if p.code == "P1")
        for other in session.scalars(select(Organization)):
            other.active = False  # the demo's organizations step aside
        # 60 organizations on a line going away from the parcel, 100 m apart;
        # every third one takes only fruit, so it cannot take squash.
        for n in range(60):
            session.add(
                Organization(
                    name=f"Voisin {n:02d}",
                    municipality=farm.municipality,
                    lat=parcel.lat + 0.0009 * (n + 1),
                    lon=parcel.lon,
                    categories=["fruit"] if n % 3 == 0 else [],
                )
            )

    surplus_id = announce(twilio, work)

    with runtime.sessions() as session:
        matches = session.scalars(
            select(Match).where(Match.surplus_id == surplus_id)
        ).all()
        names = {m.id: m.organization.name for m in matches}
        ranked = [names[m.id] for m in matches if not m.excluded]
        left_out = [m for m in matches if m.excluded]
    able = [f"Voisin {n:02d}" for n in range(60) if n % 3 != 0]
    assert sorted(ranked) == sorted(able[:20])
    # The fruit-only ones nearer than the 20th able one, each with its reason.
    assert sorted(names[m.id] for m in left_out if "Voisin" in names[m.id]) == [
        f"Voisin {n:02d}" for n in range(0, 29, 3)
    ]
    assert {m.reasons[0]["code"] for m in left_out if "Voisin" in names[m.id]} == {
        "category"
    }
