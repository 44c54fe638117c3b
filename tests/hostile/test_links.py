"""Forged, changed or used personal links get a clear page in French, never a 500."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from shared import coordination
from shared.db import transaction
from shared.models import Farm, Message, Surplus
from shared.runtime import Runtime
from shared.tokens import sign_claim
from tests.conftest import FARMER, Twilio
from tests.services.web.panel.conftest import csrf


def _words(response: Any) -> str:
    """The page as a person reads it: text only, in one line."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style).*?</\1>", "", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    return " ".join(text.split())


def _in_french(words: str) -> bool:
    return bool(re.search(r"\b(lien|offre|Désolé|terminée|formulaire)\b", words))


@pytest.fixture
def link(twilio: Twilio, work: Any, runtime: Runtime) -> str:
    """A real claim link, as the first organization offered got it."""
    twilio.reply(FARMER, "DISPO P1 carottes 300 kg demain")
    work()
    with runtime.sessions() as session:
        bodies = session.scalars(
            select(Message.body).where(Message.direction == "out")
        ).all()
    found = [token for body in bodies for token in re.findall(r"/r/[\w.-]+", body)]
    assert found
    return found[0]


CLAIM_TAMPERING: dict[str, Callable[[str], str]] = {
    "one-signature-character": lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
    "another-offer-same-signature": lambda t: (
        f"{_base36(int(t.split('-')[0], 36) + 1)}-{t.split('-', 1)[1]}"
    ),
    "cut-short": lambda t: t[:-3],
    "one-character-more": lambda t: t + "x",
    "upper-case": str.upper,
    "dot-as-dash": lambda t: t.replace(".", "-"),
    "other-installation": lambda t: sign_claim(
        "another installation's secret key", int(t.split("-")[0], 36), _soon()
    ),
    "sql": lambda t: "' OR '1'='1",
    "accents": lambda t: "é" * 40,
    "10000-characters": lambda t: "x" * 10_000,
    "trailing-slash": lambda t: t + "/",
    "path-traversal": lambda t: t + "/../../etc/passwd",
}


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    return (
        digits[number] if number < 36 else _base36(number // 36) + digits[number % 36]
    )


def _soon() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


@pytest.mark.parametrize("change", CLAIM_TAMPERING)
def test_forged_and_tampered_claim_links_get_a_clear_page_in_french(
    client: FlaskClient, link: str, change: str
) -> None:
    assert client.get(link).status_code == 200  # the real one works
    token = CLAIM_TAMPERING[change](link.removeprefix("/r/"))
    response = client.get("/r/" + quote(token, safe="/"))
    assert response.status_code == 404
    words = _words(response)
    assert "ouvrir ce lien" in words and _in_french(words), words[:80]


def test_a_link_signed_for_an_offer_that_does_not_exist_is_not_found(
    client: FlaskClient, runtime: Runtime
) -> None:
    token = sign_claim(runtime.settings.secret_key, 987_654, _soon())
    response = client.get(f"/r/{token}")
    assert response.status_code == 404 and "ouvrir ce lien" in _words(response)


def test_a_claim_link_used_once_cannot_claim_again(
    client: FlaskClient, link: str, runtime: Runtime
) -> None:
    page = client.get(link).get_data(as_text=True)
    form = {"csrf_token": csrf(page), "quantity": "", "day": "", "slot": "am"}
    day = re.search(r'<option value="([0-9-]+)"', page)
    assert day
    taken = client.post(link, data={**form, "day": day.group(1), "action": "claim"})
    assert taken.status_code == 200 and "300 kg" in _words(taken)

    # Reused: the page says it is over and offers nothing to claim.
    again = client.get(link)
    assert again.status_code < 500
    words = _words(again)
    assert "Cette offre est fermée" in words
    assert 'name="quantity"' not in again.get_data(as_text=True)
    twice = client.post(link, data={**form, "day": day.group(1), "action": "claim"})
    assert twice.status_code == 409 and "Désolé" in _words(twice)
    with runtime.sessions() as session:
        assert session.scalar(select(Surplus.remaining_kg)) == 0


def test_a_claim_link_after_the_coordinator_closed_the_offer(
    client: FlaskClient, link: str, runtime: Runtime
) -> None:
    page = client.get(link).get_data(as_text=True)
    with transaction(runtime.sessions) as session:
        coordination.close(session, session.scalars(select(Surplus)).one())
    assert "Cette offre est fermée" in _words(client.get(link))
    form = {"csrf_token": csrf(page), "quantity": "50", "day": "", "slot": "am"}
    day = re.search(r'<option value="([0-9-]+)"', page)
    assert day
    late = client.post(link, data={**form, "day": day.group(1), "action": "claim"})
    assert late.status_code == 409 and "Désolé" in _words(late)
    with runtime.sessions() as session:
        assert session.scalar(select(Surplus.remaining_kg)) == 300


def _farm_token(runtime: Runtime) -> str:
    with runtime.sessions() as session:
        token = session.scalars(select(Farm.form_token).order_by(Farm.id)).first()
    assert token
    return token


FARM_TAMPERING: dict[str, Callable[[str], str]] = {
    "one-character": lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
    "cut-short": lambda t: t[:-4],
    "case-changed": lambda t: t.swapcase(),
    "trailing-space": lambda t: t + " ",
    "trailing-slash": lambda t: t + "/",
    "sql": lambda t: "' OR '1'='1",
    "like-wildcards": lambda t: "%" + "_" * (len(t) - 1),
    "5000-characters": lambda t: "x" * 5_000,
    "accent": lambda t: "é",
}


@pytest.mark.parametrize("change", FARM_TAMPERING)
def test_forged_and_tampered_farmer_links_get_a_clear_page_in_french(
    client: FlaskClient, runtime: Runtime, change: str
) -> None:
    token = _farm_token(runtime)
    assert client.get(f"/f/{token}").status_code == 200  # the real one works
    response = client.get("/f/" + quote(FARM_TAMPERING[change](token), safe="/"))
    assert response.status_code == 404
    words = _words(response)
    assert _in_french(words), words[:80]
