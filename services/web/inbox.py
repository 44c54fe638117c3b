"""What happens when someone texts Glanage: the same path for Twilio's webhook,
the SMS simulator and the tests.

Every inbound message is stored first, untouched, so nothing a person sent is
ever lost, whatever happens next. The reply says what was understood and, when
something is missing, asks for exactly that; the answer completes the same
announcement.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from services.web.context import runtime
from shared import claims, compose, crops, gsm, outgoing, phones, privacy
from shared.grammar import MAX_KG, Parsed, parse
from shared.i18n import format_kg, t
from shared.logs import log_event
from shared.models import (
    Contact,
    Farm,
    Message,
    Offer,
    Organization,
    PendingAnnouncement,
    Surplus,
    utcnow,
)
from shared.surpluses import Announcement, announce

log = logging.getLogger(__name__)

# Longest message we read; Twilio concatenates up to 1,600 characters.
MAX_BODY = 1600
# A half-finished announcement waits this long for the missing piece.
PENDING_TTL = timedelta(hours=24)
# When the farmer gives no date, the offer stays open this many days.
DEFAULT_WINDOW_DAYS = 3
ANNOUNCE_FIELDS = ("parcel", "crop", "quantity", "unit", "quantity_kg")


@dataclass(frozen=True)
class Inbound:
    sender: str  # as Twilio sent it
    body: str
    to: str = ""
    sid: str | None = None
    # The sender went over its rate (services.web.sms): read and keep the
    # message, answer nothing.
    over_rate: bool = False


@dataclass(frozen=True)
class Outcome:
    reply: str
    message_id: int
    duplicate: bool = False


def receive(session: Session, inbound: Inbound, now: datetime) -> Outcome:
    """Store, understand and answer one text message."""
    if inbound.sid:
        seen = session.scalar(
            select(Message).where(Message.provider_id == inbound.sid[:64])
        )
        if seen is not None:
            reply = (seen.parsed or {}).get("reply", "")
            return Outcome(reply, seen.id, duplicate=True)

    phone = phones.normalize(inbound.sender) or inbound.sender.strip()[:40]
    contact = _sender(session, phone)
    message = Message(
        direction="in",
        channel="sms",
        # Cut to the columns' sizes: Twilio's own values are far shorter, and
        # anything longer must still be kept, not refused by the database.
        to_addr=(inbound.to or "glanage")[:254],
        from_addr=phone,
        body=inbound.body,
        status="received",
        provider_id=inbound.sid[:64] if inbound.sid else None,
        segments=gsm.count_segments(inbound.body).segments,
        contact_id=contact.id if contact else None,
    )
    session.add(message)
    session.flush()

    parsed = _parse_for(contact, inbound.body, now)
    held = _silence(session, inbound, contact, phone, parsed)
    if held and parsed.intent not in ("stop", "start"):
        reply = ""  # kept, not acted on: nobody will hear about it
    else:
        reply = _answer(session, contact, parsed, message, now)
    held = held or _looping(session, message.from_addr, reply, now)
    if held:
        reply = ""
    message.parsed = {"parse": parsed.to_dict(), "reply": reply}
    if held:
        message.parsed["held"] = held
    _store_reply(session, message, reply)
    log_event(
        log,
        "sms.received",
        message_id=message.id,
        from_=phone,
        intent=parsed.intent,
        problems=",".join(parsed.problems) or None,
        held=held or None,
    )
    return Outcome(reply, message.id)


def _sender(session: Session, phone: str) -> Contact | None:
    """The contact behind a number, with what every answer reads (the farm
    and its parcels, or the organization) in the same round trip: the webhook
    is answered while Twilio waits, and each lazy load was one more."""
    return (
        session.execute(
            select(Contact)
            .where(Contact.phone == phone)
            .options(
                joinedload(Contact.farm).joinedload(Farm.parcels),
                joinedload(Contact.organization),
            )
        )
        .unique()
        .scalar_one_or_none()
    )


def _silence(
    session: Session,
    inbound: Inbound,
    contact: Contact | None,
    phone: str,
    parsed: Parsed,
) -> str:
    """Why this message gets no automatic answer at all, or "".

    STOP and START are still obeyed when silenced; everything else is kept
    for the coordinator and not acted on.
    """
    if not phones.normalize(inbound.sender):
        # A short code or an alphanumeric sender is a machine: answering it
        # can start a loop, and nobody reads the answer.
        return "automated sender"
    if inbound.over_rate:
        return "over the sender's rate"
    if parsed.intent not in ("start", "help") and _opted_out(session, contact, phone):
        # One confirmation of STOP, then nothing until START (CASL); HELP
        # still says who we are and how to come back.
        return "opted out"
    return ""


def _opted_out(session: Session, contact: Contact | None, phone: str) -> bool:
    if contact is not None:
        return contact.opted_out
    # A number we don't know has no contact to mark: its own last word counts.
    for parsed in session.scalars(
        select(Message.parsed)
        .where(Message.direction == "in", Message.from_addr == phone)
        .order_by(Message.id.desc())
        .limit(50)
    ):
        intent = ((parsed or {}).get("parse") or {}).get("intent")
        if intent in ("stop", "start"):
            return bool(intent == "stop")
    return False


def _looping(session: Session, phone: str, reply: str, now: datetime) -> str:
    """Why the answer is held back: "loop guard" when the same answer already
    went to this number GLANAGE_LOOP_GUARD_MAX times in 5 minutes, else ""."""
    if not reply:
        return ""
    # What is pending here is this inbound message's surplus_id (outgoing
    # rows of this request are flushed where they are written, and the reply
    # is stored after this): flushed with its `parsed` at commit, one UPDATE
    # instead of two.
    with session.no_autoflush:
        same = outgoing.identical_lately(session, phone, reply, now)
    return "loop guard" if same >= runtime().settings.loop_guard_max else ""


def _parse_for(contact: Contact | None, body: str, now: datetime) -> Parsed:
    names: dict[str, str] = {}
    if contact and contact.farm:
        names = {p.name: p.code for p in contact.farm.parcels if p.name}
    return parse(body[:MAX_BODY], now=now, parcel_names=names)


def _store_reply(session: Session, inbound: Message, reply: str) -> None:
    if not reply:
        return
    session.add(
        Message(
            direction="out",
            channel="sms",
            to_addr=inbound.from_addr,
            from_addr=inbound.to_addr,
            body=reply,
            # Twilio sends a TwiML reply itself; the simulator shows it at once.
            status="sent",
            segments=gsm.count_segments(reply).segments,
            contact_id=inbound.contact_id,
            # The answer belongs to the same surplus: the panel shows both.
            surplus_id=inbound.surplus_id,
        )
    )


def _language(contact: Contact | None, parsed: Parsed) -> str:
    if parsed.language == "en" and parsed.intent != "unknown":
        return "en"
    if contact is not None:
        return contact.language
    return parsed.language or "fr"


def _answer(
    session: Session,
    contact: Contact | None,
    parsed: Parsed,
    message: Message,
    now: datetime,
) -> str:
    lang = _language(contact, parsed)
    if parsed.intent == "stop":
        return _opt_out(contact, lang)
    if parsed.intent == "start":
        return _opt_in(session, contact, lang)
    if parsed.intent == "help":
        return _help(contact, lang)
    if contact is None:
        return gsm.fit_sms(
            t(
                lang,
                "Hi! This number isn't registered with Glanage yet. "
                "Ask your regional coordinator to add you.",
            )
        )
    if contact.farm is not None:
        return _farmer(session, contact, contact.farm, parsed, message, lang, now)
    if contact.organization is not None:
        return _organization(session, contact.organization, parsed, message, lang)
    return _help(contact, lang)


def _opt_out(contact: Contact | None, lang: str) -> str:
    if contact is not None:
        outgoing.opt_out(contact, "sms", utcnow())
    return gsm.fit_sms(
        t(lang, "You won't get any more texts from Glanage. Text START to come back.")
    )


def _opt_in(session: Session, contact: Contact | None, lang: str) -> str:
    reply = gsm.fit_sms(t(lang, "Welcome back! You will get Glanage texts again."))
    if contact is not None:
        contact.opted_out_at = None
        contact.opted_out_via = ""
        contact.consent_at = utcnow()
        contact.consent_source = "sms"
        # What they said yes to, in their words and ours (Law 25).
        contact.consent_text = privacy.sms_start_consent(session, contact, reply)
    return reply


def _help(contact: Contact | None, lang: str) -> str:
    """Who is writing (Canada's anti-spam law asks every sender to say so, with
    a way to reach them), what to text, and how to stop."""
    who = t(
        lang,
        "Glanage, by Nourrir Lanaudière ({site}).",
        site=runtime().settings.public_base_url.removeprefix("https://"),
    )
    if contact is not None and contact.farm is not None:
        what = t(
            lang,
            "Announce: DISPO P3 squash 500 kg until friday. Cancel: CANCEL A12. "
            "Your offers: LIST. Stop texts: STOP.",
        )
    elif contact is not None:
        what = t(
            lang,
            "Take an offer: YES A12 (all) or YES A12 200 (kg). Pass: NO A12. "
            "Open offers: LIST. Stop texts: STOP.",
        )
    else:
        what = t(lang, "To join, ask your regional coordinator. Stop texts: STOP.")
    return gsm.fit_sms(f"{who} {what}")


# --- farmers -----------------------------------------------------------------


def _farmer(
    session: Session,
    contact: Contact,
    farm: Farm,
    parsed: Parsed,
    message: Message,
    lang: str,
    now: datetime,
) -> str:
    if parsed.intent == "announce":
        return _announce(session, contact, farm, parsed, message, lang, now)
    if parsed.intent == "cancel":
        return _cancel(session, farm, parsed, message, lang)
    if parsed.intent == "status":
        return _farm_status(session, farm, lang)
    if parsed.intent in ("claim", "decline"):
        return gsm.fit_sms(
            t(
                lang,
                "This number belongs to a farm. To offer food: DISPO P3 squash "
                "500 kg until friday.",
            )
        )
    return _not_understood(parsed, lang, farmer=True)


def _announce(
    session: Session,
    contact: Contact,
    farm: Farm,
    parsed: Parsed,
    message: Message,
    lang: str,
    now: datetime,
) -> str:
    pending = session.get(PendingAnnouncement, contact.id)
    fields = _merge_pending(pending, parsed, now)
    if fields.get("parcel") is None and len(farm.parcels) == 1:
        fields["parcel"] = farm.parcels[0].code
    missing = _missing(fields, farm)
    if missing:
        _keep_pending(session, contact, pending, fields, message, now)
        return _ask_for(missing, farm, lang)

    parcel = next(p for p in farm.parcels if p.code == fields["parcel"])
    until = _until(fields.get("available_until"), fields["crop"], now)
    surplus = announce(
        session,
        farm,
        Announcement(
            parcel=parcel,
            crop=fields["crop"],
            quantity=float(fields["quantity"]),
            unit=fields["unit"] or "kg",
            quantity_kg=float(fields["quantity_kg"]),
            available_until=until,
        ),
        source="sms",
    )
    message.surplus_id = surplus.id
    if pending is not None:
        session.delete(pending)  # completed: nothing waits any more
    return gsm.fit_sms(
        t(
            lang,
            "Thanks! {code}: {crop}, {kg}, {parcel}, until {until}. We're finding "
            "organizations; you'll get a text when one takes it.",
            code=surplus.code,
            crop=surplus.crop,
            kg=format_kg(surplus.quantity_kg, lang),
            parcel=parcel.code,
            until=compose.short_date(until, lang),
        )
    )


def _merge_pending(
    pending: PendingAnnouncement | None, parsed: Parsed, now: datetime
) -> dict[str, Any]:
    """This message's fields, completed by a recent unfinished announcement."""
    fields = {name: getattr(parsed, name) for name in ANNOUNCE_FIELDS}
    until = parsed.available_until
    fields["available_until"] = until.isoformat() if until else None
    if pending is not None and now - pending.updated_at <= PENDING_TTL:
        for name, value in pending.fields.items():
            if fields.get(name) is None:
                fields[name] = value
    return fields


