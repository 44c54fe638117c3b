"""The farmer's form, the panel and the simulator, as a person uses them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from shared.models import Farm
from shared.runtime import Runtime
from tests.conftest import FARMER


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def login(client: FlaskClient) -> None:
    page = client.get("/panel/login").get_data(as_text=True)
    response = client.post(
        "/panel/login",
        data={
            "csrf_token": csrf(page),
            "email": "coord@example.org",
            "password": "correct horse battery",
        },
    )
    assert response.status_code == 302


def test_farmer_form_creates_the_same_surplus_as_sms(
    client: FlaskClient, runtime: Runtime, api: Any
) -> None:
    with runtime.sessions() as session:
        token = session.scalars(select(Farm)).first().form_token  # type: ignore[union-attr]
    page = client.get(f"/f/{token}").get_data(as_text=True)
    assert "Ferme Beaulieu" in page and "P3" in page

    bad = client.post(
        f"/f/{token}",
        data={
            "csrf_token": csrf(page),
            "parcel": "P1",
            "crop": "courges",
            "quantity": "beaucoup",
            "unit": "kg",
        },
    )
    assert bad.status_code == 422
    assert 'value="courges"' in bad.get_data(as_text=True)  # nothing typed is lost

    until = (date.today() + timedelta(days=2)).isoformat()
    good = client.post(
        f"/f/{token}",
        data={
            "csrf_token": csrf(page),
            "parcel": "P2",
            "crop": "courges",
            "quantity": "1 000",
            "unit": "lb",
            "until": until,
            "kind": "glean",
        },
    )
    assert good.status_code == 200
    surplus = api("GET", "/surpluses").get_json()["items"][0]
    assert (surplus["crop"], surplus["parcel"], surplus["quantity_kg"]) == (
        "courge",
        "P2",
        453.59,
    )
    assert surplus["code"] in good.get_data(as_text=True)


def test_form_without_csrf_is_refused(client: FlaskClient, runtime: Runtime) -> None:
    with runtime.sessions() as session:
        token = session.scalars(select(Farm)).first().form_token  # type: ignore[union-attr]
    assert client.post(f"/f/{token}", data={"parcel": "P1"}).status_code == 400


def test_panel_needs_login(client: FlaskClient) -> None:
    response = client.get("/panel/")
    assert (
        response.status_code == 302 and "/panel/login" in response.headers["Location"]
    )
    page = client.get("/panel/login").get_data(as_text=True)
    wrong = client.post(
        "/panel/login",
        data={
            "csrf_token": csrf(page),
            "email": "coord@example.org",
            "password": "nope",
        },
    )
    assert wrong.status_code == 401
    assert "incorrect" in wrong.get_data(as_text=True)


def test_simulator_round_trip_and_board(client: FlaskClient, work: Any) -> None:
    login(client)
    page = client.get(f"/panel/simulator?phone={FARMER}").get_data(as_text=True)
    assert "Ferme Beaulieu" in page
    sent = client.post(
        f"/panel/simulator?phone={FARMER}",
        data={
            "csrf_token": csrf(page),
            "body": "DISPO P1 courges 300 kg jusqu'à vendredi",
        },
    )
    assert sent.status_code == 302
    work()
    thread = client.get(f"/panel/simulator/live?phone={FARMER}").get_data(as_text=True)
    assert "DISPO P1 courges 300 kg" in thread and "Merci" in thread
    board = client.get("/panel/board/live").get_data(as_text=True)
    assert "Courge" in board and "Envoyé" in board  # offers went out
    detail = client.get("/panel/surplus/1").get_data(as_text=True)
    assert "km" in detail and "Écartés" in detail  # ranked and left out, with why
    everything = client.get("/panel/simulator/live").get_data(as_text=True)
    assert "/r/" in everything  # the offers that went out are visible too


def test_english_pages(client: FlaskClient) -> None:
    page = client.get("/panel/login?lang=en").get_data(as_text=True)
    assert "Coordinator login" in page
    page = client.get("/panel/login").get_data(as_text=True)
    assert "Coordinator login" in page  # remembered
    assert "Connexion" in client.get("/panel/login?lang=fr").get_data(as_text=True)


def test_front_page_explains_and_leads_to_the_panel(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "DISPO P3 courges 500 kg" in page and "/panel/" in page
