"""Whatever the API is sent, it answers as its OpenAPI document says, never a 500."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.schemas import BaseSchema
from sqlalchemy import select

from shared import claims, coordination, crops
from shared.db import transaction
from shared.grammar import MAX_KG
from shared.models import Farm, Offer, Surplus
from shared.runtime import Runtime
from tests.conftest import FARMER, Twilio
from tests.hostile import contract


@pytest.fixture
def api_schema(app: Flask, twilio: Twilio, work: Any, runtime: Runtime) -> BaseSchema:
    """The document the running app serves, with surpluses, matches, offers,
    a claim and messages behind it, so the bodies have something to show."""
    twilio.reply(FARMER, "DISPO P1 carottes 300 kg demain")
    work()
    with transaction(runtime.sessions) as session:
        offer = session.scalars(select(Offer)).first()
        assert offer is not None, "the surplus was offered"
        claims.claim(session, offer.surplus_id, offer.organization, 100.0, via="link")
    work()
    return contract.load(app)


@pytest.mark.parametrize("mode", contract.MODES)
@pytest.mark.parametrize(("method", "path"), contract.OPERATIONS)
def test_every_operation_answers_as_documented(
    api_schema: BaseSchema, method: str, path: str, mode: GenerationMode
) -> None:
    contract.check_operation(api_schema, method, path, mode, examples=60)


def _farms(runtime: Runtime) -> list[tuple[int, str]]:
    with runtime.sessions() as session:
        farms = session.scalars(select(Farm)).all()
        return [(farm.id, parcel.code) for farm in farms for parcel in farm.parcels]


@st.composite
def announcements(draw: st.DrawFn, farms: list[tuple[int, str]]) -> dict[str, Any]:
    """Surpluses a farm could announce, some of them absurd."""
    farm_id, parcel = draw(st.sampled_from(farms))
    crop = draw(st.sampled_from(CROP_WORDS))
    body: dict[str, Any] = {
        "farm_id": farm_id,
        "parcel": draw(st.sampled_from([parcel, parcel.lower(), "P99"])),
        "crop": crop,
        "quantity": draw(QUANTITIES),
        "unit": draw(st.sampled_from([*crops.UNITS, "KG", "litre", ""])),
        "available_until": (date.today() + timedelta(days=draw(DAYS))).isoformat(),
    }
    if draw(st.booleans()):
        body["kind"] = draw(st.sampled_from(["glean", "pickup"]))
    if draw(st.booleans()):
        body["notes"] = draw(st.text(max_size=300))
    return body


CROP_WORDS = [
    *(crop.name for crop in crops.CROPS[::7]), "patates", "carrots", "tomatoe",
    "blé d'Inde", "zzz",
]  # fmt: skip
QUANTITIES = st.one_of(
    st.floats(min_value=1e-9, max_value=1e308),
    st.integers(min_value=1, max_value=10**30),
    st.sampled_from([0.001, 0.004, 0.005, 0.01, 1, 1_000_000, 1_000_000.01, 2200]),
)
DAYS = st.one_of(st.integers(-3, 30), st.just(2_900_000))


@settings(contract.FUZZ, max_examples=150)
@given(data=st.data())
def test_announcing_through_the_api_answers_as_documented(
    api_schema: BaseSchema, runtime: Runtime, data: st.DataObject
) -> None:
    """Bodies that get past the schema and reach the database: 201 with the
    documented surplus, or a documented 422; never 0 kg, never over a million."""
    body = data.draw(announcements(_farms(runtime)), label="body")
    case = api_schema["/surpluses"]["POST"].Case(
        body=body, media_type="application/json", headers=contract.BEARER
    )
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    assert response.status_code in (201, 422), response.text
    if response.status_code == 201:
        created = response.json()
        assert 0 < created["quantity_kg"] <= MAX_KG
        assert created["remaining_kg"] == created["quantity_kg"]


def test_a_surplus_closed_by_a_coordinator_matches_the_document(
    api_schema: BaseSchema, runtime: Runtime
) -> None:
    with transaction(runtime.sessions) as session:
        surplus = session.scalars(select(Surplus)).one()
        coordination.close(session, surplus)
        surplus_id = surplus.id
    one = api_schema["/surpluses/{id}"]["GET"].Case(
        path_parameters={"id": surplus_id}, headers=contract.BEARER
    )
    assert one.call_and_validate().json()["status"] == "closed"
    listed = api_schema["/surpluses"]["GET"].Case(
        query={"status": "closed"}, headers=contract.BEARER
    )
    assert [s["id"] for s in listed.call_and_validate().json()["items"]] == [surplus_id]
