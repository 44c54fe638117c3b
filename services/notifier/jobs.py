"""The notifier's RQ entry points.

Each event handler stores the messages it means to send (status "queued") in
the same transaction as its idempotency mark, then sends them after commit.
A message that fails for a transient reason is retried with backoff by its
own scheduled job; a permanent failure is recorded on the message.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from services.notifier import transports as transport_module
from shared import compose, newsletter, outgoing, surveys
from shared import runtime as runtime_module
from shared.db import transaction
from shared.jobs import AfterCommit, Handler, run_event_job
from shared.logs import log_event
from shared.models import (
    Claim,
    Contact,
    Event,
    Match,
    Message,
    NewsletterDelivery,
    NewsletterIssue,
    Offer,
    OfferStatus,
    Organization,
    Subscriber,
    Surplus,
    utcnow,
)
from shared.offers import reflect_delivery
from shared.runtime import Runtime
from shared.tokens import claim_expiry, sign_claim

log = logging.getLogger(__name__)

# Each new attempt after a transient failure waits this many times
# GLANAGE_RETRY_BASE_SECONDS (30 s, 2 min, 10 min); then the message is failed.
BACKOFF = (1, 4, 20)


def handle_event(event_id: int) -> bool:
    return run_event_job(runtime_module.current(), "notifier", event_id, HANDLERS)


def claim_link(runtime: Runtime, offer: Offer) -> str:
    expires = claim_expiry(offer.surplus.available_until, runtime.settings.tz)
    token = sign_claim(runtime.settings.secret_key, offer.id, expires)
    return f"{runtime.settings.public_base_url}/r/{token}"


def _to_contacts(
    runtime: Runtime,
    session: Session,
    contacts: Iterable[Contact],
    channels: Iterable[str],
    make_text: compose.TextFactory,
    *,
    surplus_id: int | None,
    offer_id: int | None = None,
) -> list[Message]:
    queued = []
    for contact in contacts:
        text = make_text(contact.language or "fr")
        for channel in channels:
            message = outgoing.queue(
                session,
                contact,
                channel,
                text,
                runtime.settings,
                surplus_id=surplus_id,
                offer_id=offer_id,
            )
            if message is not None:
                queued.append(message)
    session.flush()
    return queued


def _send_after(runtime: Runtime, messages: list[Message]) -> list[AfterCommit]:
    ids = [m.id for m in messages]
    return [lambda: deliver_many(runtime, ids)]


def _on_offers_ready(
    session: Session, event: Event, runtime: Runtime
) -> Iterable[AfterCommit]:
    surplus = session.get(Surplus, event.payload["surplus_id"])
    if surplus is None or not surplus.is_open:
        return []
    matches = session.scalars(
        select(Match).where(Match.id.in_(event.payload["match_ids"]))
    ).all()
    messages: list[Message] = []
    for match in matches:
        org = match.organization
        offer = Offer(
            surplus_id=surplus.id,
            organization_id=org.id,
            match_id=match.id,
            wave=event.payload["wave"],
            channel="sms" if "sms" in org.channels else "email",
        )
        session.add(offer)
        session.flush()
        offer.surplus = surplus
        link = claim_link(runtime, offer)
        messages += _to_contacts(
            runtime,
            session,
            org.contacts,
            org.channels,
            partial(compose.offer, surplus, link=link),
            surplus_id=surplus.id,
            offer_id=offer.id,
        )
    return _send_after(runtime, messages)


def _on_claim_confirmed(
    session: Session, event: Event, runtime: Runtime
) -> Iterable[AfterCommit]:
    claim = session.get(Claim, event.payload["claim_id"])
    if claim is None:
        return []
    org = claim.organization
    farm = claim.surplus.farm
    messages: list[Message] = []
    # A claim by SMS was confirmed in the reply itself; don't say it twice.
    if claim.via != "sms":
        messages += _to_contacts(
            runtime,
            session,
            org.contacts,
            org.channels,
            lambda lang: compose.claim_confirmed_to_organization(claim, lang),
            surplus_id=claim.surplus_id,
            offer_id=claim.offer_id,
        )
    messages += _to_contacts(
        runtime,
        session,
        farm.contacts,
        ["sms"],
        lambda lang: compose.claim_confirmed_to_farmer(claim, lang),
        surplus_id=claim.surplus_id,
    )
    return _send_after(runtime, messages)


def _offered_elsewhere(session: Session, surplus: Surplus) -> list[Offer]:
    """Offers still waiting for an answer: those organizations must be told."""
    return [
        o
        for o in surplus.offers
        if o.status in (OfferStatus.QUEUED, OfferStatus.SENT, OfferStatus.DELIVERED)
    ]


def _to_waiting(make: compose.SurplusText) -> Handler:
    """Tell every organization still waiting on its offer; that offer is closed."""

    def handler(
        session: Session, event: Event, runtime: Runtime
    ) -> Iterable[AfterCommit]:
        surplus = session.get(Surplus, event.payload["surplus_id"])
        if surplus is None:
            return []
        messages: list[Message] = []
        for offer in _offered_elsewhere(session, surplus):
            offer.status = OfferStatus.CLOSED
            org: Organization = offer.organization
            messages += _to_contacts(
                runtime,
                session,
                org.contacts,
                org.channels,
                partial(make, surplus),
                surplus_id=surplus.id,
                offer_id=offer.id,
            )
        return _send_after(runtime, messages)

    return handler


def _to_farmer(make: compose.SurplusText) -> Handler:
    def handler(
        session: Session, event: Event, runtime: Runtime
    ) -> Iterable[AfterCommit]:
        surplus = session.get(Surplus, event.payload["surplus_id"])
        if surplus is None:
            return []
        messages = _to_contacts(
            runtime,
            session,
            surplus.farm.contacts,
            ["sms"],
            partial(make, surplus),
            surplus_id=surplus.id,
        )
        return _send_after(runtime, messages)

    return handler


def _on_resend(
    session: Session, event: Event, runtime: Runtime
) -> Iterable[AfterCommit]:
    message = session.get(Message, event.payload["message_id"])
    if message is None or message.status != "queued":
        return []
    return _send_after(runtime, [message])


def _on_pickup_collected(
    session: Session, event: Event, runtime: Runtime
) -> Iterable[AfterCommit]:
    """Ask the farmer and the organization how the pickup went (once)."""
    claim = session.get(Claim, event.payload["claim_id"])
    if claim is None or claim.outcome != "collected":
        return []
    messages = []
    for survey in surveys.create_for_claim(session, claim):
        message = surveys.queue_invitation(session, survey, runtime.settings)
        if message is not None:
            messages.append(message)
    return _send_after(runtime, messages)


def _on_newsletter_send(
    session: Session, event: Event, runtime: Runtime
) -> Iterable[AfterCommit]:
    """One delivery and one queued email per active subscriber, then batches
    of sends after commit. Sent again (the panel's "resume"), it only adds
    subscribers who have no delivery yet and retries what was never tried."""
    issue = session.get(NewsletterIssue, event.payload["issue_id"])
    if issue is None or issue.status != "sending":
        return []
    waiting = newsletter.prepare_sending(
        session,
        issue,
        base=runtime.settings.public_base_url,
        mail_from=runtime.settings.mail_from,
    )
    log_event(log, "newsletter.prepared", issue_id=issue.id, waiting=len(waiting))
    if not waiting:
        newsletter.finish_if_done(session, issue.id, utcnow())
        return []
    issue_id = issue.id
    return [lambda: _enqueue_newsletter_batches(runtime, issue_id, waiting)]


def _enqueue_newsletter_batches(
    runtime: Runtime, issue_id: int, message_ids: list[int]
) -> None:
    queue = runtime.queue("notifier")
    queue.enqueue_many(
        [
            queue.prepare_data(
                "services.notifier.jobs.send_newsletter_batch",
                args=(issue_id, batch),
                job_id=f"newsletter-{issue_id}-{batch[0]}",
                description=f"newsletter #{issue_id}: {len(batch)} emails",
            )
            for batch in newsletter.batches(message_ids)
        ]
    )


def send_newsletter_batch(issue_id: int, message_ids: list[int]) -> None:
    """RQ job: send one batch of an issue; the last one marks the issue sent."""
    runtime = runtime_module.current()
    deliver_many(runtime, message_ids)
    with transaction(runtime.sessions) as session:
        if newsletter.finish_if_done(session, issue_id, utcnow()):
            log_event(log, "newsletter.sent", issue_id=issue_id)


HANDLERS = {
    "offers.ready": _on_offers_ready,
    "claim.confirmed": _on_claim_confirmed,
    "surplus.closed": _to_waiting(compose.already_taken),
    "surplus.cancelled": _to_waiting(compose.cancelled),
    "surplus.unmatched": _to_farmer(compose.unmatched),
    "surplus.expired": _to_farmer(compose.expired),
    "message.resend": _on_resend,
    "newsletter.send": _on_newsletter_send,
    "pickup.collected": _on_pickup_collected,
}


def transports_for(runtime: Runtime) -> dict[str, transport_module.Transport]:
    if not runtime.transports:
        runtime.transports = dict(transport_module.from_settings(runtime.settings))
    return runtime.transports


# Bulk texts taken together (one UPDATE, one commit) and recorded together.
# Kept small: the last of a chunk is "sending" while the ones before it go
# (about a millisecond each), and Twilio's status callback only finds a
# message once its provider id is recorded.
CHUNK = 20


def deliver_many(runtime: Runtime, message_ids: list[int]) -> None:
    """Send these messages, each at most once, as deliver() does.

    Bulk texts (offers) go in chunks: the throttle is asked for every number
    of a chunk in one round trip, the ones whose number is free now are taken
    in one transaction and recorded in another, so a text costs two commits
    per chunk instead of two of its own. A text whose number is busy waits
    its turn while the others go: one busy number of a pool does not stall
    the batch. Answers to people and emails go one by one through deliver().
    """
    transports = transports_for(runtime)
    todo = deque(message_ids)
    busy: dict[int, float] = {}  # message id: when its number is free again
    progressed = False  # since this job last slept
    known: dict[int, str] = {}  # bulk texts seen queued: their sending number
    while todo or busy:
        now = time.monotonic()
        for message_id in [i for i, free_at in busy.items() if free_at <= now]:
            del busy[message_id]
            todo.append(message_id)
        if not todo:
            pause = max(0.0, min(busy.values()) - now)
            if progressed and runtime.queue("notifier").count:
                # Other jobs wait (other numbers, people's answers): let them
                # go first, and these after them, instead of sleeping here.
                # They are still queued, so whichever job takes one sends it.
                # Only after sending something: jobs that all wait for the
                # same number would otherwise hand each other the batch in a
                # busy loop.
                _enqueue_batch(runtime, sorted(busy))
                return
            time.sleep(pause)
            progressed = False
            continue
        chunk = [todo.popleft() for _ in range(min(CHUNK, len(todo)))]
        waiting = _deliver_chunk(runtime, transports, chunk, known)
        progressed = progressed or len(waiting) < len(chunk)
        for message_id, wait in waiting.items():
            busy[message_id] = time.monotonic() + wait


def _deliver_chunk(
    runtime: Runtime,
    transports: dict[str, transport_module.Transport],
    message_ids: list[int],
    known: dict[int, str],
) -> dict[int, float]:
    """Send what may go now; returns the seconds each busy one must wait.

    `known`: the sending number of bulk texts seen queued before in this job,
    not read again (the take's conditional UPDATE still decides)."""
    unknown = [m for m in message_ids if m not in known]
    rows: Sequence[Any] = []
    if unknown:
        with runtime.sessions() as session:
            rows = session.execute(
                select(Message.id, Message.channel, Message.to_addr, Message.offer_id)
                .where(Message.id.in_(unknown), Message.status == "queued")
                .order_by(Message.id)
            ).all()
    for message_id, channel, to_addr, offer_id in rows:
        sender = transports[channel].sender_for(to_addr)
        if channel == "sms" and offer_id is not None and sender:
            known[message_id] = sender
        else:  # people's answers (booked ahead of bulk), emails: one by one
            deliver(runtime, message_id)
    by_sender: dict[str, list[int]] = {}
    for message_id in message_ids:
        if message_id in known:
            by_sender.setdefault(known[message_id], []).append(message_id)
    if not by_sender:
        return {}
    throttle = runtime.throttle()
    busy: dict[int, float] = {}
    now: dict[int, str] = {}
    if throttle.per_second <= 0:
        now = {m: sender for sender, ids in by_sender.items() for m in ids}
    else:
        # One turn asked per number: its other texts wait one more interval.
        turns = throttle.try_turns(list(by_sender))
        for (sender, ids), wait in zip(by_sender.items(), turns, strict=True):
            if wait >= 0:
                now[ids[0]] = sender
            else:
                busy[ids[0]] = -wait
            for message_id in ids[1:]:
                busy[message_id] = max(0.0, -wait) + 1 / throttle.per_second
    if now:
        for message_id in _send_bulk(runtime, transports["sms"], now):
            busy[message_id] = 0.0  # given back untried: again in this job
    return busy


def _send_bulk(
    runtime: Runtime, transport: transport_module.Transport, senders: dict[int, str]
) -> list[int]:
    """Take, send and record bulk texts whose number's turn was just given.

    The same steps as deliver(), for many: the take (queued to "sending") is
    committed before any is sent; one that was tried before is looked up at
    Twilio first. When Twilio stops answering, or the sends grow slow, what
    was not yet tried goes back to "queued" at once, so no message is held
    "sending" long enough for the sweeper to hand it to another worker;
    returns those given back.
    """
    taken = _take_many(runtime, list(senders))
    sent: list[tuple[int, str]] = []
    released: list[int] = []
    started = time.monotonic()
    for position, (message_id, outgoing_text, tries, first_try) in enumerate(taken):
        late = time.monotonic() - started > runtime.settings.provider_timeout_seconds
        if late:
            released = [t[0] for t in taken[position:]]
            _release(runtime, released)
            break
        outgoing_text = replace(outgoing_text, sender=senders[message_id])
        try:
            found = transport.find_sent(outgoing_text, first_try) if tries > 1 else None
            if found is not None:
                log_event(log, "message.reconciled", message_id=message_id)
            result = found or transport.send(outgoing_text)
        except transport_module.TransientError as error:
            _record_sent(runtime, sent)
            sent = []
            _retry_later(runtime, message_id, tries, str(error))
            released = [t[0] for t in taken[position + 1 :]]
            _release(runtime, released)
            break
        except transport_module.PermanentError as error:
            if error.code == transport_module.UNSUBSCRIBED:
                _opted_out_at_carrier(runtime, message_id)
            _record(runtime, message_id, "failed", error=str(error))
            continue
        sent.append((message_id, result.provider_id))
    _record_sent(runtime, sent)
    return released


def _take_many(
    runtime: Runtime, message_ids: list[int]
) -> list[tuple[int, transport_module.Outgoing, int, datetime]]:
    """Queued to "sending" in one committed transaction, refusals recorded;
    (id, what to send, tries, first try) of those that may go."""
    with transaction(runtime.sessions) as session:
        rows = session.execute(
            update(Message)
            .where(Message.id.in_(message_ids), Message.status == "queued")
            .values(
                status="sending", attempts=Message.attempts + 1, updated_at=utcnow()
            )
            .returning(
                Message.id,
                Message.to_addr,
                Message.body,
                Message.attempts,
                Message.created_at,
                Message.contact_id,
            )
            .execution_options(synchronize_session=False)
        ).all()
        refusals = _refusals(runtime, session, rows)
        for message_id, refusal in refusals.items():
            session.execute(
                update(Message)
                .where(Message.id == message_id)
                .values(status="failed", error=refusal)
                .execution_options(synchronize_session=False)
            )
            log_event(log, "message.refused", message_id=message_id, why=refusal)
        if refusals:
            for offer_message in session.scalars(
                select(Message).where(Message.id.in_(list(refusals)))
            ):
                reflect_delivery(session, offer_message)
    return [
        (
            row.id,
            transport_module.Outgoing(row.id, row.to_addr, row.body),
            row.attempts,
            row.created_at,
        )
        for row in sorted(rows, key=lambda r: r.id)
        if row.id not in refusals
    ]


def _refusals(
    runtime: Runtime, session: Session, rows: Sequence[Any]
) -> dict[int, str]:
    """Why each of these messages (with .id and .contact_id) must not go
    out, for those that must not; two queries however many."""
    if not rows:
        return {}
    contact_ids = [r.contact_id for r in rows if r.contact_id is not None]
    opted_out = set(
        session.scalars(
            select(Contact.id).where(
                Contact.id.in_(contact_ids), Contact.opted_out_at.is_not(None)
            )
        ).all()
    )
    refusals = {
        r.id: "opted out before it was sent" for r in rows if r.contact_id in opted_out
    }
    same = outgoing.identical_lately_many(
        session, [r.id for r in rows if r.id not in refusals], utcnow()
    )
    for message_id, count in same.items():
        if count >= runtime.settings.loop_guard_max:
            refusals[message_id] = (
                f"loop guard: {count} identical messages in 5 minutes"
            )
    return refusals


def _release(runtime: Runtime, message_ids: list[int]) -> None:
    """Give back taken messages that were not tried: queued again, the take
    undone (not counted as a try, so no lookup at Twilio is needed)."""
    if not message_ids:
        return
    with transaction(runtime.sessions) as session:
        session.execute(
            update(Message)
            .where(Message.id.in_(message_ids), Message.status == "sending")
            .values(status="queued", attempts=Message.attempts - 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    log_event(log, "messages.released", count=len(message_ids))


def _record_sent(runtime: Runtime, sent: list[tuple[int, str]]) -> None:
    """Record many texts handed over to Twilio, in one transaction.

    Its commit need not wait for the disk (synchronous_commit off): a record
    lost in a database crash leaves the message "sending"; the sweeper queues
    it again and the next try finds it at Twilio (tries > 1) before sending,
    so nothing goes twice."""
    if not sent:
        return
    with transaction(runtime.sessions) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        now = utcnow()
        session.execute(
            update(Message),
            [
                {
                    "id": message_id,
                    "status": "sent",
                    "error": "",
                    "provider_id": provider_id,
                    "updated_at": now,
                }
                for message_id, provider_id in sent
            ],
        )
        offer_ids = session.scalars(
            select(Message.offer_id).where(
                Message.id.in_([m for m, _ in sent]), Message.offer_id.is_not(None)
            )
        ).all()
        # reflect_delivery() for "sent": an offer still queued is now sent.
        session.execute(
            update(Offer)
            .where(Offer.id.in_(offer_ids), Offer.status == OfferStatus.QUEUED)
            .values(status=OfferStatus.SENT)
            .execution_options(synchronize_session=False)
        )
    for message_id, _ in sent:
        log_event(log, "message.sent", message_id=message_id, channel="sms")


def _enqueue_batch(runtime: Runtime, message_ids: list[int]) -> None:
    runtime.queue("notifier").enqueue(
        "services.notifier.jobs.deliver_batch",
        message_ids,
        description=f"{len(message_ids)} texts waiting for their number",
    )


def deliver_batch(message_ids: list[int]) -> None:
    """RQ job: send these queued messages (a job that sends many beats a job
    per message, DESIGN §7); one already taken by another job is skipped."""
    deliver_many(runtime_module.current(), message_ids)


def deliver(runtime: Runtime, message_id: int) -> str:
    """Send one queued message, at most once; returns its new status.

    1. Wait for the sending number's turn (the throttle), before taking the
       message, so a message is never "sending" while it only waits.
    2. Take it: one conditional UPDATE from queued to "sending", committed
       before the provider is called. It is the idempotency record: a second
       job holding the same id finds it taken and sends nothing, and a worker
       killed mid-call leaves it "sending" for the sweeper (shared.relay).
    3. A message tried before may have left already (an answer lost to a
       timeout, a crash): ask the provider, and only send when it says no.
    4. Save the provider's id.
    """
    transports = transports_for(runtime)
    with runtime.sessions() as session:
        waiting = session.get(Message, message_id)
        if waiting is None or waiting.status != "queued":
            return waiting.status if waiting else "missing"
        transport = transports[waiting.channel]
        urgent = waiting.offer_id is None  # people's answers before bulk offers
        # A pool's number is chosen by recipient; the throttle holds per number.
        sender = transport.sender_for(waiting.to_addr)
    if sender:
        runtime.throttle().wait_turn(sender, urgent=urgent)

    with transaction(runtime.sessions) as session:
        tries = session.scalar(
            update(Message)
            .where(Message.id == message_id, Message.status == "queued")
            .values(
                status="sending", attempts=Message.attempts + 1, updated_at=utcnow()
            )
            .returning(Message.attempts)
        )
        message = session.get(Message, message_id)
        if message is None or tries is None:
            return message.status if message else "missing"
        refusal = _refusal(runtime, session, message)
        if refusal:
            message.status, message.error = "failed", refusal
            log_event(log, "message.refused", message_id=message_id, why=refusal)
            return "failed"
        outgoing = transport_module.Outgoing(
            message.id,
            message.to_addr,
            message.body,
            message.subject,
            sender=sender or "",
            **_email_parts(runtime, session, message),
        )
        first_try = message.created_at

    try:
        sent = transport.find_sent(outgoing, first_try) if tries > 1 else None
        if sent is not None:
            log_event(log, "message.reconciled", message_id=message_id)
        else:
            sent = transport.send(outgoing)
    except transport_module.TransientError as error:
        return _retry_later(runtime, message_id, tries, str(error))
    except transport_module.PermanentError as error:
        if error.code == transport_module.UNSUBSCRIBED:
            _opted_out_at_carrier(runtime, message_id)
        return _record(runtime, message_id, "failed", error=str(error))
    # Handed over: "sent" here, whatever the provider's first word ("queued"
    # at Twilio, which must not read as our "waiting to be sent").
    return _record(runtime, message_id, "sent", provider_id=sent.provider_id)


def _refusal(runtime: Runtime, session: Session, message: Message) -> str:
    """Why this message must not go out, or "" when it may."""
    return _refusals(runtime, session, [message]).get(message.id, "")


def _opted_out_at_carrier(runtime: Runtime, message_id: int) -> None:
    """Twilio 21610: the person texted STOP to the carrier; honour it here too."""
    with transaction(runtime.sessions) as session:
        message = session.get(Message, message_id)
        contact = session.get(Contact, message.contact_id) if message else None
        if contact is not None:
            outgoing.opt_out(contact, "carrier", utcnow())


def _email_parts(
    runtime: Runtime, session: Session, message: Message
) -> dict[str, Any]:
    """What an email carries beyond its stored text, made again at each try:
    a newsletter's HTML part and unsubscribe headers, a contact's
    List-Unsubscribe headers (their mail program's own button); {} for SMS."""
    if message.channel != "email":
        return {}
    delivery = session.scalar(
        select(NewsletterDelivery).where(NewsletterDelivery.message_id == message.id)
    )
    if delivery is None:
        contact = (
            session.get(Contact, message.contact_id) if message.contact_id else None
        )
        if contact is None:
            return {}
        lang = contact.language or "fr"
        return {
            "headers": outgoing.unsubscribe_headers(runtime.settings, contact.id, lang)
        }
    issue = session.get(NewsletterIssue, delivery.issue_id)
    subscriber = session.get(Subscriber, delivery.subscriber_id)
    if issue is None or subscriber is None:
        return {}
    email = newsletter.compose_email(
        issue,
        delivery.token,
        subscriber.language,
        base=runtime.settings.public_base_url,
        secret=runtime.settings.secret_key,
        mail_from=runtime.settings.mail_from,
    )
    return {"headers": email.headers, "html": email.html}


def _retry_later(runtime: Runtime, message_id: int, tries: int, error: str) -> str:
    if tries > len(BACKOFF):
        return _record(runtime, message_id, "failed", error=error)
    _record(runtime, message_id, "queued", error=error)
    runtime.queue("notifier").enqueue_in(
        timedelta(seconds=BACKOFF[tries - 1] * runtime.settings.retry_base_seconds),
        "services.notifier.jobs.retry_delivery",
        message_id,
        job_id=f"deliver-{message_id}-{tries}",
    )
    return "queued"


def retry_delivery(message_id: int) -> str:
    return deliver(runtime_module.current(), message_id)


def _record(
    runtime: Runtime,
    message_id: int,
    status: str,
    *,
    error: str = "",
    provider_id: str | None = None,
) -> str:
    with transaction(runtime.sessions) as session:
        message = session.get(Message, message_id)
        if message is None:
            return "missing"
        message.status = status
        message.error = error
        if provider_id:
            message.provider_id = provider_id
        message.updated_at = utcnow()
        if message.offer_id is not None:
            reflect_delivery(session, message)
    log_event(
        log,
        "message." + status,
        message_id=message_id,
        channel=message.channel,
        to=message.to_addr,
        error=error or None,
    )
    return status
