"""The claim link sent with every offer: /r/<token>.

Works without JavaScript on a phone: the offer, how much to take, a pickup
slot within the farmer's window, and a "no thanks" button.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from services.web.context import db, now, runtime
from services.web.forms import parse_quantity
from services.web.panel.base import limiter
from services.web.security import PUBLIC_FORM_LIMIT
from shared import claims
from shared.models import Offer
from shared.tokens import ExpiredToken, InvalidToken, load_claim

bp = Blueprint("claim", __name__)

# Pickup slots offered on each day of the farmer's window.
SLOTS = {"am": time(9, 0), "pm": time(13, 0)}


def _offer_for(token: str, session: Session) -> Offer | ResponseReturnValue:
    try:
        offer_id = load_claim(runtime().settings.secret_key, token, now())
    except ExpiredToken:
        return render_template("claim/invalid.html", reason="expired"), 410
    except InvalidToken:
        return render_template("claim/invalid.html", reason="invalid"), 404
    offer = session.get(Offer, offer_id)
    if offer is None:
        return render_template("claim/invalid.html", reason="invalid"), 404
    return offer


def pickup_days(until: date, today: date) -> list[date]:
    start = min(today, until)
    return [start + timedelta(days=n) for n in range((until - start).days + 1)][:14]


@bp.route("/r/<token>", methods=["GET", "POST"])
@limiter.limit(PUBLIC_FORM_LIMIT, methods=["POST"])
def claim_page(token: str) -> ResponseReturnValue:
    session = db()
    found = _offer_for(token, session)
    if not isinstance(found, Offer):
        return found
    offer = found
    surplus, org = offer.surplus, offer.organization
    days = pickup_days(surplus.available_until, now().date())
    form = {"quantity": "", "day": days[0].isoformat(), "slot": "am"}
    errors: dict[str, str] = {}

    if request.method == "POST":
        form.update({k: request.form.get(k, "") for k in ("quantity", "day", "slot")})
        if request.form.get("action") == "decline":
            claims.decline(session, surplus.id, org)
            session.commit()
            return render_template("claim/declined.html", surplus=surplus)
        requested, pickup_at = _read(form, days, errors)
        if not errors:
            result = claims.claim(
                session, surplus.id, org, requested, via="link", pickup_at=pickup_at
            )
            session.commit()
            if result.ok:
                return render_template(
                    "claim/confirmed.html", surplus=surplus, result=result
                )
            return render_template("claim/taken.html", surplus=surplus), 409

    status = 200 if not errors else 422
    return render_template(
        "claim/offer.html",
        offer=offer,
        surplus=surplus,
        org=org,
        day_options=[(d.isoformat(), format_date(d, "EEEE d MMMM")) for d in days],
        form=form,
        errors=errors,
    ), status


def _read(
    form: dict[str, str], days: list[date], errors: dict[str, str]
) -> tuple[float | None, datetime | None]:
    requested = None
    try:
        requested = parse_quantity(form["quantity"])
    except ValueError:
        errors["quantity"] = _(
            "Write a number of kg, like 150 or 1,5 — or leave empty to take all."
        )
    day = next((d for d in days if d.isoformat() == form["day"]), None)
    if day is None:
        errors["day"] = _("Pick a day within the farmer's window.")
    slot = SLOTS.get(form["slot"])
    if slot is None:
        errors["slot"] = _("Pick the morning or the afternoon.")
    if day is None or slot is None:
        return requested, None
    return requested, datetime.combine(day, slot, tzinfo=runtime().settings.tz)
