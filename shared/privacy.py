"""Privacy under Quebec's Law 25: consent records, a copy of everything held on
a person, erasure, and the retention of message bodies.

A person is found by one identifier, a phone number or an email address
(`identifier`). What is held on them (`find`) is their contact rows, the
messages to or from them, their survey responses, their newsletter
subscription, the audit entries about their contact rows, and the messages to
other people that quote their phone number or address.

Erasure (`forget`) keeps every row that a figure counts: claims, surpluses,
offers and kilos are untouched, messages keep their direction, channel,
status and dates, surveys their scores. What identifies the person goes: the
contact row keeps no name, phone or email, only one-way hashes of them
(`suppression_hash`) and its opt-out, so that a number someone adds back
without knowing is recognized (`is_suppressed`) and never texted again.
docs/privacy.md says the same for the people who run the commands.

Export and erasure each run in one transaction given by the caller; the purge
of old bodies runs one short transaction per batch, so a large messages table
is never locked for long.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    case,
    delete,
    false,
    func,
    not_,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from shared import audit, phones
from shared.db import transaction
from shared.logs import mask_email, mask_personal
from shared.models import (
    AuditEntry,
    Contact,
    Message,
    NewsletterDelivery,
    PendingAnnouncement,
    Subscriber,
    SurveyResponse,
)

ERASED_NAME = "(effacé)"
ERASED_TEXT = "[effacé]"
PURGED_TEXT = "[purged]"
# How an erasure shows in opted_out_via and in the audit log.
ERASED_VIA = "erased"
FORGET_ACTION = "forget"
# Survey answers that are the person's own words; the ticked choices and the
# score are codes and stay for the figures.
FREE_TEXT_ANSWERS = ("comment",)
# Fields of a contact's audit snapshots (services/web/panel/directory) that
# identify the person.
AUDIT_PERSONAL = {"name": ERASED_NAME, "phone": None, "email": None}
# Messages per purge transaction.
PURGE_BATCH = 500
# Not sent yet: a retry must still send the real text.
UNSENT = ("queued", "sending")

# ---- Consent records --------------------------------------------------------
# Stored in Contact.consent_text: what the person was told when they agreed.
# Staff read these, so they are in English; a text the person actually got is
# stored in the words they got it in.

CONSENT_SPOKEN = "Added by the coordinator with their spoken consent."
CONSENT_ASKED_AGAIN = (
    "Asked the coordinator to get messages from Glanage again; recorded in the panel."
)
CONSENT_DEMO = "Demo data: a made-up person, no consent needed."


def sms_start_consent(session: Session, contact: Contact, reply: str) -> str:
    """The record of a START text: the last SMS Glanage had sent the person
    (what they replied START to, usually the STOP confirmation), and the
    answer that tells them texts are coming again."""
    sent_to = [Message.contact_id == contact.id]
    if contact.phone:
        sent_to.append(Message.to_addr == contact.phone)
    last = session.scalar(
        select(Message.body)
        .where(Message.direction == "out", Message.channel == "sms", or_(*sent_to))
        .order_by(Message.id.desc())
        .limit(1)
    )
    answered = f'Glanage answered: "{reply}"'
    if last is None or last in (PURGED_TEXT, ERASED_TEXT):
        return f"Texted START. {answered}"
    return f'Texted START in reply to: "{last}". {answered}'


# ---- Who the person is ------------------------------------------------------


class NotAnIdentifier(ValueError):
    """Neither a phone number Glanage could text nor an email address."""


@dataclass(frozen=True)
class Identifier:
    kind: Literal["phone", "email"]
    value: str  # E.164, or the address in lower case


def identifier(raw: str) -> Identifier:
    """A phone number (any usual spelling) or an email address (any case)."""
    text = raw.strip()
    if "@" in text:
        local, _, domain = text.rpartition("@")
        if not local or "." not in domain or any(c.isspace() for c in text):
            raise NotAnIdentifier(raw)
        return Identifier("email", text.lower())
    phone = phones.normalize(text)
    if phone is None:
        raise NotAnIdentifier(raw)
    return Identifier("phone", phone)


# A fixed salt, not SECRET_KEY: a key that changes would silently empty the
# suppression list. scrypt (16 MiB, about 0.1 s a hash) makes trying every
# Quebec number (some 10^8) take months of one CPU core, though only days on
# a hundred; it cannot hide whether one given number is on the list, which is
# the list's purpose. A pseudonym, then, not anonymous data (docs/privacy.md).
_HASH_SALT = b"glanage.privacy.suppression.v1:"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def suppression_hash(ident: Identifier) -> str:
    """A one-way hash of the identifier, the same for every spelling of it."""
    salt = _HASH_SALT + ident.kind.encode()
    return hashlib.scrypt(ident.value.encode(), salt=salt, **_SCRYPT).hex()


def is_suppressed(session: Session, ident: Identifier) -> bool:
    """Whether a person erased from Glanage had this phone number or address:
    a contact added with it must not get messages until they ask again."""
    column = Contact.phone_hash if ident.kind == "phone" else Contact.email_hash
    found = session.scalar(
        select(Contact.id).where(column == suppression_hash(ident)).limit(1)
    )
    return found is not None


# ---- What is held -----------------------------------------------------------


@dataclass
class Holdings:
    """Everything held on one identifier, as rows of the session."""

    ident: Identifier
    contacts: list[Contact] = field(default_factory=list)
    # The person's addresses: the identifier, and the phones and emails of
    # their contact rows that no one else's contact row has.
    addresses: list[Identifier] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # to or from them
    mentions: list[Message] = field(default_factory=list)  # others', quoting them
    surveys: list[SurveyResponse] = field(default_factory=list)
    subscribers: list[Subscriber] = field(default_factory=list)
    audit_entries: list[AuditEntry] = field(default_factory=list)
    # Contacts erased before whose hash matches: what an erasure kept.
    erased: list[Contact] = field(default_factory=list)

    @property
    def personal(self) -> bool:
        """Whether anything that identifies the person is still held."""
        return any((self.contacts, self.messages, self.mentions, self.subscribers))

    @property
    def empty(self) -> bool:
        return not self.personal and not self.erased


def find(session: Session, ident: Identifier) -> Holdings:
    held = Holdings(ident)
    held.contacts = list(
        session.scalars(select(Contact).where(_contact_has(ident)).order_by(Contact.id))
    )
    ids = [c.id for c in held.contacts]
    held.addresses = _addresses(session, ident, held.contacts)
    held.messages = list(
        session.scalars(
            select(Message)
            .where(
                or_(Message.contact_id.in_(ids), *map(_message_with, held.addresses))
            )
            .order_by(Message.id)
        )
    )
    own = [m.id for m in held.messages]
    held.mentions = list(
        session.scalars(
            select(Message)
            .where(Message.id.not_in(own), or_(*map(_quoting, held.addresses), false()))
            .order_by(Message.id)
        )
    )
    held.surveys = list(
        session.scalars(
            select(SurveyResponse)
            .where(SurveyResponse.contact_id.in_(ids))
            .order_by(SurveyResponse.id)
        )
    )
    emails = [a.value for a in held.addresses if a.kind == "email"]
    held.subscribers = list(
        session.scalars(
            select(Subscriber)
            .where(func.lower(Subscriber.email).in_(emails))
            .order_by(Subscriber.id)
        )
    )
    held.audit_entries = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "contact", AuditEntry.entity_id.in_(ids))
            .order_by(AuditEntry.id)
        )
    )
    column = Contact.phone_hash if ident.kind == "phone" else Contact.email_hash
    held.erased = list(
        session.scalars(
            select(Contact)
            .where(column == suppression_hash(ident), Contact.id.not_in(ids))
            .order_by(Contact.id)
        )
    )
    return held


def _contact_has(ident: Identifier) -> ColumnElement[bool]:
    if ident.kind == "phone":
        return Contact.phone == ident.value
    return func.lower(Contact.email) == ident.value


def _addresses(
    session: Session, ident: Identifier, contacts: Sequence[Contact]
) -> list[Identifier]:
    found = {ident}
    ids = [c.id for c in contacts]
    for contact in contacts:
        if contact.phone:  # unique: a phone is one person's
            found.add(Identifier("phone", contact.phone))
        email = (contact.email or "").strip().lower()
        if email and Identifier("email", email) not in found:
            # A farm's shared address stays with the colleagues who have it.
            shared = session.scalar(
                select(Contact.id)
                .where(func.lower(Contact.email) == email, Contact.id.not_in(ids))
                .limit(1)
            )
            if shared is None:
                found.add(Identifier("email", email))
    return sorted(found, key=lambda a: (a.kind != ident.kind, a.kind, a.value))


def _message_with(address: Identifier) -> ColumnElement[bool]:
    """Sent to or from the address. Phones are stored in E.164 (the indexes
    serve them); addresses as they were typed, hence lower()."""
    if address.kind == "phone":
        return or_(Message.to_addr == address.value, Message.from_addr == address.value)
    return or_(
        func.lower(Message.to_addr) == address.value,
        func.lower(Message.from_addr) == address.value,
    )


def _quoting(address: Identifier) -> ColumnElement[bool]:
    """The body or subject quotes the address: an offer gives organizations
    the farmer's phone, a confirmation gives the farmer the organization's."""
    return or_(
        func.lower(Message.body).contains(address.value, autoescape=True),
        func.lower(Message.subject).contains(address.value, autoescape=True),
    )


# ---- A copy of what is held -------------------------------------------------


def export(held: Holdings, now: datetime) -> dict[str, Any]:
    """Everything held on the person, as JSON-ready values."""
    return {
        "identifier": held.ident.value,
        "kind": held.ident.kind,
        "exported_at": _iso(now),
        "addresses": [a.value for a in held.addresses],
        "contacts": [_contact(c) for c in held.contacts],
        "messages": [_message(m) for m in held.messages],
        "mentioned_in": [_mention(m) for m in held.mentions],
        "survey_responses": [_survey(s) for s in held.surveys],
        "newsletter": [_subscriber(s) for s in held.subscribers],
        "audit_log": [_audit(e) for e in held.audit_entries],
        "erased": [_erased(c) for c in held.erased],
    }


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _owner(contact: Contact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    if contact.farm is not None:
        return {"farm": contact.farm.name}
    if contact.organization is not None:
        return {"organization": contact.organization.name}
    return None


def _contact(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "language": contact.language,
        "farm": contact.farm.name if contact.farm else None,
        "organization": contact.organization.name if contact.organization else None,
        "consent": {
            "at": _iso(contact.consent_at),
            "source": contact.consent_source,
            "text": contact.consent_text,
        },
        "opted_out": {"at": _iso(contact.opted_out_at), "via": contact.opted_out_via}
        if contact.opted_out_at
        else None,
    }


def _message(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "direction": message.direction,
        "channel": message.channel,
        "from": message.from_addr,
        "to": message.to_addr,
        "subject": message.subject,
        "body": message.body,
        "status": message.status,
        "error": message.error,
        "parsed": message.parsed,
        "created_at": _iso(message.created_at),
        "updated_at": _iso(message.updated_at),
    }


def _mention(message: Message) -> dict[str, Any]:
    """Where the person's phone or address was given to someone else; the
    message itself is the other person's."""
    return {
        "message_id": message.id,
        "channel": message.channel,
        "direction": message.direction,
        "recipient": _owner_of_message(message),
        "created_at": _iso(message.created_at),
    }


