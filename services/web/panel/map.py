"""The coordinator's map: parcels, organizations, open surpluses and the
Lanaudière towns, from one GeoJSON document.

The page draws with Leaflet served by the app itself (no CDN: demo machines
are often offline). Without tiles configured (`GLANAGE_MAP_TILES_URL`) the map
is a plain background with the municipality names, which is enough to find
one's way in the region. Below the map, the same open surpluses and
organizations are listed in tables, so the page is useful without JavaScript
and to screen readers.
"""

from __future__ import annotations

import csv
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from flask import Response, json, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from shapely import wkt
from shapely.errors import ShapelyError
from shapely.geometry import Point, mapping
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services.web.context import db, runtime
from services.web.panel.base import bp, login_required, nav
from shared.models import OPEN_STATUSES, Organization, Parcel, Surplus
from shared.seed import DATA, towns

__all__ = ["bp", "feature_collection"]

OSM_CREDIT = (
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)


def _feature(
    geometry: dict[str, Any], kind: str, fid: str, **properties: Any
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": geometry,
        "properties": {"kind": kind, **properties},
    }


def _point(lat: float, lon: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _parcel_geometry(parcel: Parcel) -> dict[str, Any]:
    """The parcel's shape; its centroid when the stored WKT cannot be read."""
    try:
        shape = wkt.loads(parcel.geometry_wkt)
    except (ShapelyError, ValueError, TypeError):
        shape = Point(parcel.lon, parcel.lat)
    if shape.is_empty:
        shape = Point(parcel.lon, parcel.lat)
    return dict(mapping(shape))


def _parcels() -> list[Parcel]:
    query = (
        select(Parcel)
        .options(selectinload(Parcel.farm))
        .order_by(Parcel.farm_id, Parcel.code)
    )
    return list(db().scalars(query).all())


def _organizations() -> list[Organization]:
    query = select(Organization).order_by(Organization.name)
    return list(db().scalars(query).all())


def _open_surpluses() -> list[Surplus]:
    query = (
        select(Surplus)
        .where(Surplus.status.in_(OPEN_STATUSES))
        .options(selectinload(Surplus.farm), selectinload(Surplus.parcel))
        .order_by(Surplus.id.desc())
    )
    return list(db().scalars(query).all())


def _surplus_point(surplus: Surplus) -> dict[str, Any]:
    place = surplus.parcel or surplus.farm
    return _point(place.lat, place.lon)


def feature_collection(
    parcels: list[Parcel],
    organizations: list[Organization],
    surpluses: list[Surplus],
) -> dict[str, Any]:
    """One FeatureCollection; `properties.kind` tells the layers apart."""
    features: list[dict[str, Any]] = []
    people = populations()
    for name, town in sorted(towns().items()):
        features.append(
            _feature(
                _point(town.lat, town.lon),
                "municipality",
                f"town-{name}",
                name=name,
                population=people.get(name),
            )
        )
    for parcel in parcels:
        features.append(
            _feature(
                _parcel_geometry(parcel),
                "parcel",
                f"parcel-{parcel.id}",
                farm=parcel.farm.name,
                municipality=parcel.farm.municipality,
                code=parcel.code,
                name=parcel.name,
                rules=parcel.rules,
            )
        )
    for org in organizations:
        features.append(
            _feature(
                _point(org.lat, org.lon),
                "organization",
                f"organization-{org.id}",
                name=org.name,
                type=org.kind,
                municipality=org.municipality,
                weekly_capacity_kg=org.weekly_capacity_kg,
                cold_storage=org.cold_storage,
                priority=org.priority,
                active=org.active,
            )
        )
    for surplus in surpluses:
        features.append(
            _feature(
                _surplus_point(surplus),
                "surplus",
                f"surplus-{surplus.id}",
                code=surplus.code,
                crop=surplus.crop,
                remaining_kg=surplus.remaining_kg,
                quantity_kg=surplus.quantity_kg,
                status=str(surplus.status),
                status_label=_status_label(str(surplus.status)),
                farm=surplus.farm.name,
                parcel=surplus.parcel.code if surplus.parcel else None,
                available_until=surplus.available_until.isoformat(),
                url=url_for("panel.surplus_detail", surplus_id=surplus.id),
            )
        )
    return {"type": "FeatureCollection", "features": features}


@cache
def populations() -> dict[str, int]:
    """Town populations, so the map names the larger towns first when crowded."""
    with (DATA / "lanaudiere_municipalities.csv").open(encoding="utf-8") as f:
        return {
            row["name"]: int(row["population"])
            for row in csv.DictReader(f)
            if (row.get("population") or "").isdigit()
        }


def _status_label(status: str) -> str:
    labels = {
        "open": _("Open"),
        "offered": _("Offered"),
        "unmatched": _("Unmatched"),
    }
    return labels.get(status, status)


def tile_attribution(tiles_url: str) -> str:
    """Credit for the tiles: OpenStreetMap's data, and the tile host if other."""
    host = urlsplit(tiles_url.replace("{s}.", "")).hostname or ""
    if not host or host.endswith("openstreetmap.org"):
        return OSM_CREDIT
    return f"{OSM_CREDIT} · " + _("Tiles: %(host)s", host=host)


def _labels() -> dict[str, str]:
    """Words map.js shows, translated here so the script stays language-free."""
    return {
        "parcels": _("Parcels"),
        "parcel_outline": _("Parcel outline (zoom in)"),
        "organizations": _("Organizations"),
        "organization_size": _("Circle size: weekly capacity"),
        "inactive": _("Inactive organization"),
        "surpluses": _("Open surpluses"),
        "surplus_open": _("Open surplus: looking for organizations"),
        "surplus_offered": _("Offered: waiting for a claim"),
        "surplus_unmatched": _("Unmatched: needs a hand"),
        "municipalities": _("Municipalities"),
        "legend": _("Legend"),
        "remaining": _("remaining"),
        "of": _("of"),
        "capacity": _("Weekly capacity"),
        "cold_storage": _("Cold storage"),
        "priority": _("Priority (most vulnerable)"),
        "rules": _("The farmer's rules"),
        "until": _("until"),
        "details": _("Details and actions"),
        "failed": _("The map data could not be loaded. The lists below still work."),
    }


@bp.get("/map")
@login_required
def map_page() -> ResponseReturnValue:
    tiles_url = runtime().settings.map_tiles_url
    return render_template(
        "panel/map.html",
        nav_items=nav(),
        tiles_url=tiles_url,
        tiles_attribution=tile_attribution(tiles_url) if tiles_url else "",
        labels=_labels(),
        surpluses=_open_surpluses(),
        organizations=_organizations(),
    )


@bp.get("/map/data.geojson")
@login_required
def map_data() -> ResponseReturnValue:
    collection = feature_collection(_parcels(), _organizations(), _open_surpluses())
    response = Response(json.dumps(collection), mimetype="application/geo+json")
    response.headers["Cache-Control"] = "no-store"
    return response
