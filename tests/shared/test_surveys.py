"""Satisfaction surveys: who is asked after a pickup and how, once; the
partner survey; answers read from a form and recorded once; the SMS that
invites stays one segment."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import claims, compose, config, gsm, surveys
from shared.db import transaction
from shared.models import Claim, Contact, Farm, Message, Organization, SurveyResponse
from shared.runtime import Runtime
from tests.conftest import announce_kg

BASE = "https://glanage.test"
SETTINGS = replace(
    config.Settings(),
    public_base_url=BASE,
    secret_key="survey-test-secret",
    mail_from="Glanage <glanage@example.org>",
)
NOW = datetime(2026, 9, 14, 14, 0, tzinfo=UTC)


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    with transaction(runtime.sessions) as s:
        yield s


def collected_claim(session: Session, org_name: str = "Moisson Lanaudière") -> Claim:
    farm = session.scalar(select(Farm).where(Farm.name == "Ferme Beaulieu"))
    org = session.scalar(select(Organization).where(Organization.name == org_name))
    assert farm is not None and org is not None
    surplus = announce_kg(session, farm, 300, NOW.date() + timedelta(days=3))
    result = claims.claim(session, surplus.id, org, 100, via="sms")
    assert result.claim is not None
    result.claim.outcome, result.claim.collected_kg = "collected", 95
    session.flush()
    return result.claim


def test_after_a_pickup_the_farmer_and_the_organization_are_asked_once(
    session: Session,
) -> None:
    claim = collected_claim(session)
    made = surveys.create_for_claim(session, claim)
    assert sorted(s.kind for s in made) == ["pickup_farmer", "pickup_organization"]
    assert surveys.create_for_claim(session, claim) == []
    farmer = next(s for s in made if s.kind == "pickup_farmer")
    contact = session.get(Contact, farmer.contact_id)
    assert contact is not None and contact.farm_id is not None
    assert len({s.token for s in made}) == 2

    message = surveys.queue_invitation(session, farmer, SETTINGS)
    assert message is not None and message.channel == "sms"
    assert message.to_addr == contact.phone and message.status == "queued"
    assert f"{BASE}/sondage/{farmer.token}" in message.body
    assert message.segments == 1 and gsm.is_gsm7(message.body)


def test_an_organization_that_wants_email_gets_its_survey_by_email(
    session: Session,
) -> None:
    claim = collected_claim(session, "Action Famille Lavaltrie")  # email only
    survey = next(
        s
        for s in surveys.create_for_claim(session, claim)
        if s.kind == "pickup_organization"
    )
    message = surveys.queue_invitation(session, survey, SETTINGS)
    assert message is not None and message.channel == "email"
    assert message.from_addr == "glanage@example.org"
    assert f"/sondage/{survey.token}" in message.body and message.subject


def test_someone_who_opted_out_is_not_asked(session: Session) -> None:
    claim = collected_claim(session)
    for contact in claim.surplus.farm.contacts:
        contact.opted_out_at = NOW
    kinds = [s.kind for s in surveys.create_for_claim(session, claim)]
    assert kinds == ["pickup_organization"]


def test_the_partner_survey_goes_once_a_month_to_each_organization(
    session: Session,
) -> None:
    batch = surveys.create_partner_batch(session, NOW)
    organizations = session.scalars(select(Organization).where(Organization.active))
    reachable = [
        o for o in organizations if any(surveys.channel_for(c) for c in o.contacts)
    ]
    assert len(batch) == len(reachable) > 20
    assert {s.kind for s in batch} == {"partner"}
    assert surveys.create_partner_batch(session, NOW + timedelta(days=1)) == []
    for survey in batch:
        survey.sent_at = NOW - timedelta(days=31)
    assert len(surveys.create_partner_batch(session, NOW)) == len(batch)


@pytest.mark.parametrize(
    ("form", "problems"),
    [
        ({}, {"score": "missing"}),
        ({"score": "6"}, {"score": "missing"}),
        ({"score": "three"}, {"score": "missing"}),
        ({"score": "4", "comment": "x" * 2001}, {"comment": "too_long"}),
    ],
)
def test_a_form_without_a_score_is_sent_back(
    form: dict[str, str], problems: dict[str, str]
) -> None:
    assert surveys.read_form("partner", form) == (None, problems)


def test_answers_keep_only_known_questions_and_choices() -> None:
    given, problems = surveys.read_form(
        "pickup_organization",
        {
            "score": "4",
            "as_described": "partly",
            "easy_to_arrange": "maybe",
            "rules_respected": "yes",  # a question of another survey
            "comment": "  Très bien, merci!  ",
        },
    )
    assert problems == {}
    assert given == surveys.Answer(
        4, {"as_described": "partly", "comment": "Très bien, merci!"}
    )


def test_a_survey_is_answered_once(session: Session) -> None:
    survey = SurveyResponse(kind="partner", token=surveys.new_token())
    session.add(survey)
    session.flush()
    assert surveys.answer(session, survey, surveys.Answer(5, {}), NOW)
    assert not surveys.answer(session, survey, surveys.Answer(1, {}), NOW)
    assert (survey.score, survey.answered_at) == (5, NOW)
    summary = {s.kind: s for s in surveys.summary(session)}
    assert summary["partner"].average == 5 and summary["partner"].response_rate == 1
    assert summary["pickup_farmer"].sent == 0


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("kind", surveys.KINDS)
def test_the_invitation_sms_is_one_segment(kind: str, lang: str) -> None:
    link = f"{BASE}/en/sondage/{surveys.new_token()}"
    text = compose.survey_invitation(
        kind, lang, link, code="A123", crop="pomme de terre"
    )
    assert link in text.sms and link in text.email
    assert gsm.count_segments(text.sms).segments == 1


def test_nothing_is_queued_for_a_survey_without_a_contact(session: Session) -> None:
    survey = SurveyResponse(kind="partner", token=surveys.new_token())
    session.add(survey)
    session.flush()
    assert surveys.queue_invitation(session, survey, SETTINGS) is None
    assert session.scalars(select(Message)).all() == []