def _owner_of_message(message: Message) -> dict[str, Any] | None:
    session = Session.object_session(message)
    contact = (
        session.get(Contact, message.contact_id)
        if session is not None and message.contact_id
        else None
    )
    return _owner(contact)


def _survey(survey: SurveyResponse) -> dict[str, Any]:
    return {
        "id": survey.id,
        "kind": survey.kind,
        "sent_at": _iso(survey.sent_at),
        "answered_at": _iso(survey.answered_at),
        "score": survey.score,
        "answers": survey.answers,
    }


def _subscriber(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "email": subscriber.email,
        "language": subscriber.language,
        "topics": subscriber.topics,
        "status": subscriber.status,
        "consent": {
            "at": _iso(subscriber.consent_at),
            "method": subscriber.consent_method,
            "text": subscriber.consent_text,
        },
        "confirmed_at": _iso(subscriber.confirmed_at),
        "unsubscribed_at": _iso(subscriber.unsubscribed_at),
        "created_at": _iso(subscriber.created_at),
    }


def _audit(entry: AuditEntry) -> dict[str, Any]:
    # Who made the change is staff's own data, not the person's.
    return {
        "id": entry.id,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
        "at": _iso(entry.created_at),
    }


def _erased(contact: Contact) -> dict[str, Any]:
    session = Session.object_session(contact)
    kept = (
        session.scalar(
            select(func.count(Message.id)).where(Message.contact_id == contact.id)
        )
        if session is not None
        else 0
    )
    return {
        "contact_id": contact.id,
        "erased_at": _iso(contact.erased_at),
        "owner": _owner(contact),
        "kept": "one-way hashes of the phone number and email address it had, "
        "so that they are never contacted again; the opt-out; the dates and "
        "statuses of messages, without their words or addresses",
        "messages_kept": kept or 0,
    }


