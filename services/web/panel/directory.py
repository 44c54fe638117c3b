"""The directory: farms and their parcels, organizations, their contacts;
spreadsheet imports, and a CSV export of every table.

Everyone signed in reads; only coordinators change (`changes`), and every
change goes to the audit log with the values before and after. Every form
works without JavaScript and, when something is wrong, comes back with what
was typed and a message beside the field (HTTP 422).
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from services.web.context import db, now, runtime
from services.web.panel.base import (
    audit_change,
    bp,
    can_change,
    changes,
    login_required,
    nav,
)
from shared import audit, exports, importer, phones
from shared.crops import CATEGORIES
from shared.models import (
    AuditEntry,
    Base,
    Contact,
    Farm,
    Message,
    Organization,
    Parcel,
    Surplus,
    utcnow,
)
from shared.reasons import CATEGORY_NAMES
from shared.seed import towns

__all__ = ["bp"]

# What the audit log keeps of each kind of record, before and after a change.
FARM_FIELDS = ("name", "municipality", "address", "lat", "lon", "radius_km", "language")
PARCEL_FIELDS = ("farm_id", "code", "name", "geometry_wkt", "lat", "lon", "rules")
ORG_FIELDS = (
    "name", "kind", "municipality", "address", "lat", "lon", "service_radius_km",
    "weekly_capacity_kg", "cold_storage", "transport", "categories", "priority",
    "language", "channels", "active",
)  # fmt: skip
CONTACT_FIELDS = (
    "name", "farm_id", "organization_id", "phone", "email", "language",
    "consent_at", "consent_source", "opted_out_at", "opted_out_via",
)  # fmt: skip

TABS = {
    "farms": _l("Farms"),
    "organizations": _l("Organizations"),
    "contacts": _l("Contacts"),
}
LANGUAGES = [("fr", "Français"), ("en", "English")]
CHANNELS = [("sms", "SMS"), ("email", _l("Email"))]
EXPORT_LABELS = {
    "farms": _l("Farms"),
    "parcels": _l("Parcels"),
    "organizations": _l("Organizations"),
    "contacts": _l("Contacts"),
    "surpluses": _l("Surpluses"),
    "matches": _l("Matches"),
    "offers": _l("Offers"),
    "claims": _l("Claims"),
    "messages": _l("Messages"),
    "audit_log": _l("Audit log"),
}
IMPORT_KINDS = {"organizations": _l("Organizations"), "farms": _l("Farms")}
# A page lists this many rows at most; a search narrows it down.
PAGE = 300

Model = TypeVar("Model", bound=Base)


# ---- Reading forms ----------------------------------------------------------


def _decimal(raw: str) -> float:
    """ "12,5", "1 000", "-73.4" -> float; ValueError otherwise."""
    text = raw.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    value = float(text.replace(",", "."))
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(raw)
    return value


def _shown(value: float | None) -> str:
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
            value = _decimal(raw)
        except ValueError:
            self.error(name, _("Write a number, like 25 or 12,5."))
            return None
        if not low <= value <= high:
            self.error(
                name,
                _(
                    "Between %(low)s and %(high)s, please.",
                    low=_shown(low),
                    high=_shown(high),
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


def _place(form: Form) -> tuple[str, float, float] | None:
    """The municipality and coordinates; with no coordinates, the town's centre."""
    municipality = form.text("municipality", required=True, limit=120)
    town = importer.find_town(municipality) if municipality else None
    name = town.name if town else municipality
    lat_raw, lon_raw = form.values.get("lat", ""), form.values.get("lon", "")
    if lat_raw or lon_raw:
        if not (lat_raw and lon_raw):
            missing = "lon" if lat_raw else "lat"
            form.error(missing, _("Give both latitude and longitude, or neither."))
            return None
        lat = form.number("lat", low=-90, high=90)
        lon = form.number("lon", low=-180, high=180)
        if lat is None or lon is None:
            return None
        lon = -abs(lon)  # west of Greenwich, even when the minus sign was forgotten
        if not importer.in_quebec(lat, lon):
            form.error("lat", _("These coordinates are not in Quebec."))
            return None
        return (name, lat, lon) if municipality else None
    if not municipality:
        return None
    if town is None:
        form.error(
            "municipality",
            _(
                "We don't know where %(town)s is: check the spelling, "
                "or give the latitude and longitude.",
                town=municipality,
            ),
        )
        return None
    return town.name, town.lat, town.lon


