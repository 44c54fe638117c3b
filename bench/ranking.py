"""Benchmark 1: rank one surplus against N organizations in southern Quebec.

Top 10 within 50 km, with capacity and category filters (and the others the
matcher applies: active, cold storage for perishables, the organization's own
radius). Glanage's matcher runs on both engines, the in-memory index on
SQLite and PostGIS on PostgreSQL, beside three baselines in the same process:
a Python loop over geopy's geodesic, numpy brute-force haversine, and a scipy
k-d tree on unit vectors. The baselines and "geo stage" rows find the ten
nearest eligible organizations only; "whole ranking" rows are what the
matcher does for a surplus: candidates with their facts, read from the
database, then scored, ranked and explained (scoring.rank).

    python -m bench.ranking            # N = 1,000, 10,000, 60,000
    BENCH_RANKING_SIZES=1000 python -m bench.ranking
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from geopy.distance import geodesic
from scipy.spatial import cKDTree
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from bench.common import Table, fresh_database, median, ms, percentile
from services.matcher import geo, matching, postgis, scoring
from shared import migrate
from shared.crops import CATEGORIES
from shared.db import make_engine, make_session_factory
from shared.models import Claim, Farm, Organization, Surplus

SOUTH, NORTH, WEST, EAST = 45.0, 47.5, -76.5, -70.5  # Gatineau to past Québec
RADIUS_KM = 50.0
TOP = 10
KD_TREE = "scipy k-d tree, unit vectors"
NOW = datetime(2026, 9, 16, 15, 0, tzinfo=UTC)  # a Wednesday in harvest time
SINCE = matching.week_start(NOW)


@dataclass(frozen=True)
class Orgs:
    """N random organizations as columns, and the surplus-independent facts."""

    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    radius_km: npt.NDArray[np.float64]
    capacity_kg: npt.NDArray[np.float64]
    received_kg: npt.NDArray[np.float64]
    cold: npt.NDArray[np.bool_]
    active: npt.NDArray[np.bool_]
    priority: npt.NDArray[np.bool_]
    categories: list[list[str]]

    def eligible(self, surplus: scoring.SurplusInfo) -> npt.NDArray[np.bool_]:
        """Everything but the distances, as one mask (what a baseline filters on)."""
        accepts = np.array([not c or surplus.category in c for c in self.categories])
        ok = self.active & accepts & (self.capacity_kg - self.received_kg > 0)
        return ok & self.cold if surplus.perishable else ok


def organizations(n: int, rng: random.Random) -> Orgs:
    lat = np.array([rng.uniform(SOUTH, NORTH) for _ in range(n)])
    lon = np.array([rng.uniform(WEST, EAST) for _ in range(n)])
    capacity = np.array(
        [0.0 if rng.random() < 0.1 else rng.uniform(100, 2000) for _ in range(n)]
    )
    received = np.zeros(n)
    # A week's claims: one organization in ten has already received some.
    for i in rng.sample(range(n), n // 10):
        received[i] = round(rng.uniform(50, 2500), 1)
    categories = [
        [] if rng.random() < 0.4 else rng.sample(CATEGORIES, rng.randint(1, 3))
        for _ in range(n)
    ]
    return Orgs(
        lat=lat,
        lon=lon,
        radius_km=np.array([rng.uniform(10, 60) for _ in range(n)]),
        capacity_kg=capacity,
        received_kg=received,
        cold=np.array([rng.random() < 0.5 for _ in range(n)]),
        active=np.array([rng.random() < 0.95 for _ in range(n)]),
        priority=np.array([rng.random() < 0.2 for _ in range(n)]),
        categories=categories,
    )


def surpluses(count: int, rng: random.Random) -> list[scoring.SurplusInfo]:
    return [
        scoring.SurplusInfo(
            lat=rng.uniform(SOUTH + 0.3, NORTH - 0.3),
            lon=rng.uniform(WEST + 0.5, EAST - 0.5),
            farm_radius_km=RADIUS_KM,
            category=rng.choice(CATEGORIES),
            perishable=rng.random() < 0.3,
            quantity_kg=rng.choice([100.0, 300.0, 1000.0]),
        )
        for _ in range(count)
    ]


def store(url: str, orgs: Orgs) -> None:
    """The organizations, one farm and surplus, and the week's claims."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        farm = Farm(
            name="Ferme du banc d'essai", municipality="Joliette",
            lat=46.02, lon=-73.44, form_token="bench-farm",
        )  # fmt: skip
        session.add(farm)
        session.flush()
        surplus = Surplus(
            farm_id=farm.id, crop="courges", category="legume", quantity=1e6,
            unit="kg", quantity_kg=1e6, remaining_kg=0.0,
            available_until=NOW.date(), status="claimed",
        )  # fmt: skip
        session.add(surplus)
        session.flush()
        rows = [
            {
                "id": i + 1,
                "name": f"Organisme {i + 1}",
                "municipality": "Québec",
                "lat": float(orgs.lat[i]),
                "lon": float(orgs.lon[i]),
                "service_radius_km": float(orgs.radius_km[i]),
                "weekly_capacity_kg": float(orgs.capacity_kg[i]),
                "cold_storage": bool(orgs.cold[i]),
                "categories": orgs.categories[i],
                "priority": bool(orgs.priority[i]),
                "active": bool(orgs.active[i]),
                "created_at": NOW - timedelta(days=30),
                "updated_at": NOW - timedelta(days=30),
            }
            for i in range(len(orgs.lat))
        ]
        for start in range(0, len(rows), 5000):
            session.execute(insert(Organization), rows[start : start + 5000])
        claims = [
            {
                "surplus_id": surplus.id,
                "organization_id": i + 1,
                "quantity_kg": float(kg),
                "via": "sms",
                "created_at": NOW - timedelta(days=1),
            }
            for i, kg in enumerate(orgs.received_kg)
            if kg > 0
        ]
        if claims:
            session.execute(insert(Claim), claims)
        session.commit()
        if engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
    engine.dispose()