# ---- Erasure ----------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    """What `forget` changed; all zero when there was nothing left to erase."""

    contacts: int = 0
    messages: int = 0
    mentions: int = 0
    surveys: int = 0
    subscribers: int = 0
    audit_entries: int = 0
    # When contacts with this identifier had been erased before.
    erased_before: tuple[datetime, ...] = ()

    @property
    def changed(self) -> bool:
        return any(
            (
                self.contacts,
                self.messages,
                self.mentions,
                self.subscribers,
                self.surveys,
                self.audit_entries,
            )
        )


def forget(
    session: Session, held: Holdings, now: datetime, via: str = "cli"
) -> Erasure:
    """Erase what identifies the person in `held` (from `find` in this
    session); rows the figures count stay. A second call finds nothing
    personal and changes nothing. `via` says in the audit log who asked
    for it (the command line, so far)."""
    before = erased_before(held)
    if not held.personal:
        return Erasure(erased_before=before)
    for contact in held.contacts:
        _erase_contact(contact, now)
    for message in held.messages:
        _erase_message(message, held.addresses)
    for message in held.mentions:
        _redact(message, held.addresses)
    surveys = [s for s in held.surveys if _drop_free_text(s)]
    ids = [c.id for c in held.contacts]
    session.execute(
        delete(PendingAnnouncement).where(PendingAnnouncement.contact_id.in_(ids))
    )
    _unsubscribe(session, held.subscribers)
    for entry in held.audit_entries:
        _scrub(entry)
    done = Erasure(
        contacts=len(held.contacts),
        messages=len(held.messages),
        mentions=len(held.mentions),
        surveys=len(surveys),
        subscribers=len(held.subscribers),
        audit_entries=len(held.audit_entries),
        erased_before=before,
    )
    _record(session, held.contacts, done, via)
    session.flush()
    return done


