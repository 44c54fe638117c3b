"""The transactional outbox and the idempotent consumer guard.

A state change and its event are written in one transaction (emit); the relay
publishes unpublished events to RQ queues; each consumer records the event ids
it handled in the same transaction as its own writes (consume_once), so a
redelivered event does nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.models import Event, ProcessedEvent

log = logging.getLogger(__name__)

# Which queue consumes which event. The relay routes by this table only.
ROUTES: dict[str, tuple[str, ...]] = {
    "surplus.announced": ("matcher",),
    "offer.declined": ("matcher",),
    "wave.requested": ("matcher",),
    "surplus.extended": ("matcher",),
    "message.resend": ("notifier",),
    "newsletter.send": ("notifier",),
    "pickup.collected": ("notifier",),
    "offers.ready": ("notifier",),
    "claim.confirmed": ("notifier",),
    "surplus.closed": ("notifier",),
    "surplus.cancelled": ("notifier",),
    "surplus.unmatched": ("notifier",),
    "surplus.expired": ("notifier",),
}

# The RQ job each queue runs for an event, named by path so that shared/ never
# imports a service.
HANDLERS = {
    "matcher": "services.matcher.jobs.handle_event",
    "notifier": "services.notifier.jobs.handle_event",
}


def emit(session: Session, kind: str, **payload: Any) -> Event:
    if kind not in ROUTES:
        raise ValueError(f"unknown event kind {kind!r}")
    event = Event(kind=kind, payload=payload)
    session.add(event)
    session.flush()
    return event


def consume_once(session: Session, consumer: str, event_id: int) -> bool:
    """Claim the right to handle this event; False when it was handled before.

    One INSERT ... ON CONFLICT DO NOTHING: a row back means it is ours. (It
    was a read, a savepoint, an insert and a release: four round trips in
    every job.) A concurrent worker holding the same key makes this wait for
    its commit, then get nothing, as the insert and its IntegrityError did.
    """
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    taken = session.execute(
        insert_(ProcessedEvent)
        .values(consumer=consumer, event_id=event_id)
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(ProcessedEvent.event_id)
    ).first()
    return taken is not None
