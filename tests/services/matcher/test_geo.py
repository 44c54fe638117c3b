import itertools
import math

import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matcher.geo import GeoIndex, MemoryGeoIndex, geodesic_km, geodesics_km

JOLIETTE = (46.0239, -73.4428)
BERTHIERVILLE = (46.0833, -73.1833)

Item = tuple[int, float, float]


def brute_force(
    items: list[Item], lat: float, lon: float, radius_km: float, limit: int | None
) -> list[tuple[int, float]]:
    """What the index must answer, from an exact geodesic to every item."""
    found = []
    for item_id, item_lat, item_lon in items:
        km = geodesic_km(lat, lon, item_lat, item_lon)
        if km <= radius_km:
            found.append((km, item_id))
    found.sort()
    return [(item_id, km) for km, item_id in found[:limit]]


def sphere_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    a_lat, a_lon, b_lat, b_lon = map(math.radians, (a_lat, a_lon, b_lat, b_lon))
    h = (
        math.sin((b_lat - a_lat) / 2) ** 2
        + math.cos(a_lat) * math.cos(b_lat) * math.sin((b_lon - a_lon) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def wrap_lon(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def test_joliette_to_berthierville_is_about_21_km() -> None:
    assert geodesic_km(*JOLIETTE, *BERTHIERVILLE) == pytest.approx(21.14, abs=0.01)


@settings(derandomize=True, database=None, deadline=None)
@given(
    a=st.tuples(st.floats(-90.0, 90.0), st.floats(-180.0, 180.0)),
    b=st.tuples(st.floats(-90.0, 90.0), st.floats(-180.0, 180.0)),
)
def test_geodesics_agree_with_geopy_to_the_micrometre(
    a: tuple[float, float], b: tuple[float, float]
) -> None:
    assert geodesic_km(*a, *b) == pytest.approx(geodesic(a, b).km, rel=0, abs=1e-9)
    (many,) = geodesics_km(*a, [b[0]], [b[1]])
    assert many == geodesic_km(*a, *b)


def test_the_nearest_few_of_many_come_in_exact_order() -> None:
    # 10,000 items on a 100 x 100 grid about 1 km apart around Joliette.
    items = [
        (n, JOLIETTE[0] + (n // 100 - 50) * 0.009, JOLIETTE[1] + (n % 100 - 50) * 0.013)
        for n in range(10_000)
    ]
    index = MemoryGeoIndex(items)

    first = list(itertools.islice(index.nearest(*JOLIETTE, radius_km=50), 3))

    assert first == brute_force(items, *JOLIETTE, 50, 3)


def test_finds_berthierville_from_joliette() -> None:
    index: GeoIndex = MemoryGeoIndex([(7, *BERTHIERVILLE)])

    assert index.within(*JOLIETTE, radius_km=25) == [
        (7, geodesic_km(*JOLIETTE, *BERTHIERVILLE))
    ]
    assert index.within(*JOLIETTE, radius_km=20) == []


def test_empty_index_finds_nothing() -> None:
    assert MemoryGeoIndex().within(*JOLIETTE, radius_km=100) == []


def test_radius_zero_finds_only_identical_points() -> None:
    index = MemoryGeoIndex([(1, *JOLIETTE), (2, 46.0240, -73.4428)])

    assert index.within(*JOLIETTE, radius_km=0) == [(1, 0.0)]


def test_identical_points_are_ordered_by_id() -> None:
    index = MemoryGeoIndex([(9, *BERTHIERVILLE), (3, *BERTHIERVILLE), (5, *JOLIETTE)])
    km = geodesic_km(*JOLIETTE, *BERTHIERVILLE)

    assert index.within(*JOLIETTE, radius_km=30) == [(5, 0.0), (3, km), (9, km)]
    assert index.within(*JOLIETTE, radius_km=30, limit=2) == [(5, 0.0), (3, km)]


def test_item_exactly_on_the_radius_is_included() -> None:
    index = MemoryGeoIndex([(1, *BERTHIERVILLE)])
    km = geodesic_km(*JOLIETTE, *BERTHIERVILLE)

    assert index.within(*JOLIETTE, radius_km=km) == [(1, km)]
    assert index.within(*JOLIETTE, radius_km=math.nextafter(km, 0)) == []


def test_geodesic_corrects_the_sphere_order() -> None:
    north = (46.1239, -73.4428)
    east = (46.0239, -73.2990)
    # On a sphere the eastern point looks nearer; on the ellipsoid it is not.
    assert sphere_km(*JOLIETTE, *east) < sphere_km(*JOLIETTE, *north)
    index = MemoryGeoIndex([(1, *east), (2, *north)])

    assert [item_id for item_id, _ in index.within(*JOLIETTE, 20)] == [2, 1]
    assert [item_id for item_id, _ in index.within(*JOLIETTE, 20, limit=1)] == [2]


def test_limit_zero_finds_nothing() -> None:
    assert MemoryGeoIndex([(1, *JOLIETTE)]).within(*JOLIETTE, 10, limit=0) == []


def test_added_items_are_found_and_moved() -> None:
    index = MemoryGeoIndex([(1, *JOLIETTE)])
    assert index.within(*BERTHIERVILLE, radius_km=1) == []

    index.add(2, *BERTHIERVILLE)
    index.add(1, *BERTHIERVILLE)

    assert len(index) == 2
    assert index.within(*BERTHIERVILLE, radius_km=1) == [(1, 0.0), (2, 0.0)]
    assert index.within(*JOLIETTE, radius_km=1) == []


def test_changes_after_a_build_are_seen_at_once_and_then_built_in() -> None:
    items = [(n, JOLIETTE[0] + n * 0.001, JOLIETTE[1]) for n in range(1000)]
    index = MemoryGeoIndex(items).build()
    moved = [(n, BERTHIERVILLE[0] + n * 0.0001, BERTHIERVILLE[1]) for n in range(300)]

    for item in moved[:10]:
        index.add(*item)
    assert index.within(*BERTHIERVILLE, radius_km=5) == brute_force(
        moved[:10], *BERTHIERVILLE, 5, None
    )

    for item in moved[10:]:  # past COMPACT_AFTER: a new tree is built aside
        index.add(*item)
    expected = brute_force(moved + items[300:], *JOLIETTE, 60, None)
    assert index.within(*JOLIETTE, radius_km=60) == expected
    assert index.compacted().within(*JOLIETTE, radius_km=60) == expected
    assert index.within(*BERTHIERVILLE, radius_km=5, limit=4) == brute_force(
        moved, *BERTHIERVILLE, 5, 4
    )


@pytest.mark.parametrize("lon", [180.0, -180.0, 179.99, -179.99])
def test_circle_across_the_antimeridian(lon: float) -> None:
    items = [(1, 0.0, 179.95), (2, 0.0, -179.95), (3, 0.0, 179.0), (4, 0.0, -179.0)]

    found = MemoryGeoIndex(items).within(0.0, lon, radius_km=15)

    assert sorted(item_id for item_id, _ in found) == [1, 2]


def test_circle_around_the_pole() -> None:
    index = MemoryGeoIndex([(1, 89.95, 0.0), (2, 89.95, 180.0), (3, 89.0, 90.0)])

    found = index.within(89.99, -90.0, radius_km=20)

    assert sorted(item_id for item_id, _ in found) == [1, 2]


@pytest.mark.parametrize(
    ("lat", "lon", "radius_km", "limit"),
    [
        (91.0, 0.0, 1.0, None),
        (0.0, -180.5, 1.0, None),
        (math.nan, 0.0, 1.0, None),
        (0.0, 0.0, -1.0, None),
        (0.0, 0.0, math.inf, None),
        (0.0, 0.0, 1.0, -1),
    ],
)
def test_rejects_bad_queries(
    lat: float, lon: float, radius_km: float, limit: int | None
) -> None:
    with pytest.raises(ValueError):
        MemoryGeoIndex([(1, 0.0, 0.0)]).within(lat, lon, radius_km, limit)


def test_rejects_bad_positions() -> None:
    with pytest.raises(ValueError, match="latitude"):
        MemoryGeoIndex([(1, -90.5, 0.0)])


# A coarse grid puts several items on the same spot, to exercise ties.
grid_offsets = st.integers(-40, 40).map(lambda step: step * 0.02)
limits = st.none() | st.integers(0, 12)


@st.composite
def lanaudiere_items(draw: st.DrawFn) -> list[Item]:
    offsets = draw(st.lists(st.tuples(grid_offsets, grid_offsets), max_size=40))
    return [
        (item_id, JOLIETTE[0] + dlat, JOLIETTE[1] + dlon)
        for item_id, (dlat, dlon) in enumerate(offsets)
    ]


@settings(derandomize=True, database=None, deadline=None)
@given(
    items=lanaudiere_items(),
    offset=st.tuples(grid_offsets, grid_offsets),
    radius_km=st.floats(0.0, 120.0),
    limit=limits,
)
def test_matches_brute_force_in_lanaudiere(
    items: list[Item],
    offset: tuple[float, float],
    radius_km: float,
    limit: int | None,
) -> None:
    lat, lon = JOLIETTE[0] + offset[0], JOLIETTE[1] + offset[1]

    found = MemoryGeoIndex(items).within(lat, lon, radius_km, limit)

    assert found == brute_force(items, lat, lon, radius_km, limit)


@st.composite
def items_near(draw: st.DrawFn, lat: float, lon: float, spread: float) -> list[Item]:
    offsets = st.floats(-spread, spread)
    points = draw(st.lists(st.tuples(offsets, offsets), max_size=25))
    return [
        (item_id, max(-90.0, min(90.0, lat + dlat)), wrap_lon(lon + dlon))
        for item_id, (dlat, dlon) in enumerate(points)
    ]


@settings(derandomize=True, database=None, deadline=None)
@given(
    lat=st.floats(-90.0, 90.0),
    lon=st.floats(-180.0, 180.0),
    spread=st.sampled_from([0.01, 1.0, 30.0, 180.0]),
    radius_km=st.floats(0.0, 20_100.0),
    limit=limits,
    data=st.data(),
)
def test_matches_brute_force_anywhere(
    lat: float,
    lon: float,
    spread: float,
    radius_km: float,
    limit: int | None,
    data: st.DataObject,
) -> None:
    items = data.draw(items_near(lat, lon, spread))

    found = MemoryGeoIndex(items).within(lat, lon, radius_km, limit)

    assert found == brute_force(items, lat, lon, radius_km, limit)


@settings(derandomize=True, database=None, deadline=None)
@given(items=lanaudiere_items(), limit=limits, data=st.data())
def test_matches_brute_force_on_the_radius(
    items: list[Item], limit: int | None, data: st.DataObject
) -> None:
    if not items:
        return
    _, edge_lat, edge_lon = data.draw(st.sampled_from(items))
    radius_km = geodesic_km(*JOLIETTE, edge_lat, edge_lon)

    found = MemoryGeoIndex(items).within(*JOLIETTE, radius_km, limit)

    assert found == brute_force(items, *JOLIETTE, radius_km, limit)
