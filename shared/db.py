"""Engine and sessions. SQLite for the embedded default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# Seconds to wait for PostgreSQL to accept a connection. While it restarts a
# request should fail fast (and be answered 503) rather than hold a worker
# for minutes (libpq waits as long as TCP does); a URL's own
# ?connect_timeout= still wins.
CONNECT_TIMEOUT_SECONDS = 3


def normalize_url(url: str) -> str:
    """Pick the driver: `postgresql://` becomes psycopg 3, SQLite paths are made."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite") and parsed.database not in (
        None,
        "",
        ":memory:",
    ):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in make_url(url).query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    # Glanage's queries are short and indexed; PostgreSQL's JIT compiler costs
    # them milliseconds once a table grows past its cost threshold (the
    # matcher's KNN query at 60,000 organizations, DESIGN §7) and never pays.
    connect_args["options"] = "-c jit=off"
    # Pre-ping: a connection PostgreSQL dropped (a restart, a failover) is
    # replaced before use instead of failing the request that drew it.
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the panel read while a claim writes; foreign keys are off by default.
    # Autocommit mode hands transaction control to the "begin" hook below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # SQLite's default deferred transactions deadlock when two readers both try to
    # upgrade to writers; taking the write lock up front serializes claims safely.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
