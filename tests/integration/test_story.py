"""The whole gleaning loop, told through HTTP only: a farmer texts, offers go
out, organizations claim by SMS and by link, everyone is told, nothing is
claimed twice."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from shared import seed
from shared.runtime import Runtime
from tests.conftest import FARMER, Twilio


def surplus_by_code(api: Any, code: str) -> dict[str, Any]:
    items = api("GET", "/surpluses").get_json()["items"]
    return next(s for s in items if s["code"] == code)


def messages_to(api: Any, address: str) -> list[dict[str, Any]]:
    return api("GET", f"/messages?to={address}").get_json()["items"]


def org_contacts(api: Any) -> dict[int, dict[str, Any]]:
    return {o["id"]: o for o in api("GET", "/organizations").get_json()["items"]}


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the form has no CSRF token"
    return found.group(1)


def test_farmer_text_to_claims_and_notices(
    client: FlaskClient, twilio: Twilio, work: Any, api: Any
) -> None:
    # François texts what he has; the reply names the new offer's code.
    reply = twilio.reply(FARMER, "DISPO P1 courges 500 kg jusqu'à vendredi")
    code = re.search(r"\b([A-Z]\d+)\b", reply).group(1)  # type: ignore[union-attr]
    assert "500" in reply and "P1" in reply

    # The matcher ranks organizations and the first wave of three gets offers.
    work()
    surplus = surplus_by_code(api, code)
    assert surplus["status"] == "offered"
    assert surplus["remaining_kg"] == 500
    ranked = sorted(surplus["matches"], key=lambda m: m["rank"])
    assert len(ranked) >= 3
    assert [m["rank"] for m in ranked] == list(range(1, len(ranked) + 1))
    assert all(m["reasons"] and m["distance_km"] <= 40 for m in ranked)
    offered = [o["organization_id"] for o in surplus["offers"]]
    assert offered == [m["organization_id"] for m in ranked[:3]]
    assert {o["status"] for o in surplus["offers"]} == {"sent"}

    orgs = org_contacts(api)
    first, second, third = (orgs[i] for i in offered)
    offer_texts = [
        m
        for m in messages_to(api, first["phone"] or first["email"])
        if code in m["body"]
    ]
    assert offer_texts and "/r/" in offer_texts[0]["body"]

    # The first organization takes 200 kg by SMS; the reply is the confirmation
    # with the farm's address and the parcel's rules.
    sms_org = next(o for o in (first, second, third) if o["phone"])
    answer = twilio.reply(sms_org["phone"], f"OUI {code} 200")
    assert "200" in answer and code in answer
    assert surplus_by_code(api, code)["remaining_kg"] == 300

    # Another takes "500 kg" by link, and gets the 300 that remain, told so.
    link_org = next(o for o in (first, second, third) if o is not sms_org)
    body = next(
        m["body"]
        for m in messages_to(api, link_org["phone"] or link_org["email"])
        if code in m["body"] and "/r/" in m["body"]
    )
    link = re.search(r"https://glanage\.test(/r/\S+)", body).group(1)  # type: ignore[union-attr]
    page = client.get(link)
    assert page.status_code == 200
    done = client.post(
        link,
        data={
            "csrf_token": csrf_of(page.get_data(as_text=True)),
            "quantity": "500",
            "day": re.search(
                r'<option value="(\d{4}-\d\d-\d\d)"', page.get_data(as_text=True)
            ).group(1),  # type: ignore[union-attr]
            "slot": "am",
            "action": "claim",
        },
    )
    assert done.status_code == 200
    assert "300" in done.get_data(as_text=True)
    assert surplus_by_code(api, code)["status"] == "claimed"

    # Everyone is told: the farmer twice, the third organization that it's gone.
    work()
    farmer_texts = [m["body"] for m in messages_to(api, FARMER) if code in m["body"]]
    assert any(sms_org["name"] in t for t in farmer_texts)
    assert any(link_org["name"] in t for t in farmer_texts)
    late = next(o for o in (first, second, third) if o not in (sms_org, link_org))
    notices = messages_to(api, late["phone"] or late["email"])
    assert any(code in m["body"] and m["body"] != body for m in notices[1:])

    # A late "yes" is answered kindly and changes nothing.
    if late["phone"]:
        sorry = twilio.reply(late["phone"], f"oui {code}")
        assert code in sorry
    final = surplus_by_code(api, code)
    assert final["remaining_kg"] == 0
    assert sum(c["quantity_kg"] for c in final["claims"]) == 500


def test_missing_parcel_is_asked_and_completed(twilio: Twilio, api: Any) -> None:
    question = twilio.reply(FARMER, "DISPO courges 500 kg")
    assert "P1" in question and "P2" in question  # it lists the farm's parcels
    assert not api("GET", "/surpluses").get_json()["items"]

    done = twilio.reply(FARMER, "P2")
    surplus = api("GET", "/surpluses").get_json()["items"][0]
    assert surplus["parcel"] == "P2" and surplus["quantity_kg"] == 500
    assert surplus["code"] in done


def test_unknown_number_gets_a_kind_answer(twilio: Twilio, api: Any) -> None:
    reply = twilio.reply("+15145550000", "DISPO P1 courges 500 kg")
    assert reply and "Glanage" in reply
    stored = api("GET", "/messages?from=+15145550000").get_json()["items"]
    assert stored[0]["body"] == "DISPO P1 courges 500 kg"


def test_wrong_code_and_closed_surplus(twilio: Twilio, work: Any, api: Any) -> None:
    org_phone = seed.phone(20)
    assert "Z99" in twilio.reply(org_phone, "OUI Z99 100")

    reply = twilio.reply(FARMER, "DISPO P1 carottes 100 kg demain")
    code = re.search(r"\b([A-Z]\d+)\b", reply).group(1)  # type: ignore[union-attr]
    work()
    cancel = twilio.reply(FARMER, f"ANNULE {code}")
    assert code in cancel
    surplus = surplus_by_code(api, code)
    assert surplus["status"] == "cancelled"
    offered = surplus["offers"][0]["organization_id"]
    phone = org_contacts(api)[offered]["phone"]
    if phone:
        assert code in twilio.reply(phone, f"OUI {code} 10")
    assert surplus_by_code(api, code)["claims"] == []


def test_organizations_racing_by_sms_never_oversell(
    client: FlaskClient, twilio: Twilio, work: Any, api: Any, runtime: Any
) -> None:
    from dataclasses import replace
    from threading import Thread

    runtime.settings = replace(runtime.settings, wave_size=27)
    reply = twilio.reply(FARMER, "DISPO P1 carottes 200 kg jusqu'à vendredi")
    code = re.search(r"\b([A-Z]\d+)\b", reply).group(1)  # type: ignore[union-attr]
    work()
    orgs = org_contacts(api)
    offered = [orgs[o["organization_id"]] for o in surplus_by_code(api, code)["offers"]]
    phones = [o["phone"] for o in offered if o["phone"]]
    assert len(phones) >= 10

    answers: list[str] = []

    def claim(phone: str) -> None:
        response = Twilio(client.application.test_client()).text(
            phone, f"OUI {code} 30", sid=f"SMrace{phone}"
        )
        answers.append(response.get_data(as_text=True))

    threads = [Thread(target=claim, args=(p,)) for p in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == len(phones)  # every claimer got an answer
    final = surplus_by_code(api, code)
    assert final["remaining_kg"] == 0
    granted = [c["quantity_kg"] for c in final["claims"]]
    assert sum(granted) == 200 and sorted(granted) == [20] + [30] * 6
    sorry = [a for a in answers if "tout réservé" in a or "all been claimed" in a]
    assert len(sorry) == len(phones) - 7


def test_a_complete_announcement_leaves_nothing_pending(
    twilio: Twilio, runtime: Runtime
) -> None:
    from sqlalchemy import func, select

    from shared.models import PendingAnnouncement

    def pending() -> int:
        with runtime.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(
                PendingAnnouncement)) or 0)  # fmt: skip

    assert "Merci" in twilio.reply(FARMER, "DISPO P1 courges 500 kg")
    assert pending() == 0  # complete at once: never stored as pending
    twilio.reply(FARMER, "DISPO carottes 300 kg")  # which parcel?
    assert pending() == 1
    assert "Merci" in twilio.reply(FARMER, "P2")
    assert pending() == 0  # completed: cleared