# ---- the baselines: the ten nearest eligible, nothing else --------------------------


def geopy_loop(
    orgs: Orgs, s: scoring.SurplusInfo, ok: npt.NDArray[np.bool_]
) -> list[int]:
    found = []
    for i in range(len(orgs.lat)):
        km = geodesic((s.lat, s.lon), (orgs.lat[i], orgs.lon[i])).km
        if ok[i] and km <= RADIUS_KM and km <= orgs.radius_km[i]:
            found.append((km, i + 1))
    return [org_id for _, org_id in sorted(found)[:TOP]]


def numpy_haversine(
    orgs: Orgs, s: scoring.SurplusInfo, ok: npt.NDArray[np.bool_]
) -> list[int]:
    lat, lon = np.radians(orgs.lat), np.radians(orgs.lon)
    lat0, lon0 = np.radians(s.lat), np.radians(s.lon)
    h = (
        np.sin((lat - lat0) / 2) ** 2
        + np.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
    )
    km = 2 * geo.EARTH_MEAN_RADIUS_KM * np.arcsin(np.sqrt(h))
    keep = np.flatnonzero(ok & (km <= RADIUS_KM) & (km <= orgs.radius_km))
    nearest = keep[np.argsort(km[keep], kind="stable")[:TOP]]
    return (nearest + 1).tolist()


class KdTree:
    """scipy's k-d tree on unit vectors: k nearest by chord, grown until enough."""

    def __init__(self, orgs: Orgs) -> None:
        self.orgs = orgs
        self.tree = cKDTree(geo.unit_vectors(orgs.lat, orgs.lon))

    def __call__(self, s: scoring.SurplusInfo, ok: npt.NDArray[np.bool_]) -> list[int]:
        target = geo.unit_vectors(s.lat, s.lon)
        bound = geo.sphere_km_to_chord(RADIUS_KM)
        n, k = len(self.orgs.lat), 32
        while True:
            chords, idx = self.tree.query(
                target, k=min(k, n), distance_upper_bound=bound
            )
            idx = idx[idx < n]
            km = geo.chord_to_sphere_km(chords[: len(idx)])
            keep = ok[idx] & (km <= self.orgs.radius_km[idx])
            if keep.sum() >= TOP or len(idx) < min(k, n):
                return (idx[keep][:TOP] + 1).tolist()
            k *= 4


