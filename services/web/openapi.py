"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.

Written by hand beside the endpoints (services/web/api.py); a test checks
every endpoint's real responses against these schemas.
"""

from __future__ import annotations

from typing import Any

from shared.crops import UNITS
from shared.grammar import INTENTS, PROBLEMS
from shared.models import SurplusStatus

NULLABLE_STR = {"type": ["string", "null"]}
NULLABLE_NUM = {"type": ["number", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": required if required is not None else list(props),
    }


def _list_of(ref: str) -> dict[str, Any]:
    return _obj({"items": {"type": "array", "items": {"$ref": ref}}})


SCHEMAS: dict[str, Any] = {
    "Parcel": _obj(
        {
            "code": {"type": "string", "pattern": "^P[0-9]+$"},
            "name": {"type": "string"},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "rules": {"type": "string"},
        }
    ),
    "Farm": _obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "phone": NULLABLE_STR,
            "municipality": {"type": "string"},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "parcels": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Parcel"},
            },
        }
    ),
    "Organization": _obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "phone": NULLABLE_STR,
            "email": NULLABLE_STR,
            "kind": {"type": "string"},
            "municipality": {"type": "string"},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "service_radius_km": {"type": "number"},
            "weekly_capacity_kg": {"type": "number"},
            "cold_storage": {"type": "boolean"},
            "categories": {"type": "array", "items": {"type": "string"}},
            "priority": {"type": "boolean"},
            "active": {"type": "boolean"},
        }
    ),
    "Match": _obj(
        {
            "organization_id": {"type": "integer"},
            "rank": {"type": "integer"},
            "distance_km": {"type": "number"},
            "score": {"type": "number"},
            "reasons": {"type": "array", "items": {"type": "string"}},
            "wave": NULLABLE_INT,
        }
    ),
    "Excluded": _obj(
        {
            "organization_id": {"type": "integer"},
            "distance_km": {"type": "number"},
            "reasons": {"type": "array", "items": {"type": "string"}},
        }
    ),
    "Offer": _obj(
        {
            "organization_id": {"type": "integer"},
            "channel": {"enum": ["sms", "email"]},
            "status": {"type": "string"},
            "wave": {"type": "integer"},
        }
    ),
    "Claim": _obj(
        {
            "organization_id": {"type": "integer"},
            "quantity_kg": {"type": "number"},
            "status": {"type": "string"},
            "via": {"enum": ["sms", "link", "panel", "api"]},
            "pickup_at": NULLABLE_STR,
        }
    ),
    "Surplus": _obj(
        {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "status": {"enum": [status.value for status in SurplusStatus]},
            "farm_id": {"type": "integer"},
            "parcel": NULLABLE_STR,
            "crop": {"type": "string"},
            "quantity": {"type": "number"},
            "unit": {"type": "string"},
            "quantity_kg": {"type": "number"},
            "remaining_kg": {"type": "number"},
            "available_until": {"type": "string", "format": "date"},
            "kind": {"enum": ["glean", "pickup"]},
            "wave": {"type": "integer"},
            "created_at": {"type": "string"},
            "matches": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Match"},
            },
            "excluded": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Excluded"},
            },
            "offers": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Offer"},
            },
            "claims": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Claim"},
            },
        }
    ),
    "NewSurplus": _obj(
        {
            "farm_id": {"type": "integer"},
            "parcel": {"type": "string", "examples": ["P3"]},
            "crop": {"type": "string", "examples": ["courge"]},
            "quantity": {"type": "number", "exclusiveMinimum": 0},
            "unit": {"type": "string", "default": "kg"},
            "available_until": {"type": "string", "format": "date"},
            "kind": {"enum": ["glean", "pickup"], "default": "glean"},
            "notes": {"type": "string"},
        },
        required=["farm_id", "parcel", "crop", "quantity", "available_until"],
    ),
    "Message": _obj(
        {
            "id": {"type": "integer"},
            "direction": {"enum": ["in", "out"]},
            "channel": {"enum": ["sms", "email"]},
            "to": {"type": "string"},
            "from": {"type": "string"},
            "subject": {"type": "string"},
            "body": {"type": "string"},
            "status": {"type": "string"},
            "segments": NULLABLE_INT,
            "surplus_id": NULLABLE_INT,
            "created_at": {"type": "string"},
        }
    ),
    "ParseRequest": _obj(
        {
            "text": {"type": "string"},
            "from": {
                "type": ["string", "null"],
                "description": "sender phone, resolves named parcels",
            },
            "now": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "ISO 8601; null or absent: now in GLANAGE_TZ",
            },
        },
        required=["text"],
    ),
    "ParseResult": _obj(
        {
            "intent": {"enum": list(INTENTS)},
            "language": {"enum": ["fr", "en"]},
            "parcel": NULLABLE_STR,
            "crop": NULLABLE_STR,
            "quantity": NULLABLE_NUM,
            "unit": {"enum": [*UNITS, None]},
            "quantity_kg": NULLABLE_NUM,
            "available_until": {"type": ["string", "null"], "format": "date"},
            "offer_code": NULLABLE_STR,
            "problems": {
                "type": "array",
                "items": {"enum": list(PROBLEMS)},
                "uniqueItems": True,
            },
        }
    ),
    "Error": _obj({"error": {"type": "string"}, "message": {"type": "string"}}),
    "FarmList": _list_of("#/components/schemas/Farm"),
    "OrganizationList": _list_of("#/components/schemas/Organization"),
    "SurplusList": _list_of("#/components/schemas/Surplus"),
    "MessageList": _list_of("#/components/schemas/Message"),
}


def _response(schema: str, description: str = "OK") -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
        },
    }


ERRORS = {
    "401": _response("Error", "Missing or wrong bearer token"),
    "403": _response("Error", "API disabled (GLANAGE_API_TOKEN not set)"),
}
NOT_JSON = {"400": _response("Error", "The body is not a JSON object")}


def _op(summary: str, ok: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {**ok, **ERRORS}, **extra}


def document(base_url: str) -> dict[str, Any]:
    body = lambda name: {  # noqa: E731 - a one-line schema reference
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
        },
    }
    query = lambda name, text: {  # noqa: E731
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": text,
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Glanage API", "version": "1"},
        "servers": [{"url": f"{base_url.rstrip('/')}/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "paths": {
            "/farms": {
                "get": _op("Farms with their parcels", {"200": _response("FarmList")})
            },
            "/organizations": {
                "get": _op("Food organizations", {"200": _response("OrganizationList")})
            },
            "/surpluses": {
                "get": _op(
                    "Surpluses, newest first",
                    {"200": _response("SurplusList")},
                    parameters=[query("status", "only surpluses in this status")],
                ),
                "post": _op(
                    "Announce a surplus (same path as an SMS)",
                    {
                        "201": _response("Surplus", "Created"),
                        **NOT_JSON,
                        "422": _response("Error", "Invalid"),
                    },
                    requestBody=body("NewSurplus"),
                ),
            },
            "/surpluses/{id}": {
                "get": _op(
                    "One surplus with its matches, offers, claims and remaining kg",
                    {
                        "200": _response("Surplus"),
                        "404": _response("Error", "Not found"),
                    },
                    parameters=[
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                )
            },
            "/messages": {
                "get": _op(
                    "SMS and emails, in and out",
                    {"200": _response("MessageList")},
                    parameters=[query("to", "recipient"), query("from", "sender")],
                )
            },
            "/parse": {
                "post": _op(
                    "Parse a text with the SMS grammar",
                    {
                        "200": _response("ParseResult"),
                        **NOT_JSON,
                        "422": _response("Error", "Invalid"),
                    },
                    requestBody=body("ParseRequest"),
                )
            },
        },
    }
