"""Organizations: the food banks and community groups that get offers."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from services.web.context import db
from services.web.panel.base import bp, changes, login_required
from services.web.panel.directory.common import (
    LANGUAGES,
    Editor,
    category_names,
    get_or_404,
    history,
    render,
    template_helpers,
)
from services.web.panel.directory.forms import Form, read_place, shown
from shared.crops import CATEGORIES
from shared.models import Organization
from shared.seed import towns

# What the audit log keeps of each organization, before and after a change.
ORG_FIELDS = (
    "name", "kind", "municipality", "address", "lat", "lon", "service_radius_km",
    "weekly_capacity_kg", "cold_storage", "transport", "categories", "priority",
    "language", "channels", "active",
)  # fmt: skip

ORG_FORM = (
    "name", "kind", "municipality", "address", "lat", "lon", "service_radius_km",
    "weekly_capacity_kg", "language",
)  # fmt: skip
ORG_FLAGS = ("cold_storage", "transport", "priority", "active")
ORG_LISTS = ("categories", "channels")
CHANNELS = [("sms", "SMS"), ("email", _l("Email"))]


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
        "lat": shown(org.lat),
        "lon": shown(org.lon),
        "service_radius_km": shown(org.service_radius_km),
        "weekly_capacity_kg": shown(org.weekly_capacity_kg),
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
    place = read_place(form)
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
    kinds = db().scalars(select(Organization.kind).distinct()).all()
    return render(
        "organization.html",
        form,
        org=org,
        history=history("organization", org.id) if org is not None else [],
        towns=sorted(towns()),
        kinds=sorted({k for k in kinds if k}),
        languages=LANGUAGES,
        channels=CHANNELS,
        categories=CATEGORIES,
        category_names=category_names(),
        **template_helpers(),
    )


ORGANIZATIONS: Editor[Organization] = Editor(
    entity="organization",
    fields=ORG_FIELDS,
    values=_org_values,
    posted=lambda: Form.posted(ORG_FORM, lists=ORG_LISTS, flags=ORG_FLAGS),
    read=_read_org,
    page=_org_page,
    make=Organization,
    added=lambda org: _(
        "%(name)s is in the directory. Add the people who get its offers below.",
        name=org.name,
    ),
    url=lambda org: url_for("panel.organization_page", org_id=org.id),
)


@bp.route("/directory/organizations/new", methods=["GET", "POST"])
@changes
def organization_new() -> ResponseReturnValue:
    return ORGANIZATIONS.create()


@bp.get("/directory/organizations/<int:org_id>")
@login_required
def organization_page(org_id: int) -> ResponseReturnValue:
    return ORGANIZATIONS.show(get_or_404(Organization, org_id))


@bp.post("/directory/organizations/<int:org_id>")
@changes
def organization_save(org_id: int) -> ResponseReturnValue:
    return ORGANIZATIONS.save(get_or_404(Organization, org_id))
