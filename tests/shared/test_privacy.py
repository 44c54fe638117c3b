"""Law 25: a copy of everything held on a person, and nothing of anyone else;
erasure that keeps every kilo and every count; the retention purge.

The story goes through the real SMS paths (an announcement, offers, a claim),
then adds what the SMS paths do not make: a survey with a comment, a
newsletter subscription, an audit entry, a message quoting the farmer's
phone. Erasure is checked on SQLite and on PostgreSQL when one is reachable.
"""

from __future__ import annotations

import re
from datetime import UTC, date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shared import audit, claims, privacy, surveys
from shared import figures as fig
from shared.db import make_engine, make_session_factory, transaction
from shared.models import (
    AuditEntry,
    Claim,
    Contact,
    Farm,
    Message,
    NewsletterDelivery,
    NewsletterIssue,
    Offer,
    Organization,
    Subscriber,
    Surplus,
    SurveyResponse,
    utcnow,
)
from shared.runtime import Runtime
from tests.conftest import FARMER, Twilio, announce_kg

# PostgreSQL comes from the production suite's fixtures: they skip (or fail
# under CI=true) when no server is reachable.
from tests.production.conftest import pg_template, pg_url  # noqa: F401

FARMER_EMAIL = "ferme1@example.org"  # the seed's first farm
COMMENT = "Le chemin était boueux, appelez François avant."


def farmer_contact(session: Session) -> Contact:
    found = session.scalar(select(Contact).where(Contact.phone == FARMER))
    assert found is not None
    return found


def sms_story(twilio: Twilio, work: Any, runtime: Runtime) -> str:
    """François announces squash; one organization takes 200 kg by SMS."""
    reply = twilio.reply(FARMER, "DISPO P1 courges 500 kg jusqu'à vendredi")
    code = re.search(r"\b([A-Z]\d+)\b", reply).group(1)  # type: ignore[union-attr]
    work()
    with runtime.sessions() as session:
        offered = session.scalars(
            select(Offer.organization_id).join(Surplus).where(Surplus.code == code)
        ).all()
        taker = session.scalar(
            select(Contact.phone)
            .where(Contact.organization_id.in_(offered), Contact.phone.is_not(None))
            .limit(1)
        )
    assert taker is not None
    assert "200" in twilio.reply(taker, f"OUI {code} 200")
    work()
    return code


def add_the_rest(session: Session) -> None:
    """What the SMS paths do not make: a survey answered with a comment, a
    newsletter subscription with a delivery, a panel change in the audit
    log, and an email to an organization that gives the farmer's phone."""
    farmer = farmer_contact(session)
    claim = session.scalars(select(Claim)).one()
    for survey in surveys.create_for_claim(session, claim):
        given = surveys.Answer(
            4,
            {"rules_respected": "yes", "comment": COMMENT}
            if survey.contact_id == farmer.id
            else {"as_described": "yes", "comment": "Très bien."},
        )
        surveys.answer(session, survey, given, utcnow())
    subscriber = Subscriber(
        email=FARMER_EMAIL,
        token="tok-farmer",
        status="active",
        consent_at=utcnow(),
        consent_method="web form",
        consent_text="Oui, je veux l'infolettre.",
        confirmed_at=utcnow(),
    )
    other = Subscriber(email="voisin@example.org", token="tok-other", status="active")
    issue = NewsletterIssue(subject_fr="Nouvelles", status="sent", sent_at=utcnow())
    session.add_all([subscriber, other, issue])
    session.flush()
    session.add(
        NewsletterDelivery(issue_id=issue.id, subscriber_id=subscriber.id, token="d1")
    )
    audit.record(
        session,
        None,
        "edit",
        "contact",
        farmer.id,
        {"name": "François B.", "phone": FARMER, "email": None},
        {"name": farmer.name, "phone": FARMER, "email": FARMER_EMAIL},
    )
    org_contact = session.scalars(
        select(Contact).where(Contact.organization_id == claim.organization_id)
    ).first()
    assert org_contact is not None
    session.add(
        Message(
            direction="out",
            channel="email",
            to_addr=org_contact.email or "org@example.org",
            from_addr="glanage@example.org",
            subject="Confirmed",
            body=f"Farmer's phone: {FARMER}\nThe farmer's rules: none",
            status="sent",
            contact_id=org_contact.id,
        )
    )
    session.flush()


@pytest.fixture
def story(twilio: Twilio, work: Any, runtime: Runtime) -> Runtime:
    sms_story(twilio, work, runtime)
    with transaction(runtime.sessions) as session:
        add_the_rest(session)
    return runtime