def _get(model: type[Model], entity_id: int) -> Model:
    found = db().get(model, entity_id)
    if found is None:
        abort(404)
    return found


def _page(template: str, form: Form | None = None, **context: Any) -> tuple[str, int]:
    """A directory page; 422 when the form it shows has errors."""
    status = 422 if form is not None and form.errors else 200
    return (
        render_template(
            f"panel/directory/{template}",
            form=form,
            can_change=can_change(),
            nav_items=nav(),
            **context,
        ),
        status,
    )


def _fold(text: str | None) -> str:
    return importer.fold(text or "")


def _matches(words: list[str], *texts: str | None) -> bool:
    """Every word of the search appears somewhere (no accents, any case)."""
    haystack = " ".join(_fold(t) for t in texts if t)
    return all(word in haystack for word in words)


def _phone_texts(phone: str | None) -> list[str]:
    """A number as people search it: +14505550142, 4505550142, 450 555-0142."""
    if not phone:
        return []
    return [phone, phone.removeprefix("+1"), phone_text(phone)]


def phone_text(phone: str | None) -> str:
    """How a number reads on the page: "450 555-0142" (full; this is the panel)."""
    if not phone:
        return ""
    if phone.startswith("+1") and len(phone) == 12:
        return f"{phone[2:5]} {phone[5:8]}-{phone[8:]}"
    return phone


def _history(entity: str, entity_id: int) -> list[AuditEntry]:
    return list(
        db()
        .scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id.desc())
            .limit(50)
            .options(selectinload(AuditEntry.user))
        )
        .all()
    )


