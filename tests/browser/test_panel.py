"""A coordinator's harvest day, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Demo, screenshot, sign_in
from tests.integration.test_demo_process import get, text, wait_for


def test_board_updates_live_after_an_inbound_sms(page: Page, demo: Demo) -> None:
    sign_in(page, demo.base)
    screenshot(page, "board-empty")
    text(demo.base, "+14505550103", "DISPO P2 patates 20 poches jusqu'à vendredi")
    # No reload: the server-sent event (or the polling) brings it in.
    card = page.locator("article.surplus").filter(has_text="Pomme de terre")
    expect(card).to_be_visible(timeout=15_000)
    expect(card.locator("[data-status=sent]").first).to_be_visible(timeout=15_000)
    screenshot(page, "board")


def test_match_explanation_and_pickup_outcome(page: Page, demo: Demo) -> None:
    sign_in(page, demo.base)
    reply = text(demo.base, "+14505550104", "DISPO P1 carottes 120 kg demain")
    code = re.search(r"\b([A-Z]\d+)\b", reply).group(1)  # type: ignore[union-attr]
    offered = _offered_phone(demo, code)  # the matcher ranked, wave 1 went out
    page.goto(f"{demo.base}/panel/")
    page.locator(f"#surplus-{code} a").first.click()
    expect(page.locator("h2", has_text="Pourquoi ces organismes")).to_be_visible()
    ranked = page.locator("table.table").first.locator("tbody tr")
    # Each ranked organization with its distance and the reasons in words.
    expect(ranked.first.locator("td[data-label=km]")).to_have_text(
        re.compile(r"^\d+\.\d$")
    )
    expect(ranked.first).to_contain_text("km")
    assert ranked.count() >= 3
    screenshot(page, "surplus")

    # An organization of the first wave claims by SMS; the coordinator records
    # what was collected.
    text(demo.base, offered, f"OUI {code} 100")
    page.reload()
    page.locator("summary", has_text="Noter la cueillette").first.click()
    page.fill("#f-collected_kg", "90")
    page.click("text=Enregistrer le résultat")
    expect(page.locator(".flash--success")).to_contain_text("Cueillette notée")
    expect(page.locator("#claims")).to_contain_text("90")
    screenshot(page, "pickup-recorded")


def test_map_opens_with_everything_on_it(page: Page, demo: Demo) -> None:
    sign_in(page, demo.base)
    page.goto(f"{demo.base}/panel/map")
    expect(page.locator("#map .leaflet-pane").first).to_be_attached(timeout=10_000)
    expect(page.locator("#map")).to_contain_text("Joliette")  # labels, no tiles needed
    screenshot(page, "map")


def _offered_phone(demo: Demo, code: str) -> str:
    """The phone of an organization that got the offer (waiting for the worker)."""

    def offered() -> list[int]:
        items = get(f"{demo.base}/api/v1/surpluses")["items"]
        surplus = next(s for s in items if s["code"] == code)
        return [o["organization_id"] for o in surplus["offers"]]

    wait_for(offered, 15)
    phones = {
        o["id"]: o["phone"] for o in get(f"{demo.base}/api/v1/organizations")["items"]
    }
    return next(phones[i] for i in offered() if phones[i])


def test_import_a_csv_with_a_bad_row(page: Page, demo: Demo) -> None:
    sign_in(page, demo.base)
    page.goto(f"{demo.base}/panel/directory/import")
    page.select_option("#f-kind", "organizations")
    page.set_input_files(
        "#f-file",
        files=[
            {
                "name": "organismes.csv",
                "mimeType": "text/csv",
                "buffer": (
                    "name,municipality,phone,weekly_capacity_kg\n"
                    "Frigo du Rang,Joliette,450 555 0181,200\n"
                    "Cuisine Mystère,Nulle-Part,,\n"
                ).encode(),
            }
        ],
    )
    page.locator("form[enctype] button[type=submit]").click()
    result = page.locator("main")
    expect(result).to_contain_text("Nulle-Part")  # the bad row, with its line number
    expect(result).to_contain_text("3")
    screenshot(page, "import-result")
    page.goto(f"{demo.base}/panel/directory?q=Frigo+du+Rang")
    expect(page.locator("main")).to_contain_text(
        "Frigo du Rang"
    )  # the good row was kept
