"""docker-compose.yml describes the production stack the integration tests run.

No Docker engine runs on the build machines, so this checks the file's
structure; tests/production runs the same commands against real services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from services.cli import main

ROOT = Path(__file__).resolve().parents[1]
DESIGN_ENV = {
    "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PUBLIC_BASE_URL",
    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM",
    "TWILIO_MESSAGING_SERVICE_SID", "SMTP_URL", "MAIL_FROM", "GLANAGE_API_TOKEN",
    "GLANAGE_TZ", "GLANAGE_ADMIN_EMAIL", "GLANAGE_ADMIN_PASSWORD",
}  # fmt: skip


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_their_order() -> None:
    services = compose()["services"]
    assert set(services) == {"postgis", "redis", "migrate", "web", "worker", "relay"}
    assert (
        services["migrate"]["depends_on"]["postgis"]["condition"] == "service_healthy"
    )
    for role in ("web", "worker", "relay"):
        needs = services[role]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
        assert needs["redis"]["condition"] == "service_healthy"
    assert services["worker"]["deploy"]["replicas"] == 2


def test_health_checks_and_durable_redis() -> None:
    services = compose()["services"]
    for name in ("postgis", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    command = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in command and "--maxmemory-policy noeviction" in command
    assert "postgis" in services["postgis"]["image"]


def test_every_role_gets_the_design_environment_and_no_default_secret() -> None:
    services = compose()["services"]
    for role in ("migrate", "web", "worker", "relay"):
        environment = services[role]["environment"]
        assert set(environment) >= DESIGN_ENV, role
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")


def test_commands_are_real_glanage_commands() -> None:
    services = compose()["services"]
    for role in ("migrate", "web", "worker", "relay"):
        name = services[role]["command"][0]
        assert name in main.commands, (role, name)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["glanage"]' in dockerfile
    assert "uv pip sync --python /app/.venv/bin/python requirements.lock" in dockerfile
