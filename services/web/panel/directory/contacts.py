"""Contacts: the people of a farm or an organization whom Glanage writes to,
their consent, and who asked for no more messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from services.web.context import db
from services.web.panel.base import bp, changes, login_required
from services.web.panel.directory.common import (
    LANGUAGES,
    action_label,
    add_record,
    assign,
    audited,
    get_or_404,
    history,
    phone_text,
    render,
    template_helpers,
)
from services.web.panel.directory.forms import Form
from shared import importer, outgoing, phones, privacy
from shared.models import AuditEntry, Contact, Farm, Message, Organization, utcnow

# What the audit log keeps of each contact, before and after a change.
CONTACT_FIELDS = (
    "name", "farm_id", "organization_id", "phone", "email", "language",
    "consent_at", "consent_source", "consent_text", "opted_out_at",
    "opted_out_via",
)  # fmt: skip

CONTACT_FORM = ("name", "phone", "email", "language")
OWNERS: dict[str, type[Farm] | type[Organization]] = {
    "farms": Farm,
    "organizations": Organization,
}


def owner_url(owner: Farm | Organization) -> str:
    if isinstance(owner, Farm):
        return url_for("panel.farm_page", farm_id=owner.id) + "#contacts"
    return url_for("panel.organization_page", org_id=owner.id) + "#contacts"


def _owner_of(contact: Contact) -> Farm | Organization | None:
    return contact.farm or contact.organization


# ---- Reading and showing a contact -----------------------------------------


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


def _posted() -> Form:
    return Form.posted(CONTACT_FORM, flags=("consent",))


def _read_contact(form: Form, contact_id: int | None) -> dict[str, Any] | None:
    name = form.text("name", required=True, limit=200)
    phone = _read_phone(form, contact_id)
    email = form.text("email", limit=254)
    if email and not importer.valid_email(email):
        form.error("email", _("Write an email address like nom@example.org."))
    if not form.values.get("phone") and not email:
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


def _read_phone(form: Form, contact_id: int | None) -> str | None:
    """The number as Glanage texts it, if it is one and no one else has it."""
    raw = str(form.values.get("phone", ""))
    if not raw:
        return None
    phone = phones.normalize(raw)
    if phone is None:
        form.error(
            "phone",
            _(
                "%(phone)s is not a phone number we can text: write it like "
                "450 555 0142.",
                phone=raw,
            ),
        )
        return None

    other = db().scalar(
        select(Contact).where(Contact.phone == phone, Contact.id != (contact_id or 0))
    )
    if other is not None:
        form.error("phone", _duplicate_message(other))
    return phone


def _duplicate_message(other: Contact) -> str:
    owner = other.farm or other.organization
    return _(
        "This number already belongs to %(name)s (%(owner)s): one number, one person.",
        name=other.name,
        owner=owner.name if owner is not None else "—",
    )


def _consent(contact: Contact, given: bool) -> None:
    """Record consent when it is newly given, and clear it when it is withdrawn."""
    if given and contact.consent_at is None:
        contact.consent_at = utcnow()
        contact.consent_source = "panel"
        contact.consent_text = privacy.CONSENT_SPOKEN
    elif not given and contact.consent_at is not None:
        contact.consent_at = None
        contact.consent_source = ""
        contact.consent_text = ""


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
        Moment(e.created_at, e.user.email if e.user else "—", action_label(e.action), e)
        for e in history("contact", contact.id)
    ]
    moments += _texted(contact)
    if contact.consent_at and contact.consent_source not in ("panel", "sms"):
        moments.append(
            Moment(contact.consent_at, contact.consent_source, _("Consent recorded"))
        )
    return sorted(moments, key=lambda m: m.at, reverse=True)


def _texted(contact: Contact) -> list[Moment]:
    """The contact's STOP and START texts."""
    texts = db().scalars(
        select(Message)
        .where(Message.contact_id == contact.id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(500)
    )
    moments = []
    for message in texts:
        intent = ((message.parsed or {}).get("parse") or {}).get("intent")
        if intent in ("stop", "start"):
            what = _("Opted out") if intent == "stop" else _("Opted back in")
            moments.append(
                Moment(message.created_at, "SMS", f"{what} « {message.body} »")
            )
    return moments


def _contact_page(
    contact: Contact | None, owner: Farm | Organization | None, form: Form
) -> ResponseReturnValue:
    return render(
        "contact.html",
        form,
        contact=contact,
        owner=owner,
        owner_kind="farms" if isinstance(owner, Farm) else "organizations",
        back=owner_url(owner) if owner else url_for("panel.directory", tab="contacts"),
        timeline=_timeline(contact) if contact is not None else [],
        languages=LANGUAGES,
        **template_helpers(),
    )


def _taken(
    contact: Contact | None, owner: Farm | Organization | None, form: Form
) -> ResponseReturnValue:
    """Someone saved the same number a moment ago: say so, keep what was typed."""
    db().rollback()
    form.error("phone", _("This number already belongs to another contact."))
    return _contact_page(contact, owner, form)


# ---- Adding and editing a contact ------------------------------------------


@bp.route(
    "/directory/<any(farms, organizations):kind>/<int:owner_id>/contacts/new",
    methods=["GET", "POST"],
)
@changes
def contact_new(kind: str, owner_id: int) -> ResponseReturnValue:
    owner = get_or_404(OWNERS[kind], owner_id)
    if request.method == "GET":
        return _contact_page(None, owner, Form(_contact_values(None, owner.language)))
    form = _posted()
    data = _read_contact(form, None)
    if data is None:
        return _contact_page(None, owner, form)

    contact = Contact(**data)
    _consent(contact, bool(form.values["consent"]))
    owner.contacts.append(contact)
    try:
        add_record(contact, "contact", CONTACT_FIELDS)
    except IntegrityError:
        return _taken(contact, owner, form)
    db().commit()
    flash(_("%(name)s added.", name=contact.name), "success")
    return redirect(owner_url(owner))


@bp.get("/directory/contacts/<int:contact_id>")
@login_required
def contact_page(contact_id: int) -> ResponseReturnValue:
    contact = get_or_404(Contact, contact_id)
    return _contact_page(contact, _owner_of(contact), Form(_contact_values(contact)))


@bp.post("/directory/contacts/<int:contact_id>")
@changes
def contact_save(contact_id: int) -> ResponseReturnValue:
    contact = get_or_404(Contact, contact_id)
    owner = _owner_of(contact)
    form = _posted()
    data = _read_contact(form, contact.id)
    if data is None:
        return _contact_page(contact, owner, form)

    with audited("edit", "contact", contact, CONTACT_FIELDS):
        assign(contact, data)
        _consent(contact, bool(form.values["consent"]))
    try:
        db().commit()
    except IntegrityError:
        return _taken(contact, owner, form)
    flash(_("Saved."), "success")
    return redirect(url_for("panel.contact_page", contact_id=contact.id))


# ---- Opting out and back in ------------------------------------------------


def _back_from(contact: Contact) -> ResponseReturnValue:
    return redirect(url_for("panel.contact_page", contact_id=contact.id) + "#messages")


@bp.post("/directory/contacts/<int:contact_id>/opt-out")
@changes
def contact_opt_out(contact_id: int) -> ResponseReturnValue:
    contact = get_or_404(Contact, contact_id)
    if contact.opted_out:
        flash(_("%(name)s had already opted out.", name=contact.name), "info")
        return _back_from(contact)

    with audited("opt_out", "contact", contact, CONTACT_FIELDS):
        outgoing.opt_out(contact, "panel", utcnow())
    db().commit()
    flash(
        _("%(name)s will get no more messages from Glanage.", name=contact.name),
        "success",
    )
    return _back_from(contact)


@bp.post("/directory/contacts/<int:contact_id>/opt-in")
@changes
def contact_opt_in(contact_id: int) -> ResponseReturnValue:
    contact = get_or_404(Contact, contact_id)
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

    with audited("opt_in", "contact", contact, CONTACT_FIELDS):
        contact.opted_out_at = None
        contact.opted_out_via = ""
        contact.consent_at = utcnow()
        contact.consent_source = "panel"
        contact.consent_text = privacy.CONSENT_ASKED_AGAIN
    db().commit()
    flash(_("%(name)s gets messages from Glanage again.", name=contact.name), "success")
    return _back_from(contact)


@bp.get("/directory/opt-out")
@login_required
def opt_out_list() -> ResponseReturnValue:
    """Everyone who asked for no more messages, newest first."""
    query = (
        select(Contact)
        .where(Contact.opted_out_at.is_not(None))
        .order_by(Contact.opted_out_at.desc())
        .options(selectinload(Contact.farm), selectinload(Contact.organization))
    )
    contacts = db().scalars(query).all()
    return render("opt_out.html", contacts=contacts, **template_helpers())
