"""Find the items (food organizations) within a radius of a point, nearest first.

Distances are exact geodesics on the WGS-84 ellipsoid (PROJ's implementation
of Karney's algorithm, through pyproj: the same answers as geopy's, about
fifty times faster, and vectorized). The in-memory index walks a k-d tree of
unit vectors in order of distance on a sphere, computes exact geodesics for
each batch it reads, and hands items on in exact order as soon as no unread
item can come before them (DESIGN §7).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from pyproj import Geod
from scipy.spatial import cKDTree

EARTH_MEAN_RADIUS_KM = 6371.0088
# Distances on the mean sphere stay within 0.6 % of the WGS-84 geodesic at any
# distance; bounding them by 1 % keeps a margin so that no item is misplaced.
SPHERE_RELATIVE_ERROR = 0.01
# Absolute slack (km) for rounding in the sphere formulas: one millimetre.
SPHERE_ABSOLUTE_ERROR_KM = 1e-6
# Items read from the tree first; each further read takes four times more.
FIRST_BATCH = 32

WGS84 = Geod(ellps="WGS84")


class GeoIndex(Protocol):
    """Where the items are, for radius searches around a point."""

    def within(
        self, lat: float, lon: float, radius_km: float, limit: int | None = None
    ) -> list[tuple[int, float]]:
        """(item id, exact geodesic km) of items within radius_km, nearest first.

        Equal distances are ordered by id; `limit` keeps only the first ones.
        """
        ...


def geodesic_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Exact distance in km between two points on the WGS-84 ellipsoid."""
    _, _, metres = WGS84.inv(a_lon, a_lat, b_lon, b_lat)
    return float(metres) / 1000.0


def geodesics_km(
    lat: float, lon: float, lats: npt.ArrayLike, lons: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Exact distances in km from one point to many, in one call."""
    lats = np.asarray(lats, dtype=np.float64)
    lons = np.asarray(lons, dtype=np.float64)
    if lats.size == 0:
        return np.empty(0)
    _, _, metres = WGS84.inv(
        np.full(lats.shape, lon), np.full(lats.shape, lat), lons, lats
    )
    return np.asarray(metres, dtype=np.float64) / 1000.0


def check_coordinates(lat: float, lon: float) -> None:
    """Raise ValueError unless lat and lon are finite degrees in range."""
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"latitude must be within [-90, 90], got {lat!r}")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"longitude must be within [-180, 180], got {lon!r}")


def unit_vectors(lats: npt.ArrayLike, lons: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Points on the unit sphere: chord length grows with distance on the sphere."""
    lat_rad = np.radians(np.asarray(lats, dtype=np.float64))
    lon_rad = np.radians(np.asarray(lons, dtype=np.float64))
    cos_lat = np.cos(lat_rad)
    return np.stack(
        [cos_lat * np.cos(lon_rad), cos_lat * np.sin(lon_rad), np.sin(lat_rad)],
        axis=-1,
    )


def chord_to_sphere_km(chord: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    angle = 2.0 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))
    result: npt.NDArray[np.float64] = EARTH_MEAN_RADIUS_KM * angle
    return result


def sphere_km_to_chord(km: float) -> float:
    """The chord for a sphere distance; past half the globe, every chord."""
    angle = km / EARTH_MEAN_RADIUS_KM
    return math.inf if angle >= math.pi else 2.0 * math.sin(angle / 2.0)


def max_sphere_km(geodesic_km: float) -> float:
    """The largest sphere distance an item this far along the geodesic can show."""
    return (geodesic_km + SPHERE_ABSOLUTE_ERROR_KM) / (1.0 - SPHERE_RELATIVE_ERROR)


@dataclass(frozen=True)
class _Snapshot:
    """One built state of the index; queries keep the one they started with."""

    ids: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    tree: cKDTree

    @classmethod
    def build(cls, positions: dict[int, tuple[float, float]]) -> _Snapshot:
        ids = np.fromiter(positions, dtype=np.int64, count=len(positions))
        coords = np.array(list(positions.values()), dtype=np.float64).reshape(-1, 2)
        lat, lon = coords[:, 0].copy(), coords[:, 1].copy()
        return cls(ids, lat, lon, cKDTree(unit_vectors(lat, lon)))


