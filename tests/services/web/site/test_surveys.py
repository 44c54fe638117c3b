"""Satisfaction surveys over HTTP: a pickup marked collected sends a survey
link to the farmer and to the organization; the page is answered once; the
answers reach the figures; the partner survey goes out from the panel."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from shared import coordination, gsm
from shared import figures as fig
from shared.db import transaction
from shared.models import Claim, Contact, Message, Offer, Organization, SurveyResponse
from shared.runtime import Runtime
from tests.conftest import FARMER, Twilio
from tests.services.web.panel.conftest import COORDINATOR, csrf, sign_in

LINK = re.compile(r"https://glanage\.test(/(?:en/)?sondage/[\w-]+)")


def collected_pickup(twilio: Twilio, work: Any, runtime: Runtime) -> int:
    """François announces, an organization claims by SMS, the coordinator
    records the pickup as collected; the notifier runs."""
    twilio.reply(FARMER, "DISPO P1 courges 100 kg demain")
    work()
    with runtime.sessions() as session:
        phone = next(
            org.phone
            for offer in session.scalars(select(Offer))
            if (org := session.get(Organization, offer.organization_id)) and org.phone
        )
    twilio.reply(phone, "OUI A1 50")
    with transaction(runtime.sessions) as session:
        claim = session.scalars(select(Claim)).one()
        coordination.record_outcome(
            session, claim, "collected", 48, coordination.Shares(25, 25, 50)
        )
        claim_id = claim.id
    work()
    return claim_id


def survey_messages(runtime: Runtime) -> dict[str, Message]:
    """The invitation each kind of survey sent, by kind."""
    with runtime.sessions() as session:
        found = {}
        for survey in session.scalars(select(SurveyResponse)):
            contact = session.get(Contact, survey.contact_id)
            assert contact is not None
            found[survey.kind] = session.scalars(
                select(Message).where(
                    Message.contact_id == contact.id,
                    Message.body.contains(survey.token),
                )
            ).one()
        return found


@pytest.fixture
def pickup(twilio: Twilio, work: Any, runtime: Runtime) -> int:
    return collected_pickup(twilio, work, runtime)


def test_a_collected_pickup_asks_the_farmer_and_the_organization(
    pickup: int, runtime: Runtime, work: Any
) -> None:
    sent = survey_messages(runtime)
    assert set(sent) == {"pickup_farmer", "pickup_organization"}
    farmer = sent["pickup_farmer"]
    assert (farmer.channel, farmer.to_addr, farmer.status) == ("sms", FARMER, "sent")
    assert LINK.search(farmer.body) and "A1" in farmer.body
    assert gsm.count_segments(farmer.body).segments == 1
    assert sent["pickup_organization"].status == "sent"

    # Recording the outcome again sends nothing more.
    with transaction(runtime.sessions) as session:
        claim = session.get(Claim, pickup)
        assert claim is not None
        coordination.record_outcome(
            session, claim, "collected", 50, coordination.Shares(25, 25, 50)
        )
    work()
    with runtime.sessions() as session:
        assert len(session.scalars(select(SurveyResponse)).all()) == 2


def test_the_survey_is_answered_once_and_reaches_the_figures(
    pickup: int, client: FlaskClient, runtime: Runtime
) -> None:
    farmer_link = LINK.search(survey_messages(runtime)["pickup_farmer"].body)
    assert farmer_link is not None
    path = farmer_link.group(1)

    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        html.count('type="radio" name="score"')
        + html.count('name="score" type="radio"')
        == 5
    )
    assert '<label for="f-score-5">' in html
    assert "A1" in html  # which pickup it is about
    assert "<script" not in html.split("<main", 1)[1].split("</main>")[0]

    missing = client.post(path, data={"csrf_token": csrf(html), "comment": "Bien"})
    assert missing.status_code == 422
    assert "Bien" in missing.get_data(as_text=True)  # what was typed stays

    done = client.post(
        path,
        data={
            "csrf_token": csrf(html),
            "score": "4",
            "rules_respected": "yes",
            "would_again": "partly",
            "comment": "Très bonne équipe.",
        },
    )
    assert done.status_code == 200 and 'data-survey="answered"' in done.get_data(
        as_text=True
    )
    again = client.post(path, data={"csrf_token": csrf(html), "score": "1"})
    assert again.status_code == 409
    assert 'data-survey="already"' in again.get_data(as_text=True)
    assert 'data-survey="already"' in client.get(path).get_data(as_text=True)

    with runtime.sessions() as session:
        answered = session.scalars(
            select(SurveyResponse).where(SurveyResponse.kind == "pickup_farmer")
        ).one()
        assert answered.score == 4
        assert answered.answers == {
            "rules_respected": "yes",
            "would_again": "partly",
            "comment": "Très bonne équipe.",
        }
        today = runtime.now().date()
        figures = fig.compute(
            session, fig.Period(today - timedelta(days=7), today), runtime.settings.tz
        )
    by_kind = {s.kind: s for s in figures.satisfaction}
    assert by_kind["pickup_farmer"].average == 4
    assert by_kind["pickup_farmer"].response_rate == 1
    assert by_kind["pickup_organization"].sent == 1
    assert by_kind["pickup_organization"].answered == 0
    assert fig.table(figures, "satisfaction")[1] == [
        "pickup_farmer",
        "1",
        "1",
        "1",
        "4",
    ]


def test_an_unknown_survey_link_gets_a_kind_page(client: FlaskClient) -> None:
    for path in ("/sondage/nope", "/en/sondage/nope"):
        response = client.get(path)
        assert response.status_code == 404
        assert (
            "survey" in response.get_data(as_text=True).lower()
            or "sondage" in response.get_data(as_text=True).lower()
        )


def test_the_survey_page_speaks_english_under_en(
    pickup: int, client: FlaskClient, runtime: Runtime
) -> None:
    with runtime.sessions() as session:
        token = session.scalars(select(SurveyResponse.token)).first()
    page = client.get(f"/en/sondage/{token}").get_data(as_text=True)
    assert '<html lang="en">' in page and "Very satisfied" in page


def test_the_partner_survey_goes_out_from_the_panel_once_a_month(
    app: Flask, runtime: Runtime, work: Any
) -> None:
    editor = sign_in(app.test_client(), *COORDINATOR)
    page = editor.get("/panel/newsletter").get_data(as_text=True)
    assert (
        editor.post(
            "/panel/newsletter/partner-survey", data={"csrf_token": csrf(page)}
        ).status_code
        == 302
    )
    work()
    with runtime.sessions() as session:
        surveys = session.scalars(
            select(SurveyResponse).where(SurveyResponse.kind == "partner")
        ).all()
        assert len(surveys) > 20
        invitations = session.scalars(
            select(Message).where(Message.body.contains("/sondage/"))
        ).all()
        assert len(invitations) == len(surveys)
        assert {m.status for m in invitations} == {"sent"}
    again = editor.post(
        "/panel/newsletter/partner-survey", data={"csrf_token": csrf(page)}
    )
    assert again.status_code == 302
    shown = editor.get("/panel/newsletter?lang=en").get_data(as_text=True)
    assert "last 30 days" in shown
    row = re.search(r'<tr data-survey="partner">(.*?)</tr>', shown, re.S)
    assert row is not None and str(len(surveys)) in row.group(1)
