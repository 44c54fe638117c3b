"""How fast one sending number may text, shared by every worker through Redis.

A Canadian long code may send about one text a second; above that the carrier
queues or drops them. Every worker, on any machine, asks the same Redis key for
its turn, and Redis's own clock decides, so no two workers' clocks need agree.

Replies to people (a confirmation, "already taken", a farmer's update) go
ahead of bulk offers: an urgent send books the next free slot even when it is
in the future and sleeps until then; a bulk send only takes a slot that is free
now, and otherwise waits and asks again. So at most one bulk text ever stands
between a person and the answer they are waiting for.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis

# Returns 0 when the slot is now, the milliseconds to wait for a booked future
# slot (urgent), or minus the milliseconds until a slot frees (bulk: not booked).
_TAKE_TURN = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local interval = tonumber(ARGV[1])
local free_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if free_at <= now then
  redis.call('SET', KEYS[1], now + interval, 'PX', interval + 60000)
  return 0
end
if ARGV[2] == '1' then
  redis.call('SET', KEYS[1], free_at + interval, 'PX', free_at - now + interval + 60000)
  return free_at - now
end
return now - free_at
"""


class Throttle:
    """At most `per_second` sends a second per sender; 0 or less: no limit."""

    def __init__(
        self,
        redis: Redis,
        per_second: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_second = per_second
        self._sleep = sleep
        self._redis = redis
        self._take_turn = redis.register_script(_TAKE_TURN)

    def wait_turn(self, sender: str, *, urgent: bool) -> float:
        """Block until `sender` may send one message; returns the seconds waited."""
        waited = 0.0
        while True:
            wait = self.try_turn(sender, urgent=urgent)
            if wait >= 0:  # booked: now, or in `wait` seconds
                self._sleep(wait)
                return waited + wait
            self._sleep(-wait)
            waited -= wait

    def try_turn(self, sender: str, *, urgent: bool) -> float:
        """One request for a turn: seconds until the booked turn (0: now), or
        minus the seconds until one frees up when nothing was booked (bulk)."""
        if self.per_second <= 0:
            return 0.0
        interval_ms = max(1, round(1000 / self.per_second))
        answer = self._take_turn(
            keys=[f"glanage:throttle:{sender}"],
            args=[interval_ms, "1" if urgent else "0"],
        )
        return int(answer) / 1000

    def try_turns(self, senders: list[str]) -> list[float]:
        """A bulk try_turn for each of `senders`, in one round trip to Redis
        (a batch of offers from a pool of numbers): 0 where the turn was
        taken, minus the seconds to wait where the number is busy. A sender
        named twice gets its turn at most once."""
        if self.per_second <= 0:
            return [0.0] * len(senders)
        interval_ms = max(1, round(1000 / self.per_second))
        pipe = self._redis.pipeline(transaction=False)
        for sender in senders:
            self._take_turn(
                keys=[f"glanage:throttle:{sender}"],
                args=[interval_ms, "0"],
                client=pipe,
            )
        return [int(answer) / 1000 for answer in pipe.execute()]
