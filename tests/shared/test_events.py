"""The idempotent consumer guard: one event, one handling per consumer."""

from __future__ import annotations

from shared.db import transaction
from shared.events import consume_once, emit
from shared.runtime import Runtime


def test_an_event_is_consumed_once_per_consumer(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        event = emit(session, "surplus.announced", surplus_id=1)
    with transaction(runtime.sessions) as session:
        assert consume_once(session, "matcher", event.id)
    with transaction(runtime.sessions) as session:
        assert not consume_once(session, "matcher", event.id)  # a redelivery
        assert consume_once(session, "notifier", event.id)  # another consumer


def test_a_rolled_back_handling_leaves_the_event_to_consume(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        event = emit(session, "surplus.announced", surplus_id=1)
    session = runtime.sessions()
    assert consume_once(session, "matcher", event.id)
    session.rollback()  # the handler failed: its mark goes with its writes
    session.close()
    with transaction(runtime.sessions) as session:
        assert consume_once(session, "matcher", event.id)
