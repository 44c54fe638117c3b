"""Twilio's webhooks: inbound messages and delivery status callbacks.

Both check Twilio's signature (behind a proxy too, against PUBLIC_BASE_URL).
Inbound messages are stored before anything else and answered in the TwiML
reply; a sender over its rate is still read and kept, only not answered.
Delivery statuses only move forward: a late "sent" never undoes "delivered".
"""

from __future__ import annotations

import logging
from typing import cast

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue
from limits import parse as parse_limit
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.datastructures import MultiDict

from services.web.context import db, now, runtime
from services.web.inbox import Inbound, receive
from services.web.panel import limiter
from shared import outgoing, phones
from shared.logs import log_event
from shared.models import Contact, Message, utcnow
from shared.offers import reflect_delivery

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, url_prefix="/sms")

# Twilio's delivery statuses, from least to most final; a late "sent" callback
# must never overwrite "delivered".
STATUS_ORDER = {
    "accepted": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "read": 5,
}


# Texts a minute one number may send before its texts are only kept: a
# person never comes near it, two machines answering each other do.
SENDER_RATE = parse_limit("20/minute")
# Twilio: the person texted STOP to the carrier.
UNSUBSCRIBED = "21610"


def _over_rate(sender: str) -> bool:
    """Whether `sender` went over SENDER_RATE in the last minute (a moving
    window: no fresh allowance at the top of each minute). The count lives in
    Flask-Limiter's storage, Redis when there is one; when it can't be
    reached, nobody is held back."""
    try:
        window = MovingWindowRateLimiter(limiter.storage)
        return not window.hit(SENDER_RATE, "sms-inbound", sender)
    except Exception:  # the limiter's storage is away: answer, don't fail
        log.warning("sms.rate_unavailable", exc_info=True)
        return False


def _check_signature() -> None:
    settings = runtime().settings
    token = settings.twilio_auth_token
    if not token:
        if settings.demo:
            return  # the demo's own simulator and curl, on a laptop
        # Without the token anyone could text as any farmer: refuse, and say why.
        log_event(log, "sms.no_auth_token", hint="set TWILIO_AUTH_TOKEN")
        abort(403)
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(token)
    # The values as Twilio signed them, before the request dropped any NUL.
    as_sent = cast(MultiDict[str, str], getattr(request.form, "as_sent", request.form))
    params = as_sent.to_dict()
    # Behind a proxy Flask sees an internal URL; Twilio signed the public one.
    public = runtime().settings.public_base_url.rstrip("/") + request.full_path
    candidates = {request.url, public.rstrip("?")}
    if not any(validator.validate(url, params, signature) for url in candidates):
        log_event(log, "sms.bad_signature", path=request.path)
        abort(403)


def _twiml(text: str) -> Response:
    response = MessagingResponse()
    if text:
        response.message(text)
    return Response(str(response), mimetype="text/xml")


@bp.post("/inbound")
def inbound() -> ResponseReturnValue:
    _check_signature()
    sender = request.form.get("From", "").strip()
    if not sender:
        return Response("missing From", status=400, mimetype="text/plain")
    message = Inbound(
        sender=sender,
        body=request.form.get("Body", ""),
        to=request.form.get("To", ""),
        sid=request.form.get("MessageSid") or None,
        over_rate=_over_rate(sender),
    )
    session = db()
    outcome = receive(session, message, now())
    session.commit()
    return _twiml(outcome.reply)


@bp.post("/status")
def status() -> ResponseReturnValue:
    _check_signature()
    sid = request.form.get("MessageSid", "")
    new_status = request.form.get("MessageStatus", "").lower()
    if not sid or new_status not in STATUS_ORDER:
        return Response("missing or unknown MessageSid/MessageStatus", status=400)
    session = db()
    message = session.scalar(select(Message).where(Message.provider_id == sid))
    if message is None:
        # Not ours (or not yet committed): acknowledge so Twilio stops retrying.
        return Response(status=204)
    error_code = request.form.get("ErrorCode", "")
    if STATUS_ORDER[new_status] >= STATUS_ORDER.get(message.status, 0):
        message.status = new_status
        message.error = error_code or message.error
        message.updated_at = utcnow()
        if message.offer_id is not None:
            reflect_delivery(session, message)
    if error_code == UNSUBSCRIBED:
        _opted_out_at_carrier(session, message)
    session.commit()
    log_event(log, "sms.status", message_id=message.id, status=new_status)
    return Response(status=204)


def _opted_out_at_carrier(session: Session, message: Message) -> None:
    """The carrier says this person texted STOP to it: send them nothing more."""
    phone = phones.normalize(message.to_addr)
    contact = session.scalar(select(Contact).where(Contact.phone == phone))
    if contact is not None:
        outgoing.opt_out(contact, "carrier", utcnow())
