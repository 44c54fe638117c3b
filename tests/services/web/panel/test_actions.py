"""A coordinator steps in: offers by hand, opens a wave, extends, closes,
resends, edits a claim, records the pickup — and the loop follows."""

from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from shared.models import Claim, Message, Offer, Organization, Surplus
from shared.runtime import Runtime, current
from tests.conftest import FARMER, Twilio
from tests.services.web.panel.conftest import csrf


def announce(
    twilio: Twilio, work: Any, text: str = "DISPO P1 courges 300 kg demain"
) -> int:
    reply = twilio.reply(FARMER, text)
    work()
    code = re.search(r"\b([A-Z]\d+)\b", reply).group(1)  # type: ignore[union-attr]
    runtime = current()
    with runtime.sessions() as session:
        return session.scalars(select(Surplus.id).where(Surplus.code == code)).one()


def post(client: FlaskClient, path: str, **data: str) -> str:
    """Submit a panel form; the page it lands on, as a person reads it."""
    token = csrf(client.get("/panel/login").get_data(as_text=True))
    response = client.post(
        path, data={"csrf_token": token, **data}, follow_redirects=True
    )
    return html.unescape(response.get_data(as_text=True))


def offers_of(runtime: Runtime, surplus_id: int) -> list[Offer]:
    with runtime.sessions() as session:
        return list(
            session.scalars(select(Offer).where(Offer.surplus_id == surplus_id))
        )


def test_offer_to_a_chosen_organization_now(
    coordinator: FlaskClient, twilio: Twilio, work: Any, runtime: Runtime
) -> None:
    surplus_id = announce(twilio, work)
    offered = {o.organization_id for o in offers_of(runtime, surplus_id)}
    with runtime.sessions() as session:
        chosen = session.scalars(
            select(Organization).where(Organization.id.not_in(offered))
        ).first()
        assert chosen is not None
    page = post(
        coordinator,
        f"/panel/surplus/{surplus_id}/offer",
        organization_id=str(chosen.id),
    )
    assert chosen.name in page
    work()
    assert chosen.id in {o.organization_id for o in offers_of(runtime, surplus_id)}
    detail = coordinator.get(f"/panel/surplus/{surplus_id}").get_data(as_text=True)
    assert "choisi par la coordination" in detail

    again = post(
        coordinator,
        f"/panel/surplus/{surplus_id}/offer",
        organization_id=str(chosen.id),
    )
    assert "déjà" in again  # already offered: said kindly


def test_next_wave_now_and_close(
    coordinator: FlaskClient, twilio: Twilio, work: Any, runtime: Runtime
) -> None:
    surplus_id = announce(twilio, work)
    post(coordinator, f"/panel/surplus/{surplus_id}/next-wave")
    work()
    assert len(offers_of(runtime, surplus_id)) == 6

    post(coordinator, f"/panel/surplus/{surplus_id}/close")
    work()
    with runtime.sessions() as session:
        assert session.get(Surplus, surplus_id).status == "closed"  # type: ignore[union-attr]
        told = session.scalars(
            select(Message).where(Message.body.like("%fermé par notre coordination%"))
        ).all()
    assert len(told) >= 6  # every waiting organization was told
    assert {o.status for o in offers_of(runtime, surplus_id)} == {"closed"}


def test_extend_moves_the_date_and_refuses_the_past(
    coordinator: FlaskClient, twilio: Twilio, work: Any, runtime: Runtime
) -> None:
    surplus_id = announce(twilio, work)
    post(coordinator, f"/panel/surplus/{surplus_id}/extend", until="2099-06-30")
    refused = post(
        coordinator, f"/panel/surplus/{surplus_id}/extend", until="2001-01-01"
    )
    assert "à partir d'aujourd'hui" in refused
    with runtime.sessions() as session:
        until = session.get(Surplus, surplus_id).available_until  # type: ignore[union-attr]
    assert until.isoformat() == "2099-06-30"