def erased_before(held: Holdings) -> tuple[datetime, ...]:
    """When the identifier's earlier contact rows were erased."""
    return tuple(c.erased_at for c in held.erased if c.erased_at is not None)


def _erase_contact(contact: Contact, now: datetime) -> None:
    if contact.phone:
        contact.phone_hash = suppression_hash(Identifier("phone", contact.phone))
    if contact.email:
        email = Identifier("email", contact.email.strip().lower())
        contact.email_hash = suppression_hash(email)
    contact.name = ERASED_NAME
    contact.phone = None
    contact.email = None
    # Consent went with the request to be forgotten; the opt-out stays, so
    # nothing is ever sent to this row again.
    contact.consent_at = None
    contact.consent_source = ""
    contact.consent_text = ""
    if contact.opted_out_at is None:
        contact.opted_out_at = now
    contact.opted_out_via = ERASED_VIA
    contact.erased_at = now


def _erase_message(message: Message, addresses: Iterable[Identifier]) -> None:
    values = {a.value for a in addresses}
    message.body = ERASED_TEXT
    if message.subject:
        message.subject = ERASED_TEXT
    message.parsed = null()  # SQL NULL, not JSON null
    message.error = mask_personal(message.error)
    if message.to_addr.lower() in values:
        message.to_addr = _mask_address(message.to_addr)
    if message.from_addr.lower() in values:
        message.from_addr = _mask_address(message.from_addr)


def _mask_address(address: str) -> str:
    return mask_email(address) if "@" in address else phones.mask(address)


def _redact(message: Message, addresses: Iterable[Identifier]) -> None:
    """Someone else's message keeps its words, not the person's address."""
    for address in addresses:
        message.body = _replace_folded(message.body, address.value)
        message.subject = _replace_folded(message.subject, address.value)