def held(runtime: Runtime, raw: str) -> dict[str, Any]:
    with runtime.sessions() as session:
        found = privacy.find(session, privacy.identifier(raw))
        return privacy.export(found, utcnow())


def forget(sessions: sessionmaker[Session], raw: str) -> privacy.Erasure:
    with transaction(sessions) as session:
        found = privacy.find(session, privacy.identifier(raw))
        return privacy.forget(session, found, utcnow())


# ---- Identifiers and consent -------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("450 555-0100", "phone", "+14505550100"),
        ("+1 (450) 555 0100", "phone", "+14505550100"),
        ("  Jean.Tremblay@Example.ORG ", "email", "jean.tremblay@example.org"),
    ],
)
def test_identifiers_in_their_usual_spellings(raw: str, kind: str, value: str) -> None:
    ident = privacy.identifier(raw)
    assert (ident.kind, ident.value) == (kind, value)


@pytest.mark.parametrize("raw", ["", "not a phone", "jean@", "@example.org", "a b@c.d"])
def test_what_is_no_identifier(raw: str) -> None:
    with pytest.raises(privacy.NotAnIdentifier):
        privacy.identifier(raw)


def test_the_hash_is_one_for_every_spelling_and_not_the_number() -> None:
    one = privacy.suppression_hash(privacy.identifier("450 555 0100"))
    assert one == privacy.suppression_hash(privacy.identifier("+14505550100"))
    assert "5550100" not in one and len(one) == 64
    email = privacy.suppression_hash(privacy.identifier("A@Example.org"))
    assert email == privacy.suppression_hash(privacy.identifier("a@example.org"))


