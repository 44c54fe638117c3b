"""What every benchmark shares: fresh databases, processes, timings, tables.

Each benchmark is a module with a `main()` that prints one Markdown table and
saves it under test-artifacts/bench/, so docs/performance.md can quote one run.
Peak memory of the processes a benchmark starts is recorded beside it
(memory.json), for the memory table `python -m bench` prints last.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psutil
import psycopg
import redis

from shared.surpluses import Announcement, announce

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "test-artifacts" / "bench"
PG_ADMIN = os.environ.get(
    "GLANAGE_BENCH_PG", "postgresql://postgres@127.0.0.1/postgres"
)
# Database 12: the tests use 13, and a benchmark flushes what it uses.
REDIS_URL = os.environ.get("GLANAGE_BENCH_REDIS", "redis://127.0.0.1:6379/12")


# ---- numbers ---------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def repeat(call: Callable[[], Any], times: int, warmup: int = 3) -> list[float]:
    """Wall-clock seconds of `times` calls, after a few untimed ones."""
    for _ in range(warmup):
        call()
    timings = []
    for _ in range(times):
        start = time.perf_counter()
        call()
        timings.append(time.perf_counter() - start)
    return timings


def ms(seconds: float) -> str:
    """Milliseconds with three significant digits (µs under 1 ms)."""
    if seconds != seconds:  # NaN
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    return f"{seconds * 1e3:.3g} ms"


# ---- tables ------------------------------------------------------------------------


@dataclass
class Table:
    """A titled Markdown table, printed and saved as test-artifacts/bench/NAME.md."""

    name: str
    title: str
    columns: Sequence[str]
    rows: list[Sequence[object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append(cells)

    def render(self) -> str:
        cells = [
            list(map(str, self.columns)),
            *([str(c) for c in r] for r in self.rows),
        ]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]

        def line(row: Sequence[str]) -> str:
            return (
                "| "
                + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                + " |"
            )

        out = [f"### {self.title}", "", line(cells[0])]
        out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        out += [line(row) for row in cells[1:]]
        out += ["", *self.notes] if self.notes else []
        return "\n".join(out) + "\n"

    def publish(self) -> None:
        text = self.render()
        print(text, flush=True)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{self.name}.md").write_text(text, encoding="utf-8")


# ---- services ----------------------------------------------------------------------


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql)


@contextmanager
def fresh_database(label: str, seed_demo: bool = False) -> Iterator[str]:
    """A new migrated PostgreSQL + PostGIS database, dropped afterwards."""
    from shared import migrate, seed
    from shared.db import make_engine, make_session_factory, transaction

    name = f"glanage_bench_{label}_{uuid.uuid4().hex[:8]}"
    _admin(f"CREATE DATABASE {name}")
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate.upgrade(url)
        if seed_demo:
            engine = make_engine(url)
            with transaction(make_session_factory(engine)) as session:
                seed.seed_demo(session)
            engine.dispose()
        yield url
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def fresh_redis() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {seconds} s waiting for {what}")


def http_ready(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=3) as response:  # nosec B310 # loopback only
        return bool(response.status == 200)


# ---- processes and their memory ------------------------------------------------------


@dataclass
class Processes:
    """Child processes by role, with their peak RSS sampled every 100 ms.

    A role's peak is the largest resident set any one of its processes (or,
    for gunicorn, any one of the master's workers) reached.
    """

    bench: str
    env: dict[str, str]
    logs: Path = field(default_factory=lambda: RESULTS / "logs")
    running: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    peak_rss: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _sampler: threading.Thread | None = None

    def start(self, role: str, *argv: str) -> subprocess.Popen[bytes]:
        """Run `glanage ARGV...` (or a python -m command when argv starts with -m)."""
        self.logs.mkdir(parents=True, exist_ok=True)
        command = (
            [sys.executable, *argv]
            if argv[0] == "-m"
            else [sys.executable, "-m", "services.cli", *argv]
        )
        log_path = self.logs / f"{self.bench}-{role}-{len(self.running)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
            )
        self.running.append((role, process))
        if self._sampler is None:
            self._sampler = threading.Thread(target=self._sample, daemon=True)
            self._sampler.start()
        return process

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            for role, process in list(self.running):
                try:
                    parent = psutil.Process(process.pid)
                    family = [parent, *parent.children(recursive=True)]
                    rss = max(p.memory_info().rss for p in family)
                except psutil.Error:
                    continue
                self.peak_rss[role] = max(self.peak_rss.get(role, 0), rss)

    def stop(self) -> None:
        for _, process in self.running:
            process.terminate()
        for _, process in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.running.clear()
        self._stop.set()
        record_memory(self.bench, self.peak_rss)

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def record_memory(bench: str, peaks: dict[str, int]) -> None:
    """Merge this benchmark's peak RSS per role into memory.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "memory.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    # A benchmark may run several sets of processes (one per configuration).
    mine = known.setdefault(bench, {})
    for role, peak in peaks.items():
        mine[role] = max(mine.get(role, 0), peak)
    known[bench] = dict(sorted(mine.items()))
    path.write_text(json.dumps(known, indent=2) + "\n")


def base_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production-like stack on the given services."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench-secret",
        "GLANAGE_API_TOKEN": "bench-api-token",
        "TWILIO_AUTH_TOKEN": "bench-twilio-token",
        "GLANAGE_LOG_LEVEL": "WARNING",
        **extra,
    }


def announce_squash(
    session: Any, farm: Any, kg: float, days: int = 3, source: str = "sms"
) -> Any:
    """A farm's surplus of squash on its first parcel, as the product stores one."""
    return announce(
        session,
        farm,
        Announcement(
            parcel=farm.parcels[0],
            crop="courge",
            quantity=kg,
            unit="kg",
            quantity_kg=kg,
            available_until=date.today() + timedelta(days=days),
        ),
        source=source,
    )