def changed(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for what an audit entry changed."""
    before, after = entry.before or {}, entry.after or {}
    return [
        (key, before.get(key), after.get(key))
        for key in dict.fromkeys([*before, *after])
        if before.get(key) != after.get(key)
    ]


def _context() -> dict[str, Any]:
    return {
        "phone_text": phone_text,
        "changed": changed,
        "action_label": _action_label,
    }


# ---- The directory ----------------------------------------------------------


def _people(contacts: Iterable[Contact]) -> list[str | None]:
    """What a search may find of a record's contacts: names, emails, numbers."""
    found: list[str | None] = []
    for c in contacts:
        found += [c.name, c.email, *_phone_texts(c.phone)]
    return found


@bp.get("/directory")
@login_required
def directory() -> ResponseReturnValue:
    """Farms, organizations and contacts, searchable, with their counts."""
    q = request.args.get("q", "").strip()[:200]
    tab = request.args.get("tab", "farms")
    tab = tab if tab in TABS else "farms"
    words = _fold(q).split()
    farms = db().scalars(
        select(Farm)
        .order_by(Farm.name)
        .options(selectinload(Farm.parcels), selectinload(Farm.contacts))
    )
    organizations = db().scalars(
        select(Organization)
        .order_by(Organization.name)
        .options(selectinload(Organization.contacts))
    )
    contacts = db().scalars(
        select(Contact)
        .order_by(Contact.name)
        .options(selectinload(Contact.farm), selectinload(Contact.organization))
    )
    found: dict[str, list[Any]] = {
        "farms": [
            f
            for f in farms
            if _matches(
                words,
                f.name,
                f.municipality,
                f.address,
                *(p.name for p in f.parcels),
                *_people(f.contacts),
            )
        ],
        "organizations": [
            o
            for o in organizations
            if _matches(
                words, o.name, o.kind, o.municipality, o.address, *_people(o.contacts)
            )
        ],
        "contacts": [
            c
            for c in contacts
            if _matches(
                words,
                (c.farm or c.organization or c).name,
                *_people([c]),
            )
        ],
    }
    if q and "tab" not in request.args and not found[tab]:
        # A search opens where it found something, not on an empty tab.
        tab = next((name for name in TABS if found.get(name)), tab)
    return _page(
        "index.html",
        q=q,
        tab=tab,
        tabs=TABS,
        counts={name: len(items) for name, items in found.items()},
        items=found[tab][:PAGE],
        page=PAGE,
        opted_out=sum(1 for c in found["contacts"] if c.opted_out),
        exports={key: EXPORT_LABELS.get(key, key) for key in exports.TABLES},
        category_names=_category_names(),
        **_context(),
    )


def _category_names() -> dict[str, str]:
    """Food categories in the reader's language ("les légumes feuilles")."""
    column = 1 if _lang() == "en" else 0
    return {
        key: names[column].removeprefix("les ").capitalize()
        for key, names in CATEGORY_NAMES.items()
    }


def _lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "fr"


# ---- Farms ------------------------------------------------------------------

FARM_FORM = ("name", "municipality", "address", "lat", "lon", "radius_km", "language")


def _farm_values(farm: Farm | None) -> dict[str, Any]:
    if farm is None:
        return {name: "" for name in FARM_FORM} | {"language": "fr"}
    return {
        "name": farm.name,
        "municipality": farm.municipality,
        "address": farm.address,
        "lat": _shown(farm.lat),
        "lon": _shown(farm.lon),
        "radius_km": _shown(farm.radius_km),
        "language": farm.language,
    }


def _read_farm(form: Form) -> dict[str, Any] | None:
    name = form.text("name", required=True, limit=200)
    place = _place(form)
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


def form_link(farm: Farm) -> str:
    """The farmer's personal form, in full, to send by text or email."""
    base = runtime().settings.public_base_url.rstrip("/")
    return base + url_for("farmer.form", token=farm.form_token)


def _link_hint(token: str) -> str:
    """Enough of a form token to tell two apart in the audit log, not to use it."""
    return "…" + token[-4:]


def _farm_page(farm: Farm | None, form: Form) -> ResponseReturnValue:
    used: set[int] = set()
    if farm is not None and farm.parcels:
        query = select(Surplus.parcel_id).where(
            Surplus.parcel_id.in_([p.id for p in farm.parcels])
        )
        used = {pid for pid in db().scalars(query.distinct()) if pid is not None}
    return _page(
        "farm.html",
        form,
        farm=farm,
        link=form_link(farm) if farm is not None and can_change() else None,
        used_parcels=used,
        history=_history("farm", farm.id) if farm is not None else [],
        towns=sorted(towns()),
        languages=LANGUAGES,
        **_context(),
    )


@bp.route("/directory/farms/new", methods=["GET", "POST"])
@changes
def farm_new() -> ResponseReturnValue:
    if request.method == "GET":
        return _farm_page(None, Form(_farm_values(None)))
    form = Form.posted(FARM_FORM)
    data = _read_farm(form)
    if data is None:
        return _farm_page(None, form)
    farm = Farm(form_token=secrets.token_urlsafe(16), **data)
    db().add(farm)
    db().flush()
    audit_change("create", "farm", farm.id, None, audit.snapshot(farm, FARM_FIELDS))
    db().commit()
    flash(
        _(
            "%(name)s is in the directory. Add its parcels and its farmer below.",
            name=farm.name,
        ),
        "success",
    )
    return redirect(url_for("panel.farm_page", farm_id=farm.id))


@bp.get("/directory/farms/<int:farm_id>")
@login_required
def farm_page(farm_id: int) -> ResponseReturnValue:
    farm = _get(Farm, farm_id)
    return _farm_page(farm, Form(_farm_values(farm)))


@bp.post("/directory/farms/<int:farm_id>")
@changes
def farm_save(farm_id: int) -> ResponseReturnValue:
    farm = _get(Farm, farm_id)
    form = Form.posted(FARM_FORM)
    data = _read_farm(form)
    if data is None:
        return _farm_page(farm, form)
    before = audit.snapshot(farm, FARM_FIELDS)
    for name, value in data.items():
        setattr(farm, name, value)
    after = audit.snapshot(farm, FARM_FIELDS)
    if after != before:
        audit_change("edit", "farm", farm.id, before, after)
    db().commit()
    flash(_("Saved."), "success")
    return redirect(url_for("panel.farm_page", farm_id=farm.id))


@bp.post("/directory/farms/<int:farm_id>/link")
@changes
def farm_link(farm_id: int) -> ResponseReturnValue:
    """A new personal link; the old one stops working at once."""
    farm = _get(Farm, farm_id)
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

PARCEL_FORM = ("name", "lat", "lon", "outline", "rules")


def _parcel_values(parcel: Parcel | None) -> dict[str, Any]:
    if parcel is None:
        return {name: "" for name in PARCEL_FORM}
    outline = importer.outline_as_pairs(parcel.geometry_wkt)
    return {
        "name": parcel.name,
        "lat": "" if outline else _shown(parcel.lat),
        "lon": "" if outline else _shown(parcel.lon),
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
    outline = str(form.values.get("outline", ""))
    lat_raw, lon_raw = form.values.get("lat", ""), form.values.get("lon", "")
    shape = None
    if outline:
        try:
            shape = importer.parse_outline(outline)
        except importer.ShapeError as problem:
            form.error("outline", _(problem.msgid, **problem.params))
    elif lat_raw or lon_raw:
        if not (lat_raw and lon_raw):
            missing = "lon" if lat_raw else "lat"
            form.error(missing, _("Give both latitude and longitude, or neither."))
        lat = form.number("lat", low=-90, high=90)
        lon = form.number("lon", low=-180, high=180)
        if lat is not None and lon is not None:
            if importer.in_quebec(lat, -abs(lon)):
                shape = Point(-abs(lon), lat)
            else:
                form.error("lat", _("These coordinates are not in Quebec."))
    elif parcel is not None:
        if form.errors:
            return None
        return {
            "name": name,
            "rules": rules,
            "geometry_wkt": parcel.geometry_wkt,
            "lat": parcel.lat,
            "lon": parcel.lon,
        }
    else:
        shape = Point(farm.lon, farm.lat)
    if form.errors or shape is None:
        return None
    wkt, lat, lon = importer.parcel_shape(shape)
    return {"name": name, "rules": rules, "geometry_wkt": wkt, "lat": lat, "lon": lon}


def _parcel_page(farm: Farm, parcel: Parcel | None, form: Form) -> ResponseReturnValue:
    used = parcel is not None and _parcel_used(parcel)
    return _page(
        "parcel.html",
        form,
        farm=farm,
        parcel=parcel,
        used=used,
        next_code=importer.next_parcel_code(p.code for p in farm.parcels),
        is_polygon=parcel is not None and parcel.geometry_wkt.startswith("POLYGON"),
        history=_history("parcel", parcel.id) if parcel is not None else [],
        **_context(),
    )


def _parcel_used(parcel: Parcel) -> bool:
    return (
        db().scalar(select(Surplus.id).where(Surplus.parcel_id == parcel.id).limit(1))
        is not None
    )


@bp.route("/directory/farms/<int:farm_id>/parcels/new", methods=["GET", "POST"])
@changes
def parcel_new(farm_id: int) -> ResponseReturnValue:
    farm = _get(Farm, farm_id)
    if request.method == "GET":
        return _parcel_page(farm, None, Form(_parcel_values(None)))
    form = Form.posted(PARCEL_FORM)
    data = _read_parcel(form, farm)
    if data is None:
        return _parcel_page(farm, None, form)
    code = importer.next_parcel_code(p.code for p in farm.parcels)
    parcel = Parcel(farm_id=farm.id, code=code, **data)
    db().add(parcel)
    db().flush()
    audit_change(
        "create", "parcel", parcel.id, None, audit.snapshot(parcel, PARCEL_FIELDS)
    )
    db().commit()
    flash(
        _("Parcel %(code)s added: the farmer texts it as %(code)s.", code=code),
        "success",
    )
    return redirect(url_for("panel.farm_page", farm_id=farm.id) + "#parcels")


@bp.get("/directory/parcels/<int:parcel_id>")
@login_required
def parcel_page(parcel_id: int) -> ResponseReturnValue:
    parcel = _get(Parcel, parcel_id)
    return _parcel_page(parcel.farm, parcel, Form(_parcel_values(parcel)))


@bp.post("/directory/parcels/<int:parcel_id>")
@changes
def parcel_save(parcel_id: int) -> ResponseReturnValue:
    parcel = _get(Parcel, parcel_id)
    form = Form.posted(PARCEL_FORM)
    data = _read_parcel(form, parcel.farm, parcel)
    if data is None:
        return _parcel_page(parcel.farm, parcel, form)
    before = audit.snapshot(parcel, PARCEL_FIELDS)
    for name, value in data.items():
        setattr(parcel, name, value)
    after = audit.snapshot(parcel, PARCEL_FIELDS)
    if after != before:
        audit_change("edit", "parcel", parcel.id, before, after)
    db().commit()
    flash(_("Saved."), "success")
    return redirect(url_for("panel.farm_page", farm_id=parcel.farm_id) + "#parcels")


@bp.post("/directory/parcels/<int:parcel_id>/delete")
@changes
def parcel_delete(parcel_id: int) -> ResponseReturnValue:
    parcel = _get(Parcel, parcel_id)
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


# ---- Organizations ----------------------------------------------------------

ORG_FORM = (
    "name", "kind", "municipality", "address", "lat", "lon", "service_radius_km",
    "weekly_capacity_kg", "language",
)  # fmt: skip
ORG_FLAGS = ("cold_storage", "transport", "priority", "active")
ORG_LISTS = ("categories", "channels")


def _org_values(org: Organization | None) -> dict[str, Any]:
    if org is None:
        return {name: "" for name in ORG_FORM} | {
            "service_radius_km": "25",
            "weekly_capacity_kg": "500",
            "language": "fr",
            "cold_storage": False,
            "transport": False,
            "priority": False,
            "active": True,
            "categories": [],
            "channels": ["sms"],
        }
    return {
        "name": org.name,
        "kind": org.kind,
        "municipality": org.municipality,
        "address": org.address,
        "lat": _shown(org.lat),
        "lon": _shown(org.lon),
        "service_radius_km": _shown(org.service_radius_km),
        "weekly_capacity_kg": _shown(org.weekly_capacity_kg),
        "language": org.language,
        "cold_storage": org.cold_storage,
        "transport": org.transport,
        "priority": org.priority,
        "active": org.active,
        "categories": list(org.categories),
        "channels": list(org.channels),
    }


def _read_org(form: Form) -> dict[str, Any] | None:
    name = form.text("name", required=True, limit=200)
    kind = form.text("kind", limit=60)
    place = _place(form)
    address = form.text("address", limit=300)
    radius = form.number("service_radius_km", required=True, low=1, high=500)
    capacity = form.number("weekly_capacity_kg", required=True, low=0)
    channels = form.choices("channels", [c for c, _label in CHANNELS])
    if not channels:
        form.error("channels", _("Pick at least one way to send them offers."))
    if form.errors or place is None:
        return None
    municipality, lat, lon = place
    return {
        "name": name,
        "kind": kind,
        "municipality": municipality,
        "address": address,
        "lat": lat,
        "lon": lon,
        "service_radius_km": radius,
        "weekly_capacity_kg": capacity,
        "cold_storage": bool(form.values["cold_storage"]),
        "transport": bool(form.values["transport"]),
        "categories": form.choices("categories", CATEGORIES),
        "priority": bool(form.values["priority"]),
        "language": form.choice("language", ("fr", "en"), "fr"),
        "channels": channels,
        "active": bool(form.values["active"]),
    }


def _org_page(org: Organization | None, form: Form) -> ResponseReturnValue:
    kinds = sorted(
        {k for k in db().scalars(select(Organization.kind).distinct()).all() if k}
    )
    return _page(
        "organization.html",
        form,
        org=org,
        history=_history("organization", org.id) if org is not None else [],
        towns=sorted(towns()),
        kinds=kinds,
        languages=LANGUAGES,
        channels=CHANNELS,
        categories=CATEGORIES,
        category_names=_category_names(),
        **_context(),
    )


def _org_form() -> Form:
    return Form.posted(ORG_FORM, lists=ORG_LISTS, flags=ORG_FLAGS)


@bp.route("/directory/organizations/new", methods=["GET", "POST"])
@changes
def organization_new() -> ResponseReturnValue:
    if request.method == "GET":
        return _org_page(None, Form(_org_values(None)))
    form = _org_form()
    data = _read_org(form)
    if data is None:
        return _org_page(None, form)
    org = Organization(**data)
    db().add(org)
    db().flush()
    audit_change(
        "create", "organization", org.id, None, audit.snapshot(org, ORG_FIELDS)
    )
    db().commit()
    flash(
        _(
            "%(name)s is in the directory. Add the people who get its offers below.",
            name=org.name,
        ),
        "success",
    )
    return redirect(url_for("panel.organization_page", org_id=org.id))


@bp.get("/directory/organizations/<int:org_id>")
@login_required
def organization_page(org_id: int) -> ResponseReturnValue:
    org = _get(Organization, org_id)
    return _org_page(org, Form(_org_values(org)))


@bp.post("/directory/organizations/<int:org_id>")
@changes
def organization_save(org_id: int) -> ResponseReturnValue:
    org = _get(Organization, org_id)
    form = _org_form()
    data = _read_org(form)
    if data is None:
        return _org_page(org, form)
    before = audit.snapshot(org, ORG_FIELDS)
    for name, value in data.items():
        setattr(org, name, value)
    after = audit.snapshot(org, ORG_FIELDS)
    if after != before:
        audit_change("edit", "organization", org.id, before, after)
    db().commit()
    flash(_("Saved."), "success")
    return redirect(url_for("panel.organization_page", org_id=org.id))


# ---- Contacts ---------------------------------------------------------------

CONTACT_FORM = ("name", "phone", "email", "language")
OWNERS: dict[str, type[Farm] | type[Organization]] = {
    "farms": Farm,
    "organizations": Organization,
}


def _contact_values(contact: Contact | None, language: str = "fr") -> dict[str, Any]:
    if contact is None:
        return {
            "name": "",
            "phone": "",
            "email": "",
            "language": language,
            "consent": False,
        }
    return {
        "name": contact.name,
        "phone": phone_text(contact.phone),
        "email": contact.email or "",
        "language": contact.language,
        "consent": contact.consent_at is not None,
    }


def _duplicate_message(other: Contact) -> str:
    owner = other.farm or other.organization
    return _(
        "This number already belongs to %(name)s (%(owner)s): one number, one person.",
        name=other.name,
        owner=owner.name if owner is not None else "—",
    )


def _read_contact(form: Form, contact_id: int | None) -> dict[str, Any] | None:
    name = form.text("name", required=True, limit=200)
    raw_phone = str(form.values.get("phone", ""))
    phone = phones.normalize(raw_phone) if raw_phone else None
    if raw_phone and phone is None:
        form.error(
            "phone",
            _(
                "%(phone)s is not a phone number we can text: write it like "
                "450 555 0142.",
                phone=raw_phone,
            ),
        )
    elif phone:
        other = db().scalar(
            select(Contact).where(
                Contact.phone == phone, Contact.id != (contact_id or 0)
            )
        )
        if other is not None:
            form.error("phone", _duplicate_message(other))
    email = form.text("email", limit=254)
    if email and not importer.valid_email(email):
        form.error("email", _("Write an email address like nom@example.org."))
    if not raw_phone and not email:
        form.error(
            "phone",
            _(
                "Give a phone number or an email address, "
                "so Glanage can reach this person."
            ),
        )
    language = form.choice("language", ("fr", "en"), "fr")
    if form.errors:
        return None
    return {"name": name, "phone": phone, "email": email or None, "language": language}


def _consent(contact: Contact, given: bool) -> None:
    """Record consent when it is newly given, and clear it when it is withdrawn."""
    if given and contact.consent_at is None:
        contact.consent_at = utcnow()
        contact.consent_source = "panel"
    elif not given and contact.consent_at is not None:
        contact.consent_at = None
        contact.consent_source = ""


@dataclass
class Moment:
    """One line of a contact's history."""

    at: datetime
    how: str
    what: str
    entry: AuditEntry | None = None


def _timeline(contact: Contact) -> list[Moment]:
    """Consent and opt-out history: panel changes, and STOP/START texts."""
    moments = [
        Moment(
            e.created_at,
            e.user.email if e.user else "—",
            _action_label(e.action),
            e,
        )
        for e in _history("contact", contact.id)
    ]
    texts = db().scalars(
        select(Message)
        .where(Message.contact_id == contact.id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(500)
    )
    for message in texts:
        intent = ((message.parsed or {}).get("parse") or {}).get("intent")
        if intent in ("stop", "start"):
            what = _("Opted out") if intent == "stop" else _("Opted back in")
            moments.append(
                Moment(message.created_at, "SMS", f"{what} « {message.body} »")
            )
    if contact.consent_at and contact.consent_source not in ("panel", "sms"):
        moments.append(
            Moment(contact.consent_at, contact.consent_source, _("Consent recorded"))
        )
    return sorted(moments, key=lambda m: m.at, reverse=True)


def _action_label(action: str) -> str:
    labels = {
        "create": _("Added"),
        "edit": _("Edited"),
        "opt_out": _("Opted out"),
        "opt_in": _("Opted back in"),
        "delete": _("Deleted"),
        "new_link": _("New form link"),
        "import": _("Imported"),
    }
    return labels.get(action, action)


def _contact_page(
    contact: Contact | None, owner: Farm | Organization | None, form: Form
) -> ResponseReturnValue:
    return _page(
        "contact.html",
        form,
        contact=contact,
        owner=owner,
        owner_kind="farms" if isinstance(owner, Farm) else "organizations",
        back=owner_url(owner) if owner else url_for("panel.directory", tab="contacts"),
        timeline=_timeline(contact) if contact is not None else [],
        languages=LANGUAGES,
        **_context(),
    )


def owner_url(owner: Farm | Organization) -> str:
    if isinstance(owner, Farm):
        return url_for("panel.farm_page", farm_id=owner.id) + "#contacts"
    return url_for("panel.organization_page", org_id=owner.id) + "#contacts"


def _owner_of(contact: Contact) -> Farm | Organization | None:
    return contact.farm or contact.organization


@bp.route(
    "/directory/<any(farms, organizations):kind>/<int:owner_id>/contacts/new",
    methods=["GET", "POST"],
)
@changes
def contact_new(kind: str, owner_id: int) -> ResponseReturnValue:
    owner = _get(OWNERS[kind], owner_id)
    if request.method == "GET":
        return _contact_page(None, owner, Form(_contact_values(None, owner.language)))
    form = Form.posted(CONTACT_FORM, flags=("consent",))
    data = _read_contact(form, None)
    if data is None:
        return _contact_page(None, owner, form)
    contact = Contact(**data)
    _consent(contact, bool(form.values["consent"]))
    owner.contacts.append(contact)
    try:
        db().flush()
    except IntegrityError:
        return _taken(contact, owner, form)
    audit_change(
        "create", "contact", contact.id, None, audit.snapshot(contact, CONTACT_FIELDS)
    )
    db().commit()
    flash(_("%(name)s added.", name=contact.name), "success")
    return redirect(owner_url(owner))


def _taken(
    contact: Contact | None, owner: Farm | Organization | None, form: Form
) -> ResponseReturnValue:
    """Someone saved the same number a moment ago: say so, keep what was typed."""
    db().rollback()
    form.error("phone", _("This number already belongs to another contact."))
    return _contact_page(contact, owner, form)


@bp.get("/directory/contacts/<int:contact_id>")
@login_required
def contact_page(contact_id: int) -> ResponseReturnValue:
    contact = _get(Contact, contact_id)
    return _contact_page(contact, _owner_of(contact), Form(_contact_values(contact)))


@bp.post("/directory/contacts/<int:contact_id>")
@changes
def contact_save(contact_id: int) -> ResponseReturnValue:
    contact = _get(Contact, contact_id)
    owner = _owner_of(contact)
    form = Form.posted(CONTACT_FORM, flags=("consent",))
    data = _read_contact(form, contact.id)
    if data is None:
        return _contact_page(contact, owner, form)
    before = audit.snapshot(contact, CONTACT_FIELDS)
    for name, value in data.items():
        setattr(contact, name, value)
    _consent(contact, bool(form.values["consent"]))
    after = audit.snapshot(contact, CONTACT_FIELDS)
    if after != before:
        audit_change("edit", "contact", contact.id, before, after)
    try:
        db().commit()
    except IntegrityError:
        return _taken(contact, owner, form)
    flash(_("Saved."), "success")
    return redirect(url_for("panel.contact_page", contact_id=contact.id))


def _back_from(contact: Contact) -> ResponseReturnValue:
    return redirect(url_for("panel.contact_page", contact_id=contact.id) + "#messages")


@bp.post("/directory/contacts/<int:contact_id>/opt-out")
@changes
def contact_opt_out(contact_id: int) -> ResponseReturnValue:
    contact = _get(Contact, contact_id)
    if contact.opted_out:
        flash(_("%(name)s had already opted out.", name=contact.name), "info")
        return _back_from(contact)
    before = audit.snapshot(contact, CONTACT_FIELDS)
    contact.opted_out_at = utcnow()
    contact.opted_out_via = "panel"
    audit_change(
        "opt_out",
        "contact",
        contact.id,
        before,
        audit.snapshot(contact, CONTACT_FIELDS),
    )
    db().commit()
    flash(
        _("%(name)s will get no more messages from Glanage.", name=contact.name),
        "success",
    )
    return _back_from(contact)


@bp.post("/directory/contacts/<int:contact_id>/opt-in")
@changes
def contact_opt_in(contact_id: int) -> ResponseReturnValue:
    contact = _get(Contact, contact_id)
    if not contact.opted_out:
        flash(_("%(name)s already gets messages.", name=contact.name), "info")
        return _back_from(contact)
    if not request.form.get("asked"):
        flash(
            _(
                "Tick the box to confirm that %(name)s asked to get messages again.",
                name=contact.name,
            ),
            "error",
        )
        return _back_from(contact)
    before = audit.snapshot(contact, CONTACT_FIELDS)
    contact.opted_out_at = None
    contact.opted_out_via = ""
    contact.consent_at = utcnow()
    contact.consent_source = "panel"
    audit_change(
        "opt_in", "contact", contact.id, before, audit.snapshot(contact, CONTACT_FIELDS)
    )
    db().commit()
    flash(_("%(name)s gets messages from Glanage again.", name=contact.name), "success")
    return _back_from(contact)


@bp.get("/directory/opt-out")
@login_required
def opt_out_list() -> ResponseReturnValue:
    """Everyone who asked for no more messages, newest first."""
    contacts = (
        db()
        .scalars(
            select(Contact)
            .where(Contact.opted_out_at.is_not(None))
            .order_by(Contact.opted_out_at.desc())
            .options(selectinload(Contact.farm), selectinload(Contact.organization))
        )
        .all()
    )
    return _page("opt_out.html", contacts=contacts, **_context())


# ---- Import -----------------------------------------------------------------

MAX_UPLOAD_MB = 1


def _import_page(form: Form, status: int | None = None) -> ResponseReturnValue:
    page, code = _page(
        "import.html",
        form,
        kinds=IMPORT_KINDS,
        columns={kind: columns for kind, (columns, _req) in importer.KINDS.items()},
        required={kind: required for kind, (_cols, required) in importer.KINDS.items()},
        max_mb=MAX_UPLOAD_MB,
    )
    return page, status or code


def reason(error: importer.RowError | importer.ShapeError) -> str:
    """Why a row was refused, in the reader's language."""
    return _(error.msgid, **error.params)


@bp.get("/directory/import")
@changes
def import_page() -> ResponseReturnValue:
    kind = request.args.get("kind", "organizations")
    return _import_page(
        Form({"kind": kind if kind in IMPORT_KINDS else "organizations"})
    )


@bp.post("/directory/import")
@changes
def import_upload() -> ResponseReturnValue:
    """Run the import now, row by row, and show what became of each row."""
    form = Form({"kind": request.form.get("kind", "")})
    kind = form.choice("kind", IMPORT_KINDS, "")
    if not kind:
        form.error("kind", _("Pick what the file holds."))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.error("file", _("Choose a CSV file."))
    if form.errors or upload is None:
        return _import_page(form)
    text = _text_of(upload.read(), form)
    sheet = None
    if text is not None:
        try:
            sheet = importer.read(io.StringIO(text, newline=""), kind)
        except importer.RowError as problem:
            form.error(
                "file", _("We could not use this file: %(why)s.", why=reason(problem))
            )
    if sheet is None:
        return _import_page(form)
    run = importer.import_rows if kind == "organizations" else importer.import_farms
    report = run(db(), sheet.numbered)
    if report.added:
        audit_change(
            "import",
            "organization" if kind == "organizations" else "farm",
            None,
            None,
            {
                "file": upload.filename,
                "added": report.added,
                "rejected": len(report.errors),
                "created": report.created,
            },
        )
    db().commit()
    return _page(
        "import_result.html",
        kind=kind,
        kinds=IMPORT_KINDS,
        filename=upload.filename,
        report=report,
        made=report.counts(),
        total=len(sheet.numbered),
        ignored=sheet.ignored,
        reason=reason,
    )


def _text_of(data: bytes, form: Form) -> str | None:
    """The file as text, or None with a message that says how to save it."""
    how = _("In Excel or LibreOffice: File › Save as › CSV UTF-8 (comma delimited).")
    if not data.strip():
        form.error("file", _("This file is empty."))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.error(
            "file",
            _("This file is not a CSV in UTF-8 (a spreadsheet or another encoding?).")
            + " "
            + how,
        )
        return None
    if "\x00" in text:
        form.error(
            "file", _("This file is not a CSV (it holds binary data).") + " " + how
        )
        return None
    return text


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    if request.endpoint != "panel.import_upload":
        return error
    form = Form({"kind": "organizations"})
    form.error(
        "file",
        _(
            "This file is larger than %(mb)s MB: split it into smaller files.",
            mb=MAX_UPLOAD_MB,
        ),
    )
    return _import_page(form, 413)


# ---- Export -----------------------------------------------------------------


@bp.get("/directory/export/<table>.csv")
@login_required
def directory_export(table: str) -> ResponseReturnValue:
    """One table as CSV (UTF-8 with BOM), streamed."""
    if table not in exports.TABLES:
        abort(404)
    chunks = exports.csv_chunks(
        runtime().sessions, table, runtime().settings.tz, secrets=can_change()
    )
    response = Response(chunks, mimetype="text/csv")
    stamp = now().strftime("%Y-%m-%d")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="glanage-{table}-{stamp}.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
