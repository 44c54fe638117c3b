"""The JSON API, /api/v1: bearer token, lists as {"items": [...]}.

Field names here are a contract (DESIGN §5): other programs read them.
The OpenAPI document (services/web/openapi.py) describes exactly these shapes.
"""

from __future__ import annotations

import hmac
import math
import re
from datetime import date, datetime
from typing import Any

from flask import Blueprint, jsonify, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from services.web import openapi
from services.web.context import db, now, runtime
from shared import crops
from shared.grammar import MAX_KG, parse
from shared.models import (
    Contact,
    Farm,
    Match,
    Message,
    Organization,
    Surplus,
)
from shared.phones import normalize
from shared.reasons import Reason
from shared.surpluses import Announcement, announce

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Ids are INTEGER columns: PostgreSQL refuses to compare one with a bigger
# number, and SQLite cannot bind one over 2**63; both fail instead of missing.
MAX_ID = 2**31 - 1


class _Anything(BaseConverter):
    """Any rest of the path, slashes and newlines included (``path`` stops at a
    newline): whatever id a client sends gets this API's JSON 404, not Flask's
    HTML page."""

    part_isolating = False
    regex = "(?s:.*)"
    weight = 200


@bp.record_once
def _register_converter(state: BlueprintSetupState) -> None:
    # Recorded before the routes below, so their rules can use it.
    state.app.url_map.converters.setdefault("anything", _Anything)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> ResponseReturnValue:
    return jsonify(error=error.code, message=error.message), error.status


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    return jsonify(
        error=error.name.lower().replace(" ", "_"), message=error.description
    ), (error.code or 500)


@bp.before_request
def _authenticate() -> None:
    if request.endpoint == "api.openapi_document":
        return
    expected = runtime().settings.api_token
    if not expected:
        raise ApiError(403, "api_disabled", "Set GLANAGE_API_TOKEN to enable the API.")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "A valid bearer token is required.")


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _lang() -> str:
    return request.accept_languages.best_match(("fr", "en"), default="fr") or "fr"


def farm_json(farm: Farm) -> dict[str, Any]:
    return {
        "id": farm.id,
        "name": farm.name,
        "phone": farm.phone,
        "municipality": farm.municipality,
        "lat": farm.lat,
        "lon": farm.lon,
        "parcels": [
            {
                "code": p.code,
                "name": p.name,
                "lat": p.lat,
                "lon": p.lon,
                "rules": p.rules,
            }
            for p in farm.parcels
        ],
    }


def organization_json(org: Organization) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "phone": org.phone,
        "email": org.email,
        "kind": org.kind,
        "municipality": org.municipality,
        "lat": org.lat,
        "lon": org.lon,
        "service_radius_km": org.service_radius_km,
        "weekly_capacity_kg": org.weekly_capacity_kg,
        "cold_storage": org.cold_storage,
        "categories": org.categories,
        "priority": org.priority,
        "active": org.active,
    }


def _reasons(match: Match, lang: str) -> list[str]:
    return [Reason(r["code"], r.get("params", {})).text(lang) for r in match.reasons]


def surplus_json(surplus: Surplus, lang: str = "fr") -> dict[str, Any]:
    return {
        "id": surplus.id,
        "code": surplus.code,
        "status": surplus.status,
        "farm_id": surplus.farm_id,
        "parcel": surplus.parcel.code if surplus.parcel else None,
        "crop": surplus.crop,
        "quantity": surplus.quantity,
        "unit": surplus.unit,
        "quantity_kg": surplus.quantity_kg,
        "remaining_kg": surplus.remaining_kg,
        "available_until": _iso(surplus.available_until),
        "kind": surplus.kind,
        "wave": surplus.wave,
        "created_at": _iso(surplus.created_at),
        "matches": [
            {
                "organization_id": m.organization_id,
                "rank": m.rank,
                "distance_km": m.distance_km,
                "score": m.score,
                "reasons": _reasons(m, lang),
                "wave": m.wave,
            }
            for m in surplus.matches
            if not m.excluded
        ],
        "excluded": [
            {
                "organization_id": m.organization_id,
                "distance_km": m.distance_km,
                "reasons": _reasons(m, lang),
            }
            for m in surplus.matches
            if m.excluded
        ],
        "offers": [
            {
                "organization_id": o.organization_id,
                "channel": o.channel,
                "status": o.status,
                "wave": o.wave,
            }
            for o in surplus.offers
        ],
        "claims": [
            {
                "organization_id": c.organization_id,
                "quantity_kg": c.quantity_kg,
                "status": c.status,
                "via": c.via,
                "pickup_at": _iso(c.pickup_at),
            }
            for c in surplus.claims
        ],
    }


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "direction": message.direction,
        "channel": message.channel,
        "to": message.to_addr,
        "from": message.from_addr,
        "subject": message.subject,
        "body": message.body,
        "status": message.status,
        "segments": message.segments,
        "surplus_id": message.surplus_id,
        "created_at": _iso(message.created_at),
    }


