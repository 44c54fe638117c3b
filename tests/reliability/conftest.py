"""The fault suite's machinery: real processes and real faults.

- a `redis-server` of its own on a spare port, killed and started again;
- PostgreSQL (with PostGIS) behind a TCP proxy the test cuts and restores, so
  the application sees a database restart without the machine's server ever
  stopping for the rest of the suite;
- a local server speaking Twilio's Messages API (tests/fake_twilio.py) that
  answers 500, 429, timeouts and 21610 on demand and keeps what it accepted;
- `glanage web`, `worker` and `relay` as separate processes, SIGKILLed at will.

Each test records what it counted (messages in, events, offers sent,
duplicates, losses) in `results`; the table lands in
test-artifacts/reliability.json, and docs/reliability.md holds the last run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fake_twilio import FakeTwilio
from tests.production.conftest import (  # noqa: F401 - fixtures used here
    PG_ADMIN,
    Stack,
    _ready,
    _unavailable,
    free_port,
    pg_template,
    pg_url,
    wait_for,
)

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability.json"
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "fault-suite-token"
SENDER = "+14505550199"


# ---- Redis of our own ----------------------------------------------------------


@dataclass
class RedisServer:
    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            _unavailable("redis-server", FileNotFoundError("redis-server"))
        self.process = subprocess.Popen(
            [str(binary), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: _listening(self.port), 10, "redis-server to listen")

    def kill(self) -> None:
        """SIGKILL: no goodbye, nothing saved; it comes back empty."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), tmp_path)
    server.start()
    yield server
    server.kill()


# ---- PostgreSQL behind a proxy that can be cut ---------------------------------


class TcpProxy:
    """Forwards a local port to PostgreSQL. `cut()` drops every connection and
    refuses new ones, as a restarting server does; `restore()` listens again."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            doomed, self._sockets = self._sockets, set()
        if listener is not None:
            # shutdown wakes the thread blocked in accept(); close alone would not.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def pg_proxy(pg_url: str) -> Iterator[tuple[TcpProxy, str]]:  # noqa: F811
    """The test database through the proxy: (proxy, its DATABASE_URL)."""
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.restore()
    user_host, database = pg_url.rsplit("/", 1)
    user = user_host.split("//", 1)[1].split("@", 1)[0]
    yield proxy, f"postgresql://{user}@127.0.0.1:{proxy.port}/{database}"
    proxy.cut()


# ---- Twilio ------------------------------------------------------------------


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(slow_seconds=4.0).start()
    yield fake
    fake.stop()


# ---- The stack -----------------------------------------------------------------


@dataclass
class FaultStack(Stack):
    """Web, worker and relay processes on the test's Redis, database and Twilio."""

    killed: list[str] = field(default_factory=list)

    def kill(self, role: str) -> int:
        """SIGKILL every process of `role`; returns how many were killed."""
        chosen = [p for name, p in self.processes if name == role]
        for process in chosen:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        self.processes = [(n, p) for n, p in self.processes if p not in chosen]
        self.killed += [role] * len(chosen)
        return len(chosen)


@pytest.fixture
def fault_stack(
    pg_proxy: tuple[TcpProxy, str],
    redis_server: RedisServer,
    twilio_api: FakeTwilio,
    tmp_path: Path,
) -> Iterator[FaultStack]:
    _proxy, database_url = pg_proxy
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": "fault-suite-secret",
        "PUBLIC_BASE_URL": base,
        "GLANAGE_API_TOKEN": "fault-suite-api",
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM": SENDER,
        "GLANAGE_TWILIO_API_URL": twilio_api.url,
        # Short enough to see whole retry cycles in seconds.
        "GLANAGE_PROVIDER_TIMEOUT": "1",
        "GLANAGE_RETRY_BASE_SECONDS": "0.5",
        # The throttle stays on (shared through this Redis), only faster.
        "GLANAGE_SMS_PER_SECOND": "50",
    }
    stack = FaultStack(base, env, tmp_path)
    stack.start("web", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
    stack.start("worker")
    stack.start("relay")
    try:
        wait_for(lambda: _ready(base), 40, "glanage web /readyz")
        yield stack
    finally:
        stack.stop()


# ---- What each fault test counted ------------------------------------------


@dataclass
class Results:
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)

    def record(self, fault: str, **counts: Any) -> None:
        self.rows[fault] = counts


_RESULTS = Results()


@pytest.fixture
def results() -> Results:
    return _RESULTS


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _RESULTS.rows:
        return
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(_RESULTS.rows, indent=2, ensure_ascii=False))