def _keep_pending(
    session: Session,
    contact: Contact,
    pending: PendingAnnouncement | None,
    fields: dict[str, Any],
    message: Message,
    now: datetime,
) -> None:
    """Keep what this announcement has so far, for the answer to complete.

    Only when something is missing: a complete announcement is never written
    here just to be deleted in the same transaction (two round trips less).
    """
    if pending is None:
        pending = PendingAnnouncement(contact_id=contact.id, fields={}, message_ids=[])
        session.add(pending)
    pending.fields = fields
    pending.message_ids = [*(pending.message_ids or []), message.id]
    pending.updated_at = now


def _missing(fields: dict[str, Any], farm: Farm) -> list[str]:
    missing = []
    codes = {p.code for p in farm.parcels}
    if fields.get("parcel") not in codes:
        missing.append("parcel")
    if not fields.get("crop"):
        missing.append("crop")
    kg = fields.get("quantity_kg")
    if not fields.get("quantity") or (kg is not None and not 0 < kg <= MAX_KG):
        # None, nothing ("0.004 kg"), less than nothing or more than a farm
        # grows: ask for the amount again.
        missing.append("quantity")
    elif kg is None:
        missing.append("kg")
    return missing


def _ask_for(missing: list[str], farm: Farm, lang: str) -> str:
    codes = ", ".join(p.code for p in farm.parcels)
    questions = {
        "parcel": t(lang, "Which parcel? ({codes})", codes=codes),
        "crop": t(lang, "Which crop? (e.g. squash)"),
        "quantity": t(lang, "How much? (e.g. 300 kg)"),
        "kg": t(lang, "About how many kg is that? (e.g. 200 kg)"),
    }
    asked = " ".join(questions[name] for name in missing)
    return gsm.fit_sms(
        t(lang, "Almost! {questions} Just reply with that.", questions=asked)
    )


