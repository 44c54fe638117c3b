"""The satisfaction survey page: /sondage/<token>, one minute, no account.

A 1-to-5 scale and two yes / partly / no questions as plain radio buttons (no
JavaScript), and a comment. Answered once: a second answer is refused kindly.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from services.web.context import db, now
from services.web.panel.base import limiter
from services.web.security import PUBLIC_FORM_LIMIT
from services.web.site.base import bp
from services.web.site.newsletter import render_page
from shared import surveys
from shared.models import Claim, Organization, Surplus, SurveyResponse

SCORE_NAMES = {
    1: _l("Not at all satisfied"),
    2: _l("Not very satisfied"),
    3: _l("Fairly satisfied"),
    4: _l("Satisfied"),
    5: _l("Very satisfied"),
}
CHOICE_NAMES = {"yes": _l("Yes"), "partly": _l("Partly"), "no": _l("No")}
SCORE_QUESTIONS = {
    "pickup_farmer": _l("Overall, how satisfied are you with this pickup?"),
    "pickup_organization": _l("Overall, how satisfied are you with this pickup?"),
    "partner": _l("Overall, how satisfied are you with Glanage?"),
}
QUESTION_NAMES = {
    "rules_respected": _l("Were your field and your rules respected?"),
    "would_again": _l("Would you offer a surplus through Glanage again?"),
    "as_described": _l("Was the food as announced (kind, quantity, quality)?"),
    "easy_to_arrange": _l("Was the pickup easy to arrange?"),
    "useful": _l("Does Glanage help your organization get fresh food?"),
    "would_recommend": _l("Would you recommend Glanage to another organization?"),
}


def _about(survey: SurveyResponse) -> str:
    """One line that says which pickup the survey is about."""
    claim = db().get(Claim, survey.claim_id) if survey.claim_id else None
    if claim is None:
        return ""
    surplus = db().get(Surplus, claim.surplus_id)
    organization = db().get(Organization, claim.organization_id)
    if surplus is None or organization is None:
        return ""
    return _(
        "About offer %(code)s: %(crop)s from %(farm)s, picked up by %(org)s.",
        code=surplus.code or "",
        crop=surplus.crop,
        farm=surplus.farm.name,
        org=organization.name,
    )


def _problems(codes: dict[str, str]) -> dict[str, str]:
    words = {
        "score": _("Pick a number from 1 to 5."),
        "comment": _(
            "Your comment is longer than %(n)d characters: please shorten it.",
            n=surveys.COMMENT_MAX,
        ),
    }
    return {name: words[name] for name in codes}


@bp.route("/sondage/<token>", methods=["GET", "POST"])
@limiter.limit(PUBLIC_FORM_LIMIT, methods=["POST"])
def survey(token: str) -> ResponseReturnValue:
    found = surveys.find(db(), token)
    if found is None:
        return render_page("site/survey/invalid.html", _("Link not valid"), 404)
    if found.answered_at is not None:
        return render_page(
            "site/survey/thanks.html",
            _("Thank you"),
            409 if request.method == "POST" else 200,
            private=True,
            again=True,
        )
    values: dict[str, Any] = {"score": "", "comment": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {key: request.form.get(key, "") for key in request.form}
        given, problems = surveys.read_form(found.kind, request.form)
        if given is not None:
            if not surveys.answer(db(), found, given, now()):
                db().rollback()
                return render_page(
                    "site/survey/thanks.html", _("Thank you"), 409, again=True
                )
            db().commit()
            return render_page("site/survey/thanks.html", _("Thank you"), again=False)
        errors = _problems(problems)
    return render_page(
        "site/survey/form.html",
        _("One minute for Glanage"),
        422 if errors else 200,
        private=True,
        survey=found,
        about=_about(found),
        form=values,
        errors=errors,
        score_question=SCORE_QUESTIONS[found.kind],
        scores=list(SCORE_NAMES.items()),
        questions=[(q, QUESTION_NAMES[q]) for q in surveys.QUESTIONS[found.kind]],
        choices=list(CHOICE_NAMES.items()),
        comment_max=surveys.COMMENT_MAX,
    )
