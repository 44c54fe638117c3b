"""Importing organizations and farms from a spreadsheet (CSV, UTF-8).

Good rows are kept, bad rows are reported with their line number and why,
so a coordinator fixes only those. Coordinates are optional: a known
Lanaudière municipality stands in for them.

The separator is a comma, or a semicolon (French Excel's "CSV" saves with
semicolons); the header row names the columns, in any order, in any case.

Farms come one row per parcel: rows with the same farm_name and municipality
make one farm. A farm that is already in the database (same name and
municipality) gets the file's new parcels and contacts; its own details stay
as they are (the panel edits them).

Every reason a row is refused is an English message id with its values
(`RowError.msgid`, `RowError.params`): the command line prints the English,
the panel shows it translated.
"""

from __future__ import annotations

import csv
import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import IO, Any

import numpy as np
import shapely
from shapely.errors import ShapelyError
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shared import phones, privacy
from shared.crops import CATEGORIES
from shared.models import Contact, Farm, Organization, Parcel, utcnow
from shared.seed import Town, towns

COLUMNS = (
    "name", "kind", "municipality", "address", "lat", "lon", "service_radius_km",
    "weekly_capacity_kg", "cold_storage", "transport", "categories", "priority",
    "language", "channels", "contact_name", "phone", "email",
)  # fmt: skip
REQUIRED = ("name", "municipality")

FARM_COLUMNS = (
    "farm_name", "municipality", "address", "lat", "lon", "radius_km", "language",
    "contact_name", "phone", "email", "parcel_code", "parcel_name", "parcel_lat",
    "parcel_lon", "parcel_rules",
)  # fmt: skip
FARM_REQUIRED = ("farm_name", "municipality")

# What each kind of file holds: (every column read, the columns it must have).
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "organizations": (COLUMNS, REQUIRED),
    "farms": (FARM_COLUMNS, FARM_REQUIRED),
}

TRUE = {"1", "oui", "yes", "true", "vrai", "o", "y", "x"}

# The longest text each column takes (the database's column sizes).
MAX_LENGTH = {
    "name": 200, "farm_name": 200, "kind": 60, "municipality": 120,
    "address": 300, "contact_name": 200, "email": 254, "parcel_name": 120,
}  # fmt: skip

# Where a place in Quebec can be: latitude and longitude bounds.
QUEBEC_LAT = (44.0, 63.0)
QUEBEC_LON = (-80.0, -57.0)
# Smaller than this (square degrees, some 10 m²) an outline is a line, not a field.
MIN_AREA = 1e-9


def N_(msgid: str) -> str:
    """Mark a message for the catalog; it is translated where it is shown."""
    return msgid


class RowError(ValueError):
    """Why a row (or the whole file) was refused.

    `msgid` is English with %(name)s placeholders, `params` their values;
    str() is the English text.
    """

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid % params if params else msgid)


@dataclass
class Outcome:
    """What became of one row: added (error is None) or refused, and why."""

    line: int
    label: str
    error: RowError | None = None


