"""The JSON API answers with the shapes its OpenAPI document promises."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from tests.conftest import FARMER, Twilio


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def check(spec: dict[str, Any], schema: str, value: Any) -> None:
    validator = Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": spec["components"]}
    )
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(value)]
    assert errors == []


def test_token_is_required(client: FlaskClient) -> None:
    assert client.get("/api/v1/farms").status_code == 401
    wrong = client.get("/api/v1/farms", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.get_json()["error"] == "unauthorized"


def test_lists_match_the_document(
    api: Any, spec: dict[str, Any], twilio: Twilio, work: Any
) -> None:
    twilio.reply(FARMER, "DISPO P1 carottes 300 kg demain")
    work()
    for path, schema in (
        ("/farms", "FarmList"),
        ("/organizations", "OrganizationList"),
        ("/surpluses", "SurplusList"),
        ("/messages", "MessageList"),
    ):
        body = api("GET", path).get_json()
        check(spec, schema, body)
        assert body["items"], path
    farms = api("GET", "/farms").get_json()["items"]
    assert len(farms) >= 10 and all(2 <= len(f["parcels"]) <= 4 for f in farms)
    assert len(api("GET", "/organizations").get_json()["items"]) >= 27
    surplus = api("GET", "/surpluses").get_json()["items"][0]
    check(spec, "Surplus", api("GET", f"/surpluses/{surplus['id']}").get_json())


def test_create_surplus_and_errors(api: Any, spec: dict[str, Any]) -> None:
    until = (date.today() + timedelta(days=2)).isoformat()
    created = api(
        "POST",
        "/surpluses",
        json={
            "farm_id": 1,
            "parcel": "P2",
            "crop": "patates",
            "quantity": 10,
            "unit": "poche",
            "available_until": until,
        },
    )
    assert created.status_code == 201
    body = created.get_json()
    check(spec, "Surplus", body)
    assert body["crop"] == "pomme de terre" and body["quantity_kg"] > 100

    for bad, code in (
        ({"farm_id": 999}, "invalid_farm"),
        ({"farm_id": 1, "parcel": "P9"}, "invalid_parcel"),
        ({"farm_id": 1, "parcel": "P1", "crop": "zzz"}, "invalid_crop"),
        (
            {"farm_id": 1, "parcel": "P1", "crop": "courge", "quantity": -1},
            "invalid_quantity",
        ),
        (
            {
                "farm_id": 1,
                "parcel": "P1",
                "crop": "courge",
                "quantity": 5,
                "available_until": "hier",
            },
            "invalid_date",
        ),
    ):
        response = api("POST", "/surpluses", json=bad)
        assert response.status_code == 422
        check(spec, "Error", response.get_json())
        assert response.get_json()["error"] == code
    assert api("POST", "/surpluses", data="not json").status_code == 400
    assert api("GET", "/surpluses/99999").status_code == 404


def test_parse_endpoint(api: Any, spec: dict[str, Any]) -> None:
    response = api(
        "POST",
        "/parse",
        json={
            "text": "DISPO P3 courges 500 kg jusqu'à vendredi",
            "now": "2026-09-14T10:00:00-04:00",
        },
    )
    body = response.get_json()
    check(spec, "ParseResult", body)
    assert body == {
        "intent": "announce",
        "language": "fr",
        "parcel": "P3",
        "crop": "courge",
        "quantity": 500,
        "unit": "kg",
        "quantity_kg": 500.0,
        "available_until": "2026-09-18",
        "offer_code": None,
        "problems": [],
    }
    named = api(
        "POST", "/parse", json={"text": "DISPO la serre laitues 20 kg", "from": FARMER}
    )
    assert named.get_json()["parcel"] == "P3"
    assert api("POST", "/parse", json={"text": 5}).status_code == 422


def test_health(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["database"] == "ok"