def _replace_folded(text: str, value: str) -> str:
    """`text` with every case-insensitive occurrence of `value` erased."""
    folded, start, parts = text.lower(), 0, []
    while (at := folded.find(value, start)) >= 0:
        parts += [text[start:at], ERASED_TEXT]
        start = at + len(value)
    return "".join([*parts, text[start:]])


def _drop_free_text(survey: SurveyResponse) -> bool:
    kept = {k: v for k, v in survey.answers.items() if k not in FREE_TEXT_ANSWERS}
    if kept == survey.answers:
        return False
    survey.answers = kept  # a new dict, so the JSON column sees the change
    return True


def _unsubscribe(session: Session, subscribers: Sequence[Subscriber]) -> None:
    """Delete the subscription and its deliveries (their opens and clicks
    leave the newsletter's figures; the emails stay, erased, in messages)."""
    ids = [s.id for s in subscribers]
    if not ids:
        return
    session.execute(
        delete(NewsletterDelivery).where(NewsletterDelivery.subscriber_id.in_(ids))
    )
    for subscriber in subscribers:
        session.delete(subscriber)


def _scrub(entry: AuditEntry) -> None:
    entry.before = _scrubbed(entry.before)
    entry.after = _scrubbed(entry.after)


def _scrubbed(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {
        key: AUDIT_PERSONAL[key]
        if key in AUDIT_PERSONAL and value is not None
        else value
        for key, value in values.items()
    }


def _record(
    session: Session, contacts: Sequence[Contact], done: Erasure, via: str
) -> None:
    """That an erasure happened, with counts and nothing about the person."""
    counts = {
        "messages": done.messages,
        "mentions": done.mentions,
        "surveys": done.surveys,
        "subscribers": done.subscribers,
        "audit_entries": done.audit_entries,
        "via": via,
    }
    for contact in contacts:
        audit.record(session, None, FORGET_ACTION, "contact", contact.id, None, counts)
    if not contacts:  # messages of a number that was never a contact
        audit.record(session, None, FORGET_ACTION, "person", None, None, counts)


# ---- Retention --------------------------------------------------------------


@dataclass(frozen=True)
class Purge:
    cutoff: datetime
    purged: int  # messages whose words were blanked by this run
    kept: int  # newer messages, untouched


def purge_messages(
    sessions: sessionmaker[Session],
    days: int,
    now: datetime,
    batch: int = PURGE_BATCH,
) -> Purge:
    """Blank the body, subject and parsed JSON of messages older than `days`.

    The rows stay (the figures count them, by direction, channel, status and
    date). Each batch is its own transaction; walking up the ids means every
    row is looked at once, and running it again purges nothing new.
    """
    if days < 1:
        raise ValueError("keep messages at least one day")
    cutoff = now - timedelta(days=days)
    purged, last = 0, 0
    while True:
        with transaction(sessions) as session:
            ids = list(
                session.scalars(
                    select(Message.id)
                    .where(Message.id > last, _purgeable(cutoff))
                    .order_by(Message.id)
                    .limit(batch)
                )
            )
            if not ids:
                break
            session.execute(
                update(Message)
                .where(Message.id.in_(ids))
                .values(
                    body=_blanked(Message.body),
                    subject=case(
                        (Message.subject == "", ""), else_=_blanked(Message.subject)
                    ),
                    parsed=null(),
                ),
                execution_options={"synchronize_session": False},
            )
        purged += len(ids)
        last = ids[-1]
    with sessions() as session:
        kept = session.scalar(
            select(func.count(Message.id)).where(Message.created_at >= cutoff)
        )
    return Purge(cutoff, purged, kept or 0)


def _purgeable(cutoff: datetime) -> ColumnElement[bool]:
    blank = (PURGED_TEXT, ERASED_TEXT)
    return (
        (Message.created_at < cutoff)
        & Message.status.not_in(UNSENT)
        & or_(
            Message.body.not_in(blank),
            Message.parsed.is_not(None),
            not_(Message.subject.in_(("", *blank))),
        )
    )


def _blanked(column: Any) -> Any:
    """An erased text stays "[effacé]": the purge must not hide an erasure."""
    return case((column == ERASED_TEXT, ERASED_TEXT), else_=PURGED_TEXT)
