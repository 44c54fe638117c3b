"""Farms, their parcels, and each farm's personal form link."""

from __future__ import annotations

import secrets
from typing import Any

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select

from services.web.context import db, runtime
from services.web.panel.base import (
    audit_change,
    bp,
    can_change,
    changes,
    login_required,
)
from services.web.panel.directory.common import (
    LANGUAGES,
    Editor,
    get_or_404,
    history,
    render,
    template_helpers,
)
from services.web.panel.directory.forms import (
    Form,
    coordinates_typed,
    half_typed,
    read_place,
    shown,
    typed_point,
)
from shared import audit, importer
from shared.models import Farm, Parcel, Surplus
from shared.seed import towns

# What the audit log keeps of each farm and parcel, before and after a change.
FARM_FIELDS = ("name", "municipality", "address", "lat", "lon", "radius_km", "language")
PARCEL_FIELDS = ("farm_id", "code", "name", "geometry_wkt", "lat", "lon", "rules")

FARM_FORM = ("name", "municipality", "address", "lat", "lon", "radius_km", "language")
PARCEL_FORM = ("name", "lat", "lon", "outline", "rules")


# ---- Farms ------------------------------------------------------------------


def form_link(farm: Farm) -> str:
    """The farmer's personal form, in full, to send by text or email."""
    base = runtime().settings.public_base_url.rstrip("/")
    return base + url_for("farmer.form", token=farm.form_token)


def _link_hint(token: str) -> str:
    """Enough of a form token to tell two apart in the audit log, not to use it."""
    return "…" + token[-4:]


def _farm_values(farm: Farm | None) -> dict[str, Any]:
    if farm is None:
        return {name: "" for name in FARM_FORM} | {"language": "fr"}
    return {
        "name": farm.name,
        "municipality": farm.municipality,
        "address": farm.address,
        "lat": shown(farm.lat),
        "lon": shown(farm.lon),
        "radius_km": shown(farm.radius_km),
        "language": farm.language,
    }


def _read_farm(form: Form) -> dict[str, Any] | None:
    name = form.text("name", required=True, limit=200)
    place = read_place(form)
    address = form.text("address", limit=300)
    radius = form.number("radius_km", low=1, high=500)
    language = form.choice("language", ("fr", "en"), "fr")
    if form.errors or place is None:
        return None

    municipality, lat, lon = place
    return {
        "name": name,
        "municipality": municipality,
        "address": address,
        "lat": lat,
        "lon": lon,
        "radius_km": radius,
        "language": language,
    }


def _farm_page(farm: Farm | None, form: Form) -> ResponseReturnValue:
    return render(
        "farm.html",
        form,
        farm=farm,
        link=form_link(farm) if farm is not None and can_change() else None,
        used_parcels=_used_parcels(farm) if farm is not None else set(),
        history=history("farm", farm.id) if farm is not None else [],
        towns=sorted(towns()),
        languages=LANGUAGES,
        **template_helpers(),
    )


def _used_parcels(farm: Farm) -> set[int]:
    """The farm's parcels that have surpluses on record."""
    if not farm.parcels:
        return set()
    query = select(Surplus.parcel_id).where(
        Surplus.parcel_id.in_([p.id for p in farm.parcels])
    )
    return {pid for pid in db().scalars(query.distinct()) if pid is not None}


FARMS: Editor[Farm] = Editor(
    entity="farm",
    fields=FARM_FIELDS,
    values=_farm_values,
    posted=lambda: Form.posted(FARM_FORM),
    read=_read_farm,
    page=_farm_page,
    make=lambda **data: Farm(form_token=secrets.token_urlsafe(16), **data),
    added=lambda farm: _(
        "%(name)s is in the directory. Add its parcels and its farmer below.",
        name=farm.name,
    ),
    url=lambda farm: url_for("panel.farm_page", farm_id=farm.id),
)


@bp.route("/directory/farms/new", methods=["GET", "POST"])
@changes
def farm_new() -> ResponseReturnValue:
    return FARMS.create()


@bp.get("/directory/farms/<int:farm_id>")
@login_required
def farm_page(farm_id: int) -> ResponseReturnValue:
    return FARMS.show(get_or_404(Farm, farm_id))


@bp.post("/directory/farms/<int:farm_id>")
@changes
def farm_save(farm_id: int) -> ResponseReturnValue:
    return FARMS.save(get_or_404(Farm, farm_id))


@bp.post("/directory/farms/<int:farm_id>/link")
@changes
def farm_link(farm_id: int) -> ResponseReturnValue:
    """A new personal link; the old one stops working at once."""
    farm = get_or_404(Farm, farm_id)
    before = {"form_link": _link_hint(farm.form_token)}
    farm.form_token = secrets.token_urlsafe(16)
    audit_change(
        "new_link", "farm", farm.id, before, {"form_link": _link_hint(farm.form_token)}
    )
    db().commit()

    flash(
        _("New link made; the old one no longer works. Send this one to the farmer."),
        "success",
    )
    return redirect(url_for("panel.farm_page", farm_id=farm.id) + "#link")


# ---- Parcels ----------------------------------------------------------------