def test_seeded_contacts_carry_their_consent_text(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        texts = set(session.scalars(select(Contact.consent_text)))
    assert texts == {privacy.CONSENT_DEMO}


def test_a_start_text_records_what_it_answered(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        contact = farmer_contact(session)
        assert privacy.sms_start_consent(session, contact, "Welcome back!") == (
            'Texted START. Glanage answered: "Welcome back!"'
        )
        session.add(
            Message(
                direction="out",
                channel="sms",
                to_addr=FARMER,
                from_addr="glanage",
                body="You won't get any more texts from Glanage. Text START to come "
                "back.",
                status="delivered",
            )
        )
        session.flush()
        assert privacy.sms_start_consent(session, contact, "Welcome back!") == (
            "Texted START in reply to: \"You won't get any more texts from Glanage. "
            'Text START to come back.". Glanage answered: "Welcome back!"'
        )


# ---- Export --------------------------------------------------------------------


def test_export_has_the_persons_messages_and_nothing_of_others(story: Runtime) -> None:
    copy = held(story, "450-555-0100")

    assert copy["identifier"] == FARMER and copy["kind"] == "phone"
    assert copy["addresses"] == [FARMER, FARMER_EMAIL]
    (contact,) = copy["contacts"]
    assert contact["phone"] == FARMER and contact["farm"] == "Ferme Beaulieu"
    assert contact["organization"] is None
    assert contact["consent"]["source"] == "demo" and contact["consent"]["text"]
    assert contact["opted_out"] is None

    # Every message is to or from the farmer; the announcement and its reply
    # and the confirmation of the claim are there.
    assert copy["messages"]
    assert all(FARMER in (m["from"], m["to"]) for m in copy["messages"])
    bodies = " ".join(m["body"] for m in copy["messages"])
    assert "DISPO P1 courges 500 kg" in bodies and "200" in bodies
    assert {m["direction"] for m in copy["messages"]} == {"in", "out"}
    with story.sessions() as session:
        theirs = session.scalar(
            select(func.count(Message.id)).where(
                (Message.to_addr == FARMER) | (Message.from_addr == FARMER)
            )
        )
    assert len(copy["messages"]) == theirs

    # The organization's email that quotes the phone is listed, not copied.
    (mention,) = copy["mentioned_in"]
    assert set(mention) == {
        "message_id", "channel", "direction", "recipient", "created_at"
    }  # fmt: skip
    assert "organization" in mention["recipient"]

    (survey,) = copy["survey_responses"]
    assert survey["kind"] == "pickup_farmer" and survey["answers"]["comment"] == COMMENT
    (subscription,) = copy["newsletter"]
    assert subscription["email"] == FARMER_EMAIL
    assert subscription["consent"]["text"] == "Oui, je veux l'infolettre."
    (entry,) = copy["audit_log"]
    assert entry["entity"] == "contact" and entry["after"]["email"] == FARMER_EMAIL
    assert copy["erased"] == []

    text = repr(copy)
    assert "voisin@example.org" not in text and "Très bien." not in text


def test_export_by_email_finds_the_same_person(story: Runtime) -> None:
    copy = held(story, "FERME1@example.org")
    assert [c["phone"] for c in copy["contacts"]] == [FARMER]
    assert [s["email"] for s in copy["newsletter"]] == [FARMER_EMAIL]


def test_a_shared_email_is_not_taken_as_the_persons(story: Runtime) -> None:
    with transaction(story.sessions) as session:
        farm = session.scalar(select(Farm).where(Farm.name == "Ferme Beaulieu"))
        assert farm is not None
        farm.contacts.append(Contact(name="Sa conjointe", email=FARMER_EMAIL))
    copy = held(story, FARMER)
    assert copy["addresses"] == [FARMER]
    assert copy["newsletter"] == []


def test_nothing_held_on_a_stranger(story: Runtime) -> None:
    with story.sessions() as session:
        found = privacy.find(session, privacy.identifier("819 555 0199"))
    assert found.empty


# ---- Forget --------------------------------------------------------------------


def kilos_and_counts(session: Session) -> tuple[Any, ...]:
    """Every figure that counts kilos, messages, people or scores, this week."""
    today = utcnow().date()
    period = fig.Period(today - timedelta(days=7), today + timedelta(days=1))
    figures = fig.compute(session, period, UTC)
    return (
        figures.totals,
        [(w.start, w.kg, w.messages_in, w.messages_out) for w in figures.weeks],
        [(g.key, g.kg) for g in figures.by_mrc],
        [(g.key, g.kg) for g in figures.by_crop],
        figures.messages,
        figures.people,
        figures.surpluses_claimed,
        figures.pending_kg,
        figures.satisfaction,
    )


def check_forget(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        before = kilos_and_counts(session)
        rows = {
            table: session.scalar(select(func.count()).select_from(table))
            for table in (Message, Claim, Surplus, Offer, SurveyResponse, Contact)
        }
        contact_id = farmer_contact(session).id
    assert before[0].offered == 500 and before[0].claimed == 200

    done = forget(sessions, "450 555 0100")
    assert done.changed and done.contacts == 1 and done.subscribers == 1
    assert done.messages >= 3 and done.mentions == 1 and done.surveys == 1

    with sessions() as session:
        # Every kilo and every count is where it was.
        assert kilos_and_counts(session) == before
        assert {
            table: session.scalar(select(func.count()).select_from(table))
            for table in rows
        } == rows

        contact = session.get(Contact, contact_id)
        assert contact is not None
        assert (contact.name, contact.phone, contact.email) == ("(effacé)", None, None)
        assert contact.opted_out and contact.opted_out_via == "erased"
        assert contact.erased_at is not None and contact.consent_text == ""
        assert contact.farm is not None  # the farm and its kilos stay
        assert privacy.is_suppressed(session, privacy.identifier(FARMER))
        assert privacy.is_suppressed(session, privacy.identifier(FARMER_EMAIL))
        assert not privacy.is_suppressed(session, privacy.identifier("8195550199"))

        theirs = session.scalars(
            select(Message).where(Message.contact_id == contact_id)
        ).all()
        assert theirs and {m.body for m in theirs} == {"[effacé]"}
        assert all(m.parsed is None for m in theirs)
        everything = " ".join(
            f"{m.to_addr} {m.from_addr} {m.subject} {m.body} {m.error}"
            for m in session.scalars(select(Message))
        )
        assert FARMER not in everything and FARMER_EMAIL not in everything
        assert "DISPO P1" not in everything
        assert "+1450555••00" in everything  # the masked address
        # The organization's email keeps its words, not the phone.
        assert "Farmer's phone: [effacé]" in everything

        answers = session.scalars(
            select(SurveyResponse.answers).where(
                SurveyResponse.contact_id == contact_id
            )
        ).one()
        assert answers == {"rules_respected": "yes"}
        assert "Très bien." in repr(
            session.scalars(select(SurveyResponse.answers)).all()
        )

        assert session.scalars(select(Subscriber.email)).all() == ["voisin@example.org"]
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "contact", AuditEntry.entity_id == contact_id
            )
        ).all()
        edit, record = entries
        assert edit.before == {"name": "(effacé)", "phone": None, "email": None}
        assert record.action == "forget" and record.before is None
        assert FARMER not in repr(record.after) and "Beaulieu" not in repr(record.after)

    # Twice is fine: nothing left, and it says when the erasure was.
    again = forget(sessions, FARMER)
    assert not again.changed and len(again.erased_before) == 1
    with sessions() as session:
        assert kilos_and_counts(session) == before
        assert (
            session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "forget")
            )
            == 1
        )
        # What an erasure kept is what a copy now shows.
        found = privacy.find(session, privacy.identifier(FARMER))
        assert not found.personal and not found.empty
        copy = privacy.export(found, utcnow())
        assert copy["contacts"] == [] and copy["messages"] == []
        (kept,) = copy["erased"]
        assert kept["contact_id"] == contact_id and kept["messages_kept"] >= 3


