"""Sending: Twilio (faked: the outside world), SMTP (a real server on
loopback), retries with backoff for transient failures, failures recorded."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from twilio.base.exceptions import TwilioRestException

from services.notifier import jobs, transports
from shared.db import transaction
from shared.models import Message
from shared.runtime import Runtime


class FakeTwilio:
    """Twilio's REST client as far as we use it: messages.create."""

    def __init__(self, fail_with: int | None = None) -> None:
        self.fail_with = fail_with
        self.sent: list[dict[str, Any]] = []
        self.messages = self

    def create(self, **params: Any) -> Any:
        if self.fail_with:
            raise TwilioRestException(self.fail_with, "uri", msg="boom", code=30003)
        self.sent.append(params)
        return type(
            "Created", (), {"sid": f"SM{len(self.sent):032d}", "status": "queued"}
        )


def queued(runtime: Runtime, channel: str = "sms", to: str = "+14505550120") -> int:
    with transaction(runtime.sessions) as session:
        message = Message(
            direction="out",
            channel=channel,
            to_addr=to,
            from_addr="glanage",
            subject="Sujet",
            body="Bonjour",
            status="queued",
        )
        session.add(message)
        session.flush()
        return message.id


def status(runtime: Runtime, message_id: int) -> Message:
    with runtime.sessions() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def test_twilio_send_records_the_sid_and_asks_for_status_callbacks(
    runtime: Runtime,
) -> None:
    client = FakeTwilio()
    settings = replace(runtime.settings, twilio_from="+14505550199")
    runtime.transports = {
        "sms": transports.TwilioTransport(settings, client),
        "email": transports.OutboxTransport("email"),
    }
    message_id = queued(runtime)

    assert jobs.deliver(runtime, message_id) == "sent"  # handed over to Twilio
    sent = client.sent[0]
    assert sent["to"] == "+14505550120" and sent["from_"] == "+14505550199"
    assert sent["status_callback"] == "https://glanage.test/sms/status"
    assert status(runtime, message_id).provider_id == "SM" + "1".zfill(32)


def test_transient_failure_is_retried_later_then_failed(runtime: Runtime) -> None:
    runtime.transports = {
        "sms": transports.TwilioTransport(runtime.settings, FakeTwilio(503)),
        "email": transports.OutboxTransport("email"),
    }
    message_id = queued(runtime)

    for attempt in range(len(jobs.BACKOFF)):
        assert jobs.deliver(runtime, message_id) == "queued"
        assert status(runtime, message_id).attempts == attempt + 1
    scheduled = runtime.queue("notifier").scheduled_job_registry.get_job_ids()
    assert len(scheduled) == len(jobs.BACKOFF)
    assert jobs.deliver(runtime, message_id) == "failed"
    assert "503" in status(runtime, message_id).error


def test_permanent_failure_is_recorded_at_once(runtime: Runtime) -> None:
    runtime.transports = {
        "sms": transports.TwilioTransport(runtime.settings, FakeTwilio(400)),
        "email": transports.OutboxTransport("email"),
    }
    message_id = queued(runtime)
    assert jobs.deliver(runtime, message_id) == "failed"
    assert status(runtime, message_id).error.startswith("twilio 400")


class Inbox:
    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_email_goes_through_a_real_smtp_server(
    runtime: Runtime, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    settings = replace(runtime.settings, smtp_url=f"smtp://127.0.0.1:{port}")
    runtime.transports = transports.from_settings(settings)  # type: ignore[assignment]
    message_id = queued(runtime, "email", "org1@example.org")
    assert jobs.deliver(runtime, message_id) == "sent"
    deadline = time.monotonic() + 5
    while not inbox.received and time.monotonic() < deadline:
        time.sleep(0.05)
    envelope = inbox.received[0]
    assert envelope.rcpt_tos == ["org1@example.org"]
    assert b"Subject: Sujet" in envelope.content


def test_unreachable_smtp_is_transient(runtime: Runtime) -> None:
    settings = replace(runtime.settings, smtp_url="smtp://127.0.0.1:1")
    runtime.transports = transports.from_settings(settings)  # type: ignore[assignment]
    message_id = queued(runtime, "email", "org1@example.org")
    assert jobs.deliver(runtime, message_id) == "queued"
    assert "smtp" in status(runtime, message_id).error


def test_a_message_is_sent_once_even_when_two_jobs_hold_it(runtime: Runtime) -> None:
    client = FakeTwilio()
    runtime.transports = {
        "sms": transports.TwilioTransport(runtime.settings, client),
        "email": transports.OutboxTransport("email"),
    }
    message_id = queued(runtime)
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: jobs.deliver(runtime, message_id), range(4)))
    assert len(client.sent) == 1
    # One sent it; the others found it being sent, or already sent.
    assert "sent" in statuses and set(statuses) <= {"sent", "sending"}
