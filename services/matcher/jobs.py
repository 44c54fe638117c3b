"""The matcher's RQ entry points: events from the relay, and its own timers."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from services.matcher import matching
from shared import runtime as runtime_module
from shared.db import transaction
from shared.jobs import AfterCommit, run_event_job
from shared.logs import log_event
from shared.models import Event, Offer, Surplus
from shared.runtime import Runtime

log = logging.getLogger(__name__)


def handle_event(event_id: int) -> bool:
    return run_event_job(runtime_module.current(), "matcher", event_id, HANDLERS)


def _on_announced(
    session: Session, event: Event, runtime: Runtime
) -> Iterable[AfterCommit]:
    surplus = session.get(Surplus, event.payload["surplus_id"])
    if surplus is None:
        return []
    chosen = matching.match_surplus(session, surplus, runtime.settings, runtime.now())
    log_event(
        log,
        "surplus.matched",
        surplus_id=surplus.id,
        candidates=len([m for m in surplus.matches if not m.excluded]),
        excluded=len([m for m in surplus.matches if m.excluded]),
        wave=surplus.wave,
    )
    timers = [lambda: schedule_expiry(runtime, surplus.id, surplus.available_until)]
    if chosen:
        timers.append(lambda: schedule_next_wave(runtime, surplus.id, surplus.wave))
    return timers


def _on_declined(
    session: Session, event: Event, runtime: Runtime
) -> Iterable[AfterCommit]:
    # When every organization of the wave said no, nobody should wait for the
    # timer: the next wave goes out now.
    surplus = session.get(Surplus, event.payload["surplus_id"])
    if surplus is None or not matching.wave_settled(surplus):
        return []
    if not matching.open_next_wave(session, surplus, runtime.settings):
        return []
    return [lambda: schedule_next_wave(runtime, surplus.id, surplus.wave)]


def _on_wave_requested(
    session: Session, event: Event, runtime: Runtime
) -> Iterable[AfterCommit]:
    """The coordinator asked for the next wave now."""
    surplus = session.get(Surplus, event.payload["surplus_id"])
    if surplus is None or surplus.wave != event.payload["wave"]:
        return []  # a wave already moved on since the click
    if not matching.open_next_wave(session, surplus, runtime.settings):
        return []
    return [lambda: schedule_next_wave(runtime, surplus.id, surplus.wave)]


def _on_extended(
    session: Session, event: Event, runtime: Runtime
) -> Iterable[AfterCommit]:
    surplus = session.get(Surplus, event.payload["surplus_id"])
    if surplus is None:
        return []
    return [lambda: schedule_expiry(runtime, surplus.id, surplus.available_until)]


HANDLERS = {
    "surplus.announced": _on_announced,
    "offer.declined": _on_declined,
    "wave.requested": _on_wave_requested,
    "surplus.extended": _on_extended,
}


def schedule_next_wave(runtime: Runtime, surplus_id: int, wave: int) -> None:
    delay = timedelta(minutes=runtime.settings.wave_delay_minutes)
    runtime.queue("matcher").enqueue_in(
        delay,
        "services.matcher.jobs.next_wave",
        surplus_id,
        wave,
        job_id=f"wave-{surplus_id}-{wave + 1}",
    )


def expiry_moment(runtime: Runtime, surplus: Surplus) -> datetime:
    # Offers stay claimable until the end of the farmer's last day, local time.
    return datetime.combine(
        surplus.available_until, time.max, tzinfo=runtime.settings.tz
    )


def schedule_expiry(runtime: Runtime, surplus_id: int, until: date) -> None:
    end = datetime.combine(until, time.max, tzinfo=runtime.settings.tz)
    runtime.queue("matcher").enqueue_at(
        end, "services.matcher.jobs.expire", surplus_id, job_id=f"expire-{surplus_id}"
    )


def next_wave(surplus_id: int, wave: int) -> bool:
    """The wave timer: offer to the next organizations if kilos remain."""
    runtime = runtime_module.current()
    with transaction(runtime.sessions) as session:
        surplus = session.get(Surplus, surplus_id)
        # A wave that already moved on (all declined) must not open twice.
        if surplus is None or surplus.wave != wave:
            return False
        opened = bool(matching.open_next_wave(session, surplus, runtime.settings))
    if opened:
        log_event(log, "wave.opened", surplus_id=surplus_id, wave=wave + 1)
        schedule_next_wave(runtime, surplus_id, wave + 1)
    return opened


def expire(surplus_id: int) -> bool:
    runtime = runtime_module.current()
    with transaction(runtime.sessions) as session:
        surplus = session.get(Surplus, surplus_id)
        if surplus is None or runtime.now() < expiry_moment(runtime, surplus):
            return False  # gone, or extended since this timer was set
        if not matching.expire(session, surplus):
            return False
        for offer in session.query(Offer).filter(Offer.surplus_id == surplus_id):
            if offer.status in ("queued", "sent", "delivered"):
                offer.status = "expired"
    log_event(log, "surplus.expired", surplus_id=surplus_id)
    return True