def _until(value: str | None, crop_name: str, now: datetime) -> date:
    if value:
        return date.fromisoformat(value)
    # Perishables go fast: without a date, offer them for a shorter window.
    crop = crops.get_crop(crop_name)
    days = 1 if crop and crop.perishable else DEFAULT_WINDOW_DAYS
    return now.date() + timedelta(days=days)


def _own_surplus(session: Session, farm: Farm, code: str | None) -> Surplus | None:
    if not code:
        return None
    return session.scalar(
        select(Surplus).where(Surplus.code == code.upper(), Surplus.farm_id == farm.id)
    )


def _cancel(
    session: Session, farm: Farm, parsed: Parsed, message: Message, lang: str
) -> str:
    surplus = _own_surplus(session, farm, parsed.offer_code)
    if surplus is None:
        return _unknown_code(parsed, lang, "CANCEL")
    cancelled = claims.cancel(session, surplus)
    _about(message, surplus)
    if not cancelled:
        return gsm.fit_sms(
            t(lang, "{code} is already closed. Nothing changed.", code=surplus.code)
        )
    return gsm.fit_sms(
        t(
            lang,
            "{code} withdrawn. Organizations that already claimed keep their share.",
            code=surplus.code,
        )
    )


def _farm_status(session: Session, farm: Farm, lang: str) -> str:
    open_ones = [
        s
        for s in session.scalars(
            select(Surplus).where(Surplus.farm_id == farm.id).order_by(Surplus.id)
        )
        if s.is_open
    ]
    if not open_ones:
        return gsm.fit_sms(t(lang, "No open offers. To offer: DISPO P3 squash 500 kg."))
    lines = [
        f"{s.code} {s.crop} {format_kg(s.remaining_kg, lang)}/"
        f"{format_kg(s.quantity_kg, lang)}"
        for s in open_ones[:5]
    ]
    return gsm.fit_sms(t(lang, "Open: {lines}", lines="; ".join(lines)))


