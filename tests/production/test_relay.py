"""Two relays on one outbox never publish the same event twice."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from shared.db import transaction
from shared.events import emit
from shared.models import Event
from shared.relay import Wakeup, publish_pending
from shared.runtime import Runtime


@dataclass
class Recorder:
    seen: list[int] = field(default_factory=list)

    def enqueue(self, _handler: str, event_id: int, **_: Any) -> None:
        self.seen.append(event_id)


class RecordingRuntime(Runtime):
    recorder: Recorder

    def queue(self, name: str) -> Any:
        return self.recorder


def test_two_relays_split_the_outbox_without_overlap(pg_runtime: Runtime) -> None:
    with transaction(pg_runtime.sessions) as session:
        for n in range(300):
            emit(session, "surplus.announced", surplus_id=n)

    relays = []
    for _ in range(2):
        relay = RecordingRuntime(
            pg_runtime.settings,
            pg_runtime.engine,
            pg_runtime.sessions,
            pg_runtime.redis,
        )
        relay.recorder = Recorder()
        relays.append(relay)

    start = threading.Barrier(2)

    def run(relay: RecordingRuntime) -> None:
        start.wait()
        while publish_pending(relay, limit=7):
            pass

    threads = [threading.Thread(target=run, args=(r,)) for r in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    first, second = (set(r.recorder.seen) for r in relays)
    assert first and second  # both relays did part of the work
    assert not first & second
    assert len(first | second) == 300
    assert sum(len(r.recorder.seen) for r in relays) == 300
    with pg_runtime.sessions() as session:
        left = session.scalar(select(func.count()).where(Event.published_at.is_(None)))
    assert left == 0


def test_the_relay_wakes_up_when_events_commit_not_at_its_next_poll(
    pg_runtime: Runtime,
) -> None:
    wakeup = Wakeup(pg_runtime, interval=10.0)
    wakeup.wait()  # connects and listens, then returns at once to poll
    committed = threading.Event()

    def announce_later() -> None:
        time.sleep(0.3)
        with transaction(pg_runtime.sessions) as session:
            emit(session, "surplus.announced", surplus_id=1)
        committed.set()

    writer = threading.Thread(target=announce_later)
    writer.start()
    started = time.monotonic()
    wakeup.wait()
    waited = time.monotonic() - started
    writer.join()
    wakeup.close()
    assert committed.is_set()
    assert 0.2 < waited < 5  # the commit, not the 10 s interval


def test_a_rolled_back_event_wakes_nobody(pg_runtime: Runtime) -> None:
    wakeup = Wakeup(pg_runtime, interval=1.0)
    wakeup.wait()
    session = pg_runtime.sessions()
    emit(session, "surplus.announced", surplus_id=1)
    session.rollback()
    session.close()
    started = time.monotonic()
    wakeup.wait()
    wakeup.close()
    assert time.monotonic() - started >= 0.9  # the whole interval
