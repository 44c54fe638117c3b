"""Satisfaction surveys: a one-minute survey after a pickup (the farmer and the
organization each get one) and a general survey for partner organizations.

A survey is a SurveyResponse with a random token: the link /sondage/<token>
is the only key, so no one needs an account, and it is answered once. The
questions are stable codes; the web page puts them in words.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared import compose, outgoing
from shared.config import Settings
from shared.i18n import pick_language
from shared.models import (
    Claim,
    Contact,
    Message,
    Organization,
    Surplus,
    SurveyResponse,
)
from shared.newsletter import public_url

KINDS = ("pickup_farmer", "pickup_organization", "partner")
SCORES = (1, 2, 3, 4, 5)
CHOICES = ("yes", "partly", "no")
# Two short questions per kind, answered yes / partly / no.
QUESTIONS: dict[str, tuple[str, str]] = {
    "pickup_farmer": ("rules_respected", "would_again"),
    "pickup_organization": ("as_described", "easy_to_arrange"),
    "partner": ("useful", "would_recommend"),
}
COMMENT_MAX = 2000
# A partner who got the general survey this recently is not asked again.
PARTNER_AGAIN_AFTER = timedelta(days=30)


def new_token() -> str:
    # Short: the link rides in an SMS that should stay one segment.
    return secrets.token_urlsafe(12)


def survey_url(base: str, lang: str, token: str) -> str:
    return public_url(base, lang, f"/sondage/{token}")


def find(session: Session, token: str) -> SurveyResponse | None:
    return session.scalar(select(SurveyResponse).where(SurveyResponse.token == token))


# ---- Who is asked, and how -------------------------------------------------


def channel_for(
    contact: Contact, preferred: Iterable[str] = ("sms", "email")
) -> str | None:
    """The first channel, in order of preference, that reaches this person."""
    if contact.opted_out:
        return None
    for channel in (*preferred, "sms", "email"):
        if channel == "sms" and contact.phone:
            return "sms"
        if channel == "email" and contact.email:
            return "email"
    return None


def _first_reachable(
    contacts: Iterable[Contact], preferred: Iterable[str] = ("sms", "email")
) -> Contact | None:
    order = tuple(preferred)
    return next(
        (c for c in sorted(contacts, key=lambda c: c.id) if channel_for(c, order)),
        None,
    )


def create_for_claim(session: Session, claim: Claim) -> list[SurveyResponse]:
    """One survey for the farm's contact and one for the organization's, once
    per claim: a second call creates nothing."""
    existing = set(
        session.scalars(
            select(SurveyResponse.kind).where(SurveyResponse.claim_id == claim.id)
        )
    )
    surplus = session.get(Surplus, claim.surplus_id)
    organization = session.get(Organization, claim.organization_id)
    people = {
        "pickup_farmer": _first_reachable(surplus.farm.contacts) if surplus else None,
        "pickup_organization": (
            _first_reachable(organization.contacts, organization.channels)
            if organization
            else None
        ),
    }
    created = []
    for kind, contact in people.items():
        if kind in existing or contact is None:
            continue
        survey = SurveyResponse(
            kind=kind, token=new_token(), claim_id=claim.id, contact_id=contact.id
        )
        session.add(survey)
        created.append(survey)
    session.flush()
    return created


def create_partner_batch(session: Session, now: datetime) -> list[SurveyResponse]:
    """The general survey for one contact of every active organization, except
    those asked in the last PARTNER_AGAIN_AFTER (a second click sends nothing)."""
    recently = set(
        session.scalars(
            select(SurveyResponse.contact_id).where(
                SurveyResponse.kind == "partner",
                SurveyResponse.sent_at >= now - PARTNER_AGAIN_AFTER,
            )
        )
    )
    created = []
    for organization in session.scalars(
        select(Organization).where(Organization.active).order_by(Organization.id)
    ):
        contact = _first_reachable(organization.contacts, organization.channels)
        if contact is None or contact.id in recently:
            continue
        survey = SurveyResponse(
            kind="partner", token=new_token(), contact_id=contact.id
        )
        session.add(survey)
        created.append(survey)
    session.flush()
    return created


def queue_invitation(
    session: Session, survey: SurveyResponse, settings: Settings
) -> Message | None:
    """Store the invitation (status "queued") for the notifier to send."""
    contact = session.get(Contact, survey.contact_id) if survey.contact_id else None
    if contact is None:
        return None
    preferred: Iterable[str] = ("sms", "email")
    if contact.organization is not None:
        preferred = contact.organization.channels
    channel = channel_for(contact, preferred)
    if channel is None:
        return None
    lang = pick_language(contact.language)
    link = survey_url(settings.public_base_url, lang, survey.token)
    claim = session.get(Claim, survey.claim_id) if survey.claim_id else None
    surplus = session.get(Surplus, claim.surplus_id) if claim else None
    text = compose.survey_invitation(
        survey.kind,
        lang,
        link,
        code=(surplus.code or "") if surplus else "",
        crop=surplus.crop if surplus else "",
    )
    message = outgoing.queue(
        session,
        contact,
        channel,
        text,
        settings,
        surplus_id=surplus.id if surplus else None,
    )
    session.flush()
    return message


# ---- Answers ---------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    score: int
    answers: dict[str, Any]


def read_form(
    kind: str, form: Mapping[str, str]
) -> tuple[Answer | None, dict[str, str]]:
    """What a person ticked, or the problems by field ("missing", "too_long").

    Only the score is required: a survey half answered still counts.
    """
    problems = {}
    raw = (form.get("score") or "").strip()
    score = int(raw) if raw.isdigit() and int(raw) in SCORES else None
    if score is None:
        problems["score"] = "missing"
    answers: dict[str, Any] = {}
    for question in QUESTIONS[kind]:
        choice = (form.get(question) or "").strip()
        if choice in CHOICES:
            answers[question] = choice
    comment = (form.get("comment") or "").strip()
    if len(comment) > COMMENT_MAX:
        problems["comment"] = "too_long"
    elif comment:
        answers["comment"] = comment
    if problems or score is None:
        return None, problems
    return Answer(score, answers), {}


def answer(
    session: Session, survey: SurveyResponse, given: Answer, now: datetime
) -> bool:
    """Record the answers once; False when it was answered already (even by
    another request a moment before)."""
    result = session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.id == survey.id, SurveyResponse.answered_at.is_(None))
        .values(score=given.score, answers=given.answers, answered_at=now)
    )
    session.expire(survey)
    return bool(getattr(result, "rowcount", 0))


# ---- What the panel shows --------------------------------------------------


@dataclass(frozen=True)
class KindSummary:
    kind: str
    sent: int
    answered: int
    average: float | None

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None


def summary(
    session: Session, lower: datetime | None = None, upper: datetime | None = None
) -> list[KindSummary]:
    """Surveys sent in [lower, upper) by kind: how many, answered, mean score."""
    query = select(
        SurveyResponse.kind,
        func.count(SurveyResponse.id),
        func.count(SurveyResponse.answered_at),
        func.avg(SurveyResponse.score),
    ).group_by(SurveyResponse.kind)
    if lower is not None:
        query = query.where(SurveyResponse.sent_at >= lower)
    if upper is not None:
        query = query.where(SurveyResponse.sent_at < upper)
    found = {
        kind: KindSummary(kind, sent, answered, float(avg) if avg is not None else None)
        for kind, sent, answered, avg in session.execute(query)
    }
    return [found.get(kind, KindSummary(kind, 0, 0, None)) for kind in KINDS]
