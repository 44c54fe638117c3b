"""From a farmer's text to the first offer SMS at the provider, on the whole
production stack: gunicorn web, RQ workers and the relay, on PostgreSQL and
Redis, with tests/fake_twilio.py as Twilio (in a process of its own, so its
threads don't share a GIL with the load generator).

An open-loop generator sends signed announcements at a fixed rate: send i
leaves at t0 + i / rate whatever happened to the ones before (a thread pool,
one keep-alive connection per thread). For each announcement, the latency is
from the webhook's answer (its TwiML carries the offer code) to the arrival
at the fake Twilio of the first offer SMS for that code (offer texts start
with the code).

    python -m bench.end_to_end                 # 50/s for 60 s, what `make bench` runs
    python -m bench.end_to_end 10              # 10 s, for a quick look
    GLANAGE_BENCH_E2E_RATE=20 GLANAGE_BENCH_E2E_SECONDS=10 python -m bench.end_to_end

Sending numbers: one number throttled at GLANAGE_BENCH_E2E_SMS_PER_SECOND
(default 200, a short code's order of magnitude: three offers for each of 50
announcements a second is 150 texts a second). GLANAGE_BENCH_E2E_POOL=N sends
from a pool of N fictional long codes instead (TWILIO_FROM with commas), each
throttled at 1 text a second like a Canadian long code.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import re
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy import text
from twilio.request_validator import RequestValidator

from bench.common import (
    Processes,
    Table,
    base_env,
    free_port,
    fresh_database,
    fresh_redis,
    http_ready,
    ms,
    percentile,
    wait_until,
)
from bench.population import People, phones, populate
from shared.db import make_engine, make_session_factory, transaction

RATE = float(os.environ.get("GLANAGE_BENCH_E2E_RATE", "50"))
SECONDS = float(os.environ.get("GLANAGE_BENCH_E2E_SECONDS", "60"))
WORKERS = int(os.environ.get("GLANAGE_BENCH_E2E_WORKERS", "2"))
RELAYS = int(os.environ.get("GLANAGE_BENCH_E2E_RELAYS", "1"))
WEB_WORKERS = int(os.environ.get("GLANAGE_BENCH_E2E_WEB_WORKERS", "2"))
SMS_PER_SECOND = os.environ.get("GLANAGE_BENCH_E2E_SMS_PER_SECOND", "200")
POOL = int(os.environ.get("GLANAGE_BENCH_E2E_POOL", "0"))
QUEUE_ORDER = os.environ.get("GLANAGE_BENCH_E2E_QUEUES", "notifier,matcher").split(",")
# After the last send, how long offers may still arrive and count.
DRAIN_SECONDS = float(os.environ.get("GLANAGE_BENCH_E2E_DRAIN", "15"))
FARMS = 600  # 3,000 texts in 60 s: 5 a farm, far below 20 a minute
ORGANIZATIONS = 1000
TOKEN = "bench-twilio-token"  # nosec B105 # benchmark-only
ACCOUNT = "AC" + "0" * 32
SENDER = "+14505550199"
CROPS = ["courges", "carottes", "laitue", "pommes de terre", "citrouilles", "maïs"]
# The farmer's answer and the offer both start with the code ("A12 :" in
# French, "A12:" in English).
ANSWER_CODE = re.compile(r"(?:Merci|Thanks)! ([A-Z]\d+) ?:")
OFFER_CODE = re.compile(r"([A-Z]\d+) ?:")


@dataclass
class Sent:
    scheduled: float
    answered: float = float("nan")
    status: int = 0
    code: str | None = None


@dataclass
class Generator:
    """Open loop: each send leaves at its scheduled time, answered or not."""

    base: str
    people: People
    threads: int = 64
    sent: list[Sent] = field(default_factory=list)
    _local: threading.local = field(default_factory=threading.local)

    def run(self, rate: float, seconds: float) -> None:
        count = int(rate * seconds)
        validator = RequestValidator(TOKEN)
        url = f"{self.base}/sms/inbound"
        forms = []
        for n in range(count):
            farm = self.people.farm_phones[n % len(self.people.farm_phones)]
            params = {
                "MessageSid": f"SM{n:032d}",
                "AccountSid": ACCOUNT,
                "From": farm,
                "To": SENDER,
                "Body": f"DISPO P{1 + n % 2} {CROPS[n % len(CROPS)]} "
                f"{100 + n % 400} kg jusqu'à vendredi",
            }
            signature = validator.compute_signature(url, params)
            forms.append((urllib.parse.urlencode(params), signature))
        start = time.monotonic() + 0.5
        with ThreadPoolExecutor(self.threads) as pool:
            for n, (body, signature) in enumerate(forms):
                record = Sent(start + n / rate)
                self.sent.append(record)
                delay = record.scheduled - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(self._post, record, body, signature)

    def _post(self, record: Sent, body: str, signature: str) -> None:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        }
        for _attempt in range(2):  # a keep-alive connection the server closed
            connection = getattr(self._local, "connection", None)
            if connection is None:
                host, port = urllib.parse.urlsplit(self.base).netloc.split(":")
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
                self._local.connection = connection
            try:
                connection.request("POST", "/sms/inbound", body, headers)
                response = connection.getresponse()
                text = response.read().decode()
                record.answered = time.monotonic()
                record.status = response.status
                found = ANSWER_CODE.search(text)
                record.code = found.group(1) if found else None
                return
            except (OSError, http.client.HTTPException):
                connection.close()
                self._local.connection = None
        record.answered = time.monotonic()


# ---- the fake Twilio in its own process -------------------------------------------


def _twilio_process(port_out: Connection, stop: Any) -> None:
    sys.path.insert(0, os.getcwd())
    from tests.fake_twilio import FakeTwilio

    fake = FakeTwilio().start()
    port_out.send(fake.url)
    stop.wait()
    with fake._lock:
        port_out.send(
            [
                (m["body"], m["to"], m["from"], at)
                for m, at in zip(fake.accepted, fake.accepted_at, strict=True)
            ]
        )
    fake.stop()


# ---- the run -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    seconds = float(args[0]) if args else SECONDS
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    stop = context.Event()
    twilio = context.Process(target=_twilio_process, args=(child, stop), daemon=True)
    twilio.start()
    twilio_url = parent.recv()
    with fresh_database("e2e", seed_demo=True) as db, fresh_redis() as redis_url:
        engine = make_engine(db)
        with transaction(make_session_factory(engine)) as session:
            # Organizations over the whole region (~120 km across), as a
            # regional network's would be: a farm sees a few hundred.
            people = populate(session, FARMS, ORGANIZATIONS, org_km=60)
        engine.dispose()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        pool = phones(POOL, start=2000) if POOL else [SENDER]
        env = base_env(
            db,
            redis_url,
            PUBLIC_BASE_URL=base,
            TWILIO_ACCOUNT_SID=ACCOUNT,
            TWILIO_AUTH_TOKEN=TOKEN,
            TWILIO_FROM=",".join(pool),
            GLANAGE_TWILIO_API_URL=twilio_url,
            # A pool: each number at a long code's 1 text a second.
            GLANAGE_SMS_PER_SECOND="1" if POOL else SMS_PER_SECOND,
        )
        with Processes("end_to_end", env) as processes:
            processes.start(
                "web", "web", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(WEB_WORKERS),
            )  # fmt: skip
            for _ in range(WORKERS):
                # The notifier's queue first: finish the surpluses already
                # matched (their offers are what people wait for) before
                # matching new ones; RQ takes queues in the order given.
                processes.start("worker", "worker", *QUEUE_ORDER)
            for _ in range(RELAYS):
                processes.start("relay", "relay")
            wait_until(lambda: http_ready(f"{base}/readyz"), 60, "glanage web")
            generator = Generator(base, people)
            started = time.monotonic()
            generator.run(RATE, seconds)
            load_seconds = time.monotonic() - started
            time.sleep(DRAIN_SECONDS)
            stop.set()
            accepted = parent.recv()
        stages = _stages(db, accepted)
    twilio.join(timeout=10)
    _publish(generator.sent, accepted, seconds, load_seconds, len(pool))
    _publish_stages(stages)


# ---- where the time goes -----------------------------------------------------------

STAGES = (
    ("web commit → relay published surplus.announced", "announced", "published"),
    ("published → matcher job started (RQ queue)", "published", "matcher_start"),
    ("matcher job started → offers.ready written", "matcher_start", "ready"),
    ("offers.ready written → relay published it", "ready", "ready_published"),
    ("published → notifier job started (RQ queue)", "ready_published", "notifier"),
    ("notifier job started → first offer at Twilio", "notifier", "first_sms"),
)


def _stages(
    db: str, accepted: list[tuple[str, str, str, float]]
) -> dict[str, list[float]]:
    """Each surplus's path through the outbox, from the database's timestamps
    (wall clock) and the fake Twilio's arrivals (monotonic, made wall clock
    with this process's offset: both clocks are the machine's)."""
    offset = time.time() - time.monotonic()
    first_sms: dict[str, float] = {}
    for body, _to, _from, at in accepted:
        found = OFFER_CODE.match(body)
        if found and (
            found.group(1) not in first_sms or at + offset < first_sms[found.group(1)]
        ):
            first_sms[found.group(1)] = at + offset
    engine = make_engine(db)
    with engine.connect() as connection:
        rows = (
            connection.execute(
                text(
                    """
                SELECT s.code,
                       extract(epoch FROM a.created_at) AS announced,
                       extract(epoch FROM a.published_at) AS published,
                       extract(epoch FROM pm.processed_at) AS matcher_start,
                       extract(epoch FROM r.created_at) AS ready,
                       extract(epoch FROM r.published_at) AS ready_published,
                       extract(epoch FROM pn.processed_at) AS notifier
                FROM surpluses s
                JOIN events a ON a.kind = 'surplus.announced'
                     AND (a.payload->>'surplus_id')::int = s.id
                LEFT JOIN processed_events pm ON pm.consumer = 'matcher'
                     AND pm.event_id = a.id
                LEFT JOIN LATERAL (
                    SELECT * FROM events r WHERE r.kind = 'offers.ready'
                    AND (r.payload->>'surplus_id')::int = s.id
                    ORDER BY r.id LIMIT 1) r ON true
                LEFT JOIN processed_events pn ON pn.consumer = 'notifier'
                     AND pn.event_id = r.id
                WHERE s.source = 'sms'
                """
                )
            )
            .mappings()
            .all()
        )
    engine.dispose()
    spans: dict[str, list[float]] = {label: [] for label, _, _ in STAGES}
    for row in rows:
        moments = dict(row)
        moments["first_sms"] = first_sms.get(row["code"])
        for label, start, end in STAGES:
            if moments.get(start) is not None and moments.get(end) is not None:
                spans[label].append(float(moments[end]) - float(moments[start]))
    return spans


def _publish_stages(spans: dict[str, list[float]]) -> None:
    table = Table(
        "end_to_end_stages",
        "Where an announcement's time goes, stage by stage",
        ["stage", "surpluses", "p50", "p99", "max"],
    )
    for label, values in spans.items():
        table.add(
            label, f"{len(values):,}", ms(percentile(values, 50)),
            ms(percentile(values, 99)), ms(max(values, default=float("nan"))),
        )  # fmt: skip
    table.notes.append(
        "From events.created_at/published_at, processed_events.processed_at (a "
        "job's start: consume_once is its first write) and the fake Twilio's "
        "arrival times; the database clock and this machine's are the same."
    )
    table.publish()


def _publish(
    sent: list[Sent],
    accepted: list[tuple[str, str, str, float]],
    seconds: float,
    load_seconds: float,
    senders: int,
) -> None:
    first_offer: dict[str, float] = {}
    for body, _to, _from, at in accepted:
        found = OFFER_CODE.match(body)
        if found is None:
            continue  # not an offer (a confirmation to a farmer)
        code = found.group(1)
        if code not in first_offer or at < first_offer[code]:
            first_offer[code] = at
    latencies = [
        first_offer[s.code] - s.answered
        for s in sent
        if s.code is not None and s.code in first_offer
    ]
    answered = [s for s in sent if s.status == 200]
    webhook = [s.answered - s.scheduled for s in answered]
    late_start = max((s.answered - s.scheduled for s in sent), default=0.0)
    table = Table(
        "end_to_end",
        f"Announcement to first offer SMS, {RATE:g} announcements/s for {seconds:g} s "
        "(web, workers, relay on 2 shared cores)",
        ["measure", "value"],
    )
    table.add("announcements sent", f"{len(sent):,} in {load_seconds:.1f} s")
    table.add("answered 200 (with an offer code)", f"{len(answered):,} "
              f"({sum(1 for s in answered if s.code):,})")  # fmt: skip
    table.add("webhook answer p50 / p99", f"{ms(percentile(webhook, 50))} / "
              f"{ms(percentile(webhook, 99))}")  # fmt: skip
    table.add("got a first offer", f"{len(latencies):,}")
    table.add("answer → first offer p50", ms(percentile(latencies, 50)))
    table.add("answer → first offer p99", ms(percentile(latencies, 99)))
    table.add("answer → first offer max", ms(max(latencies, default=float("nan"))))
    table.add("SMS accepted by the fake Twilio", f"{len(accepted):,}")
    table.notes.append(
        f"Workers: {WORKERS} `glanage worker {' '.join(QUEUE_ORDER)}`, "
        f"{RELAYS} relay, web "
        f"{WEB_WORKERS} gunicorn workers; sending numbers: {senders} "
        + (
            "(pool, 1 text/s each)"
            if senders > 1
            else f"(throttled at GLANAGE_SMS_PER_SECOND={SMS_PER_SECOND})"
        )
        + f"; offers wait {DRAIN_SECONDS:g} s after the last send; slowest "
        f"webhook answer {ms(late_start)}. Target: p99 ≤ 1 s."
    )
    table.publish()


if __name__ == "__main__":
    main()
