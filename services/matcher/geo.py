"""Find the items (food organizations) within a radius of a point, nearest first.

Distances are exact geodesics on the WGS-84 ellipsoid. The in-memory index
narrows the search with cheap bounds first (a bounding box in an STRtree, then
haversine on a sphere) and computes exact geodesics only for the short list.
"""

import heapq
import math
from collections.abc import Iterable
from typing import Protocol

import numpy as np
import numpy.typing as npt
import shapely
from geopy.distance import geodesic

EARTH_MEAN_RADIUS_KM = 6371.0088
WGS84_EQUATORIAL_RADIUS_KM = 6378.137
# A meridian degree is shortest at the equator (110.574 km); rounding down only
# grows the search box.
KM_PER_LATITUDE_DEGREE_MIN = 110.57
# Haversine on the mean sphere stays within 0.6 % of the WGS-84 geodesic at any
# distance; bounding it by 1 % keeps a margin so no item within radius is lost.
SPHERE_RELATIVE_ERROR = 0.01
# Absolute slack (km) for rounding in the sphere formulas: one millimetre.
SPHERE_ABSOLUTE_ERROR_KM = 1e-6


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
    return float(geodesic((a_lat, a_lon), (b_lat, b_lon)).km)


def _check_coordinates(lat: float, lon: float) -> None:
    """Raise ValueError unless lat and lon are finite degrees in range."""
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"latitude must be within [-90, 90], got {lat!r}")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"longitude must be within [-180, 180], got {lon!r}")