# --- organizations -------------------------------------------------------------


def _organization(
    session: Session, org: Organization, parsed: Parsed, message: Message, lang: str
) -> str:
    if parsed.intent == "status":
        return _org_status(session, org, lang)
    if parsed.intent not in ("claim", "decline"):
        return _not_understood(parsed, lang, farmer=False)
    surplus = _offered_surplus(session, org, parsed.offer_code)
    if surplus is None:
        keyword = "YES" if parsed.intent == "claim" else "NO"
        return _unknown_code(parsed, lang, keyword)
    if parsed.intent == "decline":
        claims.decline(session, surplus.id, org)
        reply = gsm.fit_sms(
            t(lang, "Noted, {code} goes to others. Thanks!", code=surplus.code)
        )
    else:
        reply = _claim(session, org, surplus, parsed, lang)
    _about(message, surplus)
    return reply


def _about(message: Message, surplus: Surplus) -> None:
    """Tie the message to its surplus, for the surplus's page in the panel.

    Only after the claim or cancel has written the surplus: the foreign key
    takes a share lock on the surplus row, and two claimers holding it while
    each waits to update the row would deadlock on PostgreSQL.
    """
    message.surplus_id = surplus.id


def _offered_surplus(
    session: Session, org: Organization, code: str | None
) -> Surplus | None:
    """The surplus behind a code, if it was offered to this organization."""
    if not code:
        return None
    # With what the claim's confirmation reads (the farm, its phone and the
    # parcel's rules): three lazy loads less while Twilio waits.
    return session.scalar(
        select(Surplus)
        .join(Offer, Offer.surplus_id == Surplus.id)
        .where(Surplus.code == code.upper(), Offer.organization_id == org.id)
        .options(
            joinedload(Surplus.farm).selectinload(Farm.contacts),
            joinedload(Surplus.parcel),
        )
    )


