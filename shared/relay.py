"""Publishes outbox events to their RQ queues, then marks them published.

Safe to run in several processes at once: on PostgreSQL the rows are taken
with FOR UPDATE SKIP LOCKED, and the RQ job id is derived from the event id,
so an event published twice (a crash between enqueue and commit) is still one
job per queue, and consumers ignore event ids they already handled.
"""

from __future__ import annotations

import logging

from rq import Retry
from sqlalchemy import select

from shared.db import transaction
from shared.events import HANDLERS, ROUTES
from shared.logs import log_event
from shared.models import Event, utcnow
from shared.runtime import Runtime

log = logging.getLogger(__name__)

CHANGES_CHANNEL = "glanage:changes"

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
