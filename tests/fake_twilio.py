"""A local HTTP server that speaks the part of Twilio's Messages API Glanage
uses, for the real `twilio` client to talk to (GLANAGE_TWILIO_API_URL).

    POST /2010-04-01/Accounts/{sid}/Messages.json   create (form: To, From, Body...)
    GET  /2010-04-01/Accounts/{sid}/Messages.json   list (?To=), newest first

It keeps what it accepted, so a test counts what really "left" and sees any
duplicate. Faults on demand, for the next requests or for one number:
500, 429, "timeout" (the message is taken, then the answer comes too late:
the ambiguous case), "hang" (nothing is taken and no answer comes in time)
and 21610 (the person opted out at the carrier).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Fault = int | str  # 500, 429, 21610, "timeout", "hang"

ERRORS = {
    500: (500, 20500, "Internal Server Error"),
    429: (429, 20429, "Too Many Requests"),
    21610: (400, 21610, "Attempt to send to unsubscribed recipient"),
    21211: (400, 21211, "Invalid 'To' Phone Number"),
}


@dataclass
class FakeTwilio:
    # Seconds a "timeout" or "hang" answer waits: longer than the client's.
    slow_seconds: float = 3.0
    # HTTP/1.1 keeps each client's connection open between requests, as
    # Twilio does (benchmarks); HTTP/1.0 closes it after every answer.
    keep_alive: bool = False
    accepted: list[dict[str, Any]] = field(default_factory=list)
    # time.monotonic() when each accepted message arrived, same order as
    # `accepted` (bench.end_to_end measures announcement-to-offer with it).
    accepted_at: list[float] = field(default_factory=list)
    forms: list[dict[str, str]] = field(default_factory=list)  # every create
    requests: int = 0
    # Set when a create request arrives: a test can kill the sender right then.
    arrived: threading.Event = field(default_factory=threading.Event)
    _faults: deque[Fault] = field(default_factory=deque)
    _by_number: dict[str, Fault] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # ---- faults --------------------------------------------------------------

    def fail_next(self, *faults: Fault) -> None:
        """The next creates answer these, in order; then all is well again."""
        with self._lock:
            self._faults.extend(faults)

    def fail_number(self, number: str, fault: Fault) -> None:
        with self._lock:
            self._by_number[number] = fault

    def bodies_to(self, number: str) -> list[str]:
        with self._lock:
            return [m["body"] for m in self.accepted if m["to"] == number]

    # ---- server --------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if self.keep_alive else "HTTP/1.0"
            # Headers and body are two writes: with Nagle's algorithm the body
            # waits for the client's delayed ACK (40 ms) on a kept-alive socket.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {
                    k: v[0]
                    for k, v in parse_qs(self.rfile.read(length).decode()).items()
                }
                fake._create(self, form)

            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                fake._list(self, query.get("To", [""])[0])

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ---- the API -------------------------------------------------------------

    def _create(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        arrived = time.monotonic()
        to = form.get("To", "")
        with self._lock:
            self.requests += 1
            self.forms.append(form)
            self.arrived.set()
            fault = self._by_number.get(to) or (
                self._faults.popleft() if self._faults else None
            )
        if fault == "hang":
            time.sleep(self.slow_seconds)
            return _answer(handler, 503, {"code": 20503, "message": "too late"})
        if fault in ERRORS:
            status, code, text = ERRORS[int(fault)]
            body = {"code": code, "message": text, "status": status}
            return _answer(handler, status, body)
        record = {
            "sid": "SM" + uuid.uuid4().hex,
            "to": to,
            "from": form.get("From") or form.get("MessagingServiceSid", ""),
            "body": form.get("Body", ""),
            "status": "queued",
            "date_created": format_datetime(datetime.now(UTC), usegmt=True),
            "date_sent": None,
            "error_code": None,
            "num_segments": "1",
        }
        with self._lock:
            self.accepted.append(record)
            self.accepted_at.append(arrived)
        if fault == "timeout":  # taken, but the answer arrives too late
            time.sleep(self.slow_seconds)
        _answer(handler, 201, record)

    def _list(self, handler: BaseHTTPRequestHandler, to: str) -> None:
        with self._lock:
            found = [m for m in reversed(self.accepted) if not to or m["to"] == to]
        _answer(
            handler,
            200,
            {
                "messages": found[:50],
                "next_page_uri": None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": 50,
                "start": 0,
                "end": len(found[:50]),
                "uri": handler.path,
                "first_page_uri": handler.path,
            },
        )


def _answer(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    except OSError:
        pass  # the client gave up (a timeout): what Twilio would see too
