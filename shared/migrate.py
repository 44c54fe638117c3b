"""Schema migrations (Alembic), run by `glanage db upgrade` and `glanage demo`."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from shared.db import normalize_url


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "shared:migrations")
    # Alembic's ini interpolation treats "%" specially (URL-encoded passwords).
    config.set_main_option(
        "sqlalchemy.url", normalize_url(database_url).replace("%", "%%")
    )
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Autogenerate a migration against an up-to-date database (developers only)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
