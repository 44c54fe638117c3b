"""Publishes outbox events to their RQ queues, then marks them published;
and gives outgoing messages stranded by a crash a new job (sweep_messages).

Safe to run in several processes at once: on PostgreSQL the rows are taken
with FOR UPDATE SKIP LOCKED, and the RQ job id is derived from the event id,
so an event published twice (a crash between enqueue and commit) is still one
job per queue, and consumers ignore event ids they already handled.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import timedelta

import psycopg
from rq import Retry
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from shared.db import transaction
from shared.events import HANDLERS, ROUTES
from shared.logs import log_event
from shared.models import Event, Message, utcnow
from shared.runtime import Runtime

log = logging.getLogger(__name__)

CHANGES_CHANNEL = "glanage:changes"
# PostgreSQL NOTIFY channel of the trigger on events (migration 0006).
OUTBOX_CHANNEL = "glanage_outbox"

# Retries for a consumer that failed on something transient (database restart).
EVENT_RETRY = Retry(max=3, interval=[5, 30, 120])


def publish_pending(runtime: Runtime, limit: int = 200) -> int:
    """Publish up to `limit` events; returns how many were published."""
    with transaction(runtime.sessions) as session:
        events = session.scalars(
            select(Event)
            .where(Event.published_at.is_(None))
            .order_by(Event.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for event in events:
            for queue_name in ROUTES[event.kind]:
                runtime.queue(queue_name).enqueue(
                    HANDLERS[queue_name],
                    event.id,
                    job_id=f"event-{event.id}-{queue_name}",
                    retry=EVENT_RETRY,
                    description=f"{event.kind} #{event.id}",
                )
            event.published_at = utcnow()
            log_event(log, "event.published", event_id=event.id, kind=event.kind)
    if events:
        # The panel's live board listens here; a lost notice only delays a
        # refresh, so this is not part of the transaction.
        runtime.redis.publish(CHANGES_CHANNEL, ",".join(e.kind for e in events))
    return len(events)


# A live worker holds a message "sending" for one provider call at most, and
# the call times out (GLANAGE_PROVIDER_TIMEOUT): one held three times as long
# was abandoned by a crash.
def sending_stale_after(runtime: Runtime) -> timedelta:
    return timedelta(seconds=3 * runtime.settings.provider_timeout_seconds + 5)


# A message queued this long ago with no try since lost its job (a worker
# killed between commit and send, a Redis flushed): longer than the last
# retry's wait (20 × GLANAGE_RETRY_BASE_SECONDS, 10 min), so that a scheduled
# retry is not raced for nothing.
def queued_stale_after(runtime: Runtime) -> timedelta:
    return timedelta(seconds=30 * runtime.settings.retry_base_seconds)


def sweep_messages(runtime: Runtime) -> int:
    """Give every stranded outgoing message a new job; returns how many.

    Safe to run anywhere, any number of times: the notifier takes a message
    with a conditional UPDATE, so an extra job sends nothing, and a message
    that may have left before is looked up at the provider first.
    """
    now = utcnow()
    with transaction(runtime.sessions) as session:
        abandoned = session.scalars(
            update(Message)
            .where(
                Message.status == "sending",
                Message.updated_at < now - sending_stale_after(runtime),
            )
            .values(status="queued", updated_at=now)
            .returning(Message.id)
        ).all()
        # Touched again, so a long backlog gets one extra job per period.
        forgotten = session.scalars(
            update(Message)
            .where(
                Message.direction == "out",
                Message.status == "queued",
                Message.updated_at < now - queued_stale_after(runtime),
            )
            .values(updated_at=now)
            .returning(Message.id)
        ).all()
    stranded = sorted({*abandoned, *forgotten})
    queue = runtime.queue("notifier")
    for message_id in stranded:
        queue.enqueue(
            "services.notifier.jobs.retry_delivery",
            message_id,
            job_id=f"sweep-{message_id}",
            description=f"stranded message #{message_id}",
        )
    if stranded:
        log_event(log, "messages.swept", abandoned=len(abandoned), queued=len(stranded))
    return len(stranded)


class Sweeper:
    """sweep_messages for a relay's loop: every half of the time a send may
    take before it counts as abandoned, at most every 30 s."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.every = min(30.0, sending_stale_after(runtime).total_seconds() / 2)
        self._next = 0.0

    def __call__(self) -> int:
        if time.monotonic() < self._next:
            return 0
        self._next = time.monotonic() + self.every
        return sweep_messages(self.runtime)


class Wakeup:
    """How the relay waits when the outbox is empty: until a transaction that
    wrote events commits, or `interval` seconds at most.

    On PostgreSQL a trigger on events NOTIFYs OUTBOX_CHANNEL (delivered at
    commit); the relay LISTENs on a connection of its own, so an event leaves
    within a round trip of its commit instead of half an interval later on
    average. The poll stays as the fallback: a notice lost while that
    connection was down is found by the next poll, and the connection is made
    again on the next wait. On SQLite this is a plain sleep.
    """

    def __init__(self, runtime: Runtime, interval: float) -> None:
        self.interval = interval
        url = make_url(runtime.settings.database_url)
        self._conninfo: str | None = None
        if url.get_backend_name() == "postgresql":
            plain = url.set(drivername="postgresql")
            self._conninfo = plain.render_as_string(hide_password=False)
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def wait(self) -> None:
        if self._conninfo is None:
            time.sleep(self.interval)
            return
        try:
            if self._connection is None:
                self._connection = psycopg.connect(
                    self._conninfo, autocommit=True, connect_timeout=5
                )
                self._connection.execute(f"LISTEN {OUTBOX_CHANNEL}")
                return  # events may have committed before LISTEN: poll now
            for _notice in self._connection.notifies(
                timeout=self.interval, stop_after=1
            ):
                pass
        except psycopg.Error:
            # The database is away: wait as the poll would, connect next time.
            self.close()
            time.sleep(self.interval)

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                self._connection.close()
            self._connection = None
