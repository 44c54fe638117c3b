"""Script typed anywhere comes out as inert text; SQL metacharacters are just text."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from shared import seed
from shared.models import Farm, Message, Surplus
from shared.runtime import Runtime
from tests.conftest import FARMER, Twilio
from tests.hostile.markup import HOSTILE, PAYLOADS, assert_inert
from tests.services.web.panel.conftest import COORDINATOR, csrf, sign_in

ORG = seed.phone(20)
# A sender Twilio would pass on as it is: an alphanumeric id can be anything.
HOSTILE_SENDER = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def coordinator(app: Flask) -> FlaskClient:
    return sign_in(app.test_client(), *COORDINATOR)


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def _only_surplus(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalars(select(Surplus.id)).one()


def _claim_link(runtime: Runtime) -> str:
    with runtime.sessions() as session:
        bodies = session.scalars(
            select(Message.body).where(Message.direction == "out")
        ).all()
    links = [found for body in bodies for found in re.findall(r"/r/[\w.-]+", body)]
    assert links, "an offer went out with its claim link"
    return links[0]


def test_script_texted_in_is_text_on_every_panel_page(
    twilio: Twilio, work: Any, runtime: Runtime, coordinator: FlaskClient
) -> None:
    twilio.reply(FARMER, "DISPO P1 carottes 300 kg " + HOSTILE)
    work()
    twilio.reply(ORG, "OUI A1 " + HOSTILE)
    twilio.text(HOSTILE_SENDER, HOSTILE)
    twilio.text("+15145550123", HOSTILE)
    work()
    surplus = _only_surplus(runtime)

    for path, shows in (
        ("/panel/", False),
        ("/panel/board/live", False),
        (f"/panel/surplus/{surplus}", True),
        ("/panel/messages", True),
        (f"/panel/simulator?phone={FARMER}", True),
        (f"/panel/simulator/live?phone={FARMER}", True),
        ("/panel/simulator", True),
    ):
        assert_inert(_page(coordinator, path), shows=shows, where=path)
    messages = _page(coordinator, "/panel/messages")
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in messages  # the sender


def test_script_typed_in_the_simulator_and_the_search_boxes_is_text(
    coordinator: FlaskClient,
) -> None:
    page = _page(coordinator, f"/panel/simulator?phone={FARMER}")
    response = coordinator.post(
        f"/panel/simulator?phone={FARMER}",
        data={"csrf_token": csrf(page), "phone": FARMER, "body": HOSTILE},
    )
    assert response.status_code == 302
    thread = _page(coordinator, f"/panel/simulator?phone={FARMER}")
    assert_inert(thread, where="simulator thread")

    query = {"q": HOSTILE, "code": HOSTILE, "start": HOSTILE, "end": HOSTILE}
    found = coordinator.get("/panel/messages", query_string=query)
    assert found.status_code == 200
    assert_inert(found.get_data(as_text=True), where="message search")
    for path, params in (
        ("/panel/simulator", {"number": HOSTILE}),  # flashed back: not a number
        ("/panel/simulator", {"phone": HOSTILE}),
        ("/panel/directory", {"q": HOSTILE}),
        ("/panel/directory", {"q": HOSTILE, "tab": HOSTILE}),
    ):
        response = coordinator.get(path, query_string=params)
        assert response.status_code == 200, (path, params)
        assert_inert(response.get_data(as_text=True), shows=False, where=path)


def test_script_in_the_farmers_form_is_text(
    client: FlaskClient, runtime: Runtime, coordinator: FlaskClient
) -> None:
    with runtime.sessions() as session:
        token = session.scalars(select(Farm.form_token).order_by(Farm.id)).first()
    form = f"/f/{token}"
    page = _page(client, form)
    typed = {
        "csrf_token": csrf(page),
        "parcel": "P1",
        "crop": HOSTILE,  # not a crop: the form comes back with what was typed
        "quantity": "300",
        "unit": "kg",
        "until": "2099-01-01",
        "kind": "glean",
        "notes": HOSTILE,
    }
    again = client.post(form, data=typed)
    assert again.status_code == 422
    assert_inert(again.get_data(as_text=True), where="farmer form, refused")
    hostile_everywhere = {**typed, "parcel": HOSTILE, "unit": HOSTILE}
    again = client.post(form, data={**hostile_everywhere, "until": HOSTILE})
    assert again.status_code == 422
    assert_inert(again.get_data(as_text=True), where="farmer form, all fields")

    created = client.post(form, data={**typed, "crop": "carottes"})
    assert created.status_code == 200
    with runtime.sessions() as session:
        stored = session.scalars(select(Surplus)).one()
        assert stored.notes == HOSTILE  # kept as typed, shown as text
    assert_inert(created.get_data(as_text=True), shows=False, where="farmer form")
    for path in ("/panel/", f"/panel/surplus/{stored.id}"):
        assert_inert(_page(coordinator, path), shows=False, where=path)


def test_script_in_the_claim_form_is_text(
    twilio: Twilio, work: Any, runtime: Runtime, client: FlaskClient
) -> None:
    twilio.reply(FARMER, "DISPO P1 carottes 300 kg demain")
    work()
    link = _claim_link(runtime)
    page = _page(client, link)
    assert_inert(page, shows=False, where="claim page")
    for field in ("quantity", "day", "slot"):
        data = {"csrf_token": csrf(page), "quantity": "", "day": "", "slot": "am"}
        refused = client.post(link, data={**data, field: HOSTILE, "action": "claim"})
        assert refused.status_code == 422, field
        shown = refused.get_data(as_text=True)
        assert_inert(shown, shows=field == "quantity", where=f"claim, {field}")
    with runtime.sessions() as session:
        assert session.scalar(select(Surplus.remaining_kg)) == 300


@pytest.mark.parametrize(
    ("path", "fields", "extra"),
    [
        (
            "/contact",
            ("name", "subject", "message", "phone"),
            {"email": "julie@example.org"},
        ),
        (
            "/glanage",
            ("name", "organization", "municipality", "message"),
            {"email": "julie@example.org", "role": "farmer"},
        ),
    ],
)
def test_script_sent_through_the_sites_forms_is_text(
    client: FlaskClient,
    coordinator: FlaskClient,
    path: str,
    fields: tuple[str, ...],
    extra: dict[str, str],
) -> None:
    page = _page(client, path)
    # Each field within its length, the message with everything.
    typed = {field: PAYLOADS[n % 2] for n, field in enumerate(fields)}
    typed = {**typed, "message": HOSTILE}
    # Refused first (a bad email): the page shows back what was typed.
    bad = {**typed, **extra, "email": HOSTILE}
    refused = client.post(path, data={**bad, "csrf_token": csrf(page)})
    assert refused.status_code == 422
    assert_inert(refused.get_data(as_text=True), where=f"{path}, refused")

    sent = {**typed, **extra, "phone": ""}
    accepted = client.post(path, data={**sent, "csrf_token": csrf(page)})
    assert accepted.status_code == 303
    # The coordinator reads it in the messages list, and searches for it.
    assert_inert(_page(coordinator, "/panel/messages"), where="messages")
    found = coordinator.get("/panel/messages", query_string={"q": "xss-script"})
    assert_inert(found.get_data(as_text=True), where="messages, found")


def test_script_in_the_newsletter_form_is_text(client: FlaskClient) -> None:
    page = _page(client, "/infolettre")
    refused = client.post(
        "/infolettre",
        data={
            "csrf_token": csrf(page),
            "email": HOSTILE,
            "topics": ["news", HOSTILE],
            "language": HOSTILE,
            "consent": "yes",
        },
    )
    assert refused.status_code == 422
    assert_inert(refused.get_data(as_text=True), where="newsletter, refused")


SQL = ("'; DROP TABLE surpluses; --", "1' OR '1'='1", "%", "_", "\\", "%_\\%")


def _counts(runtime: Runtime) -> tuple[int, int]:
    with runtime.sessions() as session:
        surpluses = session.scalar(select(func.count()).select_from(Surplus))
        messages = session.scalar(select(func.count()).select_from(Message))
        return surpluses or 0, messages or 0


def test_sql_metacharacters_texted_in_are_kept_as_typed(
    twilio: Twilio, api: Any, runtime: Runtime
) -> None:
    twilio.reply(FARMER, "DISPO P1 carottes 300 kg demain")
    before = _counts(runtime)
    for text in SQL:
        for sender in (FARMER, text):  # as the sender, too
            response = twilio.text(sender, text)
            assert response.status_code == 200 and response.mimetype == "text/xml"
    surpluses, messages = _counts(runtime)
    assert surpluses == before[0] == 1
    assert messages >= before[1] + 2 * len(SQL)
    bodies = [m["body"] for m in api("GET", "/messages").get_json()["items"]]
    assert all(text in bodies for text in SQL)


@pytest.mark.parametrize("text", SQL)
def test_sql_metacharacters_in_api_filters_match_only_themselves(
    twilio: Twilio, api: Any, text: str
) -> None:
    twilio.reply(FARMER, "DISPO P1 carottes 300 kg demain")
    for name in ("to", "from"):
        response = api("GET", "/messages", query_string={name: text})
        assert response.status_code == 200
        assert response.get_json() == {"items": []}, f"?{name}={text} matched"
    response = api("GET", "/surpluses", query_string={"status": text})
    assert response.status_code == 200 and response.get_json() == {"items": []}
    assert len(api("GET", "/surpluses").get_json()["items"]) == 1


@pytest.mark.parametrize("text", SQL)
def test_sql_metacharacters_in_the_panel_search_find_only_themselves(
    twilio: Twilio, coordinator: FlaskClient, text: str
) -> None:
    """A search for "%" or "_" finds the messages holding it, not every one."""
    twilio.reply(FARMER, "DISPO P1 carottes 300 kg demain")
    twilio.reply(FARMER, f"note: {text}")
    response = coordinator.get("/panel/messages", query_string={"q": text})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = re.findall(r'data-label="Message">(.*?)</td>', page, re.S)
    assert shown and all("note:" in row for row in shown), shown
    directory = coordinator.get("/panel/directory", query_string={"q": text})
    assert directory.status_code == 200
