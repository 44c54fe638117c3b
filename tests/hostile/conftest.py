"""The web app on PostgreSQL, which refuses NULs and surrogates SQLite stores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import fakeredis
import pytest
from flask import Flask

from services.web import create_app
from shared import config
from shared.db import make_engine, make_session_factory
from shared.runtime import Runtime
from tests.conftest import API_TOKEN, BASE_URL, TWILIO_TOKEN

# The production tests' databases: a migrated, seeded template copied per test;
# skipped without PostgreSQL, failed in CI (tests/production/conftest.py).
from tests.production.conftest import pg_template, pg_url  # noqa: F401


@pytest.fixture
def pg_app(pg_url: str) -> Iterator[Flask]:  # noqa: F811
    from shared import runtime as runtime_module

    settings = replace(
        config.Settings(),
        database_url=pg_url,
        secret_key="test-secret-key-0123456789",
        public_base_url=BASE_URL,
        twilio_auth_token=TWILIO_TOKEN,
        api_token=API_TOKEN,
    )
    engine = make_engine(pg_url)
    # Redis stays in-process: the production tests flush the real one.
    rt = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        redis=fakeredis.FakeRedis(server=fakeredis.FakeServer()),
    )
    previous = runtime_module._current
    runtime_module.install(rt)
    yield create_app(rt, {"TESTING": True})
    runtime_module._current = previous
    engine.dispose()
