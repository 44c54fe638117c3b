"""Anything a person or Twilio can send gets a clear answer, never a 500,
and what they sent is kept."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from shared import seed
from tests.conftest import FARMER, Twilio

ORG = seed.phone(20)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "x" * 1700,
        "🍅🥕🌽 ?!",
        "DISPO P3 " + "courges " * 300,
        "\x00\x01\x02",
        "OUI",
        "OUI A12 -5",
        "NON",
        "DISPO P9 courges 500 kg",
        "DISPO P1 courges 0 kg",
        "1 000 000 000 kg",
    ],
)
@pytest.mark.parametrize("sender", [FARMER, ORG, "+15145550123"])
def test_any_text_gets_a_reply_and_is_stored(
    twilio: Twilio, api: Any, sender: str, body: str
) -> None:
    response = twilio.text(sender, body)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert "<Message>" in response.get_data(as_text=True)
    stored = api("GET", "/messages").get_json()["items"]
    # All of it is kept but NUL, which no text column of PostgreSQL can hold.
    kept = body.replace("\x00", "")
    assert any(m["direction"] == "in" and m["body"] == kept for m in stored)


@pytest.mark.parametrize("sender", ["not a number", "TWILIO", "55555", "262966"])
@pytest.mark.parametrize("body", ["AIDE", "Votre code est 1234", "STOP", ""])
def test_machines_are_never_answered_but_kept(
    twilio: Twilio, api: Any, sender: str, body: str
) -> None:
    """Short codes and alphanumeric senders are machines: an automatic answer
    could start a loop between two systems."""
    response = twilio.text(sender, body)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert "<Message>" not in response.get_data(as_text=True)
    stored = api("GET", "/messages").get_json()["items"]
    assert [m["body"] for m in stored if m["direction"] == "in"] == [body]
    assert not [m for m in stored if m["direction"] == "out"]


def test_unsigned_or_forged_webhook_is_refused(client: FlaskClient) -> None:
    data = {"MessageSid": "SM1", "From": FARMER, "Body": "AIDE"}
    assert client.post("/sms/inbound", data=data).status_code == 403
    forged = client.post(
        "/sms/inbound", data=data, headers={"X-Twilio-Signature": "bm9wZQ=="}
    )
    assert forged.status_code == 403


def test_same_message_sid_is_handled_once(twilio: Twilio, api: Any) -> None:
    first = twilio.text(FARMER, "DISPO P1 courges 500 kg", sid="SMretry")
    again = twilio.text(FARMER, "DISPO P1 courges 500 kg", sid="SMretry")
    assert first.get_data() == again.get_data()
    assert len(api("GET", "/surpluses").get_json()["items"]) == 1
    inbound = [
        m for m in api("GET", "/messages").get_json()["items"] if m["direction"] == "in"
    ]
    assert len(inbound) == 1


def test_status_callback_updates_the_message(
    client: FlaskClient, twilio: Twilio, api: Any
) -> None:
    from twilio.request_validator import RequestValidator

    from tests.conftest import BASE_URL, TWILIO_TOKEN

    params = {"MessageSid": "SMunknown", "MessageStatus": "delivered"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        f"{BASE_URL}/sms/status", params
    )
    response = client.post(
        "/sms/status", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 204
    bad = {"MessageSid": "SMx", "MessageStatus": "exploded"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        f"{BASE_URL}/sms/status", bad
    )
    assert (
        client.post(
            "/sms/status", data=bad, headers={"X-Twilio-Signature": signature}
        ).status_code
        == 400
    )


def test_stop_opts_out_and_start_comes_back(twilio: Twilio) -> None:
    assert "REPRISE" in twilio.reply(ORG, "ARRÊT")
    assert twilio.reply(ORG, "REPRISE")


@pytest.mark.parametrize("token", ["nope", "1-2.abc", "A" * 300, "%00"])
def test_forged_claim_links_get_a_kind_page(client: FlaskClient, token: str) -> None:
    response = client.get(f"/r/{token}")
    assert response.status_code == 404
    assert "lien" in response.get_data(as_text=True).lower()


def test_expired_claim_link(client: FlaskClient, runtime: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from shared.tokens import sign_claim

    token = sign_claim(
        runtime.settings.secret_key, 1, datetime.now(UTC) - timedelta(hours=1)
    )
    response = client.get(f"/r/{token}")
    assert response.status_code == 410
    assert "terminée" in response.get_data(as_text=True)


def test_unknown_farmer_form_is_404(client: FlaskClient) -> None:
    assert client.get("/f/not-a-token").status_code == 404
