"""What every directory page shares: rendering, history, labels, and the
create and edit steps that each kind of record goes through the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from flask import abort, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services.web.context import db
from services.web.panel.base import audit_change, can_change, nav
from services.web.panel.directory.forms import Form
from shared import audit
from shared.models import AuditEntry, Base, Farm, Organization, Parcel
from shared.reasons import CATEGORY_NAMES

LANGUAGES = [("fr", "Français"), ("en", "English")]

Model = TypeVar("Model", bound=Base)


class Record(Protocol):
    """A saved row, named by its id in the audit log."""

    @property
    def id(self) -> int: ...


# What an Editor serves (contacts have create and edit steps of their own).
Edited = TypeVar("Edited", bound=Farm | Organization | Parcel)


def get_or_404(model: type[Model], entity_id: int) -> Model:
    found = db().get(model, entity_id)
    if found is None:
        abort(404)
    return found


def render(template: str, form: Form | None = None, **context: Any) -> tuple[str, int]:
    """A directory page; 422 when the form it shows has errors."""
    status = 422 if form is not None and form.errors else 200
    page = render_template(
        f"panel/directory/{template}",
        form=form,
        can_change=can_change(),
        nav_items=nav(),
        **context,
    )
    return page, status


def phone_text(phone: str | None) -> str:
    """How a number reads on the page: "450 555-0142" (full; this is the panel)."""
    if not phone:
        return ""
    if phone.startswith("+1") and len(phone) == 12:
        return f"{phone[2:5]} {phone[5:8]}-{phone[8:]}"
    return phone


def history(entity: str, entity_id: int) -> list[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id.desc())
        .limit(50)
        .options(selectinload(AuditEntry.user))
    )
    return list(db().scalars(query).all())


def changed(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for what an audit entry changed."""
    before, after = entry.before or {}, entry.after or {}
    return [
        (key, before.get(key), after.get(key))
        for key in dict.fromkeys([*before, *after])
        if before.get(key) != after.get(key)
    ]


def action_label(action: str) -> str:
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


def template_helpers() -> dict[str, Any]:
    return {
        "phone_text": phone_text,
        "changed": changed,
        "action_label": action_label,
    }


def category_names() -> dict[str, str]:
    """Food categories in the reader's language ("les légumes feuilles")."""
    column = 1 if _lang() == "en" else 0
    return {
        key: names[column].removeprefix("les ").capitalize()
        for key, names in CATEGORY_NAMES.items()
    }


def _lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "fr"


# ---- Changing records, each change in the audit log ------------------------


def add_record(record: Record, entity: str, fields: tuple[str, ...]) -> None:
    """Add a new record to the session and the audit log (not yet committed)."""
    db().add(record)
    db().flush()
    audit_change("create", entity, record.id, None, audit.snapshot(record, fields))


@contextmanager
def audited(
    action: str, entity: str, record: Record, fields: tuple[str, ...]
) -> Iterator[None]:
    """Log what the block changes in the record, before and after; nothing if
    it changed nothing."""
    before = audit.snapshot(record, fields)
    yield
    after = audit.snapshot(record, fields)
    if after != before:
        audit_change(action, entity, record.id, before, after)


def assign(record: object, data: dict[str, Any]) -> None:
    for name, value in data.items():
        setattr(record, name, value)


@dataclass(frozen=True)
class Editor(Generic[Edited]):
    """The create and edit pages of one kind of record.

    The kind says how its form is filled, read and shown, how a new record is
    made, and where to go once it is saved. The steps are the same for all: a
    form with errors comes back (422); a good one is saved, with its audit
    entry and a message.
    """

    entity: str  # its name in the audit log
    fields: tuple[str, ...]  # what the audit log keeps of it
    values: Callable[[Edited | None], dict[str, Any]]  # a form filled from a record
    posted: Callable[[], Form]
    read: Callable[[Form], dict[str, Any] | None]  # None when the form has errors
    page: Callable[[Edited | None, Form], ResponseReturnValue]
    make: Callable[..., Edited]  # a new record from what `read` returned
    added: Callable[[Edited], str]  # the message once a new record is saved
    url: Callable[[Edited], str]  # where to go once a record is saved

    def show(self, record: Edited | None) -> ResponseReturnValue:
        """The record's page, its form filled from it (blank for a new one)."""
        return self.page(record, Form(self.values(record)))

    def create(self) -> ResponseReturnValue:
        """The blank form (GET), or the new record saved (POST)."""
        if request.method == "GET":
            return self.show(None)
        form = self.posted()
        data = self.read(form)
        if data is None:
            return self.page(None, form)

        record = self.make(**data)
        add_record(record, self.entity, self.fields)
        db().commit()
        flash(self.added(record), "success")
        return redirect(self.url(record))

    def save(self, record: Edited) -> ResponseReturnValue:
        form = self.posted()
        data = self.read(form)
        if data is None:
            return self.page(record, form)

        with audited("edit", self.entity, record, self.fields):
            assign(record, data)
        db().commit()
        flash(_("Saved."), "success")
        return redirect(self.url(record))
