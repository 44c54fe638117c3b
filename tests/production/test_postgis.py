"""PostGIS and the in-memory index rank organizations identically."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.matcher import matching, postgis, scoring
from services.matcher.matching import OrganizationIndex
from shared.crops import CATEGORIES, CROPS
from shared.db import make_engine
from shared.models import (
    Base,
    Claim,
    Contact,
    Farm,
    Match,
    Offer,
    Organization,
    Surplus,
)
from shared.runtime import Runtime

NOW = datetime(2026, 9, 16, 12, 0, tzinfo=UTC)

surplus_info = st.builds(
    scoring.SurplusInfo,
    lat=st.floats(45.7, 46.6),
    lon=st.floats(-74.2, -73.1),
    farm_radius_km=st.sampled_from([10.0, 25.0, 40.0, 60.0]),
    category=st.sampled_from(CATEGORIES),
    perishable=st.booleans(),
    quantity_kg=st.sampled_from([None, 100.0, 900.0]),
)
# Mostly the ordinary case (active, reachable, with room), sometimes not, so
# that both the rankings and the exclusions are exercised.
usually = st.sampled_from([True, True, True, False])
rarely = usually.map(lambda value: not value)


def organizations_near(
    info: scoring.SurplusInfo,
) -> st.SearchStrategy[list[dict[str, Any]]]:
    organization = st.fixed_dictionaries(
        {
            "lat": st.floats(info.lat - 0.45, info.lat + 0.45),
            "lon": st.floats(info.lon - 0.65, info.lon + 0.65),
            "service_radius_km": st.sampled_from([5.0, 15.0, 25.0, 40.0, 80.0]),
            "weekly_capacity_kg": st.sampled_from([0.0, 50.0, 300.0, 2000.0]),
            "cold_storage": st.booleans(),
            "categories": st.lists(
                st.sampled_from(CATEGORIES), max_size=2, unique=True
            ),
            "priority": st.booleans(),
            "active": usually,
            "received_kg": st.sampled_from([0.0, 40.0, 400.0]),
            "served_days_ago": st.none() | st.integers(0, 30),
            "opted_out": rarely,
            "no_shows": st.sampled_from([0, 0, 1, 2]),
            "declined": rarely,
        }
    )
    return st.lists(organization, max_size=40)


def test_migrations_match_models_on_postgresql(pg_url: str) -> None:
    engine = make_engine(pg_url)

    def ours(obj: object, name: str | None, kind: str, *_: object) -> bool:
        # PostGIS's own tables and our generated geography columns live
        # outside the ORM on purpose (migration 0002).
        if kind == "table":
            return name in Base.metadata.tables
        return not (name or "").endswith("location")

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": ours})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def _replace_organizations(session: Session, rows: list[dict[str, Any]]) -> None:
    for table in (Match, Offer, Claim, Surplus):
        session.execute(delete(table))
    session.execute(delete(Contact).where(Contact.organization_id.is_not(None)))
    session.execute(delete(Organization))
    farm = session.scalars(select(Farm)).first()
    assert farm is not None
    past = Surplus(
        farm_id=farm.id, crop="courge", category="legume", quantity=1, unit="kg",
        quantity_kg=1, remaining_kg=0, available_until=NOW.date(), status="claimed",
    )  # fmt: skip
    session.add(past)
    for n, row in enumerate(rows):
        org = Organization(
            name=f"org {n}",
            municipality="Joliette",
            lat=row["lat"],
            lon=row["lon"],
            service_radius_km=row["service_radius_km"],
            weekly_capacity_kg=row["weekly_capacity_kg"],
            cold_storage=row["cold_storage"],
            categories=row["categories"],
            priority=row["priority"],
            active=row["active"],
        )
        org.contacts.append(
            Contact(name="x", opted_out_at=NOW if row["opted_out"] else None)
        )
        session.add(org)
        session.flush()
        if row["received_kg"] or row["served_days_ago"] is not None:
            days = row["served_days_ago"] if row["served_days_ago"] is not None else 0
            session.add(
                Claim(
                    surplus_id=past.id,
                    organization_id=org.id,
                    quantity_kg=row["received_kg"] or 1.0,
                    via="panel",
                    created_at=NOW - timedelta(days=days),
                )
            )
        for _ in range(row["no_shows"]):
            session.add(
                Claim(
                    surplus_id=past.id,
                    organization_id=org.id,
                    quantity_kg=5.0,
                    via="sms",
                    outcome="no_show",
                    created_at=NOW - timedelta(days=20),
                )
            )
        if row["declined"]:
            session.add(
                Offer(
                    surplus_id=past.id,
                    organization_id=org.id,
                    status="declined",
                    responded_at=NOW - timedelta(days=3),
                )
            )


def _ranking(result: tuple[list[scoring.Ranked], list[scoring.Excluded]]) -> object:
    ranked, excluded = result
    return (
        [(r.organization_id, r.rank, r.distance_km, r.score) for r in ranked],
        sorted((x.organization_id, x.reason.code) for x in excluded),
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), info=surplus_info)
def test_postgis_and_memory_rank_identically(
    pg_runtime: Runtime, data: st.DataObject, info: scoring.SurplusInfo
) -> None:
    rows = data.draw(organizations_near(info))
    with pg_runtime.sessions() as session:
        _replace_organizations(session, rows)
        session.flush()
        since = matching.week_start(NOW.astimezone(pg_runtime.settings.tz))
        in_db = postgis.candidates(session, info, since)
        in_memory = matching._memory_candidates(
            session, info, since, index=OrganizationIndex()
        )
        session.rollback()

    from_db = scoring.rank(info, in_db, NOW)
    from_memory = scoring.rank(info, in_memory, NOW)
    assert _ranking(from_db)[0] == _ranking(from_memory)[0]
    if len(from_memory[1]) <= postgis.MAX_EXCLUDED:
        assert _ranking(from_db)[1] == _ranking(from_memory)[1]


def test_demo_parcels_rank_the_same_in_both_engines(pg_runtime: Runtime) -> None:
    compared = 0
    with pg_runtime.sessions() as session:
        since = matching.week_start(NOW.astimezone(pg_runtime.settings.tz))
        for farm in session.scalars(select(Farm)):
            for parcel in farm.parcels:
                for crop in CROPS[::4]:
                    info = scoring.SurplusInfo(
                        lat=parcel.lat, lon=parcel.lon, farm_radius_km=40.0,
                        category=crop.category, perishable=crop.perishable,
                        quantity_kg=250.0,
                    )  # fmt: skip
                    from_db = scoring.rank(
                        info, postgis.candidates(session, info, since), NOW
                    )
                    in_memory = matching._memory_candidates(session, info, since)
                    from_memory = scoring.rank(info, in_memory, NOW)
                    assert _ranking(from_db) == _ranking(from_memory)
                    compared += len(from_db[0])
    assert compared > 500  # real rankings were compared, not empty lists
