"""The coordinator's map: the page, its GeoJSON, and its vendored Leaflet."""

from __future__ import annotations

import dataclasses
import html
import re
from collections import Counter
from typing import Any

from flask.testing import FlaskClient

from shared.db import transaction
from shared.models import Parcel, Surplus
from shared.runtime import Runtime
from shared.seed import towns
from tests.conftest import FARMER, Twilio

DATA = "/panel/map/data.geojson"


def geojson(client: FlaskClient) -> dict[str, Any]:
    response = client.get(DATA)
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    data: dict[str, Any] = response.get_json(force=True)
    assert data["type"] == "FeatureCollection"
    return data


def of_kind(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in data["features"] if f["properties"]["kind"] == kind]


def test_map_needs_login(client: FlaskClient) -> None:
    for path in ("/panel/map", DATA):
        response = client.get(path)
        assert response.status_code == 302
        assert "/panel/login" in response.headers["Location"]


def test_the_menu_leads_to_the_map(coordinator: FlaskClient) -> None:
    board = coordinator.get("/panel/").get_data(as_text=True)
    assert 'href="/panel/map"' in board
    page = coordinator.get("/panel/map").get_data(as_text=True)
    assert '<a href="/panel/map" aria-current="page">' in page


def test_a_viewer_sees_the_map_too(viewer: FlaskClient) -> None:
    assert viewer.get("/panel/map").status_code == 200
    assert viewer.get(DATA).status_code == 200


def test_page_loads_leaflet_from_the_app_and_works_offline_by_default(
    coordinator: FlaskClient,
) -> None:
    page = coordinator.get("/panel/map").get_data(as_text=True)
    assert "/static/vendor/leaflet/leaflet.css" in page
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "/static/map.js" in page
    assert "unpkg.com" not in page and "cdn" not in page.lower()
    found = re.search(r'<div id="map"[^>]*>', page)
    assert found
    tag = found.group(0)
    assert f'data-geojson="{DATA}"' in tag
    assert 'data-tiles=""' in tag  # no tiles: plain background and town names
    labels = re.search(
        r'<script type="application/json" id="map-labels">(.*?)</script>', page, re.S
    )
    assert labels and '"legend"' in labels.group(1)


def test_the_tiles_setting_reaches_the_page(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    url = "https://tiles.example/{z}/{x}/{y}.png"
    runtime.settings = dataclasses.replace(runtime.settings, map_tiles_url=url)
    page = coordinator.get("/panel/map").get_data(as_text=True)
    found = re.search(r'data-tiles="([^"]*)"', page)
    assert found and html.unescape(found.group(1)) == url
    attribution = re.search(r'data-attribution="([^"]*)"', page)
    assert attribution
    credit = html.unescape(attribution.group(1))
    assert "OpenStreetMap" in credit and "tiles.example" in credit


def test_vendored_leaflet_is_served(client: FlaskClient) -> None:
    for path in (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet/images/layers.png",
        "/static/vendor/leaflet/LICENSE",
        "/static/map.js",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()
    js = client.get("/static/vendor/leaflet/leaflet.js")
    assert b'version="1.9.4"' in js.data
    js.close()


def test_geojson_has_parcels_organizations_and_towns(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    data = geojson(coordinator)
    kinds = Counter(f["properties"]["kind"] for f in data["features"])
    with runtime.sessions() as session:
        parcels = session.query(Parcel).count()
    assert kinds["parcel"] == parcels > 0
    assert kinds["organization"] >= 27
    assert kinds["municipality"] == len(towns()) == 57
    assert kinds["surplus"] == 0  # the demo data starts with none

    shapes = Counter(f["geometry"]["type"] for f in of_kind(data, "parcel"))
    assert shapes["Polygon"] > 0 and shapes["Point"] > 0
    parcel = of_kind(data, "parcel")[0]["properties"]
    assert {"farm", "code", "name", "rules"} <= set(parcel)
    assert parcel["farm"] == "Ferme Beaulieu" and parcel["code"] == "P1"

    for feature in data["features"]:
        if feature["geometry"]["type"] == "Point":
            lon, lat = feature["geometry"]["coordinates"]
            # GeoJSON is longitude first; Lanaudière is about 45.7–47.1 N, 72.9–74.6 W
            assert 45.5 < lat < 47.5 and -75 < lon < -72.5, feature

    org = of_kind(data, "organization")[0]["properties"]
    assert {
        "name",
        "municipality",
        "weekly_capacity_kg",
        "cold_storage",
        "priority",
        "active",
    } <= set(org)
    town = of_kind(data, "municipality")
    assert "Saint-Jacques" in {t["properties"]["name"] for t in town}
    # crowded labels give way to bigger towns: a town has its size when known
    sizes = {t["properties"]["name"]: t["properties"]["population"] for t in town}
    assert sizes["Joliette"] > sizes["Saint-Zénon"] > 0
    assert all(size is None or size > 0 for size in sizes.values())


def test_an_open_surplus_appears_at_its_parcel(
    coordinator: FlaskClient, twilio: Twilio, work: Any
) -> None:
    twilio.reply(FARMER, "DISPO P1 courges 300 kg demain")
    work()
    data = geojson(coordinator)
    [surplus] = of_kind(data, "surplus")
    props = surplus["properties"]
    assert props["crop"].startswith("courge")
    assert props["quantity_kg"] == 300 and props["remaining_kg"] == 300
    assert props["status"] in ("open", "offered", "unmatched")
    assert props["code"] and props["farm"] == "Ferme Beaulieu"
    assert props["parcel"] == "P1"
    assert re.fullmatch(r"/panel/surplus/\d+", props["url"])
    assert coordinator.get(props["url"]).status_code == 200

    parcel = next(
        f
        for f in of_kind(data, "parcel")
        if f["properties"]["farm"] == "Ferme Beaulieu"
        and f["properties"]["code"] == "P1"
    )
    ring = parcel["geometry"]["coordinates"][0]
    lons, lats = [c[0] for c in ring], [c[1] for c in ring]
    lon, lat = surplus["geometry"]["coordinates"]
    assert min(lons) <= lon <= max(lons) and min(lats) <= lat <= max(lats)

    # Without JavaScript, the page lists it with a link to its page.
    page = coordinator.get("/panel/map").get_data(as_text=True)
    assert f'href="{props["url"]}">{props["code"]}</a>' in page
    assert "Moisson Lanaudière" in page


def test_claimed_surpluses_leave_the_map(
    coordinator: FlaskClient, twilio: Twilio, work: Any, runtime: Runtime
) -> None:
    twilio.reply(FARMER, "DISPO P1 courges 300 kg demain")
    work()
    with transaction(runtime.sessions) as session:
        surplus = session.query(Surplus).one()
        surplus.status = "claimed"
        surplus.remaining_kg = 0
    assert of_kind(geojson(coordinator), "surplus") == []


def test_a_parcel_with_unreadable_geometry_falls_back_to_its_centre(
    coordinator: FlaskClient, runtime: Runtime
) -> None:
    with transaction(runtime.sessions) as session:
        parcel = session.query(Parcel).order_by(Parcel.id).first()
        assert parcel is not None
        parcel.geometry_wkt = "not wkt"
        lat, lon = parcel.lat, parcel.lon
    first = of_kind(geojson(coordinator), "parcel")[0]
    assert first["geometry"] == {"type": "Point", "coordinates": [lon, lat]}
