"""On PostgreSQL, what the database cannot hold gets a clear answer, never a 500."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import given, settings
from schemathesis import GenerationMode
from schemathesis.schemas import BaseSchema
from sqlalchemy import select

from shared import seed
from shared.models import Farm
from shared.runtime import Runtime
from tests.hostile import contract
from tests.hostile.webhooks import (
    FUZZ,
    assert_twiml_or_refusal,
    inbound_forms,
    signed,
)
from tests.services.web.panel.conftest import COORDINATOR, csrf, sign_in

FARMER = seed.phone(0)


@pytest.fixture
def pg_schema(pg_app: Flask) -> BaseSchema:
    return contract.load(pg_app)


@pytest.mark.parametrize("mode", contract.MODES)
@pytest.mark.parametrize(("method", "path"), contract.OPERATIONS)
def test_on_postgresql_every_operation_answers_as_documented(
    pg_schema: BaseSchema, method: str, path: str, mode: GenerationMode
) -> None:
    contract.check_operation(pg_schema, method, path, mode, examples=30)


ANNOUNCEMENT = {
    "farm_id": 1,
    "parcel": "P1",
    "crop": "carotte",
    "quantity": 10,
    "available_until": "2099-01-01",
}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/messages?to=%00", None),
        ("GET", "/messages?from=%2B1450555%000100", None),
        ("GET", "/surpluses?status=open%00", None),
        ("GET", "/surpluses/99999999999999999999", None),
        ("POST", "/parse", {"text": "DISPO verger", "from": "\udafc"}),
        ("POST", "/parse", {"text": "DISPO verger", "from": "+1450\x00"}),
        ("POST", "/surpluses", {**ANNOUNCEMENT, "notes": "\udafc"}),
        ("POST", "/surpluses", {**ANNOUNCEMENT, "notes": "a\x00b"}),
        ("POST", "/surpluses", {**ANNOUNCEMENT, "farm_id": 2**40}),
        ("POST", "/surpluses", {**ANNOUNCEMENT, "farm_id": 10**30}),
    ],
)
def test_on_postgresql_what_the_database_cannot_hold_gets_an_api_answer(
    pg_app: Flask, method: str, path: str, body: Any
) -> None:
    response = pg_app.test_client().open(
        f"/api/v1{path}",
        method=method,
        headers=contract.BEARER,
        # json.dumps writes lone surrogates as \\udafc escapes, as a client would.
        data=None if body is None else json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code in (200, 201, 404, 422), response.get_data(True)
    assert response.is_json


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/sms/inbound", {"From": FARMER, "Body": "AIDE\x00", "MessageSid": "SMnul"}),
        (
            "/sms/inbound",
            {"From": FARMER, "Body": "AIDE", "MessageSid": "SM" + "9" * 70},
        ),
        ("/sms/inbound", {"From": FARMER, "Body": "AIDE", "To": "+1" + "4" * 300}),
        ("/sms/status", {"MessageSid": "SM\x00", "MessageStatus": "delivered"}),
    ],
    ids=["nul-in-body", "sid-over-64", "to-over-254", "nul-in-status-sid"],
)
def test_on_postgresql_odd_webhooks_get_twiml_or_a_clear_4xx(
    pg_app: Flask, path: str, form: dict[str, str]
) -> None:
    response = signed(pg_app.test_client(), path, form)
    if path == "/sms/status":
        assert response.status_code in (204, 400), response.get_data(True)
    else:
        assert_twiml_or_refusal(response)


# Every address that reads a value from its path or query into a query.
NUL_ADDRESSES = [
    "/f/%00",
    "/r/%00",
    "/sondage/%00",
    "/desabonnement/%00",
    "/infolettre/confirmer/%00",
    "/infolettre/desabonner/%00",
    "/infolettre/o/%00.gif",
    "/infolettre/c/%00?u=%00&s=%00",
    "/nouvelles/%00",
    "/en/nouvelles/%00",
    "/evenements/%00",
    "/evenements/%00.ics",
    "/fiches/%00",
    "/emplois/%00",
    "/partenaires?mrc=%00&type=%00",
    "/boite-a-outils?q=%00",
    "/panel/messages?q=%00",
    "/panel/messages?code=%00",
    "/panel/directory?q=%00",
    "/panel/simulator?phone=%00&number=%00",
    "/panel/site?q=%00&kind=%00",
]


@pytest.mark.parametrize("path", NUL_ADDRESSES)
def test_on_postgresql_a_nul_in_an_address_gets_a_page_not_a_500(
    pg_app: Flask, path: str
) -> None:
    client = sign_in(pg_app.test_client(), *COORDINATOR)
    response = client.get(path)
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


def _farm_form(pg_app: Flask) -> str:
    runtime: Runtime = pg_app.extensions["glanage"]
    with runtime.sessions() as session:
        token = session.scalars(select(Farm.form_token).order_by(Farm.id)).first()
    return f"/f/{token}"


FARM_FORM = {
    "parcel": "P1",
    "crop": "carottes",
    "quantity": "300",
    "unit": "kg",
    "until": "2099-01-01",
    "kind": "glean",
}
CONTACT = {"name": "Julie", "email": "julie@example.org", "message": "Bonjour"}
JOIN = {**CONTACT, "organization": "Potager", "role": "farmer", "municipality": "X"}


@pytest.mark.parametrize(
    ("form", "typed"),
    [
        ("farmer", {**FARM_FORM, "notes": "stationnez\x00ici"}),
        ("/contact", {**CONTACT, "message": "Bonjour\x00"}),
        ("/glanage", {**JOIN, "organization": "Potager\x00"}),
        ("/infolettre", {"email": "julie\x00@example.org", "consent": "yes"}),
        (f"/panel/simulator?phone={quote(FARMER)}", {"body": "AIDE\x00"}),
    ],
    ids=["farmer-form", "contact", "join", "newsletter", "simulator"],
)
def test_on_postgresql_a_nul_typed_in_a_form_gets_a_page_not_a_500(
    pg_app: Flask, form: str, typed: dict[str, str]
) -> None:
    client = sign_in(pg_app.test_client(), *COORDINATOR)
    path = _farm_form(pg_app) if form == "farmer" else form
    page = client.get(path).get_data(as_text=True)
    response = client.post(path, data={**typed, "csrf_token": csrf(page)})
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


@settings(FUZZ, max_examples=150)
@given(form=inbound_forms())
def test_on_postgresql_any_signed_inbound_text_gets_twiml_or_a_clear_4xx(
    pg_app: Flask, form: dict[str, str]
) -> None:
    assert_twiml_or_refusal(signed(pg_app.test_client(), "/sms/inbound", form))
