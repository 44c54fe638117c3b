"""A message to a farm's or an organization's contact, queued for the notifier.

Every text and email to a contact is made here, so every one obeys the same
rules: nothing to a person who opted out, and every email says who sends it
and carries its own way out (a link in the footer and the List-Unsubscribe
headers, honoured at once), as Canada's anti-spam law asks.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.utils import parseaddr

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, aliased

from shared import compose, gsm
from shared.config import Settings
from shared.logs import log_event
from shared.models import Contact, Message
from shared.tokens import sign_optout

log = logging.getLogger(__name__)

# The From of an SMS as stored; Twilio sends from the service, or from the
# number of the TWILIO_FROM pool that always texts this recipient.
SMS_SENDER = "glanage"
# The loop guard's window: two automatic systems answering each other send
# the same text again and again within it.
LOOP_WINDOW = timedelta(minutes=5)


def sender_address(mail_from: str) -> str:
    """glanage@example.org from "Glanage <glanage@example.org>"."""
    return parseaddr(mail_from)[1] or "glanage@example.org"


def optout_url(settings: Settings, contact_id: int, lang: str) -> str:
    """The contact's own link to get no more messages (no expiry)."""
    token = sign_optout(settings.secret_key, contact_id)
    prefix = "/en" if lang == "en" else ""
    return f"{settings.public_base_url.rstrip('/')}{prefix}/desabonnement/{token}"


def unsubscribe_headers(
    settings: Settings, contact_id: int, lang: str
) -> dict[str, str]:
    """RFC 2369 and RFC 8058: the mail program's own "unsubscribe" button."""
    return {
        "List-Unsubscribe": f"<{optout_url(settings, contact_id, lang)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def queue(
    session: Session,
    contact: Contact,
    channel: str,
    text: compose.Text,
    settings: Settings,
    *,
    surplus_id: int | None = None,
    offer_id: int | None = None,
) -> Message | None:
    """Store one message to `contact` on `channel`, status "queued"; None when
    there is no address for it or the person opted out."""
    address = contact.phone if channel == "sms" else contact.email
    if not address or contact.opted_out:
        return None
    if channel == "sms":
        body = text.sms
    else:
        lang = contact.language or "fr"
        site = settings.public_base_url.removeprefix("https://")
        link = optout_url(settings, contact.id, lang)
        body = f"{text.email}\n\n{compose.email_footer(lang, site, link)}"
    message = Message(
        direction="out",
        channel=channel,
        to_addr=address,
        from_addr=SMS_SENDER
        if channel == "sms"
        else sender_address(settings.mail_from),
        subject="" if channel == "sms" else text.subject,
        body=body,
        status="queued",
        segments=gsm.count_segments(body).segments if channel == "sms" else None,
        contact_id=contact.id,
        surplus_id=surplus_id,
        offer_id=offer_id,
    )
    session.add(message)
    return message


def _gone_lately(message: type[Message], now: datetime) -> ColumnElement[bool]:
    """What the loop guard counts: texts that went, or are going, out in the
    last LOOP_WINDOW."""
    return and_(
        message.direction == "out",
        message.status.in_(("sending", "sent", "delivered", "read")),
        message.created_at >= now - LOOP_WINDOW,
    )


def identical_lately(session: Session, to_addr: str, body: str, now: datetime) -> int:
    """How many identical texts went, or are going, to `to_addr` in the last
    LOOP_WINDOW (the loop guard compares it with GLANAGE_LOOP_GUARD_MAX)."""
    query = select(func.count(Message.id)).where(
        Message.to_addr == to_addr, Message.body == body, _gone_lately(Message, now)
    )
    return session.scalar(query) or 0


def identical_lately_many(
    session: Session, message_ids: list[int], now: datetime
) -> dict[int, int]:
    """identical_lately() for each of these messages (besides itself), in
    one query: a batch of offers checks its loop guard at once."""
    if not message_ids:
        return {}
    mine = aliased(Message)
    other = aliased(Message)
    rows = session.execute(
        select(mine.id, func.count(other.id))
        .join(
            other,
            and_(
                other.to_addr == mine.to_addr,
                other.body == mine.body,
                other.id != mine.id,
                _gone_lately(other, now),
            ),
        )
        .where(mine.id.in_(message_ids))
        .group_by(mine.id)
    ).all()
    return {message_id: count for message_id, count in rows}


def opt_out(contact: Contact, via: str, now: datetime) -> bool:
    """The person wants no more messages (by "sms", "email" or at the
    "carrier"); False when they had already said so. START brings them back."""
    if contact.opted_out_at is not None:
        return False
    contact.opted_out_at = now
    contact.opted_out_via = via
    log_event(log, "contact.opted_out", contact_id=contact.id, via=via)
    return True
