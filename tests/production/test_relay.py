"""Two relays on one outbox never publish the same event twice."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from shared.db import transaction
from shared.events import emit
from shared.models import Event
from shared.relay import publish_pending
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
