"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from shared import migrate
from shared.config import Settings
from shared.db import make_engine
from shared.models import Base

# PostgreSQL comes from the production suite's fixtures: they skip (or fail
# under CI=true) when no server is reachable.
from tests.production.conftest import pg_template, pg_url  # noqa: F401


def test_migrations_match_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded_url(request: pytest.FixtureRequest, settings: Settings) -> str:
    """A migrated, seeded database: SQLite, and PostgreSQL when one is
    reachable (the production suite's fixtures skip it otherwise)."""
    if request.param == "sqlite":
        return settings.database_url
    return str(request.getfixturevalue("pg_url"))


def test_privacy_migration_goes_down_and_up_with_data(seeded_url: str) -> None:
    """0005 adds columns to contacts, which messages point at: on SQLite a
    table rebuild would fail its DROP TABLE (foreign keys are on)."""
    engine = make_engine(seeded_url)
    with engine.begin() as connection:
        contact_id = connection.execute(text("SELECT min(id) FROM contacts")).scalar()
        connection.execute(
            text(
                "INSERT INTO messages (direction, channel, to_addr, from_addr,"
                " subject, body, status, error, attempts, contact_id, created_at,"
                " updated_at) VALUES ('in', 'sms', 'glanage', '+14505550100', '',"
                " 'LISTE', 'received', '', 0, :id, :now, :now)"
            ),
            {"id": contact_id, "now": datetime.now(UTC)},
        )
    before = _contacts(engine)
    engine.dispose()

    command.downgrade(migrate.alembic_config(seeded_url), "0004")
    engine = make_engine(seeded_url)
    assert "consent_text" not in {
        c["name"] for c in inspect(engine).get_columns("contacts")
    }
    assert _contacts(engine) == before
    engine.dispose()

    migrate.upgrade(seeded_url)
    engine = make_engine(seeded_url)
    with engine.connect() as connection:
        # Contacts from before 0005 have no consent text yet, not a NULL.
        texts = connection.execute(text("SELECT consent_text FROM contacts"))
        assert set(texts.scalars()) == {""}
        assert connection.execute(text("SELECT count(*) FROM messages")).scalar() == 1
    assert _contacts(engine) == before
    engine.dispose()


def _contacts(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, name, phone, email, consent_source FROM contacts")
        )
        return sorted(tuple(row) for row in rows)