def test_resend_a_failed_message(
    coordinator: FlaskClient, twilio: Twilio, work: Any, runtime: Runtime
) -> None:
    surplus_id = announce(twilio, work)
    with runtime.sessions() as session:
        failed = session.scalars(
            select(Message).where(
                Message.surplus_id == surplus_id, Message.direction == "out"
            )
        ).first()
        assert failed is not None
        failed.status = "failed"
        session.commit()
        failed_id = failed.id
    post(coordinator, f"/panel/message/{failed_id}/resend")
    work()
    with runtime.sessions() as session:
        copies = session.scalars(
            select(Message).where(Message.body == failed.body, Message.id != failed_id)
        ).all()
    assert [c.status for c in copies] == ["sent"]


def test_edit_a_claim_gives_kilos_back(
    coordinator: FlaskClient, twilio: Twilio, work: Any, runtime: Runtime
) -> None:
    surplus_id = announce(twilio, work, "DISPO P1 courges 100 kg demain")
    org_phone = _offered_phone(runtime, surplus_id)
    twilio.reply(org_phone, "OUI A1")  # takes all 100 kg
    with runtime.sessions() as session:
        claim_id = session.scalars(select(Claim.id)).one()
    post(
        coordinator,
        f"/panel/claim/{claim_id}",
        quantity_kg="60",
        pickup_at="2099-01-02T10:30",
    )
    with runtime.sessions() as session:
        surplus = session.get(Surplus, surplus_id)
        claim = session.get(Claim, claim_id)
        assert (surplus.remaining_kg, surplus.status) == (40, "offered")  # type: ignore[union-attr]
        assert claim.quantity_kg == 60 and claim.pickup_at.hour in (10, 15)  # type: ignore[union-attr]
    refused = post(coordinator, f"/panel/claim/{claim_id}", quantity_kg="500")
    assert "Pas assez de kilos" in refused


def test_pickup_outcome_and_no_shows_lower_the_rank(
    coordinator: FlaskClient, twilio: Twilio, work: Any, runtime: Runtime
) -> None:
    surplus_id = announce(twilio, work, "DISPO P1 courges 100 kg demain")
    org_phone = _offered_phone(runtime, surplus_id)
    twilio.reply(org_phone, "OUI A1 50")
    with runtime.sessions() as session:
        claim_id = session.scalars(select(Claim.id)).one()
    bad = post(
        coordinator, f"/panel/claim/{claim_id}/outcome", outcome="collected",
        collected_kg="45", share_farmer="50", share_gleaners="50", share_food_bank="50",
    )  # fmt: skip
    assert "doivent faire 100 %" in bad
    post(
        coordinator, f"/panel/claim/{claim_id}/outcome", outcome="collected",
        collected_kg="45", share_farmer="25", share_gleaners="25", share_food_bank="50",
    )  # fmt: skip
    with runtime.sessions() as session:
        claim = session.get(Claim, claim_id)
        assert (claim.outcome, claim.collected_kg, claim.share_food_bank_pct) == (  # type: ignore[union-attr]
            "collected", 45, 50,
        )  # fmt: skip

    thirds = {
        "share_farmer": "33.3",
        "share_gleaners": "33.3",
        "share_food_bank": "33.4",
    }
    post(coordinator, f"/panel/claim/{claim_id}/outcome", outcome="no_show", **thirds)
    # The next surplus from the same field: the no-show organization says why it
    # dropped.
    next_id = announce(twilio, work, "DISPO P1 carottes 100 kg demain")
    detail = coordinator.get(f"/panel/surplus/{next_id}").get_data(as_text=True)
    assert "1 absence(s)" in detail


def _offered_phone(runtime: Runtime, surplus_id: int) -> str:
    with runtime.sessions() as session:
        for offer in session.scalars(
            select(Offer).where(Offer.surplus_id == surplus_id)
        ):
            org = session.get(Organization, offer.organization_id)
            if org and org.phone:
                return org.phone
    raise AssertionError("no offered organization has a phone")
