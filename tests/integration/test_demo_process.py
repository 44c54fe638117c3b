"""`glanage demo` as a newcomer runs it: a real process, real HTTP, the loop
running in its own threads."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

TOKEN = "demo-twilio-token"
API = "demo-api-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "GLANAGE_INSTANCE": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "GLANAGE_API_TOKEN": API,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: get(f"{base}/healthz")["status"] == "ok", 30)
        yield base
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
        assert "coordination@example.org" in output  # the login was printed


def get(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {API}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def wait_for(check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


def text(base: str, sender: str, body: str) -> str:
    params = {"MessageSid": f"SM{time.monotonic_ns()}", "From": sender, "Body": body}
    signature = RequestValidator(TOKEN).compute_signature(f"{base}/sms/inbound", params)
    request = urllib.request.Request(
        f"{base}/sms/inbound",
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()


def test_demo_serves_the_loop_end_to_end(demo: str) -> None:
    base = demo
    assert len(get(f"{base}/api/v1/organizations")["items"]) >= 27
    reply = text(base, "+14505550100", "DISPO P2 carottes 200 kg demain")
    assert "Merci" in reply

    def offered() -> bool:
        items = get(f"{base}/api/v1/surpluses")["items"]
        return bool(items) and len(items[0]["offers"]) == 3

    wait_for(offered, 20)  # the relay and the worker thread did their part
    outbox = get(f"{base}/api/v1/messages")["items"]
    assert sum(1 for m in outbox if "/r/" in m["body"]) >= 3
    with urllib.request.urlopen(f"{base}/panel/login", timeout=5) as page:
        assert page.status == 200