def _claim(
    session: Session, org: Organization, surplus: Surplus, parsed: Parsed, lang: str
) -> str:
    requested = _requested_kg(parsed, surplus)
    if requested is not None and requested <= 0:
        return gsm.fit_sms(
            t(
                lang,
                "How many kg? e.g. YES {code} 100, or YES {code} for all.",
                code=surplus.code,
            )
        )
    result = claims.claim(session, surplus.id, org, requested, via="sms")
    if result.outcome == claims.Outcome.NOTHING_LEFT:
        return gsm.fit_sms(
            t(
                lang,
                "Sorry, {code} has all been claimed already. The next offer will "
                "come by text.",
                code=surplus.code,
            )
        )
    if result.outcome == claims.Outcome.CLOSED:
        return gsm.fit_sms(
            t(
                lang,
                "Sorry, {code} is closed (withdrawn or expired).",
                code=surplus.code,
            )
        )
    assert result.claim is not None
    result.claim.organization = org
    result.claim.surplus = surplus
    confirmation = compose.claim_confirmed_to_organization(result.claim, lang).sms
    if result.outcome == claims.Outcome.CAPPED:
        capped = t(
            lang,
            "Only {kg} were left: they're yours.",
            kg=format_kg(result.granted_kg, lang),
        )
        return gsm.fit_sms(f"{capped} {confirmation}")
    return confirmation


def _requested_kg(parsed: Parsed, surplus: Surplus) -> float | None:
    """kg asked for; None means all that remains. Units follow the offer's crop."""
    if parsed.quantity is None:
        return None
    if parsed.quantity_kg is not None:
        return float(parsed.quantity_kg)
    if parsed.unit in (None, surplus.unit) and surplus.quantity:
        # "OUI A12 10" on an offer of 40 caisses: 10 of the same unit.
        return float(parsed.quantity) * surplus.quantity_kg / surplus.quantity
    return float(parsed.quantity)


def _org_status(session: Session, org: Organization, lang: str) -> str:
    rows = session.scalars(
        select(Surplus)
        .join(Offer, Offer.surplus_id == Surplus.id)
        .where(Offer.organization_id == org.id)
        .order_by(Surplus.id.desc())
    ).all()
    open_ones = [s for s in rows if s.is_open and s.remaining_kg > 0][:5]
    if not open_ones:
        return gsm.fit_sms(t(lang, "No open offers for you right now."))
    lines = [
        f"{s.code} {s.crop} {format_kg(s.remaining_kg, lang)} {s.farm.municipality}"
        for s in open_ones
    ]
    return gsm.fit_sms(t(lang, "Open: {lines}", lines="; ".join(lines)))


# --- when we did not understand --------------------------------------------------


def _unknown_code(parsed: Parsed, lang: str, keyword: str) -> str:
    if not parsed.offer_code:
        return gsm.fit_sms(
            t(
                lang,
                "Which offer? Add its code, e.g. {keyword} A12.",
                keyword=_keyword(lang, keyword),
            )
        )
    return gsm.fit_sms(
        t(
            lang,
            "I can't find offer {code} for you. Check the code in your text, "
            "or send LIST.",
            code=parsed.offer_code,
        )
    )


def _keyword(lang: str, keyword: str) -> str:
    """A reply keyword in the reader's language (OUI, NON, ANNULE in French)."""
    words = {"YES": t(lang, "YES"), "NO": t(lang, "NO"), "CANCEL": t(lang, "CANCEL")}
    return words[keyword]


def _not_understood(parsed: Parsed, lang: str, *, farmer: bool) -> str:
    if "empty" in parsed.problems:
        return _example(lang, farmer, t(lang, "Your message was empty."))
    return _example(lang, farmer, t(lang, "Sorry, I didn't understand."))


def _example(lang: str, farmer: bool, opening: str) -> str:
    if farmer:
        hint = t(lang, "Try: DISPO P3 squash 500 kg until friday. Or HELP.")
    else:
        hint = t(lang, "Try: YES A12 200 or NO A12. Or HELP.")
    return gsm.fit_sms(f"{opening} {hint}")
