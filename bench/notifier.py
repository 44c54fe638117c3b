"""Texts a second through RQ to Twilio, with 1 and 2 `glanage worker`s.

Offers are queued as the notifier queues them (shared.outgoing.queue, one
message per offer, status "queued"), then sent by RQ jobs of 50 messages each
(services.notifier.jobs.deliver_batch: a job that sends many messages beats a
job per message, DESIGN §7), with the real twilio client against a local
server speaking Twilio's API (tests/fake_twilio.py, HTTP/1.1 as Twilio), in a
process of its own so that it takes no CPU time from the workers' process.

Two scenarios:
(a) a pool of many sending numbers, so the per-number throttle (1 a second
    each) is not what limits: the notifier's own ceiling;
(b) one number: what leaves is the throttle's rate, never more.

Time runs from the first acceptance at the fake Twilio to the last; every
message is counted there: none twice, none missing.

python -m bench.notifier
"""

from __future__ import annotations

import bisect
import multiprocessing
import os
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

import psutil
import psycopg
import requests
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import select

from bench.common import (
    PG_ADMIN,
    Processes,
    Table,
    announce_squash,
    base_env,
    fresh_database,
    fresh_redis,
    record_memory,
    wait_until,
)
from services.notifier.senders import sender_for
from shared import compose, config, outgoing
from shared.db import make_engine, make_session_factory, transaction
from shared.models import Contact, Farm, Message, Offer, Organization
from tests.fake_twilio import FakeTwilio

TWILIO_SID = "AC" + "0" * 32
# Peak RSS per role over every run (each run's Processes records only its own).
PEAKS: dict[str, int] = {}
BATCH = 50
# (scenario, sending numbers, texts a second per number, messages)
# (a) at 10 a second per number (a toll-free number's rate): the throttle
# allows 5,000 a second, so what is measured is the notifier. At 1 a second
# the run would last as long as the busiest number needs: the hash gives one
# number of 500 up to ~14 of 3,000 recipients, hence >= 13 s, whatever the rest.
POOL = ("a: pool of 500 numbers", 500, 10.0, 3000)
ONE = ("b: one number", 1, 10.0, 80)
# Some runs only, while working on one: GLANAGE_BENCH_NOTIFIER=a1,a2
ONLY = os.environ.get("GLANAGE_BENCH_NOTIFIER", "a1,a2,b1,b2").split(",")


# ---- the fake Twilio, in its own process ------------------------------------------


class _Stamped(list[dict[str, Any]]):
    """FakeTwilio's list of accepted messages, each stamped when accepted."""

    def append(self, record: dict[str, Any]) -> None:
        record["t"] = time.time()
        super().append(record)


def _serve_twilio(port: Connection) -> None:
    fake = FakeTwilio(keep_alive=True, accepted=_Stamped()).start()
    port.send(fake.url)
    while True:
        command = port.recv()
        with fake._lock:
            if command == "count":
                port.send(len(fake.accepted))
            elif command == "take":  # what was accepted, forgotten here
                port.send([(m["to"], m["from"], m["t"]) for m in fake.accepted])
                fake.accepted.clear()
            else:
                return


@contextmanager
def twilio_process() -> Iterator[tuple[str, Connection, int]]:
    ours, theirs = multiprocessing.get_context("fork").Pipe()
    process = multiprocessing.get_context("fork").Process(
        target=_serve_twilio, args=(theirs,), daemon=True
    )
    process.start()
    assert process.pid is not None
    try:
        yield ours.recv(), ours, process.pid
    finally:
        ours.send("stop")
        process.join(timeout=5)
        process.kill()


def _blast(url: str, seconds: float, counts: Any, index: int) -> None:
    session = requests.Session()
    target = f"{url}/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    sent, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        session.post(target, data={"To": "+15145550000", "From": "+1", "Body": "x"})
        sent += 1
    counts[index] = sent


def twilio_ceiling(url: str, clients: int = 2, seconds: float = 3.0) -> float:
    """What the fake Twilio accepts a second from `clients` processes with
    requests (as the workers are), doing nothing else."""
    context = multiprocessing.get_context("fork")
    counts = context.Array("i", clients)
    blasters = [
        context.Process(target=_blast, args=(url, seconds, counts, i))
        for i in range(clients)
    ]
    for process in blasters:
        process.start()
    for process in blasters:
        process.join()
    return sum(counts[:]) / seconds


# ---- load -------------------------------------------------------------------------


def numbers(count: int) -> list[str]:
    return [f"+1450555{n:04d}" if count == 1 else f"+1819{n:07d}" for n in range(count)]


