"""Faults against real processes: Redis killed, a worker SIGKILLed in the
middle of a send, Twilio failing every way it can, PostgreSQL going away.
After each, every message in was kept and answered, every event published,
every offer sent exactly once: zero lost, zero duplicated."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from shared import seed
from shared.db import make_engine, make_session_factory
from shared.models import Contact, Event, Message, Offer, Surplus
from tests.fake_twilio import FakeTwilio
from tests.production.conftest import wait_for
from tests.production.test_stack import code_in, say
from tests.reliability.conftest import (
    FaultStack,
    RedisServer,
    Results,
    TcpProxy,
)

FARMERS = [seed.phone(n) for n in range(len(seed.FARMS))]
ORGANIZATIONS = [seed.phone(20 + n) for n in range(len(seed.ORGANIZATIONS))]


def ledger(pg_url: str, twilio: FakeTwilio) -> dict[str, int]:
    """What came in, what the outbox did, what reached Twilio: the counts of
    docs/reliability.md. Answers in the TwiML reply never pass through
    Twilio's API; every other text does, and must reach it exactly once."""
    engine = make_engine(pg_url)
    with make_session_factory(engine)() as session:
        messages_in = session.scalar(
            select(func.count(Message.id)).where(Message.direction == "in")
        )
        events = session.scalar(select(func.count(Event.id)))
        unpublished = session.scalar(
            select(func.count(Event.id)).where(Event.published_at.is_(None))
        )
        offers = session.scalar(select(func.count(Offer.id)))
        through_api = session.execute(
            select(Message.status, Message.provider_id).where(
                Message.direction == "out",
                Message.channel == "sms",
                # Not a TwiML answer: those are "sent" without a provider id.
                (Message.provider_id.is_not(None)) | (Message.status != "sent"),
            )
        ).all()
    engine.dispose()
    accepted = Counter((m["to"], m["body"]) for m in twilio.accepted)
    sids = {m["sid"] for m in twilio.accepted}
    stranded = sum(1 for status, _ in through_api if status in ("queued", "sending"))
    vanished = sum(
        1 for status, sid in through_api if status == "sent" and sid not in sids
    )
    return {
        "messages_in": messages_in or 0,
        "events": events or 0,
        "unpublished_events": unpublished or 0,
        "offers": offers or 0,
        "texts_sent": sum(1 for status, _ in through_api if status == "sent"),
        "texts_failed": sum(1 for status, _ in through_api if status == "failed"),
        "twilio_accepted": len(twilio.accepted),
        "duplicates": sum(n - 1 for n in accepted.values()),
        "lost": stranded + vanished,
    }


def settled(pg_url: str, twilio: FakeTwilio, offers: int) -> dict[str, int] | None:
    """The ledger once every offer exists and no text is still on its way."""
    counts = ledger(pg_url, twilio)
    if counts["offers"] < offers or counts["lost"] or counts["unpublished_events"]:
        return None
    return counts


