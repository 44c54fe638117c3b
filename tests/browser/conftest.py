"""A real browser (Debian's Chromium, driven by Playwright) against a real
`glanage demo` process. Screenshots of each page land in test-artifacts/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.integration.test_demo_process import API, TOKEN, free_port, get, wait_for

CHROMIUM = os.environ.get("GLANAGE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# The flags this machine needs: no sandbox as root, and no background traffic
# to Google's hosts (the network is closed).
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@dataclass
class Demo:
    base: str
    output: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("browser-demo")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "GLANAGE_INSTANCE": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "GLANAGE_API_TOKEN": API,
    }
    log = folder / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "demo", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: get(f"{base}/healthz")["status"] == "ok", 30)
        yield Demo(base, log)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found: apt-get install chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="fr-CA", viewport={"width": 1280, "height": 900}
    )
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/panel/login")
    page.fill("#f-email", "coordination@example.org")
    page.fill("#f-password", "glanage-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/panel/")
