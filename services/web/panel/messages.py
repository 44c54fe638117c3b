"""Every SMS and email, in and out, searchable; and who opted out."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from services.web.context import db, runtime
from services.web.panel.base import bp, login_required, nav
from shared import phones
from shared.models import Contact, Message, Surplus

PAGE = 200
STATUSES = {
    "received": _l("Received"),
    "queued": _l("Queued"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "undelivered": _l("Undelivered"),
    "failed": _l("Failed"),
}


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        flash(
            _("Dates are written YYYY-MM-DD: %(value)s was ignored.", value=raw),
            "error",
        )
        return None


def _search(form: dict[str, str]) -> Select[Message]:
    query = select(Message).order_by(Message.id.desc()).limit(PAGE)
    if text := form["q"]:
        # A phone in any form finds its E.164 form; anything else searches bodies.
        phone = phones.normalize(text)
        # autoescape: a "%" or "_" typed in the box finds itself, not everything.
        query = query.where(
            or_(
                Message.to_addr == phone,
                Message.from_addr == phone,
                Message.to_addr.icontains(text, autoescape=True),
                Message.from_addr.icontains(text, autoescape=True),
                Message.body.icontains(text, autoescape=True),
            )
        )
    if code := form["code"].strip().upper():
        query = query.join(Surplus, Surplus.id == Message.surplus_id).where(
            Surplus.code == code
        )
    if form["status"] in STATUSES:
        query = query.where(Message.status == form["status"])
    if form["channel"] in ("sms", "email"):
        query = query.where(Message.channel == form["channel"])
    tz = runtime().settings.tz
    if start := _day(form["start"]):
        query = query.where(Message.created_at >= datetime.combine(start, time(0), tz))
    if end := _day(form["end"]):
        after = datetime.combine(end + timedelta(days=1), time(0), tz)
        query = query.where(Message.created_at < after)
    return query


@bp.get("/messages")
@login_required
def messages() -> ResponseReturnValue:
    keys = ("q", "code", "status", "channel", "start", "end")
    form = {key: request.args.get(key, "").strip() for key in keys}
    found = db().scalars(_search(form)).all()
    opted_out = (
        db()
        .scalars(
            select(Contact)
            .where(Contact.opted_out_at.is_not(None))
            .order_by(Contact.opted_out_at.desc())
        )
        .all()
    )
    return render_template(
        "panel/messages.html",
        messages=found,
        form=form,
        status_options=[("", _("Any")), *STATUSES.items()],
        opted_out=opted_out,
        page=PAGE,
        nav_items=nav(),
    )
