"""Claim arithmetic: partial, capped, nothing left, closed — and never oversold."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from shared import claims
from shared.db import transaction
from shared.models import Claim, Event, Farm, Organization, Surplus
from shared.runtime import Runtime
from shared.surpluses import code_for
from tests.conftest import announce_kg


def new_surplus(runtime: Runtime, kg: float = 500.0) -> int:
    with transaction(runtime.sessions) as session:
        farm = session.scalars(select(Farm)).first()
        assert farm is not None
        surplus = announce_kg(session, farm, kg, date.today() + timedelta(days=3))
        return surplus.id


def take(
    runtime: Runtime, surplus_id: int, org_index: int, kg: float | None
) -> claims.ClaimResult:
    with transaction(runtime.sessions) as session:
        org = session.scalars(select(Organization).order_by(Organization.id)).all()[
            org_index
        ]
        return claims.claim(session, surplus_id, org, kg, via="sms")


def remaining(runtime: Runtime, surplus_id: int) -> tuple[float, str]:
    with runtime.sessions() as session:
        surplus = session.get(Surplus, surplus_id)
        assert surplus is not None
        return surplus.remaining_kg, surplus.status


def test_partial_then_capped_then_nothing_left(runtime: Runtime) -> None:
    surplus_id = new_surplus(runtime, 500)

    first = take(runtime, surplus_id, 0, 200)
    assert (first.outcome, first.granted_kg) == (claims.Outcome.GRANTED, 200)
    assert remaining(runtime, surplus_id) == (300, "open")

    second = take(runtime, surplus_id, 1, 450)
    assert (second.outcome, second.granted_kg) == (claims.Outcome.CAPPED, 300)
    assert remaining(runtime, surplus_id) == (0, "claimed")

    third = take(runtime, surplus_id, 2, None)
    assert (third.outcome, third.granted_kg) == (claims.Outcome.NOTHING_LEFT, 0)


def test_take_all_that_remains(runtime: Runtime) -> None:
    surplus_id = new_surplus(runtime, 120)
    take(runtime, surplus_id, 0, 20)
    result = take(runtime, surplus_id, 1, None)
    assert (result.outcome, result.granted_kg) == (claims.Outcome.GRANTED, 100)


def test_last_claim_writes_confirmation_and_closing_events(runtime: Runtime) -> None:
    surplus_id = new_surplus(runtime, 50)
    take(runtime, surplus_id, 0, None)
    with runtime.sessions() as session:
        kinds = [e.kind for e in session.scalars(select(Event).order_by(Event.id))]
    assert kinds[-2:] == ["claim.confirmed", "surplus.closed"]


def test_claim_on_cancelled_surplus_changes_nothing(runtime: Runtime) -> None:
    surplus_id = new_surplus(runtime, 50)
    with transaction(runtime.sessions) as session:
        surplus = session.get(Surplus, surplus_id)
        assert surplus is not None and claims.cancel(session, surplus)
    result = take(runtime, surplus_id, 0, 10)
    assert result.outcome == claims.Outcome.CLOSED
    assert remaining(runtime, surplus_id) == (50, "cancelled")


def test_zero_or_negative_claim_is_refused(runtime: Runtime) -> None:
    surplus_id = new_surplus(runtime, 50)
    with pytest.raises(ValueError):
        take(runtime, surplus_id, 0, 0)


def test_concurrent_claims_never_oversell(runtime: Runtime) -> None:
    surplus_id = new_surplus(runtime, 100)
    results: list[claims.ClaimResult] = []
    lock = threading.Lock()

    def claimer(index: int) -> None:
        result = take(runtime, surplus_id, index % 27, 30)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 20  # every claimer got an answer
    granted = sum(r.granted_kg for r in results)
    assert granted == 100
    assert sorted(r.granted_kg for r in results if r.ok) == [10, 30, 30, 30]
    with runtime.sessions() as session:
        stored = session.scalars(
            select(Claim).where(Claim.surplus_id == surplus_id)
        ).all()
    assert sum(c.quantity_kg for c in stored) == 100
    assert remaining(runtime, surplus_id) == (0, "claimed")


def test_codes_are_short_unique_and_never_p() -> None:
    codes = [code_for(n) for n in range(1, 5000)]
    assert len(set(codes)) == len(codes)
    assert code_for(1) == "A1" and code_for(2) == "B1"
    assert not any(c.startswith(("P", "I", "O")) for c in codes)
    assert max(len(c) for c in codes[:2000]) <= 4