def test_forget_erases_the_person_and_keeps_the_kilos(story: Runtime) -> None:
    check_forget(story.sessions)


def test_forget_on_postgresql(
    story: Runtime,
    pg_url: str,  # noqa: F811
) -> None:
    """The same erasure on PostgreSQL: the story is copied there row by row."""
    engine = make_engine(pg_url)
    try:
        copy_story(story.sessions, make_session_factory(engine))
        check_forget(make_session_factory(engine))
    finally:
        engine.dispose()


def copy_story(source: sessionmaker[Session], target: sessionmaker[Session]) -> None:
    """Rebuild the story on the seeded PostgreSQL database (same seed, same
    ids), through the same paths as on SQLite but without the web app."""
    with transaction(target) as session:
        farm = session.scalar(select(Farm).where(Farm.name == "Ferme Beaulieu"))
        assert farm is not None
        surplus = announce_kg(session, farm, 500, date.today() + timedelta(days=3))
        org = session.scalars(select(Organization).order_by(Organization.id)).first()
        assert org is not None
        assert claims.claim(session, surplus.id, org, 200, via="sms").claim
        with source() as story:
            for message in story.scalars(
                select(Message).where(
                    (Message.to_addr == FARMER) | (Message.from_addr == FARMER)
                )
            ):
                session.add(
                    Message(
                        direction=message.direction,
                        channel=message.channel,
                        to_addr=message.to_addr,
                        from_addr=message.from_addr,
                        body=message.body,
                        status=message.status,
                        parsed=message.parsed,
                        contact_id=farmer_contact(session).id,
                    )
                )
        session.flush()
        add_the_rest(session)


# ---- Purge -------------------------------------------------------------------


def test_purge_blanks_old_words_and_leaves_young_messages(runtime: Runtime) -> None:
    now = utcnow()
    ages = {
        "old": (400, "sent"),
        "old_in": (200, "received"),
        "old_unsent": (200, "queued"),
        "young": (10, "delivered"),
    }
    with transaction(runtime.sessions) as session:
        for body, (days, status) in ages.items():
            session.add(
                Message(
                    direction="in" if status == "received" else "out",
                    channel="sms",
                    to_addr="+14505550100",
                    from_addr="glanage",
                    subject="Sujet" if body == "old" else "",
                    body=body,
                    status=status,
                    parsed={"parse": {"intent": "status"}},
                    created_at=now - timedelta(days=days),
                )
            )
        session.add(
            Message(
                direction="out",
                channel="sms",
                to_addr="+1450555••00",
                from_addr="glanage",
                body="[effacé]",
                status="sent",
                created_at=now - timedelta(days=400),
            )
        )
    with runtime.sessions() as session:
        before = kilos_and_counts(session)

    result = privacy.purge_messages(runtime.sessions, 30, now, batch=2)
    assert (result.purged, result.kept) == (2, 1)
    assert result.cutoff == now - timedelta(days=30)

    with runtime.sessions() as session:
        rows = [
            (m.status, m.subject, m.body, m.parsed)
            for m in session.scalars(select(Message).order_by(Message.id))
        ]
        assert kilos_and_counts(session) == before
    assert sorted(rows, key=str) == sorted(
        [
            ("sent", "[purged]", "[purged]", None),
            ("received", "", "[purged]", None),
            # Not sent yet: a retry must still send its words.
            ("queued", "", "old_unsent", {"parse": {"intent": "status"}}),
            ("delivered", "", "young", {"parse": {"intent": "status"}}),
            ("sent", "", "[effacé]", None),  # an erasure stays one
        ],
        key=str,
    )
    again = privacy.purge_messages(runtime.sessions, 30, now)
    assert again.purged == 0


def test_purge_keeps_at_least_a_day(runtime: Runtime) -> None:
    with pytest.raises(ValueError):
        privacy.purge_messages(runtime.sessions, 0, utcnow())
