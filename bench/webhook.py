"""Inbound SMS webhook under gunicorn, against bare Flask on the same settings.

wrk (one thread, on the same two cores) cycles through pre-signed Twilio
requests: farmers' announcements, organizations' claims on offers they were
given, LISTE, AIDE and text the grammar can't read, from a few thousand
distinct registered senders, so that no sender comes near the 20 texts a
minute of services/web/sms.py (each sender is used at most ~15 times in a run;
the table says how many answers were held back anyway).

    python -m bench.webhook                     # what `make bench` runs
    GLANAGE_BENCH_WEBHOOK_SECONDS=5 python -m bench.webhook
    GLANAGE_BENCH_WEBHOOK_CONFIGS="2x4,3x1" ...  # workers x threads to compare
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bench.common import (
    ROOT,
    Processes,
    Table,
    announce_squash,
    base_env,
    free_port,
    fresh_database,
    fresh_redis,
    http_ready,
    wait_until,
)
from bench.population import People, populate
from shared.db import make_engine, make_session_factory, transaction
from shared.models import Message, Offer, Surplus, SurplusStatus

SECONDS = int(os.environ.get("GLANAGE_BENCH_WEBHOOK_SECONDS", "12"))
CONNECTIONS = int(os.environ.get("GLANAGE_BENCH_WEBHOOK_CONNECTIONS", "16"))
# gunicorn workers x threads per worker; the first is `glanage web`'s default.
CONFIGS = os.environ.get("GLANAGE_BENCH_WEBHOOK_CONFIGS", "2x4")
TOKEN = "bench-twilio-token"  # nosec B105 # benchmark-only
FARMS = 1000
ORGANIZATIONS = 1000
SURPLUSES_ON_OFFER = 40
# More than wrk sends in a run at the target rate, so no MessageSid repeats.
REQUESTS = 40_000
CROPS = ["courges", "carottes", "laitue", "pommes de terre", "fraises", "maïs"]
DAYS = ["vendredi", "samedi", "dimanche", "demain", "lundi"]


@dataclass(frozen=True)
class Result:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non200: int
    socket_errors: int


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: bash bench/ensure-tools")
    configs = [tuple(map(int, c.split("x"))) for c in CONFIGS.split(",")]
    with fresh_database("webhook", seed_demo=True) as db, fresh_redis() as redis_url:
        codes, people = _prepare(db)
        with tempfile.TemporaryDirectory(prefix="bench-webhook-") as folder:
            results = []
            for workers, threads in configs:
                port = free_port()
                base = f"http://127.0.0.1:{port}"
                script = Path(folder) / f"requests-{port}.txt"
                _write_requests(script, base, people, codes)
                env = base_env(db, redis_url, PUBLIC_BASE_URL=base)
                results.append(_run_glanage(env, base, port, workers, threads, script))
                held = _held(db)
            bare_workers, bare_threads = configs[0]
            results.append(
                _run_bare(redis_url, db, bare_workers, bare_threads, folder, people)
            )
    _publish(results, held)


# ---- the data -------------------------------------------------------------------


def _prepare(db: str) -> tuple[list[str], People]:
    """Bench farms and organizations, and surpluses offered to every bench
    organization, so that `OUI A12 200` takes kilos like a real claim."""

    engine = make_engine(db)
    with transaction(make_session_factory(engine)) as session:
        people = populate(session, FARMS, ORGANIZATIONS)
        from shared.models import Farm

        farms = session.scalars(select(Farm).order_by(Farm.id).limit(20)).all()
        codes = []
        for n in range(SURPLUSES_ON_OFFER):
            farm = farms[n % len(farms)]
            surplus = announce_squash(session, farm, 10_000_000, days=30, source="api")
            surplus.status = SurplusStatus.OFFERED
            session.add_all(
                Offer(surplus_id=surplus.id, organization_id=org_id, status="sent")
                for org_id in people.organization_ids
            )
            assert surplus.code is not None
            codes.append(surplus.code)
    engine.dispose()
    return codes, people


def _bodies(people: People, codes: list[str], rng: random.Random) -> tuple[str, str]:
    """(sender, text) for one request: 40 % announcements, 35 % claims, 10 %
    LISTE or STATUT, 7 % AIDE, 8 % text nobody can read."""
    roll = rng.random()
    if roll < 0.40:
        return rng.choice(people.farm_phones), (
            f"DISPO P{rng.randint(1, 2)} {rng.choice(CROPS)} "
            f"{rng.randint(50, 900)} kg jusqu'à {rng.choice(DAYS)}"
        )
    if roll < 0.75:
        return rng.choice(people.org_phones), (
            f"OUI {rng.choice(codes)} {rng.randint(10, 300)}"
        )
    sender = rng.choice(people.farm_phones + people.org_phones)
    if roll < 0.85:
        return sender, rng.choice(["LISTE", "STATUT"])
    if roll < 0.92:
        return sender, rng.choice(["AIDE", "HELP", "INFO"])
    return sender, rng.choice(["merci beaucoup!", "c'est qui?", "ok", "?"])


def _write_requests(path: Path, base: str, people: People, codes: list[str]) -> None:
    """One line per request: the signature, a space, the form body."""
    rng = random.Random(12)  # nosec B311 # repeatable load, not secrets
    validator = RequestValidator(TOKEN)
    url = f"{base}/sms/inbound"
    with path.open("w") as out:
        for n in range(REQUESTS):
            sender, text = _bodies(people, codes, rng)
            params = {
                "MessageSid": f"SM{n:032x}{rng.getrandbits(32):08x}"[:34],
                "AccountSid": "AC" + "0" * 32,
                "From": sender,
                "To": "+14505550199",
                "Body": text,
                "NumMedia": "0",
                "NumSegments": "1",
            }
            signature = validator.compute_signature(url, params)
            out.write(f"{signature} {urllib.parse.urlencode(params)}\n")


def _held(db: str) -> dict[str, int]:
    """Inbound messages stored, and how many got no answer and why."""
    engine = make_engine(db)
    with transaction(make_session_factory(engine)) as session:
        stored = session.scalar(
            select(func.count(Message.id)).where(Message.direction == "in")
        )
        held: dict[str, int] = {"stored": int(stored or 0)}
        for parsed in session.scalars(
            select(Message.parsed).where(Message.direction == "in")
        ):
            reason = (parsed or {}).get("held")
            if reason:
                held[reason] = held.get(reason, 0) + 1
        held["surpluses"] = int(session.scalar(select(func.count(Surplus.id))) or 0)
    engine.dispose()
    return held


# ---- the runs --------------------------------------------------------------------


def _wrk(base: str, script: Path) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "5s",
         "-s", str(ROOT / "bench" / "webhook.lua"), f"{base}/sms/inbound",
         "--", str(script)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = re.search(r"^WRK_JSON (.*)$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk said nothing usable:\n{output}")
    figures: dict[str, float] = json.loads(found.group(1))
    if figures["requests"] > figures["prepared"]:
        print(f"warning: {base} repeated MessageSids (answered from the store)")
    return figures


def _result(label: str, figures: dict[str, float]) -> Result:
    return Result(
        label,
        rps=figures["requests"] / figures["seconds"],
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        requests=int(figures["requests"]),
        non200=int(figures["non200"]),
        socket_errors=int(figures["socket_errors"] + figures["timeouts"]),
    )


def _warm(base: str, script: Path) -> None:
    """One request per worker thread, from the end of the file, so imports,
    pools and catalogs are loaded before the clock starts."""
    lines = script.read_text().splitlines()
    warm = Path(str(script) + ".warm")
    warm.write_text("\n".join(lines[-200:]) + "\n")
    subprocess.run(
        ["wrk", "-t1", "-c4", "-d1s", "-s", str(ROOT / "bench" / "webhook.lua"),
         f"{base}/sms/inbound", "--", str(warm)],
        capture_output=True, check=True,
    )  # fmt: skip
    script.write_text("\n".join(lines[:-200]) + "\n")


def _run_glanage(
    env: dict[str, str], base: str, port: int, workers: int, threads: int, script: Path
) -> Result:
    label = f"glanage web ({workers} workers × {threads} threads)"
    with Processes("webhook", env) as processes:
        processes.start(
            f"web-{workers}x{threads}", "web", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--threads", str(threads),
        )  # fmt: skip
        wait_until(lambda: http_ready(f"{base}/healthz"), 60, "glanage web")
        _warm(base, script)
        return _result(label, _wrk(base, script))


def _run_bare(
    redis_url: str, db: str, workers: int, threads: int, folder: str, people: People
) -> Result:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    script = Path(folder) / "bare.txt"
    _write_requests(script, base, people, ["A1"])
    label = f"bare Flask ({workers} workers × {threads} threads)"
    # The same gunicorn settings as `glanage web` (services/cli.py), access log
    # included.
    with Processes("webhook", base_env(db, redis_url)) as processes:
        processes.start(
            "bare-flask", "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(threads),
            "--access-logfile", "-", "bench.bare_app:app",
        )  # fmt: skip
        wait_until(lambda: http_ready(f"{base}/healthz"), 60, "bare Flask")
        _warm(base, script)
        return _result(label, _wrk(base, script))


def _publish(results: list[Result], held: dict[str, int]) -> None:
    bare = results[-1]
    table = Table(
        "webhook",
        f"POST /sms/inbound under gunicorn, wrk -t1 -c{CONNECTIONS} for {SECONDS} s "
        "(2 cores shared with wrk)",
        ["server", "requests/s", "p50", "p99", "requests", "non-200", "of bare Flask"],
    )
    for r in results:
        table.add(
            r.label, f"{r.rps:,.0f}", f"{r.p50_ms:.1f} ms", f"{r.p99_ms:.1f} ms",
            f"{r.requests:,}", f"{r.non200 + r.socket_errors:,}",
            f"{r.rps / bare.rps:.2f}",
        )  # fmt: skip
    reasons = ", ".join(f"{k}: {v:,}" for k, v in held.items())
    table.notes.append(
        f"Load: {FARMS:,} farms and {ORGANIZATIONS:,} organizations as distinct "
        "senders; 40 % announcements, 35 % claims on offered surpluses, 10 % "
        "LISTE/STATUT, 7 % AIDE, 8 % unreadable. Last glanage run's database: "
        f"{reasons}. Target: ≥ 1,000 requests/s and ≥ 0.25 of bare Flask."
    )
    table.publish()


if __name__ == "__main__":
    main()
