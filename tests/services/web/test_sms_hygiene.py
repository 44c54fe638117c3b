"""The SMS channel kept clean, as the best SMS platforms keep theirs: one
confirmation of STOP and silence until START, HELP that says who is writing,
no answer loops, a rate per sender, and the carrier's own opt-outs honoured."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from shared import seed
from shared.models import Contact, Message
from shared.runtime import Runtime
from tests.conftest import BASE_URL, FARMER, TWILIO_TOKEN, Twilio

ORG = seed.phone(20)
STRANGER = "+15145550123"


def contact(runtime: Runtime, phone: str) -> Contact:
    with runtime.sessions() as session:
        found = session.scalar(select(Contact).where(Contact.phone == phone))
        assert found is not None
        return found


def answers_to(runtime: Runtime, phone: str) -> list[str]:
    with runtime.sessions() as session:
        return list(
            session.scalars(
                select(Message.body)
                .where(Message.direction == "out", Message.to_addr == phone)
                .order_by(Message.id)
            )
        )


def test_stop_is_confirmed_once_then_nothing_until_start(
    twilio: Twilio, api: Any, runtime: Runtime
) -> None:
    confirmation = twilio.reply(FARMER, "ARRÊT")
    assert "REPRISE" in confirmation  # says how to come back
    assert contact(runtime, FARMER).opted_out
    assert contact(runtime, FARMER).opted_out_via == "sms"

    assert twilio.reply(FARMER, "STOP") == ""  # no second confirmation
    assert twilio.reply(FARMER, "DISPO P1 courges 300 kg demain") == ""
    assert api("GET", "/surpluses").get_json()["items"] == []  # not acted on
    kept = [m["body"] for m in api("GET", "/messages").get_json()["items"]]
    assert "DISPO P1 courges 300 kg demain" in kept  # but nothing is lost

    help_text = twilio.reply(FARMER, "AIDE")
    assert "Nourrir Lanaudière" in help_text and "ARRET" in help_text

    assert "Bon retour" in twilio.reply(FARMER, "REPRISE")
    back = contact(runtime, FARMER)
    assert not back.opted_out and back.consent_source == "sms"
    # The record says what they answered START to, and what we answered.
    assert back.consent_text.startswith("Texted START in reply to:")
    assert "Bon retour" in back.consent_text
    assert "Merci!" in twilio.reply(FARMER, "DISPO P1 courges 300 kg demain")


def test_a_sentence_that_means_stop_stops(twilio: Twilio, runtime: Runtime) -> None:
    assert "REPRISE" in twilio.reply(ORG, "Retirez-moi de votre liste svp")
    assert contact(runtime, ORG).opted_out


def test_an_unknown_number_that_said_stop_is_left_alone(twilio: Twilio) -> None:
    assert twilio.reply(STRANGER, "STOP") != ""
    assert twilio.reply(STRANGER, "Bonjour?") == ""
    assert "Nourrir Lanaudière" in twilio.reply(STRANGER, "HELP")  # still says who
    assert twilio.reply(STRANGER, "START") != ""
    assert "registered" in twilio.reply(STRANGER, "Hello, who is this?")


def test_help_says_who_is_writing_and_how_to_stop(twilio: Twilio) -> None:
    farmer = twilio.reply(FARMER, "AIDE")
    assert farmer.startswith("Glanage, par Nourrir Lanaudière (glanage.test).")
    assert "DISPO" in farmer and "ARRET" in farmer
    organization = twilio.reply(ORG, "AIDE")
    assert "OUI A12" in organization and "ARRET" in organization
    stranger = twilio.reply(STRANGER, "HELP")
    assert "Nourrir Lanaudière" in stranger and "STOP" in stranger


def test_the_same_answer_is_not_sent_again_and_again(
    twilio: Twilio, runtime: Runtime
) -> None:
    """A machine answering our answer would loop forever: after
    GLANAGE_LOOP_GUARD_MAX identical answers in 5 minutes we stay quiet."""
    limit = runtime.settings.loop_guard_max
    replies = [twilio.reply(ORG, "Message reçu, merci.") for _ in range(limit + 3)]
    assert all(replies[:limit]) and len(set(replies[:limit])) == 1
    assert replies[limit:] == [""] * 3
    assert len(answers_to(runtime, ORG)) == limit


def test_a_sender_over_its_rate_is_kept_but_not_answered(
    twilio: Twilio, api: Any, runtime: Runtime
) -> None:
    runtime.settings = replace(runtime.settings, loop_guard_max=100)
    replies = [twilio.reply(ORG, f"LISTE {n}") for n in range(25)]
    assert all(replies[:20]) and replies[20:] == [""] * 5
    kept = [
        m for m in api("GET", "/messages").get_json()["items"] if m["direction"] == "in"
    ]
    assert len(kept) == 25


def test_the_carriers_opt_out_reaches_the_contact(
    client: FlaskClient, runtime: Runtime, twilio: Twilio
) -> None:
    twilio.reply(ORG, "LISTE")  # an answer we sent, to give a status about
    with runtime.sessions() as session:
        sent = session.scalar(
            select(Message).where(Message.direction == "out", Message.to_addr == ORG)
        )
        assert sent is not None
        sent.provider_id = "SM" + "f" * 32
        session.commit()
    params = {
        "MessageSid": "SM" + "f" * 32,
        "MessageStatus": "undelivered",
        "ErrorCode": "21610",
    }
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        f"{BASE_URL}/sms/status", params
    )
    response = client.post(
        "/sms/status", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 204
    assert contact(runtime, ORG).opted_out
    assert contact(runtime, ORG).opted_out_via == "carrier"


def _status(client: FlaskClient, sid: str, status: str) -> int:
    params = {"MessageSid": sid, "MessageStatus": status}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        f"{BASE_URL}/sms/status", params
    )
    response = client.post(
        "/sms/status", data=params, headers={"X-Twilio-Signature": signature}
    )
    return int(response.status_code)


def test_delivery_status_only_moves_forward(
    client: FlaskClient, runtime: Runtime, twilio: Twilio
) -> None:
    """Twilio's callbacks can arrive out of order: a late "sent" never undoes
    "delivered"."""
    twilio.reply(ORG, "LISTE")
    sid = "SM" + "e" * 32
    with runtime.sessions() as session:
        sent = session.scalar(
            select(Message).where(Message.direction == "out", Message.to_addr == ORG)
        )
        assert sent is not None
        sent.provider_id = sid
        session.commit()
        message_id = sent.id

    def now_status() -> str:
        with runtime.sessions() as session:
            message = session.get(Message, message_id)
            assert message is not None
            return message.status

    assert _status(client, sid, "delivered") == 204
    assert now_status() == "delivered"
    for late in ("queued", "sending", "sent"):
        assert _status(client, sid, late) == 204
        assert now_status() == "delivered"
    assert _status(client, sid, "read") == 204
    assert now_status() == "read"


def test_outside_the_demo_webhooks_need_the_twilio_token(runtime: Runtime) -> None:
    """Without TWILIO_AUTH_TOKEN nobody can prove a text came from Twilio, so
    anyone could text as any farmer: outside the demo, webhooks refuse."""
    from services.web import create_app

    for demo, expected in ((False, 403), (True, 200)):
        runtime.settings = replace(runtime.settings, twilio_auth_token="", demo=demo)
        client = create_app(runtime, {"TESTING": True}).test_client()
        data = {"MessageSid": f"SMdemo{demo}", "From": FARMER, "Body": "AIDE"}
        assert client.post("/sms/inbound", data=data).status_code == expected
        status = {"MessageSid": "SMx", "MessageStatus": "delivered"}
        answer = client.post("/sms/status", data=status).status_code
        assert answer == (204 if demo else 403)