def seed_recipients(url: str, count: int) -> list[int]:
    """`count` organizations with one SMS contact each; their ids."""
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        orgs = [
            Organization(
                name=f"Organisme {n}", municipality="Joliette", lat=46.02, lon=-73.44
            )
            for n in range(count)
        ]
        session.add_all(orgs)
        session.flush()
        session.add_all(
            Contact(name=f"Contact {n}", organization_id=o.id, phone=f"+1514{n:07d}")
            for n, o in enumerate(orgs)
        )
        ids = [o.id for o in orgs]
    engine.dispose()
    return ids


def queue_offers(url: str, org_ids: list[int], settings: config.Settings) -> list[int]:
    """One surplus offered to every organization: offers and their queued
    texts, written as the notifier writes them; the messages' ids."""
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        farm = session.scalars(select(Farm).order_by(Farm.id)).first()
        assert farm is not None
        surplus = announce_squash(session, farm, 500)
        session.flush()
        offers = [
            Offer(surplus_id=surplus.id, organization_id=org_id) for org_id in org_ids
        ]
        session.add_all(offers)
        session.flush()
        contacts = {
            c.organization_id: c
            for c in session.scalars(
                select(Contact).where(Contact.organization_id.in_(org_ids))
            )
        }
        messages = []
        for offer in offers:
            link = f"{settings.public_base_url}/r/bench{offer.id}"
            text = compose.offer(surplus, "fr", link=link)
            message = outgoing.queue(
                session,
                contacts[offer.organization_id],
                "sms",
                text,
                settings,
                surplus_id=surplus.id,
                offer_id=offer.id,
            )
            assert message is not None
            messages.append(message)
        session.flush()
        ids = [m.id for m in messages]
    engine.dispose()
    return ids


def enqueue(redis_url: str, message_ids: list[int]) -> None:
    queue = Queue("notifier", connection=Redis.from_url(redis_url))
    queue.enqueue_many(
        [
            queue.prepare_data(
                "services.notifier.jobs.deliver_batch",
                args=(message_ids[i : i + BATCH],),
                timeout=600,
            )
            for i in range(0, len(message_ids), BATCH)
        ]
    )


# ---- figures ----------------------------------------------------------------------


def max_in_a_second(times: list[float]) -> int:
    """The most acceptances in any window [t, t + 1 s)."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)),
        default=0,
    )


def cpu_seconds(url: str, workers: list[int], twilio_pid: int) -> dict[str, float]:
    """CPU time used so far by the workers, the PostgreSQL backends serving
    this database, and the fake Twilio: where a text's cost goes."""
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        backends = [
            row[0]
            for row in connection.execute(
                "select pid from pg_stat_activity where datname = %s", (database,)
            )
        ]

    def total(pids: list[int]) -> float:
        used = 0.0
        for pid in pids:
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            used += times.user + times.system
        return used

    return {
        "workers": total(workers),
        "postgres": total(backends),
        "twilio": total([twilio_pid]),
    }


def max_in_a_clock_second(times: list[float]) -> int:
    """The most acceptances within one second of the clock (12:00:01.000 to
    12:00:01.999)."""
    return max(Counter(int(t) for t in times).values(), default=0)


