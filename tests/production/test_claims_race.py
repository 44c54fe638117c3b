"""Claims racing on PostgreSQL itself: many processes, one row, each with its
own connection. Never oversold, everyone answered, no deadlock."""

from __future__ import annotations

import multiprocessing
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.pool import NullPool

from shared import claims
from shared.db import make_session_factory, normalize_url, transaction
from shared.models import Claim, Farm, Organization, Surplus
from shared.runtime import Runtime
from tests.conftest import announce_kg

CLAIMERS = 60  # below max_connections (100) with room for the test itself


def _claim(args: tuple[str, int, int, float | None]) -> tuple[str, float]:
    from sqlalchemy import create_engine

    url, surplus_id, org_id, kg = args
    engine = create_engine(normalize_url(url), poolclass=NullPool)
    try:
        with transaction(make_session_factory(engine)) as session:
            org = session.get(Organization, org_id)
            assert org is not None
            result = claims.claim(session, surplus_id, org, kg, via="sms")
            return result.outcome.value, result.granted_kg
    finally:
        engine.dispose()


def test_claimers_in_separate_processes_never_oversell(pg_runtime: Runtime) -> None:
    with transaction(pg_runtime.sessions) as session:
        farm = session.scalars(select(Farm)).first()
        assert farm is not None
        surplus = announce_kg(session, farm, 300, date.today() + timedelta(days=2))
        surplus_id = surplus.id
        orgs = [
            o.id
            for o in session.scalars(select(Organization).order_by(Organization.id))
        ]

    # Half ask for 9 kg, half for "all that remains": both paths race.
    jobs = [
        (
            pg_runtime.settings.database_url,
            surplus_id,
            orgs[n % len(orgs)],
            9.0 if n % 2 else None,
        )
        for n in range(CLAIMERS)
    ]
    with multiprocessing.get_context("fork").Pool(CLAIMERS) as pool:
        results = pool.map(_claim, jobs)

    assert len(results) == CLAIMERS
    granted = sum(kg for _, kg in results)
    assert granted == 300
    with pg_runtime.sessions() as session:
        stored = session.scalars(
            select(Claim.quantity_kg).where(Claim.surplus_id == surplus_id)
        ).all()
        final = session.get(Surplus, surplus_id)
        assert final is not None
        assert (
            sum(stored) == 300 and final.remaining_kg == 0 and final.status == "claimed"
        )
    assert {outcome for outcome, _ in results} <= {"granted", "capped", "nothing_left"}