@bp.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    return jsonify(openapi.document(runtime().settings.public_base_url))


@bp.get("/farms")
def farms() -> ResponseReturnValue:
    rows = db().scalars(
        select(Farm).order_by(Farm.id).options(selectinload(Farm.parcels))
    )
    return jsonify(items=[farm_json(f) for f in rows])


@bp.get("/organizations")
def organizations() -> ResponseReturnValue:
    rows = db().scalars(
        select(Organization)
        .order_by(Organization.id)
        .options(selectinload(Organization.contacts))
    )
    return jsonify(items=[organization_json(o) for o in rows])


def _surplus_query() -> Select[Surplus]:
    return select(Surplus).options(
        selectinload(Surplus.matches),
        selectinload(Surplus.offers),
        selectinload(Surplus.claims),
    )


@bp.get("/surpluses")
def surpluses() -> ResponseReturnValue:
    query = _surplus_query().order_by(Surplus.id.desc()).limit(200)
    if status := request.args.get("status"):
        if not _storable(status):
            return jsonify(items=[])
        query = query.where(Surplus.status == status)
    return jsonify(items=[surplus_json(s, _lang()) for s in db().scalars(query)])


@bp.get("/surpluses/<anything:surplus_id>")
def surplus(surplus_id: str) -> ResponseReturnValue:
    digits = re.fullmatch(r"[0-9]{1,12}", surplus_id)
    number = _database_id(int(surplus_id) if digits else None)
    found = (
        db().scalar(_surplus_query().where(Surplus.id == number))
        if number is not None
        else None
    )
    if found is None:
        raise ApiError(404, "not_found", f"No surplus {surplus_id[:40]}.")
    return jsonify(surplus_json(found, _lang()))


