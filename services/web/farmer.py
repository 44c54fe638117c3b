"""The farmer's personal form, /f/<token>: a one-page alternative to SMS.

No password: the link itself is the key, as a farmer would expect from a text.
It creates exactly the same surplus as an SMS does (shared.surpluses).
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

from flask import Blueprint, Response, abort, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from services.web.context import db, now
from services.web.forms import parse_quantity
from services.web.panel.base import limiter
from services.web.security import PUBLIC_FORM_LIMIT
from shared import crops
from shared.models import Farm, Surplus
from shared.surpluses import Announcement, announce

bp = Blueprint("farmer", __name__)

FIELDS = ("parcel", "crop", "quantity", "unit", "until", "kind", "notes")


def _farm(token: str) -> Farm:
    farm = db().scalar(select(Farm).where(Farm.form_token == token))
    if farm is None:
        abort(invalid_link())
    return farm


def invalid_link() -> Response:
    """A farmer's link that names no farm (cut, changed, made up): a kind page."""
    return make_response(render_template("farmer/invalid.html"), 404)


@bp.route("/f/<token>", methods=["GET", "POST"])
@limiter.limit(PUBLIC_FORM_LIMIT, methods=["POST"])
def form(token: str) -> ResponseReturnValue:
    farm = _farm(token)
    today = now().date()
    values = {
        "parcel": farm.parcels[0].code if farm.parcels else "",
        "crop": "",
        "quantity": "",
        "unit": "kg",
        "until": (today + timedelta(days=3)).isoformat(),
        "kind": "glean",
        "notes": "",
    }
    errors: dict[str, str] = {}
    created = None
    if request.method == "POST":
        values.update({k: request.form.get(k, "").strip() for k in FIELDS})
        announcement = _read(farm, values, today, errors)
        if announcement is not None:
            created = announce(db(), farm, announcement, source="form")
            db().commit()
            values.update(crop="", quantity="", notes="")
    recent = (
        db()
        .scalars(
            select(Surplus)
            .where(Surplus.farm_id == farm.id)
            .order_by(Surplus.id.desc())
            .limit(8)
        )
        .all()
    )
    return render_template(
        "farmer/form.html",
        farm=farm,
        values=values,
        errors=errors,
        created=created,
        recent=recent,
        units=crops.UNITS,
        parcel_options=[
            (p.code, f"{p.code} · {p.name}" if p.name else p.code) for p in farm.parcels
        ],
        crop_names=[c.name for c in crops.CROPS],
    ), (422 if errors else 200)


def _read(
    farm: Farm, values: dict[str, str], today: date, errors: dict[str, str]
) -> Announcement | None:
    parcel = next((p for p in farm.parcels if p.code == values["parcel"]), None)
    if parcel is None:
        errors["parcel"] = _("Pick one of your parcels.")
    crop = crops.find_crop(values["crop"]) if values["crop"] else None
    if crop is None:
        errors["crop"] = _("Which crop? Write its name, like carrots or squash.")
    quantity = None
    with contextlib.suppress(ValueError):
        quantity = parse_quantity(values["quantity"])
    if quantity is None:
        errors["quantity"] = _("How much? Write a number, like 300 or 1,5.")
    unit = values["unit"] if values["unit"] in crops.UNITS else None
    if unit is None:
        errors["unit"] = _("Pick a unit.")
    until = _date(values["until"])
    if until is None or until < today:
        errors["until"] = _("Pick a date from today on.")
    if errors or quantity is None or unit is None or until is None:
        return None
    kg = crops.to_kg(quantity, unit, crop)
    if kg is None:
        errors["unit"] = _(
            "We don't know how much a %(unit)s of %(crop)s weighs: "
            "give it in kg or lb.",
            unit=unit,
            crop=crop.name if crop else "",
        )
        return None
    return Announcement(
        parcel=parcel,
        crop=crop.name if crop else values["crop"],
        quantity=quantity,
        unit=unit,
        quantity_kg=kg,
        available_until=until,
        kind="pickup" if values["kind"] == "pickup" else "glean",
        notes=values["notes"][:2000],
    )


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None
