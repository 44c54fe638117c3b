"""100 claimers racing on one surplus, on PostgreSQL, through shared.claims.

Each claimer is its own process (as web workers are: no shared GIL) with its
own connection opened and its organization loaded beforehand; a barrier
releases all of them at once. A round is settled when the last claimer has
its answer (its transaction committed). Several rounds with different
supplies and demands that exceed them; every round checks what the database
holds afterwards: the claims' kilograms add up to what left the surplus, and
nothing was granted beyond what was there.

python -m bench.claims   (GLANAGE_BENCH_CLAIMERS, GLANAGE_BENCH_ROUNDS)
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from multiprocessing.synchronize import Barrier
from typing import Any

import psycopg
from sqlalchemy import func, select, text

from bench.common import (
    PG_ADMIN,
    Table,
    announce_squash,
    fresh_database,
    median,
    ms,
)
from shared import claims
from shared.db import make_engine, make_session_factory, transaction
from shared.models import Claim, Farm, Organization, Surplus

CLAIMERS = int(os.environ.get("GLANAGE_BENCH_CLAIMERS", "100"))
ROUNDS = int(os.environ.get("GLANAGE_BENCH_ROUNDS", "20"))
# Then rounds of the bare statement alone (DESIGN §7's figure), for scale.
BARE_ROUNDS = max(1, ROUNDS // 2)
BARE_TAKE = (
    "UPDATE surpluses SET remaining_kg = remaining_kg - %(kg)s "
    "WHERE id = %(id)s AND remaining_kg >= %(kg)s RETURNING id"
)
# Seconds a round may take before the benchmark gives up on it.
ROUND_TIMEOUT = 60.0


def supply_kg(round_no: int) -> float:
    """From 150 to 1,100 kg: some rounds run out early, others late."""
    return 150.0 + 50.0 * round_no


def request_kg(round_no: int, claimer: int) -> float | None:
    """What claimer asks for in a round: 5-40 kg, or (one in twenty) "all that
    remains" (`OUI A12`), which takes the row-lock path. ~2,100 kg a round."""
    pick = random.Random(round_no * 100_003 + claimer)  # nosec B311 # not crypto
    return None if pick.random() < 0.05 else float(pick.randint(5, 40))


def _claimer(
    index: int,
    url: str,
    org_id: int,
    surplus_ids: Any,
    barrier: Barrier,
    results: Any,
) -> None:
    # One connection at a time per claimer (the server's limit): the bare
    # one for the first rounds, then the product's pool.
    bare = psycopg.connect(url, autocommit=True)
    for round_no in range(ROUNDS, ROUNDS + BARE_ROUNDS):
        kg = request_kg(round_no, index) or 20.0
        barrier.wait()
        row = bare.execute(BARE_TAKE, {"kg": kg, "id": surplus_ids[round_no]})
        granted = kg if row.fetchone() else 0.0
        results.put((round_no, index, "bare", granted, time.perf_counter()))
    bare.close()
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with engine.connect() as warm:  # the connection is open before the race
        warm.execute(text("select 1"))
    for round_no in range(ROUNDS):
        with transaction(sessions) as session:
            # As the webhook has them loaded when it claims.
            org = session.get(Organization, org_id)
            assert org is not None
            session.get(Surplus, surplus_ids[round_no])
            barrier.wait()
            result = claims.claim(
                session,
                surplus_ids[round_no],
                org,
                request_kg(round_no, index),
                via="sms",
            )
            outcome, granted = result.outcome.value, result.granted_kg
        results.put((round_no, index, outcome, granted, time.perf_counter()))
    engine.dispose()