def readyz(base: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def signed_post(stack: FaultStack, sid: str, sender: str, body: str) -> tuple[int, str]:
    params = {"MessageSid": sid, "From": sender, "Body": body}
    url = f"{stack.base}/sms/inbound"
    token = stack.env["TWILIO_AUTH_TOKEN"]
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={
            "X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_with_redis_down_texts_are_answered_and_published_once_it_is_back(
    fault_stack: FaultStack,
    redis_server: RedisServer,
    twilio_api: FakeTwilio,
    pg_url: str,
    results: Results,
) -> None:
    redis_server.kill()
    replies = [
        say(fault_stack, farmer, f"DISPO P1 courges {200 + n} kg demain")
        for n, farmer in enumerate(FARMERS[:5])
    ]
    assert all(reply.startswith("Merci!") for reply in replies)  # answered
    status, body = readyz(fault_stack.base)
    assert status == 503 and '"queue"' in body  # /readyz tells the truth
    waiting = ledger(pg_url, twilio_api)
    assert waiting["messages_in"] == 5 and waiting["unpublished_events"] == 5

    redis_server.start()  # empty: it kept nothing
    counts = wait_for(lambda: settled(pg_url, twilio_api, 15), 90, "15 offers sent")
    assert readyz(fault_stack.base)[0] == 200
    assert counts["texts_sent"] >= 5  # some organizations take offers by email
    assert counts["twilio_accepted"] == counts["texts_sent"]
    assert counts["duplicates"] == 0 and counts["lost"] == 0
    results.record("Redis killed, 5 texts in, Redis back empty", **counts)


@pytest.mark.parametrize(
    ("fault", "what"),
    [
        ("timeout", "worker SIGKILLed while Twilio was taking a text"),
        ("hang", "worker SIGKILLed before a text reached Twilio"),
    ],
)
def test_a_worker_killed_mid_send_neither_loses_nor_repeats_a_text(
    fault_stack: FaultStack,
    twilio_api: FakeTwilio,
    pg_url: str,
    results: Results,
    fault: str,
    what: str,
) -> None:
    twilio_api.fail_next(fault)
    twilio_api.arrived.clear()
    code = code_in(say(fault_stack, FARMERS[1], "DISPO P2 carottes 150 kg demain"))
    assert twilio_api.arrived.wait(30)  # the first offer is on its way...
    assert fault_stack.kill("worker") == 1  # ...and its worker dies
    fault_stack.start("worker")

    counts = wait_for(lambda: settled(pg_url, twilio_api, 3), 90, f"{code} offered")
    assert counts["texts_sent"] >= 1
    assert counts["twilio_accepted"] == counts["texts_sent"]  # each once
    assert counts["duplicates"] == 0 and counts["lost"] == 0
    results.record(what, **counts)


def test_twilio_errors_are_retried_once_each_and_opt_outs_are_honoured(
    fault_stack: FaultStack,
    twilio_api: FakeTwilio,
    pg_url: str,
    results: Results,
) -> None:
    # The first three sends fail three different ways; each is tried again
    # after a short wait, the lost answer looked up before a resend.
    twilio_api.fail_next(500, 429, "timeout")
    say(fault_stack, FARMERS[2], "DISPO P1 laitues 40 caisses demain")
    counts = wait_for(lambda: settled(pg_url, twilio_api, 3), 90, "3 offers sent")
    assert counts["twilio_accepted"] == counts["texts_sent"] >= 1
    assert counts["duplicates"] == 0

    # Every organization texted STOP to the carrier: Twilio refuses (21610),
    # nothing is tried again, and each contact is opted out here too.
    for phone in ORGANIZATIONS:
        twilio_api.fail_number(phone, 21610)
    requests_before = twilio_api.requests
    code = code_in(say(fault_stack, FARMERS[3], "DISPO P1 courges 300 kg demain"))
    counts = wait_for(lambda: settled(pg_url, twilio_api, 6), 90, f"{code} offered")
    refused = _offer_texts(pg_url, code)
    assert refused and all("21610" in error for _, _, error in refused)
    assert twilio_api.requests - requests_before == len(refused)  # never retried
    engine = make_engine(pg_url)
    with make_session_factory(engine)() as session:
        opted_out = session.scalars(
            select(Contact.phone).where(Contact.opted_out_via == "carrier")
        ).all()
    engine.dispose()
    assert sorted(opted_out) == sorted({to for to, _, _ in refused})
    assert counts["duplicates"] == 0 and counts["lost"] == 0
    results.record("Twilio 500, 429, a lost answer, then 21610 for all", **counts)


def _offer_texts(pg_url: str, code: str) -> list[tuple[str, str, str]]:
    """(to, status, error) of the SMS offers of one surplus."""
    engine = make_engine(pg_url)
    with make_session_factory(engine)() as session:
        rows = session.execute(
            select(Message.to_addr, Message.status, Message.error)
            .join(Offer, Offer.id == Message.offer_id)
            .join(Surplus, Surplus.id == Offer.surplus_id)
            .where(Surplus.code == code, Message.channel == "sms")
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_with_postgresql_away_requests_fail_fast_and_leave_nothing_half_done(
    fault_stack: FaultStack,
    pg_proxy: tuple[TcpProxy, str],
    twilio_api: FakeTwilio,
    pg_url: str,
    results: Results,
) -> None:
    proxy, _url = pg_proxy
    texts = [
        (f"SM{uuid.uuid4().hex}", FARMERS[n], f"DISPO P1 courges {100 + n} kg demain")
        for n in range(3)
    ]
    proxy.cut()  # PostgreSQL restarting, as the application sees it
    for sid, sender, body in texts:
        started = time.monotonic()
        status, answer = signed_post(fault_stack, sid, sender, body)
        assert status == 503, answer
        assert time.monotonic() - started < 15  # fails fast, no hanging request
    assert readyz(fault_stack.base)[0] == 503
    assert ledger(pg_url, twilio_api)["messages_in"] == 0  # nothing half-written

    proxy.restore()
    wait_for(lambda: readyz(fault_stack.base)[0] == 200, 30, "ready again")
    # Twilio (or its fallback) sends the same messages again: each is handled.
    for sid, sender, body in texts:
        status, answer = signed_post(fault_stack, sid, sender, body)
        assert status == 200 and "Merci!" in answer
    signed_post(fault_stack, texts[0][0], texts[0][1], texts[0][2])  # and once more
    counts = wait_for(lambda: settled(pg_url, twilio_api, 9), 90, "9 offers sent")
    assert counts["messages_in"] == 3  # the repeated MessageSid counted once
    assert counts["twilio_accepted"] == counts["texts_sent"] >= 3
    assert counts["duplicates"] == 0 and counts["lost"] == 0
    results.record("PostgreSQL away during 3 texts, then back", **counts)