def run(
    url: str,
    redis_url: str,
    twilio: tuple[str, Connection, int],
    scenario: tuple[str, int, float, int],
    workers: int,
    org_ids: list[int],
) -> list[object]:
    name, pool_size, per_second, count = scenario
    api_url, control, twilio_pid = twilio
    pool = numbers(pool_size)
    env = base_env(
        url,
        redis_url,
        TWILIO_ACCOUNT_SID=TWILIO_SID,
        TWILIO_FROM=",".join(pool),
        GLANAGE_TWILIO_API_URL=api_url,
        GLANAGE_SMS_PER_SECOND=str(per_second),
        PUBLIC_BASE_URL="https://glanage.example.org",
    )
    settings = config.load(env)
    Redis.from_url(redis_url).flushdb()
    message_ids = queue_offers(url, org_ids[:count], settings)
    with Processes("notifier", env) as processes:
        for _ in range(workers):
            processes.start(f"worker-x{workers}", "worker", "notifier")
        # The workers import and connect before the clock and the CPU count
        # start: an RQ worker registers itself once it is ready for jobs.
        redis = Redis.from_url(redis_url)
        wait_until(lambda: len(Worker.all(connection=redis)) >= workers, 60, "workers")
        time.sleep(0.5)
        workers_pids = [p.pid for _, p in processes.running]
        before = cpu_seconds(url, workers_pids, twilio_pid)
        enqueue(redis_url, message_ids)

        def sent() -> bool:
            control.send("count")
            return bool(control.recv() >= count)

        try:
            wait_until(sent, 30 + count / per_second / pool_size, f"{count} texts")
        except RuntimeError as error:  # counted below as lost
            print(error, flush=True)
        time.sleep(0.5)  # a duplicate would arrive now
        after = cpu_seconds(url, workers_pids, twilio_pid)
        control.send("take")
        accepted: list[tuple[str, str, float]] = control.recv()
    for role, peak in processes.peak_rss.items():
        PEAKS[role] = max(PEAKS.get(role, 0), peak)

    per_number: dict[str, list[float]] = defaultdict(list)
    wrong_sender = 0
    for to, sender, at in accepted:
        per_number[sender].append(at)
        wrong_sender += sender != sender_for(tuple(pool), to)
    copies = Counter(to for to, _, _ in accepted)
    duplicates = sum(n - 1 for n in copies.values() if n > 1)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        statuses = Counter(
            session.scalars(
                select(Message.status).where(Message.id.in_(message_ids))
            ).all()
        )
    engine.dispose()
    lost = count - len(copies)
    times = sorted(at for _, _, at in accepted)
    seconds = times[-1] - times[0]
    rate = (len(times) - 1) / seconds if seconds > 0 else float("nan")
    ceiling = f"{per_second * pool_size:g}"
    spent = {k: (after[k] - before.get(k, 0.0)) * 1000 / count for k in after}
    return [
        name,
        workers,
        len(accepted),
        f"{seconds:.2f}",
        f"{rate:.0f}" if pool_size > 1 else f"{rate:.2f}",
        ceiling,
        max(max_in_a_clock_second(t) for t in per_number.values()),
        max(max_in_a_second(t) for t in per_number.values()),
        f"{per_second:g}",
        duplicates,
        lost,
        wrong_sender,
        ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        " / ".join(f"{spent[k]:.2f}" for k in ("workers", "postgres", "twilio")),
    ]


def main() -> None:
    os.environ.setdefault("GLANAGE_LOG_LEVEL", "WARNING")
    table = Table(
        "notifier",
        "Texts a second through RQ workers to Twilio (fake, own process)",
        [
            "scenario",
            "workers",
            "messages",
            "seconds",
            "SMS/s",
            "throttle allows",
            "max per number in a clock second",
            "in any 1 s window",
            "per-number limit",
            "duplicates",
            "lost",
            "wrong sender",
            "statuses",
            "CPU ms a text: workers / PostgreSQL / fake Twilio",
        ],
    )
    with fresh_database("notifier", seed_demo=True) as url, fresh_redis() as redis_url:
        org_ids = seed_recipients(url, max(POOL[3], ONE[3]))
        with twilio_process() as twilio:
            ceiling = twilio_ceiling(twilio[0])
            twilio[1].send("take")
            twilio[1].recv()
            for key, scenario in (("a", POOL), ("b", ONE)):
                for workers in (1, 2):
                    if f"{key}{workers}" in ONLY:
                        row = run(url, redis_url, twilio, scenario, workers, org_ids)
                        table.add(*row)
    fastest = max(float(str(row[4])) for row in table.rows) if table.rows else 0.0
    table.notes += [
        f"Messages go out in RQ jobs of {BATCH}; the clock runs from the first "
        "acceptance at the fake Twilio to the last. Each run offers a new "
        "surplus to the same organizations (a new text each).",
        f"The fake Twilio alone accepts {ceiling:,.0f} requests a second from "
        "two processes posting with requests (keep-alive), measured just "
        f"before; the fastest row above used {fastest / ceiling:.0%} of that "
        "(it shares the two cores with everything else, so this ceiling "
        "moves with the machine's load).",
        "Max per number: the most texts one number had accepted by the fake "
        "Twilio within one second of the clock, and within any sliding window "
        "of one second. The throttle spaces the turns it gives at Redis by "
        "1/rate exactly; what arrives at Twilio also carries the few "
        "milliseconds between a turn and its request (the take's commit, the "
        "HTTP call), which vary, so a sliding window can hold one more.",
        "CPU ms a text: user + system time of the workers, of the PostgreSQL "
        "backends of this database (their own backends since the start) and "
        "of the fake Twilio, over the run, divided by the messages; Redis "
        "(shared with other work on this machine) is left out.",
        "SMS/s: (messages - 1) / seconds. A bulk text whose number is busy "
        "asks again when the number frees; that asking takes a few "
        "milliseconds, which the next turn starts after: one number reaches "
        "a little under its rate.",
    ]
    table.publish()
    record_memory("notifier", PEAKS)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