def _database_id(value: object) -> int | None:
    """An id the database can hold (1 to MAX_ID), or None: never bool."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ID else None


@bp.post("/surpluses")
def create_surplus() -> ResponseReturnValue:
    data = _json_body()
    farm_id = _database_id(data.get("farm_id"))
    farm = db().get(Farm, farm_id) if farm_id is not None else None
    if farm is None:
        raise ApiError(422, "invalid_farm", "farm_id must name an existing farm.")
    announcement = _announcement(farm, data)
    created = announce(db(), farm, announcement, source="api")
    db().commit()
    return jsonify(surplus_json(created, _lang())), 201


def _announcement(farm: Farm, data: dict[str, Any]) -> Announcement:
    code = _string(data, "parcel", "parcel must be one of the farm's codes.")
    parcel = next((p for p in farm.parcels if p.code == code.upper()), None)
    if parcel is None:
        raise ApiError(422, "invalid_parcel", "parcel must be one of the farm's codes.")
    crop = crops.find_crop(_string(data, "crop", "crop is not a known crop."))
    if crop is None:
        raise ApiError(422, "invalid_crop", "crop is not a known crop.")
    quantity = _quantity(data.get("quantity"))
    unit = _string(data, "unit", "unit must be a string, like kg.", default="kg")
    kg = crops.to_kg(quantity, unit, crop)
    if kg is None:
        raise ApiError(
            422, "invalid_unit", f"No kg conversion for {unit} of {crop.name}."
        )
    # Stored to the hundredth of a kg: what rounds to nothing is nothing.
    if not 0.01 <= kg <= MAX_KG:
        raise ApiError(
            422,
            "invalid_quantity",
            f"quantity must weigh between 0.01 and {MAX_KG:,} kg; this is {kg:g} kg.",
        )
    until = _date(data.get("available_until"))
    if until < now().date():
        raise ApiError(422, "invalid_date", "available_until is in the past.")
    kind = _string(data, "kind", 'kind must be "glean" or "pickup".', default="glean")
    if kind not in ("glean", "pickup"):
        raise ApiError(422, "invalid_kind", 'kind must be "glean" or "pickup".')
    notes = _text(_string(data, "notes", "notes must be a string.", default=""))
    return Announcement(
        parcel=parcel,
        crop=crop.name,
        quantity=quantity,
        unit=unit,
        quantity_kg=kg,
        available_until=until,
        kind=kind,
        notes=notes[:2000],
    )


def _string(
    data: dict[str, Any], key: str, message: str, *, default: str | None = None
) -> str:
    """A field the document types as a string: 422 when missing (without a
    default) or anything else, rather than reading 5 or ["kg"] as text."""
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ApiError(422, f"invalid_{key}", message)
    return value


def _date(value: object) -> date:
    """A date written YYYY-MM-DD, as the document says (not 20261015, not 5)."""
    written = value if isinstance(value, str) else ""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", written):
            raise ValueError(written)
        return date.fromisoformat(written)
    except ValueError as error:
        raise ApiError(
            422, "invalid_date", "available_until must be YYYY-MM-DD."
        ) from error


def _storable(text: str) -> bool:
    """Whether the database can hold (so match) ``text``: PostgreSQL refuses
    NUL characters and lone surrogates (which JSON's \\ud800 can carry) with an
    error, not a miss."""
    return "\x00" not in text and _text(text) == text


def _text(text: str) -> str:
    """Free text made storable: NULs dropped, lone surrogates replaced."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _quantity(value: object) -> float:
    """A positive, finite number; JSON can also carry 1e400 and 10**400."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(422, "invalid_quantity", "quantity must be a positive number.")
    try:
        quantity = float(value)
    except OverflowError:
        quantity = math.inf
    if not (math.isfinite(quantity) and quantity > 0):
        raise ApiError(422, "invalid_quantity", "quantity must be a positive number.")
    return quantity


@bp.get("/messages")
def messages() -> ResponseReturnValue:
    query = select(Message).order_by(Message.id).limit(1000)
    for arg, column in (("to", Message.to_addr), ("from", Message.from_addr)):
        if value := request.args.get(arg):
            if not _storable(value):
                return jsonify(items=[])
            query = query.where(column.in_(_addresses(value)))
    return jsonify(items=[message_json(m) for m in db().scalars(query)])


def _addresses(value: str) -> list[str]:
    """A phone in any form matches its E.164 form."""
    return list({value, normalize(value) or value})


@bp.post("/parse")
def parse_text() -> ResponseReturnValue:
    data = _json_body()
    text = data.get("text")
    if not isinstance(text, str):
        raise ApiError(422, "invalid_text", "text must be a string.")
    moment = _moment(data.get("now"))
    sender = data.get("from")
    if sender is not None and not isinstance(sender, str):
        raise ApiError(422, "invalid_from", "from must be a phone number.")
    names = _parcel_names(sender) if sender and _storable(sender) else {}
    return jsonify(parse(text, now=moment, parcel_names=names).to_dict())


def _moment(value: object) -> datetime:
    """The "now" of a parse request: an RFC 3339 date-time, or now when absent."""
    if value is None:
        return now()
    if not isinstance(value, str):
        raise ApiError(422, "invalid_now", "now must be an ISO 8601 date-time.")
    # RFC 3339 allows "t" and "z" in lower case, and a leap second.
    written = re.sub(r"(?<=:[0-9]{2}):60", ":59", value.strip().upper())
    try:
        moment = datetime.fromisoformat(written)
    except ValueError as error:
        raise ApiError(
            422, "invalid_now", "now must be an ISO 8601 date-time."
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=runtime().settings.tz)
    return moment


def _parcel_names(phone: str) -> dict[str, str]:
    contact = db().scalar(
        select(Contact).where(Contact.phone == (normalize(phone) or phone))
    )
    if contact is None or contact.farm is None:
        return {}
    return {p.name: p.code for p in contact.farm.parcels if p.name}


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(
            400,
            "invalid_json",
            "Send a JSON object with Content-Type: application/json.",
        )
    return data
