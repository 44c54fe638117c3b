"""The production engine, for real: PostgreSQL + PostGIS and Redis on this machine.

In CI (CI=true) these tests must run: a missing service is a failure. On a
laptop without the services they skip, saying how to start them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from shared import config, migrate, seed
from shared.db import make_engine, make_session_factory, transaction
from shared.runtime import Runtime

PG_ADMIN = os.environ.get("GLANAGE_TEST_PG", "postgresql://postgres@127.0.0.1/postgres")
REDIS = os.environ.get("GLANAGE_TEST_REDIS", "redis://127.0.0.1:6379/13")
HOW_TO_START = (
    "start PostgreSQL 15 with PostGIS (apt-get install postgresql-15-postgis-3) "
    "and Redis on 127.0.0.1:6379, or set GLANAGE_TEST_PG / GLANAGE_TEST_REDIS"
)


def _unavailable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({error}); {HOW_TO_START}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


def _url(database: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated, seeded database that each test copies (CREATE ... TEMPLATE)."""
    name = f"glanage_tpl_{os.getpid()}"
    try:
        _admin(f"DROP DATABASE IF EXISTS {name}")
        _admin(f"CREATE DATABASE {name}")
    except psycopg.Error as error:
        _unavailable("PostgreSQL", error)
    try:
        migrate.upgrade(_url(name))
    except Exception as error:
        _admin(f"DROP DATABASE IF EXISTS {name}")
        _unavailable("PostGIS", error)
    engine = make_engine(_url(name))
    with transaction(make_session_factory(engine)) as session:
        seed.seed_demo(session)
        seed.ensure_admin(session, "coord@example.org", "correct horse battery")
    engine.dispose()
    yield name
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    name = f"glanage_test_{uuid.uuid4().hex[:12]}"
    _admin(f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    yield _url(name)
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.RedisError as error:
        _unavailable("Redis", error)
    client.flushdb()
    yield REDIS
    client.flushdb()
    client.close()


@pytest.fixture
def pg_settings(pg_url: str, redis_url: str) -> config.Settings:
    return replace(
        config.Settings(),
        database_url=pg_url,
        redis_url=redis_url,
        secret_key="production-test-secret",
        public_base_url="http://127.0.0.1",
        api_token="production-test-token",
        twilio_auth_token="production-twilio-token",
    )


@pytest.fixture
def pg_runtime(pg_settings: config.Settings) -> Iterator[Runtime]:
    from shared import runtime as runtime_module

    engine = make_engine(pg_settings.database_url)
    rt = Runtime(
        settings=pg_settings,
        engine=engine,
        sessions=make_session_factory(engine),
        redis=redis.Redis.from_url(pg_settings.redis_url),
    )
    previous = runtime_module._current
    runtime_module.install(rt)
    yield rt
    runtime_module._current = previous
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    """`glanage web`, workers and relays as separate processes, like production."""

    base: str
    env: dict[str, str]
    logs: Path
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, *args: str) -> None:
        # The child keeps its own descriptor; the parent's closes at once.
        with (self.logs / f"{args[0]}-{len(self.processes)}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append((args[0], process))

    def stop(self, role: str | None = None) -> None:
        chosen = [p for name, p in self.processes if role in (None, name)]
        for process in chosen:
            process.terminate()
        for process in chosen:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes = [(n, p) for n, p in self.processes if p not in chosen]

    def restart_workers(self, count: int = 2) -> None:
        """New workers, reading self.env again (e.g. another wave size)."""
        self.stop("worker")
        for _ in range(count):
            self.start("worker")

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs.glob("*.log"))


def wait_for(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@pytest.fixture
def stack(pg_settings: config.Settings, tmp_path: Path) -> Iterator[Stack]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": pg_settings.database_url,
        "REDIS_URL": pg_settings.redis_url,
        "SECRET_KEY": pg_settings.secret_key,
        "PUBLIC_BASE_URL": base,
        "GLANAGE_API_TOKEN": pg_settings.api_token,
        "TWILIO_AUTH_TOKEN": pg_settings.twilio_auth_token,
    }
    running = Stack(base, env, tmp_path)
    running.start("web", "--host", "127.0.0.1", "--port", str(port), "--workers", "3")
    for _ in range(2):
        running.start("worker")
        running.start("relay")
    try:
        wait_for(lambda: _ready(base), 40, "glanage web /readyz")
        yield running
    finally:
        running.stop()


def _ready(base: str) -> bool:
    with urllib.request.urlopen(f"{base}/readyz", timeout=3) as response:
        return bool(response.status == 200)