class MemoryGeoIndex:
    """GeoIndex held in memory: build once, query many times.

    Adding an item marks the index stale; the next query rebuilds it, which is
    cheap for a demo's hundred items and takes tens of milliseconds at 60,000.
    """

    def __init__(self, items: Iterable[tuple[int, float, float]] = ()) -> None:
        self._positions: dict[int, tuple[float, float]] = {}
        self._stale = True
        for item_id, lat, lon in items:
            self.add(item_id, lat, lon)

    def __len__(self) -> int:
        return len(self._positions)

    def add(self, item_id: int, lat: float, lon: float) -> None:
        """Place an item; an id already present moves to the new position."""
        _check_coordinates(lat, lon)
        self._positions[item_id] = (float(lat), float(lon))
        self._stale = True

    def within(
        self, lat: float, lon: float, radius_km: float, limit: int | None = None
    ) -> list[tuple[int, float]]:
        """(item id, exact geodesic km) of items within radius_km, nearest first.

        Equal distances are ordered by id; `limit` keeps only the first ones.
        """
        _check_coordinates(lat, lon)
        if not (math.isfinite(radius_km) and radius_km >= 0.0):
            raise ValueError(f"radius_km must be finite and >= 0, got {radius_km!r}")
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit!r}")
        if not self._positions or limit == 0:
            return []

        self._rebuild_if_stale()
        in_box = self._in_bounding_box(lat, lon, radius_km)
        order, sphere_km = self._sphere_short_list(lat, lon, radius_km, in_box)
        return self._exact_nearest(lat, lon, radius_km, limit, order, sphere_km)

    def _rebuild_if_stale(self) -> None:
        if not self._stale:
            return
        ids = sorted(self._positions)
        coords = np.array([self._positions[i] for i in ids], dtype=np.float64)
        self._ids = np.array(ids, dtype=np.int64)
        self._lat = coords[:, 0]
        self._lon = coords[:, 1]
        self._lat_rad = np.radians(self._lat)
        self._lon_rad = np.radians(self._lon)
        self._cos_lat = np.cos(self._lat_rad)
        self._tree = shapely.STRtree(shapely.points(self._lon, self._lat))
        self._stale = False

    def _in_bounding_box(
        self, lat: float, lon: float, radius_km: float
    ) -> npt.NDArray[np.intp]:
        boxes = [
            shapely.box(west, south, east, north)
            for west, south, east, north in _bounding_boxes(lat, lon, radius_km)
        ]
        found = [self._tree.query(box) for box in boxes]
        return np.unique(np.concatenate(found)).astype(np.intp)

    def _sphere_short_list(
        self, lat: float, lon: float, radius_km: float, indexes: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """Indexes that may lie within radius, by increasing sphere distance."""
        sphere_km = self._haversine_km(lat, lon, indexes)
        keep = sphere_km <= _max_sphere_km(radius_km)
        indexes, sphere_km = indexes[keep], sphere_km[keep]
        order = np.argsort(sphere_km)
        return indexes[order], sphere_km[order]

    def _haversine_km(
        self, lat: float, lon: float, indexes: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.float64]:
        lat_rad, lon_rad = math.radians(lat), math.radians(lon)
        half_dlat = (self._lat_rad[indexes] - lat_rad) / 2.0
        half_dlon = (self._lon_rad[indexes] - lon_rad) / 2.0
        h = (
            np.sin(half_dlat) ** 2
            + math.cos(lat_rad) * self._cos_lat[indexes] * np.sin(half_dlon) ** 2
        )
        result: npt.NDArray[np.float64] = (
            2.0 * EARTH_MEAN_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        )
        return result

    def _exact_nearest(
        self,
        lat: float,
        lon: float,
        radius_km: float,
        limit: int | None,
        order: npt.NDArray[np.intp],
        sphere_km: npt.NDArray[np.float64],
    ) -> list[tuple[int, float]]:
        """Exact geodesics for the short list, stopping once `limit` are certain."""
        # Max-heap of the best (km, id) so far, as negated pairs.
        best: list[tuple[float, int]] = []
        for index, rough_km in zip(order.tolist(), sphere_km.tolist(), strict=True):
            if limit is not None and len(best) == limit:
                worst_km = -best[0][0]
                # Candidates come by increasing sphere distance, so no later one
                # can be nearer than this bound: the answer is settled.
                if rough_km > _max_sphere_km(worst_km):
                    break
            km = geodesic_km(lat, lon, float(self._lat[index]), float(self._lon[index]))
            if km <= radius_km:
                _keep_nearest(best, (-km, -int(self._ids[index])), limit)
        nearest = sorted((-neg_km, -neg_id) for neg_km, neg_id in best)
        return [(item_id, km) for km, item_id in nearest]


def _keep_nearest(
    best: list[tuple[float, int]], entry: tuple[float, int], limit: int | None
) -> None:
    if limit is None or len(best) < limit:
        heapq.heappush(best, entry)
    elif entry > best[0]:
        heapq.heapreplace(best, entry)


def _max_sphere_km(geodesic_km: float) -> float:
    """The largest haversine distance an item this far along the geodesic can show."""
    return (geodesic_km + SPHERE_ABSOLUTE_ERROR_KM) / (1.0 - SPHERE_RELATIVE_ERROR)


def _bounding_boxes(
    lat: float, lon: float, radius_km: float
) -> list[tuple[float, float, float, float]]:
    """(west, south, east, north) degree boxes holding every point within radius.

    Two boxes when the circle crosses the antimeridian.
    """
    # The bounds below hold exactly; the margin only absorbs float rounding.
    reach_km = radius_km * (1.0 + 1e-9) + SPHERE_ABSOLUTE_ERROR_KM
    dlat = reach_km / KM_PER_LATITUDE_DEGREE_MIN
    south, north = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    if south <= -90.0 or north >= 90.0:
        return [(-180.0, south, 180.0, north)]

    # A path of length r inside this band turns through at most r / (a cos φ)
    # radians of longitude, φ being the band's latitude nearest a pole: parallels
    # there are shortest, and never shorter than on a sphere of radius a.
    poleward = math.radians(max(abs(south), abs(north)))
    km_per_lon_degree = math.radians(WGS84_EQUATORIAL_RADIUS_KM) * math.cos(poleward)
    dlon = reach_km / km_per_lon_degree
    if dlon >= 180.0:
        return [(-180.0, south, 180.0, north)]

    west, east = lon - dlon, lon + dlon
    boxes = [(max(west, -180.0), south, min(east, 180.0), north)]
    if west < -180.0:
        boxes.append((west + 360.0, south, 180.0, north))
    if east > 180.0:
        boxes.append((-180.0, south, east - 360.0, north))
    return boxes
