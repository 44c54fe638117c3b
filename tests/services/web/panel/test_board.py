"""The live board: stuck surpluses first, and a stream that says when to refresh."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask.testing import FlaskClient

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
