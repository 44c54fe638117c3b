"""Sending: the real twilio client against a local server speaking Twilio's
API, SMTP (a real server on loopback), retries with backoff for transient
failures, never twice, permanent failures recorded."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from services.notifier import jobs, transports
from shared import relay
from shared.db import transaction
from shared.engine import drain
from shared.models import Contact, Message, utcnow
from shared.runtime import Runtime
from tests.fake_twilio import FakeTwilio
from tests.smtp import Inbox


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(slow_seconds=1.5).start()
    yield fake
    fake.stop()


@pytest.fixture
def twilio(runtime: Runtime, twilio_api: FakeTwilio) -> FakeTwilio:
    """The real twilio client, pointed at a local server speaking its API."""
    settings = replace(
        runtime.settings,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="secret",
        twilio_from="+14505550199",
        twilio_api_url=twilio_api.url,
        provider_timeout_seconds=0.5,
        sms_per_second=0,  # the throttle is tested on its own
    )
    runtime.settings = settings
    runtime.transports = {
        "sms": transports.TwilioTransport(settings),
        "email": transports.OutboxTransport("email"),
    }
    return twilio_api


def queued(
    runtime: Runtime,
    channel: str = "sms",
    to: str = "+14505550120",
    *,
    body: str = "Bonjour",
    contact_id: int | None = None,
) -> int:
    with transaction(runtime.sessions) as session:
        message = Message(
            direction="out",
            channel=channel,
            to_addr=to,
            from_addr="glanage",
            subject="Sujet",
            body=body,
            status="queued",
            contact_id=contact_id,
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
    runtime: Runtime, twilio: FakeTwilio
) -> None:
    message_id = queued(runtime)

    assert jobs.deliver(runtime, message_id) == "sent"  # handed over to Twilio
    [sent] = twilio.accepted
    assert sent["to"] == "+14505550120" and sent["from"] == "+14505550199"
    assert twilio.forms[0]["StatusCallback"] == "https://glanage.test/sms/status"
    assert status(runtime, message_id).provider_id == sent["sid"]


def test_transient_failure_is_retried_later_then_failed(
    runtime: Runtime, twilio: FakeTwilio
) -> None:
    twilio.fail_next(*[500] * (len(jobs.BACKOFF) + 1))
    message_id = queued(runtime)

    for attempt in range(len(jobs.BACKOFF)):
        assert jobs.deliver(runtime, message_id) == "queued"
        assert status(runtime, message_id).attempts == attempt + 1
    scheduled = runtime.queue("notifier").scheduled_job_registry.get_job_ids()
    assert len(scheduled) == len(jobs.BACKOFF)
    assert jobs.deliver(runtime, message_id) == "failed"
    assert "500" in status(runtime, message_id).error
    assert twilio.accepted == []


def test_rate_limited_by_twilio_is_retried(
    runtime: Runtime, twilio: FakeTwilio
) -> None:
    twilio.fail_next(429)
    message_id = queued(runtime)
    assert jobs.deliver(runtime, message_id) == "queued"
    assert jobs.deliver(runtime, message_id) == "sent"
    assert len(twilio.accepted) == 1


def test_permanent_failure_is_recorded_at_once(
    runtime: Runtime, twilio: FakeTwilio
) -> None:
    twilio.fail_next(21211)
    message_id = queued(runtime)
    assert jobs.deliver(runtime, message_id) == "failed"
    assert status(runtime, message_id).error.startswith("twilio 400 21211")
    assert twilio.requests == 1  # never tried again


def test_an_answer_lost_to_a_timeout_is_not_sent_twice(
    runtime: Runtime, twilio: FakeTwilio
) -> None:
    """Twilio took the message but its answer came after our timeout: the
    retry finds it at Twilio and records it instead of sending it again."""
    twilio.fail_next("timeout")
    message_id = queued(runtime)
    assert jobs.deliver(runtime, message_id) == "queued"  # ambiguous: retried
    assert jobs.deliver(runtime, message_id) == "sent"
    assert twilio.bodies_to("+14505550120") == ["Bonjour"]
    assert status(runtime, message_id).provider_id == twilio.accepted[0]["sid"]


def test_a_call_that_never_reached_twilio_is_sent_on_the_retry(
    runtime: Runtime, twilio: FakeTwilio
) -> None:
    twilio.fail_next("hang")
    message_id = queued(runtime)
    assert jobs.deliver(runtime, message_id) == "queued"
    assert twilio.accepted == []
    assert jobs.deliver(runtime, message_id) == "sent"
    assert twilio.bodies_to("+14505550120") == ["Bonjour"]


def _contact(runtime: Runtime, phone: str) -> int:
    with runtime.sessions() as session:
        contact = session.scalar(select(Contact).where(Contact.phone == phone))
        assert contact is not None
        return contact.id


def test_twilio_21610_opts_the_contact_out(
    runtime: Runtime, twilio: FakeTwilio
) -> None:
    phone = "+14505550120"
    contact_id = _contact(runtime, phone)
    twilio.fail_number(phone, 21610)
    assert jobs.deliver(runtime, queued(runtime, contact_id=contact_id)) == "failed"
    with runtime.sessions() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        assert contact.opted_out and contact.opted_out_via == "carrier"
    # Nothing more is even tried for that person.
    assert jobs.deliver(runtime, queued(runtime, contact_id=contact_id)) == "failed"
    assert twilio.requests == 1


def test_the_loop_guard_holds_back_identical_texts(
    runtime: Runtime, twilio: FakeTwilio
) -> None:
    limit = runtime.settings.loop_guard_max
    statuses = [
        jobs.deliver(runtime, queued(runtime, body="Désolé, je n'ai pas compris."))
        for _ in range(limit + 2)
    ]
    assert statuses == ["sent"] * limit + ["failed"] * 2
    assert len(twilio.accepted) == limit
    # A different text to the same number still goes.
    assert jobs.deliver(runtime, queued(runtime, body="Merci!")) == "sent"


def test_email_goes_through_a_real_smtp_server(runtime: Runtime, inbox: Inbox) -> None:
    message_id = queued(runtime, "email", "org1@example.org")
    assert jobs.deliver(runtime, message_id) == "sent"
    [email] = inbox.wait_for(1)
    assert inbox.received[0].rcpt_tos == ["org1@example.org"]
    assert email["Subject"] == "Sujet"


def test_unreachable_smtp_is_transient(runtime: Runtime) -> None:
    settings = replace(runtime.settings, smtp_url="smtp://127.0.0.1:1")
    runtime.transports = transports.from_settings(settings)  # type: ignore[assignment]
    message_id = queued(runtime, "email", "org1@example.org")
    assert jobs.deliver(runtime, message_id) == "queued"
    assert "smtp" in status(runtime, message_id).error


def test_a_message_is_sent_once_even_when_two_jobs_hold_it(
    runtime: Runtime, twilio: FakeTwilio
) -> None:
    message_id = queued(runtime)
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: jobs.deliver(runtime, message_id), range(4)))
    assert len(twilio.accepted) == 1
    # One sent it; the others found it being sent, or already sent.
    assert "sent" in statuses and set(statuses) <= {"sent", "sending"}


def _left_sending(runtime: Runtime, message_id: int, minutes_ago: float) -> None:
    """As a worker killed during the provider call leaves it."""
    with transaction(runtime.sessions) as session:
        message = session.get(Message, message_id)
        assert message is not None
        message.status, message.attempts = "sending", 1
        session.flush()
        message.updated_at = utcnow() - timedelta(minutes=minutes_ago)


def test_a_send_abandoned_after_twilio_took_it_is_recorded_not_repeated(
    runtime: Runtime, twilio: FakeTwilio
) -> None:
    message_id = queued(runtime, body="A1 : courge, 300 kg. OUI A1 ou NON A1")
    runtime.transports["sms"].send(
        transports.Outgoing(
            message_id, "+14505550120", "A1 : courge, 300 kg. OUI A1 ou NON A1"
        )
    )  # the call that went through just before the worker died
    _left_sending(runtime, message_id, minutes_ago=2)

    assert relay.sweep_messages(runtime) == 1
    drain(runtime)
    assert status(runtime, message_id).status == "sent"
    assert status(runtime, message_id).provider_id == twilio.accepted[0]["sid"]
    assert len(twilio.accepted) == 1


def test_a_send_abandoned_before_it_reached_twilio_is_sent_once(
    runtime: Runtime, twilio: FakeTwilio
) -> None:
    message_id = queued(runtime)
    _left_sending(runtime, message_id, minutes_ago=2)
    relay.sweep_messages(runtime)
    drain(runtime)
    assert status(runtime, message_id).status == "sent"
    assert twilio.bodies_to("+14505550120") == ["Bonjour"]


def test_the_sweeper_leaves_live_sends_and_finds_forgotten_queued_ones(
    runtime: Runtime, twilio: FakeTwilio
) -> None:
    live = queued(runtime)
    _left_sending(runtime, live, minutes_ago=0.01)  # a worker is on it right now
    forgotten = queued(runtime, body="Merci!")
    with transaction(runtime.sessions) as session:
        session.execute(
            update(Message)
            .where(Message.id == forgotten)
            .values(updated_at=utcnow() - timedelta(minutes=20))
        )
    assert relay.sweep_messages(runtime) == 1
    drain(runtime)
    assert status(runtime, live).status == "sending"
    assert status(runtime, forgotten).status == "sent"
    assert twilio.bodies_to("+14505550120") == ["Merci!"]
    assert relay.sweep_messages(runtime) == 0  # nothing left behind
