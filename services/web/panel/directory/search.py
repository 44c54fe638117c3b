"""The directory's front page: farms, organizations and contacts in tabs, with
their counts, narrowed by a search that ignores accents and case."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from services.web.context import db
from services.web.panel.base import bp, login_required
from services.web.panel.directory.common import (
    category_names,
    phone_text,
    render,
    template_helpers,
)
from services.web.panel.directory.exports import export_labels
from shared import importer
from shared.models import Contact, Farm, Organization

TABS = {
    "farms": _l("Farms"),
    "organizations": _l("Organizations"),
    "contacts": _l("Contacts"),
}
# A page lists this many rows at most; a search narrows it down.
PAGE = 300

T = TypeVar("T")


@bp.get("/directory")
@login_required
def directory() -> ResponseReturnValue:
    """Farms, organizations and contacts, searchable, with their counts."""
    q = request.args.get("q", "").strip()[:200]
    tab = request.args.get("tab", "farms")
    tab = tab if tab in TABS else "farms"
    found = _search(_fold(q).split())
    if q and "tab" not in request.args and not found[tab]:
        # A search opens where it found something, not on an empty tab.
        tab = next((name for name in TABS if found.get(name)), tab)

    return render(
        "index.html",
        q=q,
        tab=tab,
        tabs=TABS,
        counts={name: len(items) for name, items in found.items()},
        items=found[tab][:PAGE],
        page=PAGE,
        opted_out=sum(1 for c in found["contacts"] if c.opted_out),
        exports=export_labels(),
        category_names=category_names(),
        **template_helpers(),
    )


def _search(words: list[str]) -> dict[str, list[Any]]:
    """What each tab finds: every record when there are no words."""
    farms = (
        select(Farm)
        .order_by(Farm.name)
        .options(selectinload(Farm.parcels), selectinload(Farm.contacts))
    )
    organizations = (
        select(Organization)
        .order_by(Organization.name)
        .options(selectinload(Organization.contacts))
    )
    contacts = (
        select(Contact)
        .order_by(Contact.name)
        .options(selectinload(Contact.farm), selectinload(Contact.organization))
    )
    return {
        "farms": _found(farms, _farm_texts, words),
        "organizations": _found(organizations, _organization_texts, words),
        "contacts": _found(contacts, _contact_texts, words),
    }


def _found(
    query: Select[T], texts: Callable[[T], list[str | None]], words: list[str]
) -> list[T]:
    return [record for record in db().scalars(query) if _matches(words, *texts(record))]


def _farm_texts(farm: Farm) -> list[str | None]:
    parcels = [p.name for p in farm.parcels]
    return [
        farm.name,
        farm.municipality,
        farm.address,
        *parcels,
        *_people(farm.contacts),
    ]


def _organization_texts(org: Organization) -> list[str | None]:
    return [org.name, org.kind, org.municipality, org.address, *_people(org.contacts)]


def _contact_texts(contact: Contact) -> list[str | None]:
    owner = contact.farm or contact.organization or contact
    return [owner.name, *_people([contact])]


def _fold(text: str | None) -> str:
    return importer.fold(text or "")


def _matches(words: list[str], *texts: str | None) -> bool:
    """Every word of the search appears somewhere (no accents, any case)."""
    haystack = " ".join(_fold(t) for t in texts if t)
    return all(word in haystack for word in words)


def _people(contacts: Iterable[Contact]) -> list[str | None]:
    """What a search may find of a record's contacts: names, emails, numbers."""
    found: list[str | None] = []
    for c in contacts:
        found += [c.name, c.email, *_phone_texts(c.phone)]
    return found


def _phone_texts(phone: str | None) -> list[str]:
    """A number as people search it: +14505550142, 4505550142, 450 555-0142."""
    if not phone:
        return []
    return [phone, phone.removeprefix("+1"), phone_text(phone)]