def _parcel_values(parcel: Parcel | None) -> dict[str, Any]:
    if parcel is None:
        return {name: "" for name in PARCEL_FORM}
    outline = importer.outline_as_pairs(parcel.geometry_wkt)
    return {
        "name": parcel.name,
        "lat": "" if outline else shown(parcel.lat),
        "lon": "" if outline else shown(parcel.lon),
        "outline": outline,
        "rules": parcel.rules,
    }


def _read_parcel(
    form: Form, farm: Farm, parcel: Parcel | None = None
) -> dict[str, Any] | None:
    """The parcel's fields; with no shape given, a new parcel sits at the farm
    and an edited one keeps its shape."""
    name = form.text("name", limit=120)
    rules = form.text("rules", limit=2000)
    shape = _typed_shape(form)
    if form.errors:
        return None

    if shape is not None:
        wkt, lat, lon = importer.parcel_shape(shape)
    elif parcel is not None:
        wkt, lat, lon = parcel.geometry_wkt, parcel.lat, parcel.lon
    else:
        wkt, lat, lon = importer.parcel_shape(Point(farm.lon, farm.lat))
    return {"name": name, "rules": rules, "geometry_wkt": wkt, "lat": lat, "lon": lon}


def _typed_shape(form: Form) -> BaseGeometry | None:
    """The outline or the point typed in; None when neither was, or with an error."""
    outline = str(form.values.get("outline", ""))
    if outline:
        try:
            return importer.parse_outline(outline)
        except importer.ShapeError as problem:
            form.error("outline", _(problem.msgid, **problem.params))
            return None

    if not coordinates_typed(form):
        return None
    half_typed(form)  # and still check the one that was typed
    point = typed_point(form)
    if point is None:
        return None
    lat, lon = point
    return Point(lon, lat)


def _parcel_page(farm: Farm, parcel: Parcel | None, form: Form) -> ResponseReturnValue:
    return render(
        "parcel.html",
        form,
        farm=farm,
        parcel=parcel,
        used=parcel is not None and _parcel_used(parcel),
        next_code=importer.next_parcel_code(p.code for p in farm.parcels),
        is_polygon=parcel is not None and parcel.geometry_wkt.startswith("POLYGON"),
        history=history("parcel", parcel.id) if parcel is not None else [],
        **template_helpers(),
    )


def _parcel_used(parcel: Parcel) -> bool:
    return (
        db().scalar(select(Surplus.id).where(Surplus.parcel_id == parcel.id).limit(1))
        is not None
    )


def _parcels(farm: Farm, parcel: Parcel | None = None) -> Editor[Parcel]:
    """The parcel pages of one farm; `parcel` is the one being edited, if any."""
    return Editor(
        entity="parcel",
        fields=PARCEL_FIELDS,
        values=_parcel_values,
        posted=lambda: Form.posted(PARCEL_FORM),
        read=lambda form: _read_parcel(form, farm, parcel),
        page=lambda shown_parcel, form: _parcel_page(farm, shown_parcel, form),
        make=lambda **data: Parcel(
            farm_id=farm.id,
            code=importer.next_parcel_code(p.code for p in farm.parcels),
            **data,
        ),
        added=lambda new: _(
            "Parcel %(code)s added: the farmer texts it as %(code)s.", code=new.code
        ),
        url=lambda _parcel: url_for("panel.farm_page", farm_id=farm.id) + "#parcels",
    )


@bp.route("/directory/farms/<int:farm_id>/parcels/new", methods=["GET", "POST"])
@changes
def parcel_new(farm_id: int) -> ResponseReturnValue:
    return _parcels(get_or_404(Farm, farm_id)).create()


@bp.get("/directory/parcels/<int:parcel_id>")
@login_required
def parcel_page(parcel_id: int) -> ResponseReturnValue:
    parcel = get_or_404(Parcel, parcel_id)
    return _parcels(parcel.farm, parcel).show(parcel)


@bp.post("/directory/parcels/<int:parcel_id>")
@changes
def parcel_save(parcel_id: int) -> ResponseReturnValue:
    parcel = get_or_404(Parcel, parcel_id)
    return _parcels(parcel.farm, parcel).save(parcel)


@bp.post("/directory/parcels/<int:parcel_id>/delete")
@changes
def parcel_delete(parcel_id: int) -> ResponseReturnValue:
    parcel = get_or_404(Parcel, parcel_id)
    farm_id = parcel.farm_id
    if _parcel_used(parcel):
        flash(
            _(
                "%(code)s has surpluses on record, so it stays: their history "
                "needs it. Rename it or change its rules instead.",
                code=parcel.code,
            ),
            "error",
        )
        return redirect(url_for("panel.parcel_page", parcel_id=parcel.id))

    before = audit.snapshot(parcel, PARCEL_FIELDS)
    db().delete(parcel)
    audit_change("delete", "parcel", parcel_id, before, None)
    db().commit()
    flash(_("Parcel %(code)s deleted.", code=before["code"]), "success")
    return redirect(url_for("panel.farm_page", farm_id=farm_id) + "#parcels")
