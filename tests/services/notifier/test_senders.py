"""A pool of sending numbers (TWILIO_FROM with commas): each recipient always
hears from the same number, the pool is used evenly, the throttle holds per
number, and one number behaves as it always did."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from services.notifier import jobs, senders, transports
from shared import compose, config, outgoing
from shared.db import transaction
from shared.models import Contact, Farm, Message, Offer, Organization, utcnow
from shared.runtime import Runtime
from shared.throttle import Throttle
from tests.conftest import announce_kg
from tests.fake_twilio import FakeTwilio
from tests.services.notifier.test_delivery import queued

POOL = ("+14505550190", "+14505550191", "+14505550192")
RECIPIENTS = [f"+1514555{n:04d}" for n in range(3000)]


def test_a_recipient_always_hears_from_the_same_number() -> None:
    chosen = [senders.sender_for(POOL, to) for to in RECIPIENTS[:50]]
    assert chosen == [senders.sender_for(POOL, to) for to in RECIPIENTS[:50]]
    assert set(chosen) <= set(POOL)


def test_the_choice_is_the_same_in_another_process() -> None:
    # Python's hash() of a str changes with each process; the choice must not.
    script = (
        "from services.notifier.senders import sender_for; "
        f"print(','.join(sender_for({POOL!r}, to) for to in {RECIPIENTS[:20]!r}))"
    )
    other = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert other == ",".join(senders.sender_for(POOL, to) for to in RECIPIENTS[:20])


def test_recipients_spread_evenly_over_the_pool() -> None:
    counts = Counter(senders.sender_for(POOL, to) for to in RECIPIENTS)
    assert set(counts) == set(POOL)
    assert all(900 <= n <= 1100 for n in counts.values()), counts  # 1000 each


def test_a_number_added_to_the_pool_moves_only_its_share() -> None:
    bigger = (*POOL, "+14505550193")
    moved = [
        to
        for to in RECIPIENTS
        if senders.sender_for(POOL, to) != senders.sender_for(bigger, to)
    ]
    # About a quarter, and every one of them to the new number.
    assert 600 <= len(moved) <= 900
    assert {senders.sender_for(bigger, to) for to in moved} == {"+14505550193"}


def test_one_number_and_no_number() -> None:
    assert senders.sender_for(("+14505550199",), "+15145550000") == "+14505550199"
    assert senders.sender_for((), "+15145550000") == ""


# ---- settings -------------------------------------------------------------------


def _load(**env: str) -> config.Settings:
    return config.load({"SECRET_KEY": "k", **env})


def test_twilio_from_takes_one_number_or_a_pool() -> None:
    assert _load(TWILIO_FROM="+14505550199").twilio_numbers == ("+14505550199",)
    pool = _load(TWILIO_FROM=" +14505550190, +14505550191 ,+14505550192")
    assert pool.twilio_numbers == POOL
    assert pool.twilio_from == ",".join(POOL)
    assert _load().twilio_numbers == ()


@pytest.mark.parametrize(
    "raw",
    [
        "4505550199",  # no country code
        "+1 450 555 0199",  # spaces inside a number
        "+14505550190;+14505550191",  # not commas
        "+14505550190,,+14505550191",
        "+14505550190,+14505550190",
    ],
)
def test_a_malformed_pool_stops_the_start_with_a_clear_error(raw: str) -> None:
    with pytest.raises(config.ConfigError, match="TWILIO_FROM"):
        _load(TWILIO_FROM=raw)


# ---- sending ----------------------------------------------------------------------


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(slow_seconds=1.5).start()
    yield fake
    fake.stop()


def _use_twilio(runtime: Runtime, api: FakeTwilio, twilio_from: str) -> list[float]:
    """The real client against the fake API; returns the throttle's sleeps."""
    settings = replace(
        runtime.settings,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="secret",
        twilio_from=twilio_from,
        twilio_api_url=api.url,
        provider_timeout_seconds=1,
        sms_per_second=1,
    )
    runtime.settings = settings
    runtime.transports = {
        "sms": transports.TwilioTransport(settings),
        "email": transports.OutboxTransport("email"),
    }
    slept: list[float] = []
    runtime._throttle = Throttle(runtime.redis, 1.0, sleep=slept.append)
    return slept


