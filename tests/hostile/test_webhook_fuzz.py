"""Whatever reaches Twilio's webhooks gets TwiML or a clear refusal, never a 500."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.web import create_app
from shared import seed
from shared.models import Message, Surplus
from shared.runtime import Runtime
from tests.conftest import Twilio
from tests.hostile.strategies import without_surrogates
from tests.hostile.webhooks import (
    FUZZ,
    assert_twiml_or_refusal,
    extras,
    inbound_forms,
    sids,
    signed,
)


@settings(FUZZ, max_examples=400)
@given(form=inbound_forms())
def test_any_signed_inbound_text_gets_twiml_or_a_clear_4xx(
    client: FlaskClient, form: dict[str, str]
) -> None:
    assert_twiml_or_refusal(signed(client, "/sms/inbound", form))


@settings(FUZZ, max_examples=150)
# What an HTTP header can carry: printable ASCII, no line breaks.
@given(
    form=inbound_forms(),
    signature=st.one_of(st.none(), st.from_regex(r"[ -~]{0,40}", fullmatch=True)),
)
def test_unsigned_or_badly_signed_texts_are_refused(
    client: FlaskClient, form: dict[str, str], signature: str | None
) -> None:
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    response = client.post("/sms/inbound", data=form, headers=headers)
    assert response.status_code == 403


def test_a_negative_weight_texted_in_is_never_announced(
    twilio: Twilio, runtime: Runtime
) -> None:
    """Found by test_parser_fuzz: the grammar reads "-5 kg" beside a count as
    the count's weight, without the bad_quantity problem."""
    reply = twilio.reply(seed.phone(0), "DISPO P1 1 ail -5 kg")
    with runtime.sessions() as session:
        kilos = session.scalars(select(Surplus.quantity_kg)).all()
    assert all(kg > 0 for kg in kilos), (kilos, reply)


@pytest.fixture
def unsigned_app(runtime: Runtime) -> Flask:
    """Glanage without TWILIO_AUTH_TOKEN (the demo): nothing is checked."""
    runtime.settings = replace(runtime.settings, twilio_auth_token="")
    return create_app(runtime, {"TESTING": True})


@settings(FUZZ, max_examples=150)
@given(form=inbound_forms())
def test_without_a_token_any_text_still_gets_twiml_or_a_clear_4xx(
    unsigned_app: Flask, form: dict[str, str]
) -> None:
    response = unsigned_app.test_client().post("/sms/inbound", data=form)
    assert_twiml_or_refusal(response)


VALID_STATUSES = ("queued", "sent", "delivered", "undelivered", "failed", "read")
statuses = st.one_of(
    st.sampled_from(VALID_STATUSES),
    st.sampled_from(VALID_STATUSES),
    st.sampled_from(["accepted", "DELIVERED", "exploded", "", " sent ", "\x00"]),
    st.text(max_size=12).map(without_surrogates),
)


@pytest.fixture
def known_sids(twilio: Twilio, work: Any, runtime: Runtime) -> list[str]:
    """The Twilio ids of real messages: a farmer's text and the offers it made."""
    twilio.text(seed.phone(0), "DISPO P1 carottes 300 kg demain", sid="SMknown")
    work()
    with runtime.sessions() as session:
        ids = session.scalars(
            select(Message.provider_id).where(Message.provider_id.is_not(None))
        ).all()
    assert len(ids) > 1, "the offers went out"
    return [sid for sid in ids if sid]


@settings(FUZZ, max_examples=300)
@given(data=st.data(), status=statuses, extra=extras)
def test_any_status_callback_is_acknowledged_or_refused_never_500(
    client: FlaskClient,
    known_sids: list[str],
    data: st.DataObject,
    status: str,
    extra: dict[str, str],
) -> None:
    sid = data.draw(st.one_of(st.sampled_from(known_sids), sids), label="sid")
    form = {**extra, "MessageSid": sid, "MessageStatus": status}
    response = signed(client, "/sms/status", form)
    event(f"HTTP {response.status_code}")
    assert response.status_code in (204, 400), response.get_data(as_text=True)
    if response.status_code == 400:
        assert response.get_data(as_text=True).strip()
