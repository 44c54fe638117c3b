"""Running the loop: the relay and RQ workers, as threads or in the foreground.

The embedded default (`glanage demo`) runs the relay, the RQ scheduler and an
RQ worker in one background thread on an in-process Redis: the same relay,
queues and jobs as production, only hosted differently.
"""

from __future__ import annotations

import logging
import threading

from rq import SimpleWorker
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

from shared.relay import Sweeper, publish_pending
from shared.runtime import QUEUE_NAMES, Runtime

log = logging.getLogger(__name__)


class ThreadWorker(SimpleWorker):
    """An RQ worker that can run outside the main thread.

    Signals can only be handled by the main thread, and the default job
    timeout uses SIGALRM; a timer thread does the same job here.
    """

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


def run_scheduled(runtime: Runtime) -> None:
    """Move due scheduled jobs (wave timers, expiries, retries) to their queues."""
    queues = [runtime.queue(name) for name in QUEUE_NAMES]
    scheduler = RQScheduler(
        queues, connection=runtime.redis, logging_level=logging.WARNING
    )
    if scheduler.acquire_locks():
        scheduler.enqueue_scheduled_jobs()
        scheduler.release_locks()


def work_once(runtime: Runtime) -> int:
    """One pass: publish events, release due timers, run every queued job."""
    published = publish_pending(runtime)
    run_scheduled(runtime)
    queues = [runtime.queue(name) for name in QUEUE_NAMES]
    worker = ThreadWorker(queues, connection=runtime.redis)
    worker.work(burst=True, logging_level="WARNING")
    return published


def drain(runtime: Runtime, rounds: int = 20) -> None:
    """Work until no event and no job is left (tests and the CLI's --once)."""
    for _ in range(rounds):
        work_once(runtime)
        if not pending(runtime):
            return
    raise RuntimeError("the loop did not settle")


def pending(runtime: Runtime) -> bool:
    from sqlalchemy import func, select

    from shared.models import Event

    with runtime.sessions() as session:
        unpublished = session.scalar(
            select(func.count(Event.id)).where(Event.published_at.is_(None))
        )
    queued = sum(runtime.queue(name).count for name in QUEUE_NAMES)
    return bool(unpublished) or queued > 0


class Embedded:
    """The relay and a worker in a daemon thread, polling every `interval` s."""

    def __init__(self, runtime: Runtime, interval: float = 0.3) -> None:
        self.runtime = runtime
        self.interval = interval
        self._stop = threading.Event()
        self._sweep = Sweeper(runtime)
        self._thread = threading.Thread(
            target=self._run, name="glanage-loop", daemon=True
        )

    def start(self) -> None:
        # The scheduler logs each lock it takes; every 0.3 s that drowns the
        # lines a person running the demo wants to read.
        logging.getLogger("rq.scheduler").setLevel(logging.WARNING)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._sweep()
                work_once(self.runtime)
            except Exception:
                # The loop must outlive one bad job or a database hiccup.
                log.exception("loop.error")
            self._stop.wait(self.interval)
