"""The per-number throttle: one text a slot, shared by every worker, and
people's answers before bulk offers. Turns are asked of Redis, whose clock
decides, so these tests read the turns it gives rather than time anything."""

from __future__ import annotations

import fakeredis
import pytest

from shared.throttle import Throttle

NUMBER = "+14505550199"


@pytest.fixture
def redis() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


def test_one_send_a_second_whoever_asks(redis: fakeredis.FakeRedis) -> None:
    # Two workers (two Throttle objects on one Redis) share the number's turns.
    first, second = Throttle(redis, 1.0), Throttle(redis, 1.0)
    assert first.try_turn(NUMBER, urgent=False) == 0  # free now: taken
    waiting = second.try_turn(NUMBER, urgent=False)
    assert -1.0 <= waiting < -0.9  # not booked: ask again in about a second


def test_an_answer_to_a_person_goes_before_the_next_bulk_offer(
    redis: fakeredis.FakeRedis,
) -> None:
    throttle = Throttle(redis, 1.0)
    assert throttle.try_turn(NUMBER, urgent=False) == 0  # an offer goes now
    urgent = throttle.try_turn(NUMBER, urgent=True)
    assert 0.9 < urgent <= 1.0  # booked: the very next slot
    bulk = throttle.try_turn(NUMBER, urgent=False)
    assert -2.0 <= bulk < -1.9  # the next offer waits behind the answer


def test_each_number_has_its_own_turns(redis: fakeredis.FakeRedis) -> None:
    throttle = Throttle(redis, 1.0)
    assert throttle.try_turn(NUMBER, urgent=False) == 0
    assert throttle.try_turn("+14505550198", urgent=False) == 0


def test_wait_turn_sleeps_until_the_booked_slot(redis: fakeredis.FakeRedis) -> None:
    slept: list[float] = []
    throttle = Throttle(redis, 2.0, sleep=slept.append)
    assert throttle.wait_turn(NUMBER, urgent=True) == 0
    waited = throttle.wait_turn(NUMBER, urgent=True)
    assert 0.4 < waited <= 0.5 and slept[-1] == waited


def test_no_limit_when_the_rate_is_zero(redis: fakeredis.FakeRedis) -> None:
    throttle = Throttle(redis, 0)
    assert [throttle.try_turn(NUMBER, urgent=False) for _ in range(5)] == [0] * 5


def test_turns_for_a_batch_in_one_round_trip(redis: fakeredis.FakeRedis) -> None:
    throttle = Throttle(redis, 1.0)
    first, second, again = throttle.try_turns([NUMBER, "+14505550198", NUMBER])
    assert first == 0 and second == 0  # two numbers: both now
    assert -1.0 <= again < -0.9  # the same number twice: the second waits
    assert throttle.try_turn("+14505550198", urgent=False) < 0  # taken above
    assert Throttle(redis, 0).try_turns([NUMBER, NUMBER]) == [0, 0]
