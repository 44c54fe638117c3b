"""The public site as the public sees it, in a real browser: the home page, the
partner map, a newsletter subscription from the form to the confirmed link,
and an accessibility check of the main pages with axe-core."""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Demo, screenshot
from tests.integration.test_demo_process import get, wait_for

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations axe-core finds on the page.

    axe comes from the npm lock file and is injected from disk: nothing is
    fetched from elsewhere."""
    if not AXE.exists():
        message = f"{AXE} is missing: run `npm ci` (make install does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    # Evaluated, not added as a <script>: the site's CSP rightly refuses
    # inline scripts, and the check must not weaken it.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }"""
    )
    return found


def test_home_page_says_what_the_network_does(page: Page, demo: Demo) -> None:
    page.goto(f"{demo.base}/")
    expect(page.locator("h1")).to_contain_text("Lanaudière")
    expect(page.locator("nav").first).to_contain_text("Partenaires")
    # The next events and the latest news, from the content the panel edits.
    expect(page.locator("main")).to_contain_text("Rencontre régionale")
    screenshot(page, "site-home")

    page.click("a.lang-switch")
    page.wait_for_url(f"{demo.base}/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav").first).to_contain_text("Partners")
    screenshot(page, "site-home-en")


def test_partner_map_shows_the_partners_and_the_filter_narrows_them(
    page: Page, demo: Demo
) -> None:
    page.goto(f"{demo.base}/partenaires")
    markers = page.locator("#partners-map .map-pin")
    expect(markers.first).to_be_visible(timeout=10_000)
    cards = page.locator("li.partner")
    everyone = cards.count()
    assert markers.count() == everyone >= 5  # one mark for each partner listed
    screenshot(page, "site-partners")

    # The filter is a plain form: it works the same with or without script.
    page.select_option("select[name=mrc]", "Joliette")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"mrc=Joliette"))
    expect(cards.first).to_contain_text("Joliette")
    assert 0 < cards.count() < everyone
    expect(markers).to_have_count(cards.count())


def test_newsletter_subscription_from_the_form_to_the_confirmed_link(
    page: Page, demo: Demo
) -> None:
    address = "lucie.tremblay@example.org"
    page.goto(f"{demo.base}/infolettre")
    page.fill("#f-email", address)
    page.locator("input[name=topics]").first.check()
    # Consent is asked, never assumed: without it the form says so.
    page.click("button[type=submit]")
    expect(page.locator(".flash--error")).to_be_visible()
    expect(page.locator("#f-email")).to_have_value(address)  # nothing typed is lost
    screenshot(page, "site-newsletter-error")

    page.check("#f-consent")
    page.click("button[type=submit]")
    expect(page.locator("[data-newsletter=requested]")).to_be_visible()

    # The double opt-in email waits in the outbox; its link confirms.
    def confirmation() -> str | None:
        query = urllib.parse.urlencode({"to": address})
        for message in get(f"{demo.base}/api/v1/messages?{query}")["items"]:
            link = re.search(r"https?://\S+/infolettre/confirmer/\S+", message["body"])
            if link:
                return link.group(0)
        return None

    wait_for(confirmation, 10)
    link = confirmation()
    assert link is not None
    page.goto(link)
    expect(page.locator("[data-newsletter=active]")).to_be_visible()
    expect(page.locator("main")).to_contain_text(address)
    screenshot(page, "site-newsletter-confirmed")


@pytest.mark.parametrize(
    "path",
    ["/", "/partenaires", "/infolettre", "/feuille-de-route", "/en/glanage"],
)
def test_main_pages_have_no_serious_accessibility_violation(
    page: Page, demo: Demo, path: str
) -> None:
    page.goto(f"{demo.base}{path}")
    page.wait_for_load_state("load")
    assert axe_violations(page) == []


def test_the_accessibility_check_does_catch_violations(page: Page) -> None:
    """The check above can fail: a page with a picture without text and a
    field without a label is caught."""
    page.set_content(
        '<!doctype html><html lang="fr"><head><title>t</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">'
        "</main></body></html>"
    )
    found = {violation["id"] for violation in axe_violations(page)}
    assert {"image-alt", "label"} <= found
