"""Every setting Glanage reads, from the environment, in one place.

Each setting is documented here with its default; README.md repeats the table.
Secrets have no default: outside demo mode a missing SECRET_KEY is an error.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    # Storage and queue. SQLite file by default; PostgreSQL when the URL says so.
    database_url: str = "sqlite:///instance/glanage.db"
    # Empty: an in-process Redis substitute (fakeredis), demo and tests only.
    redis_url: str = ""
    # Signs sessions, CSRF tokens and claim links.
    secret_key: str = ""
    # Base of every link sent by SMS or email (claim links, farmer forms).
    public_base_url: str = "http://127.0.0.1:5000"
    # Twilio. Without an account SID, SMS go to the outbox transport.
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    # One sending number, or several separated by commas (a pool): each
    # recipient always hears from the same one (services.notifier.senders).
    twilio_from: str = ""
    twilio_messaging_service_sid: str = ""
    # Where the Twilio client sends its requests; empty: Twilio itself. Tests
    # and benchmarks point it at a local server that speaks the same API.
    twilio_api_url: str = ""
    # smtp://user:pass@host:port or smtps://...; empty: email goes to the outbox.
    smtp_url: str = ""
    mail_from: str = "Glanage <glanage@example.org>"
    # Bearer token for /api/v1; empty disables the API (403).
    api_token: str = ""
    timezone: str = "America/Toronto"
    admin_email: str = ""
    admin_password: str = ""
    # Matching: organizations per wave and minutes between waves.
    wave_size: int = 3
    wave_delay_minutes: float = 30.0
    # An open surplus with no claim after this long is flagged on the board.
    stale_minutes: float = 120.0
    # Map tiles for the panel's map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png;
    # empty: a plain background with municipality labels (works offline).
    map_tiles_url: str = ""
    # How far a farm accepts organizations to come from, when it does not say.
    default_farm_radius_km: float = 40.0
    # Texts a second from one sending number (a Canadian long code: 1), shared
    # by every worker through Redis.
    sms_per_second: float = 1.0
    # At most this many identical texts to one number in 5 minutes (loop guard).
    loop_guard_max: int = 3
    # Seconds any call to Twilio or the mail server may take.
    provider_timeout_seconds: float = 10.0
    # A transient failure is tried again after 1, 4 and 20 times this many
    # seconds (30 s, 2 min, 10 min), then recorded as failed.
    retry_base_seconds: float = 30.0
    # Days message bodies are kept; older ones are purged (figures stay).
    retention_days: int = 365
    # Proxies in front of the web app whose X-Forwarded-For and -Proto are
    # believed (a TLS proxy: 1). 0: none, the headers are ignored, so nobody
    # can dodge a rate limit by sending them.
    trusted_proxies: int = 0
    demo: bool = False

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def twilio_numbers(self) -> tuple[str, ...]:
        """The sending numbers of TWILIO_FROM, in the order given."""
        return tuple(n.strip() for n in self.twilio_from.split(",") if n.strip())

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)


_ENV_NAMES = {  # nosec B105 # environment variable names, not secrets
    "database_url": "DATABASE_URL",
    "redis_url": "REDIS_URL",
    "secret_key": "SECRET_KEY",
    "public_base_url": "PUBLIC_BASE_URL",
    "twilio_account_sid": "TWILIO_ACCOUNT_SID",
    "twilio_auth_token": "TWILIO_AUTH_TOKEN",
    "twilio_from": "TWILIO_FROM",
    "twilio_messaging_service_sid": "TWILIO_MESSAGING_SERVICE_SID",
    "twilio_api_url": "GLANAGE_TWILIO_API_URL",
    "smtp_url": "SMTP_URL",
    "mail_from": "MAIL_FROM",
    "api_token": "GLANAGE_API_TOKEN",
    "timezone": "GLANAGE_TZ",
    "admin_email": "GLANAGE_ADMIN_EMAIL",
    "admin_password": "GLANAGE_ADMIN_PASSWORD",
    "wave_size": "GLANAGE_WAVE_SIZE",
    "wave_delay_minutes": "GLANAGE_WAVE_DELAY_MINUTES",
    "default_farm_radius_km": "GLANAGE_FARM_RADIUS_KM",
    "stale_minutes": "GLANAGE_STALE_MINUTES",
    "map_tiles_url": "GLANAGE_MAP_TILES_URL",
    "sms_per_second": "GLANAGE_SMS_PER_SECOND",
    "loop_guard_max": "GLANAGE_LOOP_GUARD_MAX",
    "provider_timeout_seconds": "GLANAGE_PROVIDER_TIMEOUT",
    "retry_base_seconds": "GLANAGE_RETRY_BASE_SECONDS",
    "retention_days": "GLANAGE_RETENTION_DAYS",
    "trusted_proxies": "GLANAGE_TRUSTED_PROXIES",
}


def load(environ: Mapping[str, str] | None = None, *, demo: bool = False) -> Settings:
    """Read settings from the environment; demo mode fills in safe local defaults."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for attr, name in _ENV_NAMES.items():
        raw = env.get(name, "").strip()
        if raw:
            values[attr] = _coerce(attr, name, raw)
    settings = replace(Settings(), demo=demo, **values)  # type: ignore[arg-type]
    return _complete(settings)


def _coerce(attr: str, name: str, raw: str) -> object:
    kind = type(getattr(Settings(), attr))
    if kind is str:
        return raw
    try:
        return kind(raw)
    except ValueError as error:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind.__name__}") from error


def _complete(settings: Settings) -> Settings:
    try:
        ZoneInfo(settings.timezone)
    except (KeyError, ValueError) as error:
        raise ConfigError(f"GLANAGE_TZ={settings.timezone!r} is unknown") from error
    settings = replace(settings, twilio_from=_sending_numbers(settings.twilio_from))
    if settings.secret_key:
        return settings
    if settings.demo:
        # A fresh random key per demo run: demo sessions do not survive restarts.
        return replace(settings, secret_key=secrets.token_urlsafe(32))
    raise ConfigError("SECRET_KEY must be set (it signs sessions and claim links)")


# E.164: a plus, a country code that does not start with 0, 7 to 15 digits.
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def _sending_numbers(raw: str) -> str:
    """TWILIO_FROM checked and written canonically ("+1450…,+1514…"): a typo
    in one number of a pool must stop the start, not fail one text in N."""
    numbers = [n.strip() for n in raw.split(",")]
    if raw.strip() and not all(numbers):
        raise ConfigError(f"TWILIO_FROM={raw!r} has an empty item between commas")
    bad = [n for n in numbers if n and not _E164.fullmatch(n)]
    if bad:
        raise ConfigError(
            f"TWILIO_FROM: {', '.join(map(repr, bad))} is not an E.164 number "
            "(+ and 7 to 15 digits, e.g. +14505550199); separate numbers with commas"
        )
    if len(set(numbers)) != len(numbers):
        raise ConfigError("TWILIO_FROM names the same number twice")
    return ",".join(n for n in numbers if n)


def instance_dir() -> Path:
    path = Path(os.environ.get("GLANAGE_INSTANCE", "instance")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
