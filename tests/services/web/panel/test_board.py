"""The live board: stuck surpluses first, and a stream that says when to refresh."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from shared.models import Message, Surplus
from shared.relay import CHANGES_CHANNEL
from shared.runtime import Runtime
from tests.conftest import FARMER, Twilio


def test_stream_announces_changes(coordinator: FlaskClient, runtime: Runtime) -> None:
    response = coordinator.get("/panel/board/stream", buffered=False)
    assert response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    assert next(chunks).startswith(b"retry:")
    runtime.redis.publish(CHANGES_CHANNEL, "surplus.announced")
    assert next(chunks) == b"event: change\ndata: surplus.announced\n\n"
    response.close()


def test_relay_tells_the_board(runtime: Runtime, twilio: Twilio, work: Any) -> None:
    listener = runtime.redis.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(CHANGES_CHANNEL)
    twilio.reply(FARMER, "DISPO P1 courges 300 kg demain")
    work()
    kinds = []
    for _ in range(20):  # the first reads take the subscription confirmations
        message = listener.get_message(timeout=0.05)
        if message is not None:
            kinds.append(message["data"].decode())
    listener.close()
    assert "surplus.announced" in ",".join(kinds)
    assert "offers.ready" in ",".join(kinds)


def test_unclaimed_surplus_is_flagged_after_the_delay(
    coordinator: FlaskClient, runtime: Runtime, twilio: Twilio, work: Any
) -> None:
    twilio.reply(FARMER, "DISPO P1 courges 300 kg demain")
    work()
    assert 'data-status="stuck"' not in coordinator.get("/panel/board/live").get_data(
        as_text=True
    )
    runtime.settings = replace(runtime.settings, stale_minutes=0)
    board = coordinator.get("/panel/board/live").get_data(as_text=True)
    assert 'data-status="stuck"' in board


def test_surplus_page_shows_the_whole_conversation(
    coordinator: FlaskClient, twilio: Twilio, work: Any, runtime: Runtime
) -> None:
    """The farmer's text and our answer, the organization's claim and ours."""
    from tests.services.web.panel.test_figures import sms_exchange

    code = sms_exchange(twilio, work, runtime)
    with runtime.sessions() as session:
        surplus = session.scalar(select(Surplus).where(Surplus.code == code))
        assert surplus is not None
        texts = session.scalars(
            select(Message.body)
            .where(Message.surplus_id == surplus.id, Message.channel == "sms")
            .order_by(Message.id)
        ).all()
        surplus_id = surplus.id
    page = coordinator.get(f"/panel/surplus/{surplus_id}").get_data(as_text=True)
    assert "DISPO P1 courges 300 kg demain" in texts[0]
    assert texts[1].startswith("Merci!")  # the answer to the farmer
    claim = texts.index(f"OUI {code} 100")
    assert code in texts[claim + 1]  # the answer to the organization
    for body in (texts[0], texts[claim]):
        assert body in page