# ---- Glanage ------------------------------------------------------------------------


def geo_stage(
    index: geo.MemoryGeoIndex,
    orgs: Orgs,
    s: scoring.SurplusInfo,
    ok: npt.NDArray[np.bool_],
) -> list[int]:
    """The matcher's index, read nearest first (exact), with the same filters."""
    found = []
    for org_id, km in index.nearest(s.lat, s.lon, RADIUS_KM):
        if ok[org_id - 1] and km <= orgs.radius_km[org_id - 1]:
            found.append(org_id)
            if len(found) == TOP:
                break
    return found


def whole_ranking(
    session: Session,
    pair: Pair,
    limit: int,
    candidates: Callable[..., list[scoring.Candidate]],
) -> list[int]:
    s = pair[0]
    # Inside the matcher's transaction, as in a job: no connection checkout.
    ranked, _ = scoring.rank(s, candidates(session, s, SINCE, limit=limit), NOW)
    return [r.organization_id for r in ranked]


Pair = tuple[scoring.SurplusInfo, npt.NDArray[np.bool_]]


def interleaved(
    methods: dict[str, Callable[[Any], object]], queries: Sequence[Any], block: int = 20
) -> dict[str, list[float]]:
    """Each method's wall-clock seconds per query. The methods take turns,
    one block of queries each, so that a slow minute on this shared machine
    slows all of them alike, while each block still runs with warm caches,
    as the baselines' figures usually are."""
    times: dict[str, list[float]] = {name: [] for name in methods}
    for first in range(0, len(queries), block):
        for name, call in methods.items():
            call(queries[first])  # warm caches and prepared statements
            for query in queries[first : first + block]:
                start = time.perf_counter()
                call(query)
                times[name].append(time.perf_counter() - start)
    return times


def refresh_while_querying(
    index: geo.MemoryGeoIndex, orgs: Orgs, queries: list
) -> dict:
    """Query latency while 2,000 organizations move (8 background rebuilds)."""
    rng = random.Random(3)
    n = len(orgs.lat)
    latencies: list[float] = []
    done = threading.Event()

    def move() -> None:
        for _ in range(2000):
            i = rng.randrange(n)
            index.add(i + 1, rng.uniform(SOUTH, NORTH), rng.uniform(WEST, EAST))
            time.sleep(0.0002)
        done.set()

    mover = threading.Thread(target=move)
    mover.start()
    while not done.is_set():
        for s in queries[:50]:
            start = time.perf_counter()
            index.within(s.lat, s.lon, RADIUS_KM, limit=TOP)
            latencies.append(time.perf_counter() - start)
    mover.join()
    index.compacted()
    return {
        "p50": median(latencies),
        "p99": percentile(latencies, 99),
        "max": max(latencies),
        "queries": len(latencies),
    }


