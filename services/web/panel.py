"""The coordinator's panel: a live board of surpluses and the SMS simulator.

The board refreshes itself through a small HTML fragment (static/live.js);
without JavaScript it is a normal page with a refresh link.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash

from services.matcher.scoring import Reason
from services.web.context import db, now
from services.web.inbox import Inbound, receive
from shared import phones
from shared.models import Contact, Match, Message, Surplus, User

bp = Blueprint("panel", __name__, url_prefix="/panel")


def login_required(
    view: Callable[..., ResponseReturnValue],
) -> Callable[..., ResponseReturnValue]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if session.get("user_id") is None:
            return redirect(url_for("panel.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped


def nav() -> list[tuple[str, str, bool]]:
    items = [
        (url_for("panel.board"), _("Board"), request.endpoint == "panel.board"),
        (
            url_for("panel.simulator"),
            _("SMS simulator"),
            request.endpoint == "panel.simulator",
        ),
        (url_for("panel.logout"), _("Log out"), False),
    ]
    return items


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    email = request.form.get("email", "").strip().lower()
    if request.method == "POST":
        user = db().scalar(select(User).where(User.email == email))
        password = request.form.get("password", "")
        if user is not None and check_password_hash(user.password_hash, password):
            session.clear()
            session["user_id"] = user.id
            target = request.args.get("next", "")
            # Only local paths: never bounce a coordinator to another site.
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("panel.board")
            return redirect(target)
        flash(_("Wrong email or password."), "error")
    return render_template("panel/login.html", email=email), (
        401 if request.method == "POST" else 200
    )


@bp.post("/logout")
@bp.get("/logout")
def logout() -> ResponseReturnValue:
    session.pop("user_id", None)
    return redirect(url_for("panel.login"))


def _surpluses() -> list[Surplus]:
    return list(
        db().scalars(
            select(Surplus)
            .order_by(Surplus.id.desc())
            .limit(30)
            .options(
                selectinload(Surplus.matches).selectinload(Match.organization),
                selectinload(Surplus.offers),
                selectinload(Surplus.claims),
            )
        )
    )


def reason_text(reason: dict[str, Any], lang: str) -> str:
    return Reason(reason["code"], reason.get("params", {})).text(lang)


@bp.get("/")
@login_required
def board() -> ResponseReturnValue:
    return render_template(
        "panel/board.html",
        surpluses=_surpluses(),
        nav_items=nav(),
        reason_text=reason_text,
    )


@bp.get("/board/live")
@login_required
def board_live() -> ResponseReturnValue:
    return render_template(
        "panel/_board.html", surpluses=_surpluses(), reason_text=reason_text
    )


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
