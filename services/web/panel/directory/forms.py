"""Reading the directory's forms: what was typed, checked one field at a time,
with a message per field in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import request
from flask_babel import gettext as _

from shared import importer


def decimal(raw: str) -> float:
    """ "12,5", "1 000", "-73.4" -> float; ValueError otherwise."""
    text = raw.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    value = float(text.replace(",", "."))
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(raw)
    return value


def shown(value: float | None) -> str:
    """A number as a form shows it back: 500.0 -> "500", 46.0833 -> "46.0833"."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


class Form:
    """What a person typed, read one field at a time; nothing typed is lost.

    `values` go back into the page as they were typed; `errors` hold a
    message per field, already in the reader's language.
    """

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    @classmethod
    def posted(
        cls, names: Iterable[str], lists: Iterable[str] = (), flags: Iterable[str] = ()
    ) -> Form:
        values: dict[str, Any] = {n: request.form.get(n, "").strip() for n in names}
        values.update({n: request.form.getlist(n) for n in lists})
        values.update({n: bool(request.form.get(n)) for n in flags})
        return cls(values)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(self, name: str, required: bool = False, limit: int = 200) -> str:
        value = str(self.values.get(name, ""))
        if required and not value:
            self.error(name, _("Please fill this in."))
        elif len(value) > limit:
            self.error(name, _("At most %(n)s characters, please.", n=limit))
        return value

    def number(
        self,
        name: str,
        required: bool = False,
        low: float = 0.0,
        high: float = 1_000_000.0,
    ) -> float | None:
        raw = str(self.values.get(name, ""))
        if not raw:
            if required:
                self.error(name, _("Please fill this in."))
            return None

        try:
            value = decimal(raw)
        except ValueError:
            self.error(name, _("Write a number, like 25 or 12,5."))
            return None

        if not low <= value <= high:
            self.error(
                name,
                _(
                    "Between %(low)s and %(high)s, please.",
                    low=shown(low),
                    high=shown(high),
                ),
            )
            return None
        return value

    def choice(self, name: str, allowed: Iterable[str], default: str) -> str:
        value = str(self.values.get(name, ""))
        return value if value in allowed else default

    def choices(self, name: str, allowed: Sequence[str]) -> list[str]:
        picked = [v for v in self.values.get(name, []) if v in allowed]
        return sorted(set(picked), key=list(allowed).index)


def coordinates_typed(form: Form) -> bool:
    return bool(form.values.get("lat") or form.values.get("lon"))


def half_typed(form: Form) -> bool:
    """Only one of latitude and longitude was typed: say so beside the other."""
    lat_raw, lon_raw = form.values.get("lat", ""), form.values.get("lon", "")
    if bool(lat_raw) == bool(lon_raw):
        return False
    missing = "lon" if lat_raw else "lat"
    form.error(missing, _("Give both latitude and longitude, or neither."))
    return True


def typed_point(form: Form) -> tuple[float, float] | None:
    """The (lat, lon) typed, if both are numbers and the place is in Quebec."""
    lat = form.number("lat", low=-90, high=90)
    lon = form.number("lon", low=-180, high=180)
    if lat is None or lon is None:
        return None

    lon = -abs(lon)  # west of Greenwich, even when the minus sign was forgotten
    if not importer.in_quebec(lat, lon):
        form.error("lat", _("These coordinates are not in Quebec."))
        return None
    return lat, lon


def read_place(form: Form) -> tuple[str, float, float] | None:
    """The municipality and coordinates; with no coordinates, the town's centre."""
    municipality = form.text("municipality", required=True, limit=120)
    town = importer.find_town(municipality) if municipality else None
    if coordinates_typed(form):
        point = None if half_typed(form) else typed_point(form)
        if point is None or not municipality:
            return None
        return (town.name if town else municipality, *point)

    if municipality and town is None:
        form.error(
            "municipality",
            _(
                "We don't know where %(town)s is: check the spelling, "
                "or give the latitude and longitude.",
                town=municipality,
            ),
        )
    return (town.name, town.lat, town.lon) if town else None
