"""What a process needs to do work: settings, database, queues, transports.

Built once per process from the environment (`from_settings`), or handed in by
the demo and the tests. RQ jobs run in worker processes that only have the
environment, so they look the runtime up with `current()`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redis import Redis
from rq import Queue
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared import config
from shared.db import make_engine, make_session_factory
from shared.throttle import Throttle

QUEUE_NAMES = ("matcher", "notifier")
# Seconds an RQ job may run before it is killed and marked failed.
JOB_TIMEOUT = 120


@dataclass
class Runtime:
    settings: config.Settings
    engine: Engine
    sessions: sessionmaker[Session]
    redis: Redis
    # Injected by the demo and the tests (an outbox or a fake Twilio); None
    # means "build from settings" (services.notifier.transports).
    transports: dict[str, Any] = field(default_factory=dict)
    _throttle: Throttle | None = field(default=None, init=False, repr=False)

    def queue(self, name: str) -> Queue:
        return Queue(name, connection=self.redis, default_timeout=JOB_TIMEOUT)

    def now(self) -> datetime:
        return datetime.now(self.settings.tz)

    def throttle(self) -> Throttle:
        """The per-number send rate, shared with every worker through Redis."""
        if self._throttle is None:
            self._throttle = Throttle(self.redis, self.settings.sms_per_second)
        return self._throttle


def connect_redis(url: str) -> Redis:
    if url:
        return Redis.from_url(url)
    # fakeredis: the embedded default, one in-process server shared by threads.
    import fakeredis

    return fakeredis.FakeRedis(server=_fake_server())


_fake = None


def _fake_server() -> Any:
    global _fake
    import fakeredis

    if _fake is None:
        _fake = fakeredis.FakeServer()
    return _fake


def from_settings(settings: config.Settings) -> Runtime:
    engine = make_engine(settings.database_url)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        redis=connect_redis(settings.redis_url),
    )


_current: Runtime | None = None
_lock = threading.Lock()


def install(runtime: Runtime) -> Runtime:
    global _current
    _current = runtime
    return runtime


def current() -> Runtime:
    """The process's runtime; built from the environment on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = from_settings(config.load())
        return _current
