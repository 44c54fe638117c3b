"""The SMS simulator: text as any farm or organization, see every reply.

It goes through exactly the path of Twilio's webhook (services.web.inbox).
"""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from services.web.context import db, now
from services.web.inbox import Inbound, receive
from services.web.panel.base import bp, login_required, nav
from shared import phones
from shared.models import Contact, Message


def _thread(phone: str | None) -> list[Message]:
    query = select(Message).order_by(Message.id.desc()).limit(60)
    if phone:
        contact = db().scalar(select(Contact).where(Contact.phone == phone))
        addresses = [phone] + ([contact.email] if contact and contact.email else [])
        query = query.where(
            or_(Message.to_addr.in_(addresses), Message.from_addr.in_(addresses))
        )
    return list(reversed(db().scalars(query).all()))


def _contacts() -> list[Contact]:
    return list(
        db().scalars(
            select(Contact)
            .where(Contact.phone.is_not(None))
            .order_by(Contact.farm_id.is_(None), Contact.name)
        )
    )


def _label(contact: Contact) -> str:
    owner = (
        contact.farm.name
        if contact.farm
        else (contact.organization.name if contact.organization else "?")
    )
    role = _("farm") if contact.farm else _("organization")
    return f"{contact.name} · {owner} ({role})"


@bp.route("/simulator", methods=["GET", "POST"])
@login_required
def simulator() -> ResponseReturnValue:
    # "+" in a hand-typed query string arrives as a space: normalize it back.
    phone = phones.normalize(request.values.get("phone", "").strip()) or ""
    typed = request.values.get("number", "").strip()
    if typed:
        phone = phones.normalize(typed) or ""
        if not phone:
            flash(
                _("This phone number doesn't look right: %(number)s", number=typed),
                "error",
            )
    if request.method == "POST" and not current_user.can("coordinator"):
        abort(403)  # texting as someone acts for them: coordinators only
    if request.method == "POST" and phone:
        body = request.form.get("body", "")
        sid = "SM" + secrets.token_hex(16)
        receive(db(), Inbound(sender=phone, body=body, to="simulator", sid=sid), now())
        db().commit()
        return redirect(url_for("panel.simulator", phone=phone))
    contacts = _contacts()
    return render_template(
        "panel/simulator.html",
        contact_options=[(c.phone, _label(c)) for c in contacts],
        phone_label=next((_label(c) for c in contacts if c.phone == phone), phone),
        phone=phone,
        thread=_thread(phone or None),
        nav_items=nav(),
    )


@bp.get("/simulator/live")
@login_required
def simulator_live() -> ResponseReturnValue:
    phone = phones.normalize(request.args.get("phone", "").strip())
    return render_template("panel/_thread.html", thread=_thread(phone), phone=phone)
