"""The JSON API, /api/v1: bearer token, lists as {"items": [...]}.

Field names here are a contract (DESIGN §5): other programs read them.
The OpenAPI document (services/web/openapi.py) describes exactly these shapes.
"""

from __future__ import annotations

import hmac
from datetime import date, datetime
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from services.web import openapi
from services.web.context import db, now, runtime
from shared import crops
from shared.grammar import parse
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
        query = query.where(Surplus.status == status)
    return jsonify(items=[surplus_json(s, _lang()) for s in db().scalars(query)])


@bp.get("/surpluses/<int:surplus_id>")
def surplus(surplus_id: int) -> ResponseReturnValue:
    found = db().scalar(_surplus_query().where(Surplus.id == surplus_id))
    if found is None:
        raise ApiError(404, "not_found", f"No surplus {surplus_id}.")
    return jsonify(surplus_json(found, _lang()))


@bp.post("/surpluses")
def create_surplus() -> ResponseReturnValue:
    data = _json_body()
    farm = (
        db().get(Farm, data.get("farm_id"))
        if isinstance(data.get("farm_id"), int)
        else None
    )
    if farm is None:
        raise ApiError(422, "invalid_farm", "farm_id must name an existing farm.")
    announcement = _announcement(farm, data)
    created = announce(db(), farm, announcement, source="api")
    db().commit()
    return jsonify(surplus_json(created, _lang())), 201


def _announcement(farm: Farm, data: dict[str, Any]) -> Announcement:
    parcel = next(
        (p for p in farm.parcels if p.code == str(data.get("parcel", "")).upper()), None
    )
    if parcel is None:
        raise ApiError(422, "invalid_parcel", "parcel must be one of the farm's codes.")
    crop = crops.find_crop(str(data.get("crop", "")))
    if crop is None:
        raise ApiError(422, "invalid_crop", "crop is not a known crop.")
    quantity, unit = data.get("quantity"), str(data.get("unit", "kg"))
    if (
        not isinstance(quantity, int | float)
        or isinstance(quantity, bool)
        or quantity <= 0
    ):
        raise ApiError(422, "invalid_quantity", "quantity must be a positive number.")
    kg = crops.to_kg(float(quantity), unit, crop)
    if kg is None:
        raise ApiError(
            422, "invalid_unit", f"No kg conversion for {unit} of {crop.name}."
        )
    try:
        until = date.fromisoformat(str(data.get("available_until")))
    except ValueError as error:
        raise ApiError(
            422, "invalid_date", "available_until must be YYYY-MM-DD."
        ) from error
    if until < now().date():
        raise ApiError(422, "invalid_date", "available_until is in the past.")
    return Announcement(
        parcel=parcel,
        crop=crop.name,
        quantity=float(quantity),
        unit=unit,
        quantity_kg=kg,
        available_until=until,
        kind="pickup" if data.get("kind") == "pickup" else "glean",
        notes=str(data.get("notes", ""))[:2000],
    )


@bp.get("/messages")
def messages() -> ResponseReturnValue:
    query = select(Message).order_by(Message.id).limit(1000)
    for arg, column in (("to", Message.to_addr), ("from", Message.from_addr)):
        if value := request.args.get(arg):
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
    moment = now()
    if data.get("now"):
        try:
            moment = datetime.fromisoformat(str(data["now"]))
        except ValueError as error:
            raise ApiError(422, "invalid_now", "now must be ISO 8601.") from error
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=runtime().settings.tz)
    names: dict[str, str] = {}
    if isinstance(data.get("from"), str):
        names = _parcel_names(data["from"])
    return jsonify(parse(text, now=moment, parcel_names=names).to_dict())


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