class MemoryGeoIndex:
    """GeoIndex held in memory: build once, query many times, change any time.

    Items added or moved after the last build wait in a small side list that
    every query reads too; once it holds COMPACT_AFTER items, a background
    thread builds a new tree (about 90 ms at 60,000 items) and swaps it in.
    So a change is seen by the very next query, and no query ever waits for a
    build but the first.
    """

    COMPACT_AFTER = 256

    def __init__(self, items: Iterable[tuple[int, float, float]] = ()) -> None:
        self._positions: dict[int, tuple[float, float]] = {}
        for item_id, lat, lon in items:
            check_coordinates(lat, lon)
            self._positions[item_id] = (float(lat), float(lon))
        self._base: _Snapshot | None = None
        # Replaced, never changed in place, so a query can read it unlocked.
        self._recent: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._compacting: threading.Thread | None = None

    def __len__(self) -> int:
        return len(self._positions)

    def add(self, item_id: int, lat: float, lon: float) -> None:
        """Place an item; an id already present moves to the new position."""
        check_coordinates(lat, lon)
        position = (float(lat), float(lon))
        with self._lock:
            self._positions[item_id] = position
            if self._base is None:
                return  # the first query builds everything
            self._recent = {**self._recent, item_id: position}
            if len(self._recent) >= self.COMPACT_AFTER and self._compacting is None:
                self._compacting = threading.Thread(
                    target=self._compact, name="geo-index-compact", daemon=True
                )
                self._compacting.start()

    def build(self) -> MemoryGeoIndex:
        """Build the tree now (rather than at the first query); returns self."""
        self._snapshot()
        return self

    def compacted(self) -> MemoryGeoIndex:
        """Wait for a background build in progress, if any; returns self."""
        thread = self._compacting
        if thread is not None:
            thread.join()
        return self

    def _compact(self) -> None:
        with self._lock:
            positions = dict(self._positions)
            taken = self._recent
        snapshot = _Snapshot.build(positions)
        with self._lock:
            # Keep what moved again while the tree was being built.
            self._recent = {
                item_id: position
                for item_id, position in self._recent.items()
                if taken.get(item_id) != position
            }
            self._base = snapshot
            self._compacting = None

    def within(
        self, lat: float, lon: float, radius_km: float, limit: int | None = None
    ) -> list[tuple[int, float]]:
        """(item id, exact geodesic km) of items within radius_km, nearest first.

        Equal distances are ordered by id; `limit` keeps only the first ones.
        """
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit!r}")
        found = self.nearest(lat, lon, radius_km)
        if limit is None:
            return list(found)
        return [item for item, _ in zip(found, range(limit), strict=False)]

    def nearest(
        self, lat: float, lon: float, radius_km: float, first: int = FIRST_BATCH
    ) -> Iterator[tuple[int, float]]:
        """Items within radius_km as (id, km), nearest first, read lazily.

        Reading only the first few costs only a few exact geodesics, however
        many items lie within the radius. `first`: how many to read from the
        tree at once at the start, when the caller knows it wants that many.
        """
        check_coordinates(lat, lon)
        if not (math.isfinite(radius_km) and radius_km >= 0.0):
            raise ValueError(f"radius_km must be finite and >= 0, got {radius_km!r}")
        base, recent = self._snapshot()
        return self._walk(base, recent, lat, lon, radius_km, max(1, first))

    def _snapshot(self) -> tuple[_Snapshot, dict[int, tuple[float, float]]]:
        with self._lock:
            if self._base is None:
                self._base = _Snapshot.build(self._positions)
                self._recent = {}
            return self._base, self._recent

    @staticmethod
    def _walk(
        snapshot: _Snapshot,
        recent: dict[int, tuple[float, float]],
        lat: float,
        lon: float,
        radius_km: float,
        first: int,
    ) -> Iterator[tuple[int, float]]:
        # Recent items are all read first; their old places in the tree are
        # skipped. Then the tree is read in batches, nearest on the sphere
        # first, each batch's exact distances in one call.
        recent_ids = np.fromiter(recent, dtype=np.int64, count=len(recent))
        where = np.array(list(recent.values()), dtype=np.float64).reshape(-1, 2)
        exact = geodesics_km(lat, lon, where[:, 0], where[:, 1])
        inside = exact <= radius_km
        ids, kms = [recent_ids[inside]], [exact[inside]]
        count = len(snapshot.ids)
        target = unit_vectors(lat, lon)
        # Anything farther on the sphere than this cannot be within radius.
        bound = sphere_km_to_chord(max_sphere_km(radius_km)) * (1 + 1e-12)
        read = handed = 0
        want = first
        while True:
            exhausted = True
            frontier = math.inf
            if count:
                want = min(want, count)
                chords, indexes = snapshot.tree.query(
                    target, k=want, distance_upper_bound=bound
                )
                chords, indexes = np.atleast_1d(chords), np.atleast_1d(indexes)
                found = int(np.count_nonzero(indexes < count))
                new = indexes[read:found]
                exact = geodesics_km(lat, lon, snapshot.lat[new], snapshot.lon[new])
                keep = exact <= radius_km
                if recent:
                    keep &= ~np.isin(snapshot.ids[new], recent_ids)
                ids.append(snapshot.ids[new][keep])
                kms.append(exact[keep])
                read = found
                exhausted = found < want or want == count
                if not exhausted:
                    # Every unread item is at least this far on the sphere.
                    frontier = float(chord_to_sphere_km(chords[found - 1]))
            all_ids, all_km = np.concatenate(ids), np.concatenate(kms)
            ids, kms = [all_ids], [all_km]
            order = np.lexsort((all_ids, all_km))
            # Settled: no unread item can come before it, i.e. the largest
            # sphere distance its exact one allows is nearer than the frontier.
            nearer = frontier * (1.0 - SPHERE_RELATIVE_ERROR) - SPHERE_ABSOLUTE_ERROR_KM
            settled = int(np.searchsorted(all_km[order], nearer, side="left"))
            if exhausted:
                settled = len(order)
            chosen = order[handed:settled]
            yield from zip(
                all_ids[chosen].tolist(), all_km[chosen].tolist(), strict=True
            )
            handed = settled
            if exhausted:
                return
            want *= 4
