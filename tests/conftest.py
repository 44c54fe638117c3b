"""Shared fixtures: a migrated, seeded SQLite database per test, an in-process
Redis, the web app, and helpers that act as Twilio and as the relay/worker."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import fakeredis
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from services.web import create_app
from shared import config, migrate, seed
from shared.db import make_engine, make_session_factory, transaction
from shared.engine import drain
from shared.models import Farm, Surplus
from shared.runtime import Runtime
from shared.surpluses import Announcement, announce
from tests.smtp import Inbox, smtp_inbox

TWILIO_TOKEN = "test-twilio-auth-token"
API_TOKEN = "test-api-token"
BASE_URL = "https://glanage.test"


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate and seed once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "glanage.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        seed.seed_demo(session)
        seed.ensure_admin(session, "coord@example.org", "correct horse battery")
    engine.dispose()
    return path


@pytest.fixture
def settings(tmp_path: Path, seeded_template: Path) -> config.Settings:
    db_path = tmp_path / "glanage.db"
    shutil.copy(seeded_template, db_path)
    return replace(
        config.Settings(),
        database_url=f"sqlite:///{db_path}",
        secret_key="test-secret-key-0123456789",
        public_base_url=BASE_URL,
        twilio_auth_token=TWILIO_TOKEN,
        api_token=API_TOKEN,
        wave_delay_minutes=30,
    )


@pytest.fixture
def runtime(settings: config.Settings) -> Iterator[Runtime]:
    from shared import runtime as runtime_module

    engine = make_engine(settings.database_url)
    rt = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        redis=fakeredis.FakeRedis(server=fakeredis.FakeServer()),
    )
    previous = runtime_module._current
    runtime_module.install(rt)
    yield rt
    runtime_module._current = previous
    engine.dispose()


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return create_app(runtime, {"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Twilio:
    """Sends signed webhooks the way Twilio does."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.validator = RequestValidator(TWILIO_TOKEN)
        self.count = 0

    def text(self, sender: str, body: str, sid: str | None = None) -> Any:
        self.count += 1
        params = {
            "MessageSid": sid or f"SM{self.count:032d}",
            "From": sender,
            "To": "+14505550199",
            "Body": body,
        }
        signature = self.validator.compute_signature(f"{BASE_URL}/sms/inbound", params)
        return self.client.post(
            "/sms/inbound", data=params, headers={"X-Twilio-Signature": signature}
        )

    def reply(self, sender: str, body: str) -> str:
        response = self.text(sender, body)
        assert response.status_code == 200, response.data
        found = re.search(
            r"<Message>(.*)</Message>", response.get_data(as_text=True), re.S
        )
        return found.group(1) if found else ""


@pytest.fixture
def twilio(client: FlaskClient) -> Twilio:
    return Twilio(client)


@pytest.fixture
def work(runtime: Runtime):  # type: ignore[no-untyped-def]
    """Run the relay and the workers until everything pending is done."""
    return lambda: drain(runtime)


@pytest.fixture
def api(client: FlaskClient):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {API_TOKEN}"}

    def call(method: str, path: str, **kwargs: Any) -> Any:
        response = client.open(
            f"/api/v1{path}", method=method, headers=headers, **kwargs
        )
        return response

    return call


FARMER = seed.phone(0)  # Ferme Beaulieu, Saint-Jacques
NOW = datetime(2026, 9, 14, 10, 0, tzinfo=config.Settings().tz)


@pytest.fixture
def inbox(runtime: Runtime) -> Iterator[Inbox]:
    """A real SMTP server on loopback, and the notifier sending to it."""
    from services.notifier import transports

    with smtp_inbox() as box:
        runtime.settings = replace(runtime.settings, smtp_url=box.url)
        runtime.transports = dict(transports.from_settings(runtime.settings))
        yield box


def announce_kg(
    session: Session, farm: Farm, kg: float, until: date, crop: str = "courge"
) -> Surplus:
    """A surplus of `kg` kg on the farm's first parcel, announced as by SMS."""
    return announce(
        session,
        farm,
        Announcement(
            parcel=farm.parcels[0],
            crop=crop,
            quantity=kg,
            unit="kg",
            quantity_kg=kg,
            available_until=until,
        ),
        source="sms",
    )
