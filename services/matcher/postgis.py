"""The candidates in PostgreSQL + PostGIS: a KNN scan, nearest first.

`ORDER BY location <-> point LIMIT n` walks the GiST index nearest first and
stops after n rows, whatever the table's size; the organizations' facts
(services.matcher.facts) are computed for those rows only. There is
deliberately no WHERE: with a radius condition the planner prefers reading
every organization in the radius's box and sorting them, which costs
milliseconds in a dense region. The radius and the filters are applied to
what the scan returns, by the same Shortlist the in-memory engine uses, and
the scan is read again, four times longer, until the answer is certain.

`<->` orders by distance on a sphere; distances are recomputed as exact
geodesics, and a row is only used once no unread row can be nearer
(DESIGN §7).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    Float,
    Select,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from services.matcher import facts, geo, scoring

# How many organizations one surplus is ranked against by default, nearest
# first (the matcher asks for matching.shortlist_size: ten waves' worth).
MAX_CANDIDATES = 30
MAX_EXCLUDED = facts.Shortlist.MAX_EXCLUDED

LOCATION = column("location", Geography("POINT", 4326))
_POINT = cast(
    func.ST_SetSRID(
        func.ST_MakePoint(bindparam("lon", type_=Float), bindparam("lat", type_=Float)),
        4326,
    ),
    Geography,
)
_SPHERE_M = LOCATION.op("<->", return_type=Float)(_POINT)
# Built once, with bound parameters: building costs more than running it.
_NEAREST = (
    select(*facts.COLUMNS, _SPHERE_M.label("sphere_m"))
    .select_from(facts.ORG)
    .order_by(_SPHERE_M)
)


@functools.cache
def nearest(scan: int) -> Select[Any]:
    """The scan of `scan` rows. The LIMIT is written out, not bound: psycopg
    prepares a statement run often, and PostgreSQL's generic plan for an
    unknown LIMIT sorts the whole table instead of walking the index.
    """
    return _NEAREST.limit(literal_column(str(int(scan))))


def candidates(
    session: Session,
    surplus: scoring.SurplusInfo,
    since: datetime,
    limit: int = MAX_CANDIDATES,
) -> list[scoring.Candidate]:
    """The `limit` nearest eligible organizations, then the nearer left out."""
    connection = session.connection()
    values = {**facts.params(since), "lat": surplus.lat, "lon": surplus.lon}
    # Anything farther than this on the sphere is beyond the farm's radius.
    reach_m = geo.max_sphere_km(surplus.farm_radius_km) * 1000.0
    scan = 3 * limit + 6
    while True:
        rows = connection.execute(nearest(scan), values).all()
        exhausted = len(rows) < scan or (bool(rows) and rows[-1].sphere_m > reach_m)
        # Unread rows are at least as far on the sphere as the last one read.
        frontier_km = float("inf") if exhausted else rows[-1].sphere_m / 1000.0
        km = geo.geodesics_km(
            surplus.lat, surplus.lon, [r.lat for r in rows], [r.lon for r in rows]
        ).tolist()
        shortlist = facts.Shortlist(surplus, limit)
        for d, _, row in sorted(
            (d, row.id, row) for d, row in zip(km, rows, strict=True)
        ):
            if d > surplus.farm_radius_km or geo.max_sphere_km(d) >= frontier_km:
                break
            shortlist.consider(row, d)
        if shortlist.full or exhausted:
            return shortlist.candidates()
        scan *= 4
