"""Twilio's webhooks: inbound messages and delivery status callbacks."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from services.web.context import db, now, runtime
from services.web.inbox import Inbound, receive
from shared.logs import log_event
from shared.models import Message, utcnow
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


def _check_signature() -> None:
    token = runtime().settings.twilio_auth_token
    if not token:
        return
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(token)
    params = request.form.to_dict()
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
    if STATUS_ORDER[new_status] >= STATUS_ORDER.get(message.status, 0):
        message.status = new_status
        message.error = request.form.get("ErrorCode", "") or message.error
        message.updated_at = utcnow()
        if message.offer_id is not None:
            reflect_delivery(session, message)
    session.commit()
    log_event(log, "sms.status", message_id=message.id, status=new_status)
    return Response(status=204)