def measure(n: int, rng: random.Random) -> tuple[dict[str, list[float]], list[str]]:
    """Every method's timings at N = n, and what the run showed besides."""
    orgs = organizations(n, rng)
    queries = surpluses(200, rng)
    pairs: list[Pair] = [(s, orgs.eligible(s)) for s in queries]
    # geopy takes seconds per query at 60,000: a few queries are enough.
    slow = pairs[: max(3, 30_000 // n)]
    kd = KdTree(orgs)
    start = time.perf_counter()
    index = geo.MemoryGeoIndex(
        (i + 1, float(orgs.lat[i]), float(orgs.lon[i])) for i in range(n)
    ).build()
    build_s = time.perf_counter() - start

    def by_geopy(p: Pair) -> list[int]:
        return geopy_loop(orgs, *p)

    def by_numpy(p: Pair) -> list[int]:
        return numpy_haversine(orgs, *p)

    def by_kd_tree(p: Pair) -> list[int]:
        return kd(*p)

    def by_glanage(p: Pair) -> list[int]:
        return geo_stage(index, orgs, *p)

    exact = [by_geopy(p) for p in slow]
    same = sum(by_glanage(p) == e for p, e in zip(slow, exact, strict=True))
    sphere = sum(by_kd_tree(p) == e for p, e in zip(slow, exact, strict=True))
    notes = [
        f"N = {n:,}: Glanage's top {TOP} equals geopy's in {same}/{len(slow)} "
        f"queries; the sphere-only k-d tree's in {sphere}/{len(slow)}."
    ]
    timing = interleaved({"geopy geodesic loop": by_geopy}, slow)
    methods: dict[str, Callable[[Any], object]] = {
        "numpy haversine (brute force)": by_numpy,
        KD_TREE: by_kd_tree,
        "Glanage geo stage (k-d tree + exact geodesics)": by_glanage,
    }
    memory = matching.OrganizationIndex()

    def in_memory(
        session: Session, s: scoring.SurplusInfo, since: datetime, limit: int
    ) -> list[scoring.Candidate]:
        return matching._memory_candidates(session, s, since, index=memory, limit=limit)

    shortlists = ((TOP, f"top {TOP}"), (postgis.MAX_CANDIDATES, "short list of 30"))
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(f"ranking{n}") as pg_url,
    ):
        sqlite_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate.upgrade(sqlite_url)
        for url in (sqlite_url, pg_url):
            store(url, orgs)
        with (
            open_transaction(sqlite_url) as on_sqlite,
            open_transaction(pg_url) as on_postgis,
        ):
            for limit, label in shortlists:
                methods[f"Glanage whole ranking, in memory (SQLite), {label}"] = (
                    partial(whole_ranking, on_sqlite, limit=limit, candidates=in_memory)
                )
                methods[f"Glanage whole ranking, PostGIS, {label}"] = partial(
                    whole_ranking,
                    on_postgis,
                    limit=limit,
                    candidates=postgis.candidates,
                )
            timing |= interleaved(methods, pairs)

    if n >= 60_000:
        refresh = refresh_while_querying(index, orgs, queries)
        notes.append(
            f"Index at N = {n:,}: built in {ms(build_s)}. While 2,000 organizations "
            "moved (each seen by the next query, the tree rebuilt in the background "
            f"after every {geo.MemoryGeoIndex.COMPACT_AFTER}), {refresh['queries']:,} "
            f"geo queries took p50 {ms(refresh['p50'])}, p99 {ms(refresh['p99'])}, "
            f"max {ms(refresh['max'])}."
        )
    return timing, notes


@contextmanager
def open_transaction(url: str) -> Iterator[Session]:
    """A session inside an open transaction, as a matcher job ranks in one."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        session.connection()
        yield session
        session.rollback()
    engine.dispose()


def main() -> None:
    sizes_text = os.environ.get("BENCH_RANKING_SIZES", "1000,10000,60000")
    sizes = [int(n) for n in sizes_text.split(",")]
    rng = random.Random(2026)
    rows: dict[str, list[float]] = {}
    notes = [
        "Medians over 200 random surpluses (geopy: over a few, it takes seconds each)."
    ]
    for n in sizes:
        timing, seen = measure(n, rng)
        for name, values in timing.items():
            rows.setdefault(name, []).append(median(values))
        notes += seen
    table = Table(
        "ranking",
        f"Ranking one surplus: top {TOP} within {RADIUS_KM:.0f} km, "
        "capacity and category filters",
        ["method", *[f"N = {n:,}" for n in sizes], "÷ k-d tree (largest N)"],
        notes=notes,
    )
    kd_last = rows[KD_TREE][-1]
    for name, values in rows.items():
        table.add(name, *(ms(v) for v in values), f"{values[-1] / kd_last:.3g}×")
    table.publish()


if __name__ == "__main__":
    main()
