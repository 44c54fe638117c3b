"""The one wrapper every RQ job runs in: a transaction, the idempotency check,
and a log line at start and end with the job's event id.

A handler returns callables to run after the commit (schedule a timer, send
the messages it just stored), so nothing leaves the process for a change that
was rolled back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping

from sqlalchemy.orm import Session

from shared.db import transaction
from shared.events import consume_once
from shared.logs import log_event
from shared.models import Event
from shared.runtime import Runtime

log = logging.getLogger(__name__)

AfterCommit = Callable[[], None]
Handler = Callable[[Session, Event, Runtime], Iterable[AfterCommit] | None]


def run_event_job(
    runtime: Runtime,
    consumer: str,
    event_id: int,
    handlers: Mapping[str, Handler],
) -> bool:
    """Handle one event once; False when it was already handled or not ours."""
    started = time.perf_counter()
    log_event(log, "job.start", consumer=consumer, event_id=event_id)
    with transaction(runtime.sessions) as session:
        event = session.get(Event, event_id)
        if event is None or event.kind not in handlers:
            log_event(log, "job.skip", consumer=consumer, event_id=event_id)
            return False
        if not consume_once(session, consumer, event_id):
            log_event(log, "job.duplicate", consumer=consumer, event_id=event_id)
            return False
        after = list(handlers[event.kind](session, event, runtime) or ())
    for step in after:
        step()
    log_event(
        log,
        "job.done",
        consumer=consumer,
        event_id=event_id,
        kind=event.kind,
        ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return True
