"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives,
for tests that send email through the notifier's SMTP transport."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self) -> None:
        self.received: list[Any] = []  # aiosmtpd envelopes, in order
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope)
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, count: int) -> list[email.message.EmailMessage]:
        """The first `count` emails, parsed (headers unfolded), within 5 s."""
        deadline = time.monotonic() + 5
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) == count, self.received
        return [
            email.message_from_bytes(e.content, policy=email.policy.default)
            for e in self.received
        ]


@contextmanager
def smtp_inbox() -> Iterator[Inbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    inbox.port = port
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
