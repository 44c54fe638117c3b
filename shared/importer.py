"""Importing organizations from a spreadsheet (CSV, UTF-8, comma-separated).

Good rows are kept, bad rows are reported with their line number and why,
so a coordinator fixes only those. Coordinates are optional: a known
Lanaudière municipality stands in for them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import phones
from shared.crops import CATEGORIES
from shared.models import Contact, Organization, utcnow
from shared.seed import Town, towns

COLUMNS = (
    "name", "kind", "municipality", "address", "lat", "lon", "service_radius_km",
    "weekly_capacity_kg", "cold_storage", "transport", "categories", "priority",
    "language", "channels", "contact_name", "phone", "email",
)  # fmt: skip
REQUIRED = ("name", "municipality")
TRUE = {"1", "oui", "yes", "true", "vrai", "o", "y", "x"}


class RowError(ValueError):
    pass


@dataclass
class Report:
    added: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def rows(stream: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; line numbers count the header as line 1."""
    reader = csv.DictReader(stream)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise RowError(f"missing column(s): {', '.join(missing)}")
    for row in reader:
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def import_rows(
    session: Session, numbered: Iterable[tuple[int, dict[str, str]]]
) -> Report:
    report = Report()
    known_phones = set(session.scalars(select(Contact.phone)).all())
    places = towns()
    for line, row in numbered:
        try:
            with session.begin_nested():
                org = _organization(row, places, known_phones)
                session.add(org)
            report.added += 1
        except RowError as error:
            report.errors.append((line, str(error)))
    return report


def _number(row: dict[str, str], name: str, default: float) -> float:
    raw = row.get(name, "").replace(",", ".").replace(" ", "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as error:
        raise RowError(f"{name} is not a number: {row[name]!r}") from error
    if value < 0:
        raise RowError(f"{name} cannot be negative")
    return value


def _where(row: dict[str, str], places: dict[str, Town]) -> tuple[float, float]:
    if row.get("lat") and row.get("lon"):
        lat, lon = _number(row, "lat", 0), -abs(_number(row, "lon", 0))
        if not (44 <= lat <= 63 and -80 <= lon <= -57):
            raise RowError("lat/lon are not in Quebec")
        return lat, lon
    town = places.get(row["municipality"])
    if town is None:
        raise RowError(
            f"unknown municipality {row['municipality']!r}: give lat and lon"
        )
    return town.lat, town.lon


def _list(raw: str, allowed: Iterable[str], name: str) -> list[str]:
    values = [v.strip().lower() for v in raw.replace(";", ",").split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise RowError(f"unknown {name}: {', '.join(unknown)}")
    return values


def _organization(
    row: dict[str, str], places: dict[str, Town], known_phones: set[str | None]
) -> Organization:
    for column in REQUIRED:
        if not row.get(column):
            raise RowError(f"{column} is empty")
    lat, lon = _where(row, places)
    phone = None
    if row.get("phone"):
        phone = phones.normalize(row["phone"])
        if phone is None:
            raise RowError(f"phone is not a valid number: {row['phone']!r}")
        if phone in known_phones:
            raise RowError(f"phone {phones.mask(phone)} already belongs to a contact")
        known_phones.add(phone)
    email = row.get("email") or None
    if email and "@" not in email:
        raise RowError(f"email is not valid: {email!r}")
    channels = _list(row.get("channels", ""), ("sms", "email"), "channel") or (
        ["sms"] if phone else ["email"]
    )
    language = (row.get("language") or "fr").lower()[:2]
    org = Organization(
        name=row["name"],
        kind=row.get("kind", ""),
        municipality=row["municipality"],
        address=row.get("address", ""),
        lat=lat,
        lon=lon,
        service_radius_km=_number(row, "service_radius_km", 25),
        weekly_capacity_kg=_number(row, "weekly_capacity_kg", 500),
        cold_storage=row.get("cold_storage", "").lower() in TRUE,
        transport=row.get("transport", "").lower() in TRUE,
        categories=_list(row.get("categories", ""), CATEGORIES, "category"),
        priority=row.get("priority", "").lower() in TRUE,
        language=language if language in ("fr", "en") else "fr",
        channels=channels,
    )
    if phone or email:
        org.contacts.append(
            Contact(
                name=row.get("contact_name") or row["name"],
                phone=phone,
                email=email,
                language=org.language,
                consent_at=utcnow(),
                consent_source="import",
            )
        )
    return org
