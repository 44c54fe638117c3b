"""The whole story on the production engine: `glanage web` under gunicorn,
two `glanage worker` and two `glanage relay` processes, PostgreSQL + PostGIS,
Redis — everything through HTTP, as Twilio and organizations would."""

from __future__ import annotations

import json
import multiprocessing
import re
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from typing import Any

from twilio.request_validator import RequestValidator

from shared import seed
from tests.production.conftest import Stack, wait_for

FARMER = seed.phone(0)


def api(stack: Stack, path: str) -> Any:
    request = urllib.request.Request(
        f"{stack.base}/api/v1{path}",
        headers={"Authorization": f"Bearer {stack.env['GLANAGE_API_TOKEN']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def text(base: str, token: str, sender: str, body: str) -> str:
    """A signed Twilio webhook; returns the reply's text."""
    params = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": sender, "Body": body}
    signature = RequestValidator(token).compute_signature(f"{base}/sms/inbound", params)
    request = urllib.request.Request(
        f"{base}/sms/inbound",
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        xml = response.read().decode()
    found = re.search(r"<Message>(.*)</Message>", xml, re.S)
    return found.group(1) if found else ""


def say(stack: Stack, sender: str, body: str) -> str:
    return text(stack.base, stack.env["TWILIO_AUTH_TOKEN"], sender, body)


def surplus(stack: Stack, code: str) -> dict[str, Any]:
    return next(s for s in api(stack, "/surpluses")["items"] if s["code"] == code)


def code_in(reply: str) -> str:
    return re.search(r"\b([A-Z]\d+)\b", reply).group(1)  # type: ignore[union-attr]


def test_the_story_across_processes(stack: Stack) -> None:
    code = code_in(say(stack, FARMER, "DISPO P1 courges 400 kg jusqu'à vendredi"))

    def offered() -> list[dict[str, Any]]:
        offers = surplus(stack, code)["offers"]
        return offers if {o["status"] for o in offers} == {"sent"} else []

    offers = wait_for(offered, 30, "wave 1 offers sent by the notifier")
    assert len(offers) == 3
    found = surplus(stack, code)
    assert [m["rank"] for m in found["matches"]][:3] == [1, 2, 3]

    orgs = {o["id"]: o for o in api(stack, "/organizations")["items"]}
    first, second, third = (orgs[o["organization_id"]] for o in offers)
    sms_org = next(o for o in (first, second, third) if o["phone"])
    assert "150" in say(stack, sms_org["phone"], f"OUI {code} 150")

    # A claim by link, with the page's CSRF token, takes the rest (capped).
    link_org = next(o for o in (first, second, third) if o is not sms_org)
    address = link_org["phone"] or link_org["email"]
    body = next(
        m["body"]
        for m in api(stack, f"/messages?to={urllib.parse.quote(address)}")["items"]
        if "/r/" in m["body"]
    )
    link = re.search(r"(http://\S+/r/\S+)", body).group(1)  # type: ignore[union-attr]
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(CookieJar())
    )
    page = browser.open(link, timeout=10).read().decode()
    form = {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
        "quantity": "1000",
        "day": re.search(r'<option value="([\d-]+)"', page).group(1),  # type: ignore[union-attr]
        "slot": "pm",
        "action": "claim",
    }
    done = browser.open(link, urllib.parse.urlencode(form).encode(), timeout=10)
    assert "250" in done.read().decode()

    final = surplus(stack, code)
    assert (final["status"], final["remaining_kg"]) == ("claimed", 0)
    assert sorted(c["quantity_kg"] for c in final["claims"]) == [150, 250]

    def farmer_told() -> bool:
        texts = api(stack, f"/messages?to={urllib.parse.quote(FARMER)}")["items"]
        return sum(code in m["body"] and "prend" in m["body"] for m in texts) == 2

    wait_for(farmer_told, 30, "the farmer's two confirmations")
    late = next(o for o in (first, second, third) if o not in (sms_org, link_org))
    late_address = urllib.parse.quote(late["phone"] or late["email"])

    def late_told() -> bool:
        notices = api(stack, f"/messages?to={late_address}")["items"]
        return any(code in m["body"] and "/r/" not in m["body"] for m in notices)

    wait_for(late_told, 30, "the 'all claimed' notice")


def _claim(args: tuple[str, str, str, str]) -> str:
    base, token, phone, code = args
    return text(base, token, phone, f"OUI {code} 7")


def _announce(args: tuple[str, str, str, str]) -> str:
    base, token, phone, body = args
    return text(base, token, phone, body)


def test_hundred_claimers_at_once_never_oversell(stack: Stack, pg_runtime: Any) -> None:
    """100 organizations, each its own process, claim 7 kg of 500 at once."""
    phones = _hundred_offered_organizations(stack, pg_runtime)
    code = code_in(say(stack, FARMER, "DISPO P2 carottes 500 kg jusqu'à vendredi"))
    wait_for(lambda: len(surplus(stack, code)["offers"]) == 100, 60, "100 offers")

    token = stack.env["TWILIO_AUTH_TOKEN"]
    jobs = [(stack.base, token, phone, code) for phone in phones]
    with multiprocessing.get_context("fork").Pool(100) as pool:
        answers = pool.map(_claim, jobs)

    assert len(answers) == 100 and all(answers)  # every claimer answered
    final = surplus(stack, code)
    granted = sorted(c["quantity_kg"] for c in final["claims"])
    assert sum(granted) == 500 and final["remaining_kg"] == 0
    assert granted == [3] + [7] * 71  # 71 × 7 = 497, then the last 3 kg
    assert sum("7 kg" in a or "3 kg" in a for a in answers) == 72


def _hundred_offered_organizations(stack: Stack, pg_runtime: Any) -> list[str]:
    """Add 100 nearby organizations and offer them everything in one wave."""
    from sqlalchemy import select

    from shared.db import transaction
    from shared.models import Contact, Farm, Organization

    with transaction(pg_runtime.sessions) as session:
        farm = session.scalars(select(Farm).order_by(Farm.id)).first()
        phones = []
        for n in range(100):
            phone = f"+1819555{n:04d}"
            org = Organization(
                name=f"Organisme {n}",
                municipality=farm.municipality,  # type: ignore[union-attr]
                lat=farm.lat + (n % 10) * 0.01,  # type: ignore[union-attr]
                lon=farm.lon + (n // 10) * 0.01,  # type: ignore[union-attr]
                service_radius_km=40,
                weekly_capacity_kg=1000,
                channels=["sms"],
            )
            org.contacts.append(Contact(name=f"Contact {n}", phone=phone))
            session.add(org)
            phones.append(phone)
        # Only these 100 should be offered: the demo's organizations step aside.
        for other in session.scalars(select(Organization)):
            if not other.name.startswith("Organisme "):
                other.active = False
    stack.env["GLANAGE_WAVE_SIZE"] = "100"
    stack.restart_workers()
    return phones


def test_fifty_farmers_at_once_each_surplus_matched_once(stack: Stack) -> None:
    farmers = [seed.phone(n) for n in range(len(seed.FARMS))]
    token = stack.env["TWILIO_AUTH_TOKEN"]
    jobs = [
        (
            stack.base,
            token,
            farmers[n % len(farmers)],
            f"DISPO P1 courges {100 + n} kg demain",
        )
        for n in range(50)
    ]
    with multiprocessing.get_context("fork").Pool(50) as pool:
        replies = pool.map(_announce, jobs)
    codes = [code_in(r) for r in replies]
    assert len(set(codes)) == 50

    def all_offered() -> bool:
        items = api(stack, "/surpluses")["items"]
        return len(items) == 50 and all(len(s["offers"]) == 3 for s in items)

    wait_for(all_offered, 90, "every surplus matched and offered")
    for item in api(stack, "/surpluses")["items"]:
        organizations = [m["organization_id"] for m in item["matches"]]
        assert len(organizations) == len(set(organizations))  # matched once
        assert item["wave"] == 1