def _one_recipient_per_number(pool: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for to in RECIPIENTS:
        found.setdefault(senders.sender_for(pool, to), to)
    return found


def test_each_number_of_the_pool_has_its_own_throttle(
    runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    slept = _use_twilio(runtime, twilio_api, ",".join(POOL))
    recipients = _one_recipient_per_number(POOL)
    # Answers to people (no offer): each books its number's next turn.
    for to in recipients.values():
        assert jobs.deliver(runtime, queued(runtime, to=to)) == "sent"
    assert slept == [0, 0, 0]  # three numbers: three texts in the same second

    first = recipients[POOL[0]]
    assert jobs.deliver(runtime, queued(runtime, to=first, body="Encore")) == "sent"
    assert 0.9 <= slept[-1] <= 1.0  # the same number again: its next second

    sent_from = {m["to"]: m["from"] for m in twilio_api.accepted}
    assert sent_from == {to: number for number, to in recipients.items()}


def test_one_number_sends_everything_as_before(
    runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    slept = _use_twilio(runtime, twilio_api, "+14505550199")
    for to in RECIPIENTS[:2]:
        assert jobs.deliver(runtime, queued(runtime, to=to)) == "sent"
    assert {m["from"] for m in twilio_api.accepted} == {"+14505550199"}
    assert slept[0] == 0 and 0.9 <= slept[1] <= 1.0  # one number, one a second


def test_a_messaging_service_picks_its_own_numbers(
    runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    _use_twilio(runtime, twilio_api, "")
    runtime.settings = replace(runtime.settings, twilio_messaging_service_sid="MG1")
    runtime.transports["sms"] = transports.TwilioTransport(runtime.settings)
    assert runtime.transports["sms"].sender_for(RECIPIENTS[0]) == "MG1"
    assert jobs.deliver(runtime, queued(runtime)) == "sent"
    assert twilio_api.forms[0]["MessagingServiceSid"] == "MG1"
    assert "From" not in twilio_api.forms[0]


# ---- offers in batches ------------------------------------------------------------


def _offers(runtime: Runtime, recipients: list[str]) -> list[int]:
    """A queued offer text to each recipient (bulk: it has an offer)."""
    with transaction(runtime.sessions) as session:
        farm = session.scalars(select(Farm)).first()
        assert farm is not None
        surplus = announce_kg(session, farm, 300, date.today() + timedelta(days=2))
        session.flush()
        ids = []
        for n, to in enumerate(recipients):
            org = Organization(
                name=f"Org {n}", municipality="Joliette", lat=46, lon=-73
            )
            session.add(org)
            session.flush()
            contact = Contact(name=f"C {n}", organization_id=org.id, phone=to)
            offer = Offer(surplus_id=surplus.id, organization_id=org.id)
            session.add_all([contact, offer])
            session.flush()
            message = outgoing.queue(
                session,
                contact,
                "sms",
                compose.offer(surplus, "fr", link=f"https://glanage.test/r/{n}"),
                runtime.settings,
                surplus_id=surplus.id,
                offer_id=offer.id,
            )
            assert message is not None
            session.flush()
            ids.append(message.id)
    return ids


def test_offers_in_a_batch_go_once_each_busy_numbers_wait_their_turn(
    runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    _use_twilio(runtime, twilio_api, ",".join(POOL))
    runtime.settings = replace(runtime.settings, sms_per_second=20)
    runtime._throttle = Throttle(runtime.redis, 20)
    same_number = [to for to in RECIPIENTS if senders.sender_for(POOL, to) == POOL[0]]
    recipients = same_number[:3] + [
        to for to in RECIPIENTS[:60] if senders.sender_for(POOL, to) != POOL[0]
    ]
    ids = _offers(runtime, recipients)
    with transaction(runtime.sessions) as session:  # one texted STOP meanwhile
        stopped = session.scalar(select(Contact).where(Contact.phone == recipients[-1]))
        assert stopped is not None
        stopped.opted_out_at = utcnow()

    jobs.deliver_many(runtime, ids + ids[:5])  # some named twice: sent once
    jobs.deliver_many(runtime, ids)  # and a job run again sends nothing

    sent_to = Counter(m["to"] for m in twilio_api.accepted)
    assert sent_to == Counter(recipients[:-1])  # each once, the stopped one never
    assert all(
        m["from"] == senders.sender_for(POOL, m["to"]) for m in twilio_api.accepted
    )
    with runtime.sessions() as session:
        messages = session.scalars(select(Message).where(Message.id.in_(ids))).all()
        by_id = {m.id: m for m in messages}
        assert {by_id[i].status for i in ids[:-1]} == {"sent"}
        assert by_id[ids[-1]].status == "failed"
        assert all(by_id[i].provider_id for i in ids[:-1])
        assert {m.attempts for m in messages} == {1}
        offers = session.scalars(
            select(Offer.status).where(Offer.id.in_([m.offer_id for m in messages]))
        ).all()
        assert Counter(offers) == Counter({"sent": len(ids) - 1, "failed": 1})


def test_twilio_failing_mid_batch_gives_the_rest_back_untried(
    runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    _use_twilio(runtime, twilio_api, ",".join(POOL))
    runtime.settings = replace(runtime.settings, sms_per_second=0)
    ids = _offers(runtime, RECIPIENTS[:6])
    twilio_api.fail_next(500, 500, 500, 500, 500, 500)

    jobs.deliver_many(runtime, ids)

    assert twilio_api.accepted == []
    with runtime.sessions() as session:
        messages = session.scalars(select(Message).where(Message.id.in_(ids))).all()
        # Each tried once, failed, queued again for its retry; none left sending.
        assert {(m.status, m.attempts) for m in messages} == {("queued", 1)}
    scheduled = runtime.queue("notifier").scheduled_job_registry.get_job_ids()
    assert len(scheduled) == len(ids)