@dataclass
class Report:
    added: int = 0
    errors: list[tuple[int, RowError]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    # What the import created, by kind ("farm", "parcel", ...): the new ids.
    created: dict[str, list[int]] = field(default_factory=dict)

    def counts(self) -> Counter[str]:
        return Counter({kind: len(ids) for kind, ids in self.created.items()})

    def _ok(self, line: int, label: str) -> None:
        self.added += 1
        self.outcomes.append(Outcome(line, label))

    def _refused(self, line: int, label: str, error: RowError) -> None:
        self.errors.append((line, error))
        self.outcomes.append(Outcome(line, label, error))

    def _made(self, kind: str, entity_id: int) -> None:
        self.created.setdefault(kind, []).append(entity_id)


# ---- Reading the file -------------------------------------------------------


def _column_name(raw: str) -> str:
    return re.sub(r"[\s\-]+", "_", raw.strip().strip("\ufeff").lower())


def _delimiter(header_line: str) -> str:
    if "," in header_line:
        return ","
    if ";" in header_line:
        return ";"
    return "\t" if "\t" in header_line else ","


@dataclass
class Sheet:
    """A file's rows, numbered as a spreadsheet numbers them (header = line 1)."""

    numbered: list[tuple[int, dict[str, str]]]
    ignored: list[str]  # columns in the file that this kind of import does not read


def read(stream: IO[str] | Iterable[str], kind: str = "organizations") -> Sheet:
    """Every row of the file, keeping only the columns of `kind`.

    Rows with every cell empty are skipped. Raises RowError when the file
    cannot be read as such a table (empty, missing columns, broken quoting).
    """
    columns, required = KINDS[kind]
    lines = iter(stream)
    skipped = 0
    for first in lines:
        if first.strip():
            break
        skipped += 1
    else:
        raise RowError(N_("the file is empty"))
    reader = csv.reader(chain([first], lines), delimiter=_delimiter(first), strict=True)
    numbered = []
    try:
        header = [_column_name(name) for name in next(reader)]
        missing = [c for c in required if c not in header]
        if missing:
            raise RowError(
                N_("missing column(s): %(columns)s (this file has: %(found)s)"),
                columns=", ".join(missing),
                found=", ".join(h for h in header if h) or "—",
            )
        wanted = [(i, name) for i, name in enumerate(header) if name in columns]
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            row = {
                name: (cells[i] if i < len(cells) else "").strip() for i, name in wanted
            }
            numbered.append((reader.line_num + skipped, row))
    except csv.Error as error:
        raise RowError(
            N_("line %(line)s cannot be read as CSV: %(problem)s"),
            line=reader.line_num + skipped,
            problem=str(error),
        ) from error
    ignored = [h for h in dict.fromkeys(header) if h and h not in columns]
    return Sheet(numbered, ignored)


def rows(
    stream: IO[str] | Iterable[str], kind: str = "organizations"
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of `read`; line numbers count the header as 1."""
    yield from read(stream, kind).numbered


# ---- Values in cells --------------------------------------------------------


def fold(text: str) -> str:
    """Lowercase, no accents, one space: for comparing names people type."""
    bare = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in bare if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def _town_key(name: str) -> str:
    words = fold(name).split()
    long_forms = {"st": "saint", "ste": "sainte"}
    return " ".join(long_forms.get(w, w) for w in words)


def find_town(name: str, places: dict[str, Town] | None = None) -> Town | None:
    """A Lanaudière municipality by name, however it is spelled.

    "Saint-Jacques", "saint jacques", "St-Jacques" and "ST JACQUES" all find
    the same town; "L'Epiphanie" finds "L'Épiphanie".
    """
    places = towns() if places is None else places
    if name in places:
        return places[name]
    key = _town_key(name)
    return next((t for t in places.values() if _town_key(t.name) == key), None)


def _text(row: dict[str, str], name: str) -> str:
    value = row.get(name, "")
    limit = MAX_LENGTH.get(name)
    if limit and len(value) > limit:
        raise RowError(
            N_("%(column)s is too long (at most %(max)s characters)"),
            column=name,
            max=limit,
        )
    return value


def _number(row: dict[str, str], name: str, default: float) -> float:
    raw = row.get(name, "").replace(",", ".").replace(" ", "").replace("\u00a0", "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as error:
        raise RowError(
            N_("%(column)s is not a number: %(value)s"),
            column=name,
            value=repr(row[name]),
        ) from error
    if value != value or value in (float("inf"), float("-inf")):
        raise RowError(
            N_("%(column)s is not a number: %(value)s"),
            column=name,
            value=repr(row[name]),
        )
    if value < 0 and name not in ("lon", "parcel_lon"):
        raise RowError(N_("%(column)s cannot be negative"), column=name)
    return value


def in_quebec(lat: float, lon: float) -> bool:
    return (
        QUEBEC_LAT[0] <= lat <= QUEBEC_LAT[1] and QUEBEC_LON[0] <= lon <= QUEBEC_LON[1]
    )


def _point(row: dict[str, str], lat_name: str, lon_name: str) -> tuple[float, float]:
    """Coordinates from two columns; west is negative even when written 73.4."""
    lat, lon = _number(row, lat_name, 0), -abs(_number(row, lon_name, 0))
    if not in_quebec(lat, lon):
        raise RowError(
            N_("%(lat)s/%(lon)s are not in Quebec"), lat=lat_name, lon=lon_name
        )
    return lat, lon


def _where(row: dict[str, str], places: dict[str, Town]) -> tuple[float, float, str]:
    """Latitude, longitude and the municipality's name as it is written officially."""
    town = find_town(row["municipality"], places)
    name = town.name if town else row["municipality"]
    if row.get("lat") or row.get("lon"):
        if not (row.get("lat") and row.get("lon")):
            raise RowError(N_("give both lat and lon, or neither"))
        lat, lon = _point(row, "lat", "lon")
        return lat, lon, name
    if town is None:
        raise RowError(
            N_("unknown municipality %(value)s: give lat and lon"),
            value=repr(row["municipality"]),
        )
    return town.lat, town.lon, name


def _list(raw: str, allowed: Iterable[str], unknown_msgid: str) -> list[str]:
    values = [v.strip().lower() for v in raw.replace(";", ",").split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise RowError(unknown_msgid, values=", ".join(unknown))
    return list(dict.fromkeys(values))


def language(raw: str) -> str | None:
    """'fr' or 'en' from what a person writes ("Français", "anglais", "EN")."""
    word = fold(raw)
    if not word or word.startswith("fr"):
        return "fr"
    if word.startswith(("en", "an")):
        return "en"
    return None


def _language(row: dict[str, str]) -> str:
    found = language(row.get("language", ""))
    if found is None:
        raise RowError(
            N_("language is %(value)s: write fr or en"), value=repr(row["language"])
        )
    return found


def _phone(row: dict[str, str]) -> str | None:
    if not row.get("phone"):
        return None
    phone = phones.normalize(row["phone"])
    if phone is None:
        raise RowError(
            N_("phone is not a valid number: %(value)s"), value=repr(row["phone"])
        )
    return phone


def valid_email(email: str) -> bool:
    local, _at, domain = email.partition("@")
    return bool(local) and "." in domain.strip(".") and " " not in email


def _email(row: dict[str, str]) -> str | None:
    email = _text(row, "email") or None
    if email and not valid_email(email):
        raise RowError(N_("email is not valid: %(value)s"), value=repr(email))
    return email


def _required(row: dict[str, str], columns: Iterable[str]) -> None:
    for column in columns:
        if not row.get(column):
            raise RowError(N_("%(column)s is empty"), column=column)


# ---- Organizations ----------------------------------------------------------


def import_rows(
    session: Session, numbered: Iterable[tuple[int, dict[str, str]]]
) -> Report:
    """Add one organization (and its contact) per row."""
    report = Report()
    known_phones = set(session.scalars(select(Contact.phone)).all())
    places = towns()
    for line, row in numbered:
        label = " · ".join(v for v in (row.get("name"), row.get("municipality")) if v)
        try:
            with session.begin_nested():
                org = _organization(row, places, known_phones)
                session.add(org)
        except RowError as error:
            report._refused(line, label, error)
            continue
        if org.contacts and org.contacts[0].phone:
            known_phones.add(org.contacts[0].phone)
        report._ok(line, label)
        report._made("organization", org.id)
        for contact in org.contacts:
            report._made("contact", contact.id)
    return report


def _organization(
    row: dict[str, str], places: dict[str, Town], known_phones: set[str | None]
) -> Organization:
    _required(row, REQUIRED)
    lat, lon, municipality = _where(row, places)
    phone = _phone(row)
    if phone and phone in known_phones:
        raise RowError(
            N_("phone %(phone)s already belongs to a contact"),
            phone=phones.mask(phone),
        )
    email = _email(row)
    channels = _list(
        row.get("channels", ""), ("sms", "email"), N_("unknown channel: %(values)s")
    ) or (["sms"] if phone else ["email"])
    org = Organization(
        name=_text(row, "name"),
        kind=_text(row, "kind"),
        municipality=municipality,
        address=_text(row, "address"),
        lat=lat,
        lon=lon,
        service_radius_km=_number(row, "service_radius_km", 25),
        weekly_capacity_kg=_number(row, "weekly_capacity_kg", 500),
        cold_storage=row.get("cold_storage", "").lower() in TRUE,
        transport=row.get("transport", "").lower() in TRUE,
        categories=_list(
            row.get("categories", ""), CATEGORIES, N_("unknown category: %(values)s")
        ),
        priority=row.get("priority", "").lower() in TRUE,
        language=_language(row),
        channels=channels,
    )
    if phone or email:
        org.contacts.append(
            Contact(
                name=_text(row, "contact_name") or org.name,
                phone=phone,
                email=email,
                language=org.language,
                consent_at=utcnow(),
                consent_source="import",
                consent_text=privacy.CONSENT_SPOKEN,
            )
        )
    return org


# ---- Parcels: codes and shapes ----------------------------------------------

_CODE = re.compile(r"(?:p|parcelle|parcel|champ|#)?\s*(?:no\.?\s*)?0*(\d{1,4})", re.I)


def parcel_code(raw: str) -> str | None:
    """ "P3", "p3", "3", "parcelle 3" -> "P3"; None when it is not a number."""
    found = _CODE.fullmatch(raw.strip())
    return f"P{int(found.group(1))}" if found and int(found.group(1)) > 0 else None


def next_parcel_code(codes: Iterable[str]) -> str:
    """P<n+1>, n the highest number in use (a gap in the numbers is not filled)."""
    numbers = [int(c[1:]) for c in codes if c[:1] == "P" and c[1:].isdigit()]
    return f"P{max(numbers, default=0) + 1}"


class ShapeError(ValueError):
    """Why a parcel outline was not understood: a message id, like RowError."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid % params if params else msgid)


_PAIR_SPLIT = re.compile(r"[;\n]+")
_NUMBER_SPLIT = re.compile(r"[,\s]+")


def _pairs(text: str) -> list[tuple[float, float]]:
    """ "lat,lon; lat,lon; ..." (or one pair a line) as (lat, lon) tuples."""
    chunks = [c.strip() for c in _PAIR_SPLIT.split(text) if c.strip()]
    if len(chunks) == 1:
        # "46.05 -73.41, 46.05 -73.40, ...": one list of numbers, read two by two.
        numbers = [n for n in _NUMBER_SPLIT.split(chunks[0]) if n]
        if len(numbers) >= 6 and len(numbers) % 2 == 0:
            chunks = [" ".join(numbers[i : i + 2]) for i in range(0, len(numbers), 2)]
    pairs = []
    for chunk in chunks:
        numbers = [n for n in _NUMBER_SPLIT.split(chunk) if n]
        try:
            lat, lon = (float(n) for n in numbers)
        except ValueError as error:
            raise ShapeError(
                N_(
                    "We could not read %(chunk)s as a corner: write each one as "
                    "latitude,longitude and separate them with ;"
                ),
                chunk=repr(chunk),
            ) from error
        pairs.append((lat, lon))
    return pairs


def parse_outline(text: str) -> BaseGeometry:
    """A parcel's outline from WKT or "lat,lon; lat,lon; ..." pairs.

    Gives a valid POLYGON (or a POINT) in longitude/latitude order, the way
    WKT writes them. Coordinates given the other way round, or a longitude
    written without its minus sign, are put right; anything else is refused
    with a ShapeError that says what to fix.
    """
    text = text.strip()
    if re.match(r"^[A-Za-z]", text):
        try:
            geometry = shapely.from_wkt(text)
        except ShapelyError as error:
            raise ShapeError(
                N_(
                    "We could not read this WKT: it should look like "
                    "POLYGON ((-73.41 46.05, -73.40 46.05, -73.40 46.06, -73.41 46.05))"
                )
            ) from error
        if geometry.geom_type == "MultiPolygon" and len(geometry.geoms) == 1:
            geometry = geometry.geoms[0]
        if geometry.is_empty:
            raise ShapeError(N_("This outline has no corners."))
        if geometry.geom_type not in ("Polygon", "Point"):
            raise ShapeError(N_("Give one outline (a POLYGON) or one POINT."))
    else:
        pairs = _pairs(text)
        if len(set(pairs)) < 3:
            raise ShapeError(
                N_("An outline needs at least 3 corners: latitude,longitude; ...")
            )
        geometry = Polygon([(lon, lat) for lat, lon in pairs])
    geometry = _in_quebec(geometry)
    if isinstance(geometry, Polygon):
        if not geometry.is_valid:
            raise ShapeError(
                N_(
                    "The outline crosses itself: list the corners in order, "
                    "going around the parcel."
                )
            )
        if geometry.area < MIN_AREA:
            raise ShapeError(N_("The corners are all on one line: this is no field."))
    return geometry


def _in_quebec(geometry: BaseGeometry) -> BaseGeometry:
    """The geometry as longitude/latitude with west negative, or a ShapeError.

    People paste corners as latitude,longitude and WKT as longitude latitude,
    and often drop the minus sign of the longitude: whichever reading lands
    in Quebec is the one they meant.
    """
    for flip in (False, True):

        def fix(coords: np.ndarray, flip: bool = flip) -> np.ndarray:
            lon_lat = coords[:, ::-1].copy() if flip else coords.copy()
            lon_lat[:, 0] = -np.abs(lon_lat[:, 0])
            return lon_lat

        candidate = shapely.transform(geometry, fix)
        lon_min, lat_min, lon_max, lat_max = candidate.bounds
        if in_quebec(lat_min, lon_min) and in_quebec(lat_max, lon_max):
            return candidate
    raise ShapeError(
        N_("These coordinates are not in Quebec: check the latitudes and longitudes.")
    )


def parcel_shape(geometry: BaseGeometry) -> tuple[str, float, float]:
    """WKT to store, and the centroid's latitude and longitude."""
    centre = geometry.centroid
    wkt = shapely.to_wkt(geometry, rounding_precision=7, trim=True)
    return wkt, round(centre.y, 6), round(centre.x, 6)


def outline_as_pairs(wkt: str) -> str:
    """A stored POLYGON as "lat,lon; lat,lon; ..." for a person to edit."""
    geometry = shapely.from_wkt(wkt)
    if not isinstance(geometry, Polygon):
        return ""
    corners = list(geometry.exterior.coords)[:-1]
    return "; ".join(f"{_short(lat)},{_short(lon)}" for lon, lat in corners)


def _short(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


# ---- Farms ------------------------------------------------------------------

FARM_DETAILS = ("address", "lat", "lon", "radius_km", "language")
PARCEL_COLUMNS = (
    "parcel_code",
    "parcel_name",
    "parcel_lat",
    "parcel_lon",
    "parcel_rules",
)


@dataclass
class _FarmState:
    farm: Farm
    line: int | None  # the row that created it; None when it was already there
    details: dict[str, Any]
    codes: set[str]
    phones: set[str]
    emails: set[str]
    names: set[str]


@dataclass
class _Plan:
    """What one row adds, checked before anything is written."""

    state: _FarmState | None
    new_farm: Farm | None
    contact: Contact | None
    parcel: Parcel | None


def import_farms(
    session: Session,
    numbered: Iterable[tuple[int, dict[str, str]]],
    make_token: Callable[[], str] | None = None,
) -> Report:
    """Add farms, their contacts and one parcel per row (see the module's notes).

    `make_token` makes each new farm's form link token (secrets by default).
    """
    token = make_token or (lambda: secrets.token_urlsafe(16))
    report = Report()
    places = towns()
    farms = _known_farms(session)
    owners: dict[str, int | None] = {}
    for phone, farm_id in session.execute(
        select(Contact.phone, Contact.farm_id).where(Contact.phone.is_not(None))
    ):
        if phone:
            owners[phone] = farm_id
    for line, row in numbered:
        label = " · ".join(
            v
            for v in (
                row.get("farm_name"),
                row.get("parcel_code") or row.get("parcel_name"),
            )
            if v
        )
        try:
            plan = _plan(row, line, farms, places, owners)
            with session.begin_nested():
                if plan.new_farm is not None:
                    plan.new_farm.form_token = token()
                    session.add(plan.new_farm)
                    farm = plan.new_farm
                else:
                    assert plan.state is not None
                    farm = plan.state.farm
                if plan.contact is not None:
                    farm.contacts.append(plan.contact)
                if plan.parcel is not None:
                    farm.parcels.append(plan.parcel)
        except RowError as error:
            report._refused(line, label, error)
            continue
        state = plan.state or _remember(farms, farm, line, row, places)
        if plan.new_farm is not None:
            report._made("farm", farm.id)
        if plan.contact is not None:
            contact = plan.contact
            report._made("contact", contact.id)
            if contact.phone:
                owners[contact.phone] = farm.id
                state.phones.add(contact.phone)
            if contact.email:
                state.emails.add(contact.email.lower())
            state.names.add(fold(contact.name))
        if plan.parcel is not None:
            report._made("parcel", plan.parcel.id)
            state.codes.add(plan.parcel.code)
            label = f"{farm.name} · {plan.parcel.code}"
        report._ok(line, label or farm.name)
    return report


def _farm_key(name: str, municipality: str) -> tuple[str, str]:
    return fold(name), _town_key(municipality)


def _known_farms(session: Session) -> dict[tuple[str, str], _FarmState]:
    known = {}
    everything = select(Farm).options(
        selectinload(Farm.parcels), selectinload(Farm.contacts)
    )
    for farm in session.scalars(everything).all():
        known[_farm_key(farm.name, farm.municipality)] = _FarmState(
            farm=farm,
            line=None,
            details={},
            codes={p.code for p in farm.parcels},
            phones={c.phone for c in farm.contacts if c.phone},
            emails={c.email.lower() for c in farm.contacts if c.email},
            names={fold(c.name) for c in farm.contacts},
        )
    return known


def _remember(
    farms: dict[tuple[str, str], _FarmState],
    farm: Farm,
    line: int,
    row: dict[str, str],
    places: dict[str, Town],
) -> _FarmState:
    state = _FarmState(
        farm=farm,
        line=line,
        details=_details(row),
        codes=set(),
        phones=set(),
        emails=set(),
        names=set(),
    )
    farms[_farm_key(row["farm_name"], farm.municipality)] = state
    return state


def _details(row: dict[str, str]) -> dict[str, Any]:
    """The farm's own details a row gives, as values (to compare rows)."""
    values: dict[str, Any] = {}
    for column in FARM_DETAILS:
        if not row.get(column):
            continue
        if column in ("lat", "radius_km"):
            values[column] = _number(row, column, 0)
        elif column == "lon":
            values[column] = -abs(_number(row, column, 0))
        elif column == "language":
            values[column] = _language(row)
        else:
            values[column] = fold(row[column])
    return values


def _plan(
    row: dict[str, str],
    line: int,
    farms: dict[tuple[str, str], _FarmState],
    places: dict[str, Town],
    owners: dict[str, int | None],
) -> _Plan:
    _required(row, FARM_REQUIRED)
    _text(row, "farm_name")
    _text(row, "municipality")
    town = find_town(row["municipality"], places)
    state = farms.get(
        _farm_key(row["farm_name"], town.name if town else row["municipality"])
    )
    new_farm = None
    if state is None:
        new_farm = _new_farm(row, places)
        farm_id = None
    else:
        farm_id = state.farm.id
        if state.line is not None:
            differ = [
                column
                for column, value in _details(row).items()
                if column in state.details and state.details[column] != value
            ]
            if differ:
                raise RowError(
                    N_("the farm's %(columns)s differ from line %(line)s"),
                    columns=", ".join(differ),
                    line=state.line,
                )
    contact = _farm_contact(row, state, farm_id, owners)
    parcel = _parcel(row, state, new_farm)
    return _Plan(state, new_farm, contact, parcel)


def _new_farm(row: dict[str, str], places: dict[str, Town]) -> Farm:
    lat, lon, municipality = _where(row, places)
    radius = _number(row, "radius_km", 0) or None
    return Farm(
        name=row["farm_name"],
        municipality=municipality,
        address=_text(row, "address"),
        lat=lat,
        lon=lon,
        radius_km=radius,
        language=_language(row),
    )


def _farm_contact(
    row: dict[str, str],
    state: _FarmState | None,
    farm_id: int | None,
    owners: dict[str, int | None],
) -> Contact | None:
    phone = _phone(row)
    email = _email(row)
    name = _text(row, "contact_name")
    if phone and phone in owners and (farm_id is None or owners[phone] != farm_id):
        raise RowError(
            N_("phone %(phone)s already belongs to a contact"),
            phone=phones.mask(phone),
        )
    if state is not None:
        if (phone and phone in state.phones) or (
            not phone and email and email.lower() in state.emails
        ):
            return None  # the same person, on the farm's next parcel
        if not phone and not email and fold(name) in state.names:
            return None
    if not phone and not email:
        if name:
            raise RowError(N_("contact_name needs a phone or an email"))
        return None
    language = language_of(row, state)
    return Contact(
        name=name or row["farm_name"],
        phone=phone,
        email=email,
        language=language,
        consent_at=utcnow(),
        consent_source="import",
        consent_text=privacy.CONSENT_SPOKEN,
    )


def language_of(row: dict[str, str], state: _FarmState | None) -> str:
    if row.get("language"):
        return _language(row)
    return state.farm.language if state is not None else "fr"


def _parcel(
    row: dict[str, str], state: _FarmState | None, new_farm: Farm | None
) -> Parcel | None:
    if not any(row.get(column) for column in PARCEL_COLUMNS):
        return None
    codes = state.codes if state is not None else set()
    farm = state.farm if state is not None else new_farm
    assert farm is not None
    if row.get("parcel_code"):
        code = parcel_code(row["parcel_code"])
        if code is None:
            raise RowError(
                N_("parcel_code must look like P3: %(value)s"),
                value=repr(row["parcel_code"]),
            )
        if code in codes:
            raise RowError(
                N_("%(farm)s already has a parcel %(code)s"), farm=farm.name, code=code
            )
    else:
        code = next_parcel_code(codes)
    if row.get("parcel_lat") or row.get("parcel_lon"):
        if not (row.get("parcel_lat") and row.get("parcel_lon")):
            raise RowError(N_("give both parcel_lat and parcel_lon, or neither"))
        lat, lon = _point(row, "parcel_lat", "parcel_lon")
    else:
        lat, lon = farm.lat, farm.lon  # no coordinates: the parcel is at the farm
    wkt, lat, lon = parcel_shape(Point(lon, lat))
    return Parcel(
        code=code,
        name=_text(row, "parcel_name"),
        geometry_wkt=wkt,
        lat=lat,
        lon=lon,
        rules=row.get("parcel_rules", ""),
    )
