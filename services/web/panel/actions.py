"""Stepping in: every form on a surplus's page posts here.

Each action checks the coordinator role, changes the database through
shared.coordination, records who did what in the audit log, and comes back
to the surplus with a message that says what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.web.context import db, now, runtime
from services.web.forms import parse_quantity
from services.web.panel.base import audit_change, bp, changes
from shared import audit, coordination
from shared.models import Claim, Message, Organization, Surplus

SURPLUS_FIELDS = ("status", "remaining_kg", "available_until", "wave")
CLAIM_FIELDS = (
    "quantity_kg",
    "pickup_at",
    "status",
    "outcome",
    "collected_kg",
    "share_farmer_pct",
    "share_gleaners_pct",
    "share_food_bank_pct",
    "outcome_note",
)


def _problem(code: str) -> str:
    """A person's words for what coordination refused."""
    words = {
        "closed": _("This surplus is closed: nothing left to offer."),
        "already_offered": _("This organization already has the offer."),
        "date_in_past": _("Pick a date from today on."),
        "not_failed": _("Only a message that failed can be sent again."),
        "negative": _("A claim cannot be negative."),
        "more_than_remains": _("Not enough kilos remain for that."),
        "shares_not_100": _("The three shares must add up to 100 %."),
        "unknown_outcome": _("Pick what happened."),
        "collected_kg_missing": _("How many kg were collected?"),
    }
    return words.get(code, code)


def _surplus(surplus_id: int) -> Surplus:
    surplus = db().get(Surplus, surplus_id)
    if surplus is None:
        abort(404)
    return surplus


def _back(surplus_id: int, anchor: str = "") -> Response:
    return redirect(url_for("panel.surplus_detail", surplus_id=surplus_id) + anchor)


def _apply_to_surplus(
    surplus: Surplus, action: str, change: Callable[[], object], done: str
) -> Response:
    """Run change(); audit it with the surplus before and after."""
    before = audit.snapshot(surplus, SURPLUS_FIELDS)
    try:
        change()
    except coordination.NotAllowed as refused:
        db().rollback()
        flash(_problem(str(refused)), "error")
        return _back(surplus.id)
    after = audit.snapshot(surplus, SURPLUS_FIELDS)
    audit_change(action, "surplus", surplus.id, before, after)
    db().commit()
    flash(done, "success")
    return _back(surplus.id)


@bp.post("/surplus/<int:surplus_id>/offer")
@changes
def offer_now(surplus_id: int) -> ResponseReturnValue:
    surplus = _surplus(surplus_id)
    raw = request.form.get("organization_id", "")
    organization = db().get(Organization, int(raw)) if raw.isdigit() else None
    if organization is None:
        flash(_("Pick an organization."), "error")
        return _back(surplus_id)
    return _apply_to_surplus(
        surplus,
        "offer_now",
        lambda: coordination.offer_to(db(), surplus, organization),
        _("Offer sent to %(name)s.", name=organization.name),
    )


@bp.post("/surplus/<int:surplus_id>/next-wave")
@changes
def next_wave_now(surplus_id: int) -> ResponseReturnValue:
    surplus = _surplus(surplus_id)
    return _apply_to_surplus(
        surplus,
        "next_wave",
        lambda: coordination.request_next_wave(db(), surplus),
        _("The next wave is on its way."),
    )


@bp.post("/surplus/<int:surplus_id>/extend")
@changes
def extend_surplus(surplus_id: int) -> ResponseReturnValue:
    surplus = _surplus(surplus_id)
    try:
        until = date.fromisoformat(request.form.get("until", ""))
    except ValueError:
        flash(_("Pick a date from today on."), "error")
        return _back(surplus_id)
    return _apply_to_surplus(
        surplus,
        "extend",
        lambda: coordination.extend(db(), surplus, until, now().date()),
        _("Offer open until %(day)s.", day=until.isoformat()),
    )


@bp.post("/surplus/<int:surplus_id>/close")
@changes
def close_surplus(surplus_id: int) -> ResponseReturnValue:
    surplus = _surplus(surplus_id)
    return _apply_to_surplus(
        surplus,
        "close",
        lambda: coordination.close(db(), surplus),
        _("Closed. Waiting organizations are being told."),
    )


@bp.post("/message/<int:message_id>/resend")
@changes
def resend_message(message_id: int) -> ResponseReturnValue:
    message = db().get(Message, message_id)
    if message is None:
        abort(404)
    try:
        copy = coordination.resend(db(), message)
    except coordination.NotAllowed as refused:
        flash(_problem(str(refused)), "error")
        return _back_to_message(message)
    audit_change("resend", "message", message.id, None, {"copy_id": copy.id})
    db().commit()
    flash(_("Sent again."), "success")
    return _back_to_message(message)


def _back_to_message(message: Message) -> Response:
    if message.surplus_id:
        return _back(message.surplus_id, "#messages")
    return redirect(url_for("panel.board"))


def _claim(claim_id: int) -> Claim:
    claim = db().get(Claim, claim_id)
    if claim is None:
        abort(404)
    return claim


def _number(name: str) -> float | None:
    try:
        return parse_quantity(request.form.get(name, "")) or 0.0
    except ValueError:
        return None


@bp.post("/claim/<int:claim_id>")
@changes
def claim_edit(claim_id: int) -> ResponseReturnValue:
    claim = _claim(claim_id)
    before = audit.snapshot(claim, CLAIM_FIELDS)
    quantity = _number("quantity_kg")
    pickup = _pickup(request.form.get("pickup_at", ""))
    if quantity is None or pickup is False:
        flash(_("Write the kg as a number and the pickup as a date and time."), "error")
        return _back(claim.surplus_id, "#claims")
    try:
        moment = pickup if isinstance(pickup, datetime) else None
        coordination.edit_claim(db(), claim, quantity, moment)
    except coordination.NotAllowed as refused:
        db().rollback()
        flash(_problem(str(refused)), "error")
        return _back(claim.surplus_id, "#claims")
    audit_change("edit", "claim", claim.id, before, audit.snapshot(claim, CLAIM_FIELDS))
    db().commit()
    flash(_("Claim saved."), "success")
    return _back(claim.surplus_id, "#claims")


def _pickup(raw: str) -> datetime | bool | None:
    """The pickup moment in local time; None when empty, False when unreadable."""
    if not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return False
    return (
        moment.replace(tzinfo=runtime().settings.tz)
        if moment.tzinfo is None
        else moment
    )


@bp.post("/claim/<int:claim_id>/outcome")
@changes
def claim_outcome(claim_id: int) -> ResponseReturnValue:
    claim = _claim(claim_id)
    before = audit.snapshot(claim, CLAIM_FIELDS)
    shares = [
        _number(name) for name in ("share_farmer", "share_gleaners", "share_food_bank")
    ]
    collected = _number("collected_kg")
    if any(s is None for s in shares):
        flash(_problem("shares_not_100"), "error")
        return _back(claim.surplus_id, "#claims")
    try:
        coordination.record_outcome(
            db(),
            claim,
            request.form.get("outcome", ""),
            collected,
            coordination.Shares(*shares),  # type: ignore[arg-type]
            request.form.get("note", ""),
        )
    except coordination.NotAllowed as refused:
        db().rollback()
        flash(_problem(str(refused)), "error")
        return _back(claim.surplus_id, "#claims")
    audit_change(
        "outcome", "claim", claim.id, before, audit.snapshot(claim, CLAIM_FIELDS)
    )
    db().commit()
    flash(_("Pickup recorded."), "success")
    return _back(claim.surplus_id, "#claims")