def _free_connections() -> int:
    """Connections the server can still give this superuser (who may use the
    reserved ones too): max_connections less the other clients'."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        limit = connection.execute("show max_connections").fetchone()
        used = connection.execute(
            "select count(*) from pg_stat_activity"
            " where backend_type = 'client backend' and pid <> pg_backend_pid()"
        ).fetchone()
    assert limit is not None and used is not None
    return int(limit[0]) - int(used[0])


def main() -> None:
    # Other work may hold connections: never ask for more than the server
    # has left. During the race this process holds none (it checks each
    # round's outcome afterwards), so 100 claimers fit max_connections = 100.
    claimers = min(CLAIMERS, _free_connections())
    with fresh_database("claims", seed_demo=True) as url:
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with transaction(sessions) as session:
            farm = session.scalars(select(Farm).order_by(Farm.id)).first()
            assert farm is not None
            orgs = session.scalars(select(Organization.id)).all()
            surplus_ids = []
            for round_no in range(ROUNDS + BARE_ROUNDS):
                kg = supply_kg(round_no)
                surplus = announce_squash(session, farm, kg)
                session.flush()
                surplus_ids.append(surplus.id)

        context = multiprocessing.get_context("fork")
        shared_ids = context.Array("i", surplus_ids, lock=False)
        # The claimers and this process: it notes the time of each release.
        barrier = context.Barrier(claimers + 1)
        results = context.Queue()
        engine.dispose()  # nothing pooled crosses the fork
        workers = [
            context.Process(
                target=_claimer,
                args=(i, url, orgs[i % len(orgs)], shared_ids, barrier, results),
                daemon=True,
            )
            for i in range(claimers)
        ]
        for worker in workers:
            worker.start()

        bare_settle: list[float] = []
        for round_no in range(ROUNDS, ROUNDS + BARE_ROUNDS):
            barrier.wait(timeout=ROUND_TIMEOUT)
            released = time.perf_counter()
            answers = [results.get(timeout=ROUND_TIMEOUT) for _ in range(claimers)]
            bare_settle.append(max(a[4] for a in answers) - released)
            assert sum(a[3] for a in answers) <= supply_kg(round_no)

        settle: list[float] = []
        rounds = []
        for _ in range(ROUNDS):
            barrier.wait(timeout=ROUND_TIMEOUT)
            released = time.perf_counter()
            answers = [results.get(timeout=ROUND_TIMEOUT) for _ in range(claimers)]
            settle.append(max(a[4] for a in answers) - released)
            rounds.append(answers)
        for worker in workers:
            worker.join(timeout=30)

        totals = {"granted": 0, "kg": 0.0, "supply": 0.0, "demand": 0.0, "all": 0}
        oversold = 0.0
        for round_no, answers in enumerate(rounds):
            granted_kg = sum(a[3] for a in answers)
            available = supply_kg(round_no)
            with sessions() as session:
                after = session.get(Surplus, surplus_ids[round_no])
                stored = session.scalar(
                    select(func.coalesce(func.sum(Claim.quantity_kg), 0.0)).where(
                        Claim.surplus_id == surplus_ids[round_no]
                    )
                )
                assert after is not None and stored is not None
                # Oversell: anything granted beyond the supply, by the answers
                # or by what the database holds.
                oversold += max(0.0, granted_kg - available, float(stored) - available)
                assert abs(float(stored) + after.remaining_kg - available) < 0.05
            totals["granted"] += sum(a[2] in ("granted", "capped") for a in answers)
            totals["kg"] += granted_kg
            totals["supply"] += available
            asked = [request_kg(round_no, i) for i in range(claimers)]
            totals["demand"] += sum(kg for kg in asked if kg is not None)
            totals["all"] += sum(1 for kg in asked if kg is None)
        engine.dispose()

    table = Table(
        "claims",
        f"{claimers} claimers racing on one surplus (PostgreSQL, shared.claims), "
        f"{ROUNDS} rounds",
        [
            "path",
            "claimers",
            "rounds",
            "settle median",
            "settle max",
            "claims granted",
            "kg granted / available",
            "kg asked",
            "oversell",
        ],
    )
    table.add(
        "shared.claims.claim (product)",
        claimers,
        ROUNDS,
        ms(median(settle)),
        ms(max(settle)),
        f"{totals['granted']} of {claimers * ROUNDS}",
        f"{totals['kg']:,.0f} / {totals['supply']:,.0f} kg",
        f"{totals['demand']:,.0f} kg + {totals['all']} × all",
        f"{oversold:g} kg",
    )
    table.add(
        "bare UPDATE … RETURNING",
        claimers,
        BARE_ROUNDS,
        ms(median(bare_settle)),
        ms(max(bare_settle)),
        "",
        "",
        "",
        "0 kg",
    )
    table.notes.append(
        "Settle: from the barrier's release to the last claimer's committed "
        "answer. Each claimer is a process with its own open connection; one "
        "in twenty asks for all that remains (the row-lock path). The product "
        "path writes the claim, the offer and the outbox events in the same "
        "transaction, holding the surplus row's lock until it commits; the "
        "bare row is the conditional UPDATE alone in autocommit, DESIGN §7's "
        "~50 ms."
    )
    if claimers < CLAIMERS:
        table.notes.append(
            f"Only {claimers} claimers: the server had no more free connections."
        )
    table.publish()
    if oversold > 0:
        raise SystemExit("oversold!")


if __name__ == "__main__":
    main()
