"""Offers go out in waves: three, then three more while kilos remain."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from services.matcher import jobs
from shared.claims import decline
from shared.db import transaction
from shared.models import Match, Offer, Organization, Surplus
from shared.runtime import Runtime
from tests.conftest import FARMER, Twilio


def announce(
    twilio: Twilio, work: Any, text: str = "DISPO P1 courges 900 kg jusqu'à vendredi"
) -> int:
    reply = twilio.reply(FARMER, text)
    work()
    code = re.search(r"\b([A-Z]\d+)\b", reply).group(1)  # type: ignore[union-attr]
    return code_to_id(code)


def code_to_id(code: str) -> int:
    from shared.surpluses import CODE_LETTERS

    return (int(code[1:]) - 1) * len(CODE_LETTERS) + CODE_LETTERS.index(code[0]) + 1


def offers(runtime: Runtime, surplus_id: int) -> list[Offer]:
    with runtime.sessions() as session:
        return list(
            session.scalars(
                select(Offer).where(Offer.surplus_id == surplus_id).order_by(Offer.id)
            )
        )


def test_first_wave_is_the_three_best_and_every_decision_is_recorded(
    runtime: Runtime, twilio: Twilio, work: Any
) -> None:
    surplus_id = announce(twilio, work)
    with runtime.sessions() as session:
        matches = session.scalars(
            select(Match).where(Match.surplus_id == surplus_id)
        ).all()
        ranked = sorted(
            (m for m in matches if not m.excluded), key=lambda m: m.rank or 0
        )
        excluded = [m for m in matches if m.excluded]
        assert [m.wave for m in ranked[:3]] == [1, 1, 1]
        assert all(m.wave is None for m in ranked[3:])
        assert all(m.reasons for m in matches)
        # Fruit-only organizations are left out of squash, with the reason.
        fruit_only = session.scalars(
            select(Organization).where(Organization.name.like("Fruits%"))
        ).one()
        left = {m.organization_id: m for m in excluded}
        if fruit_only.id in left:
            assert left[fruit_only.id].reasons[0]["code"] == "category"
    assert [o.organization_id for o in offers(runtime, surplus_id)] == [
        m.organization_id for m in ranked[:3]
    ]


def org_phone(runtime: Runtime, org_id: int) -> str | None:
    with runtime.sessions() as session:
        org = session.get(Organization, org_id)
        return org.phone if org else None


def code_of(runtime: Runtime, surplus_id: int) -> str:
    with runtime.sessions() as session:
        return session.get(Surplus, surplus_id).code  # type: ignore[union-attr,return-value]


def test_timer_opens_the_next_wave_only_while_kilos_remain(
    runtime: Runtime, twilio: Twilio, work: Any
) -> None:
    surplus_id = announce(twilio, work)
    assert jobs.next_wave(surplus_id, 1) is True
    work()
    assert len(offers(runtime, surplus_id)) == 6
    assert jobs.next_wave(surplus_id, 1) is False  # a stale timer does nothing

    takers = [
        org_phone(runtime, o.organization_id) for o in offers(runtime, surplus_id)
    ]
    phone = next(p for p in takers if p)
    assert "900" in twilio.reply(phone, f"OUI {code_of(runtime, surplus_id)}")
    assert jobs.next_wave(surplus_id, 2) is False  # nothing left: no third wave
    assert len(offers(runtime, surplus_id)) == 6


def test_when_a_whole_wave_declines_the_next_goes_out_at_once(
    runtime: Runtime, twilio: Twilio, work: Any
) -> None:
    surplus_id = announce(twilio, work)
    code = code_of(runtime, surplus_id)
    for offer in offers(runtime, surplus_id):
        phone = org_phone(runtime, offer.organization_id)
        if phone:
            twilio.reply(phone, f"NON {code}")
        else:
            with transaction(runtime.sessions) as session:
                org = session.get(Organization, offer.organization_id)
                decline(session, surplus_id, org)  # type: ignore[arg-type]
    work()
    assert len(offers(runtime, surplus_id)) == 6
    assert {o.status for o in offers(runtime, surplus_id)[:3]} == {"declined"}
