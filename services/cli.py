"""The `glanage` command (DESIGN §5): demo, web, worker, relay, db, seed, parse."""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
import redis

from shared import config, logs
from shared import runtime as runtime_module
from shared.db import transaction
from shared.grammar import parse
from shared.runtime import QUEUE_NAMES

if TYPE_CHECKING:
    from shared.privacy import Holdings, Identifier


def _runtime(demo: bool = False) -> runtime_module.Runtime:
    try:
        settings = config.load(demo=demo)
    except config.ConfigError as error:
        raise click.ClickException(str(error)) from error
    return runtime_module.install(runtime_module.from_settings(settings))


@click.group()
@click.option("--log-level", default=os.environ.get("GLANAGE_LOG_LEVEL", "INFO"))
@click.option(
    "--json-logs", is_flag=True, default=bool(os.environ.get("GLANAGE_JSON_LOGS"))
)
def main(log_level: str, json_logs: bool) -> None:
    """Glanage: farmers' surplus to the food organizations that need it."""
    logs.configure(log_level, json=json_logs)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    """Seeded demo: web, relay and worker in one process, until interrupted."""
    # Alembic announces its plugins at import; a person starting the demo
    # wants to read the URL and the login, not that.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from werkzeug.serving import make_server

    from services.web import create_app
    from shared import migrate, seed, site_seed
    from shared.engine import Embedded

    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{host}:{port}")
    os.environ.setdefault("GLANAGE_API_TOKEN", secrets.token_urlsafe(18))
    runtime = _runtime(demo=True)
    settings = runtime.settings
    migrate.upgrade(settings.database_url)
    email = settings.admin_email or seed.DEMO_ADMIN_EMAIL
    password = settings.admin_password or seed.DEMO_ADMIN_PASSWORD
    with transaction(runtime.sessions) as session:
        seed.seed_demo(session)
        site_seed.seed_site(session)
        seed.ensure_admin(session, email, password)

    loop = Embedded(runtime)
    loop.start()
    server = make_server(host, port, create_app(runtime), threaded=True)
    base = settings.public_base_url
    click.echo(
        f"\nGlanage demo is running on {base}\n"
        f"  Panel:          {base}/panel   (login {email} / {password})\n"
        f"  SMS simulator:  {base}/panel/simulator\n"
        f"  API:            {base}/api/v1"
        f"  (Authorization: Bearer {settings.api_token})\n"
        f"  Database:       {settings.database_url}\n"
        "Press Ctrl+C to stop.\n"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        loop.stop()


@main.command()
@click.option("--host", default="0.0.0.0", show_default=True)  # nosec B104 # served behind a proxy or in a container
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
def web(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the web app with gunicorn."""
    from gunicorn.app.base import BaseApplication

    from services.web import create_app

    runtime = _runtime()

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")

        def load(self) -> Any:
            # Called in each worker after the fork: no pooled connection is
            # ever shared between processes.
            return create_app(runtime)

    Server().run()


@main.command()
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker (with the scheduler) on QUEUES (default: all)."""
    from rq import SimpleWorker

    runtime = _runtime()
    names = queues or QUEUE_NAMES
    unknown = set(names) - set(QUEUE_NAMES)
    if unknown:
        raise click.BadParameter(f"unknown queue(s): {', '.join(sorted(unknown))}")
    _warm_up(runtime, names)
    log = logging.getLogger("glanage.worker")
    while True:
        try:
            # SimpleWorker runs jobs in this process: no fork per job, and
            # the database pool is never shared across a fork.
            rq_worker = SimpleWorker(
                [runtime.queue(n) for n in names], connection=runtime.redis
            )
            break
        except redis.ConnectionError:
            # Registering needs Redis; once working, RQ rides out an outage
            # by itself. A worker started while Redis is away waits for it.
            log.warning("worker.waiting_for_redis")
            time.sleep(1.0)
    rq_worker.work(burst=burst, with_scheduler=True)


# What each queue's jobs import: loaded before the first job, not by it.
_HANDLER_MODULES = {
    "matcher": ("services.matcher.jobs", "services.matcher.postgis"),
    "notifier": ("services.notifier.jobs", "services.notifier.transports"),
}


def _warm_up(runtime: runtime_module.Runtime, names: tuple[str, ...]) -> None:
    """Import the jobs' modules and open a database connection at start.

    Otherwise the first job of each worker paid for them (geo libraries, the
    Twilio client, a first connection: ~2.8 s on 2 cores, measured by
    bench.end_to_end), and the first announcements after a deploy waited
    that long for their offers.
    """
    import importlib

    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    for name in names:
        for module in _HANDLER_MODULES.get(name, ()):
            importlib.import_module(module)
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError:
        # The database is away (restarting): the worker still starts, and
        # its jobs wait for it as they always did.
        logging.getLogger("glanage.worker").warning("worker.warm_up_no_database")


@main.command()
@click.option("--once", is_flag=True, help="Publish what is pending, then stop.")
@click.option("--interval", default=0.5, show_default=True, type=float)
def relay(once: bool, interval: float) -> None:
    """Publish outbox events to their RQ queues; give stranded messages a job."""
    from shared.relay import Sweeper, Wakeup, publish_pending

    runtime = _runtime()
    log = logging.getLogger("glanage.relay")
    sweep = Sweeper(runtime)
    wakeup = Wakeup(runtime, interval)
    while True:
        try:
            sweep()
            published = publish_pending(runtime)
        except Exception:
            # Redis or the database is away: nothing is lost (events stay
            # unpublished), so wait and try again.
            log.exception("relay.error")
            published = 0
            if once:
                raise
        if once:
            click.echo(f"published {published}")
            return
        if not published:
            wakeup.wait()


@main.group()
def users() -> None:
    """Panel accounts: coordinators, editors, viewers."""


@users.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["coordinator", "editor", "viewer"]),
    default="viewer",
    show_default=True,
)
@click.option("--name", default="")
@click.password_option(help="Asked for when not given.")
def users_create(email: str, role: str, name: str, password: str) -> None:
    """Create a panel account."""
    from sqlalchemy import select

    from shared.models import User
    from shared.seed import ensure_admin

    _check_password(password)
    runtime = _runtime(demo=True)
    with transaction(runtime.sessions) as session:
        if session.scalar(select(User).where(User.email == email.lower())):
            raise click.ClickException(
                f"{email} already has an account: use reset-password"
            )
        user = ensure_admin(session, email, password)
        user.role, user.name = role, name
    click.echo(f"{email} can now sign in as {role}")


@users.command("reset-password")
@click.argument("email")
@click.password_option(help="Asked for when not given.")
def users_reset_password(email: str, password: str) -> None:
    """Set a new password for an existing account."""
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from shared.models import User

    _check_password(password)
    runtime = _runtime(demo=True)
    with transaction(runtime.sessions) as session:
        user = session.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            raise click.ClickException(f"no account for {email}")
        user.password_hash = generate_password_hash(password)
    click.echo(f"new password set for {email}")


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")


@main.group()
def jobs() -> None:
    """Background jobs that failed: list them, run them again."""


@jobs.command("failed")
def jobs_failed() -> None:
    """List failed jobs of every queue, newest last."""
    from rq.job import Job

    runtime = _runtime()
    total = 0
    for name in QUEUE_NAMES:
        registry = runtime.queue(name).failed_job_registry
        for job_id in registry.get_job_ids():
            job = Job.fetch(job_id, connection=runtime.redis)
            result = job.latest_result()
            error = (result.exc_string or "") if result else ""
            last_line = error.strip().splitlines()[-1:] or [""]
            click.echo(f"{name}\t{job_id}\t{job.description}\t{last_line[0]}")
            total += 1
    click.echo(f"{total} failed job(s)", err=True)


@jobs.command("retry")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Retry every failed job.")
def jobs_retry(job_ids: tuple[str, ...], retry_all: bool) -> None:
    """Put failed jobs back on their queue (consumers ignore work already done)."""
    if not job_ids and not retry_all:
        raise click.UsageError("name the job ids to retry, or pass --all")
    runtime = _runtime()
    retried = 0
    for name in QUEUE_NAMES:
        registry = runtime.queue(name).failed_job_registry
        for job_id in registry.get_job_ids():
            if retry_all or job_id in job_ids:
                registry.requeue(job_id)
                retried += 1
    click.echo(f"{retried} job(s) put back on their queue")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration (DATABASE_URL)."""
    from shared import migrate

    settings = config.load(demo=True)
    migrate.upgrade(settings.database_url)
    click.echo(f"database at head: {settings.database_url}")


@main.command()
@click.option("--demo", "demo_data", is_flag=True, required=True, help="Demo data.")
def seed(demo_data: bool) -> None:
    """Seed the database (demo farms, organizations, coordinator account)."""
    from shared import seed as seed_module
    from shared import site_seed

    runtime = _runtime(demo=True)
    with transaction(runtime.sessions) as session:
        added = seed_module.seed_demo(session)
        site_seed.seed_site(session)
        settings = runtime.settings
        if settings.admin_email and settings.admin_password:
            seed_module.ensure_admin(
                session, settings.admin_email, settings.admin_password
            )
    click.echo("demo data added" if added else "data already there: nothing added")


@main.group("import")
def import_group() -> None:
    """Import data from spreadsheets."""


@import_group.command("organizations")
@click.argument("path", type=click.File("r", encoding="utf-8-sig"))
def import_organizations(path: Any) -> None:
    """Import organizations from a CSV file; bad rows are reported, good ones kept."""
    from shared import importer

    runtime = _runtime(demo=True)
    try:
        numbered = list(importer.rows(path))
    except importer.RowError as error:
        raise click.ClickException(str(error)) from error
    with (
        transaction(runtime.sessions) as session,
        click.progressbar(numbered, label="Importing organizations") as bar,
    ):
        report = importer.import_rows(session, bar)
    for line, problem in report.errors:
        click.echo(f"line {line}: {problem}", err=True)
    click.echo(f"{report.added} added, {len(report.errors)} rejected")
    if report.errors:
        sys.exit(1)


@import_group.command("farms")
@click.argument("path", type=click.File("r", encoding="utf-8-sig"))
def import_farms(path: Any) -> None:
    """Import farms from a CSV file, one row per parcel; bad rows are reported,
    good ones kept. Rows with the same farm_name and municipality make one farm."""
    from shared import importer

    runtime = _runtime(demo=True)
    try:
        numbered = list(importer.rows(path, "farms"))
    except importer.RowError as error:
        raise click.ClickException(str(error)) from error
    except UnicodeDecodeError as error:
        raise click.ClickException("the file is not UTF-8 text") from error
    with (
        transaction(runtime.sessions) as session,
        click.progressbar(numbered, label="Importing farms") as bar,
    ):
        report = importer.import_farms(session, bar)
    for line, problem in report.errors:
        click.echo(f"line {line}: {problem}", err=True)
    made = report.counts()
    click.echo(
        f"{report.added} added ({made['farm']} farms, {made['parcel']} parcels,"
        f" {made['contact']} contacts), {len(report.errors)} rejected"
    )
    if report.errors:
        sys.exit(1)


@main.group()
def contacts() -> None:
    """A person's data (Law 25): a copy of all of it, or its erasure.

    IDENTIFIER is a phone number (any usual spelling) or an email address (any
    case). Run the command for each phone and address the person gives: the
    export lists the other addresses found on their contact rows.
    """


def _identifier(raw: str) -> Identifier:
    from shared import privacy

    try:
        return privacy.identifier(raw)
    except privacy.NotAnIdentifier as error:
        raise click.BadParameter(
            f"{raw!r} is neither a phone number nor an email address",
            param_hint="IDENTIFIER",
        ) from error


@contacts.command("export")
@click.argument("identifier")
def contacts_export(identifier: str) -> None:
    """Print everything held on IDENTIFIER as JSON; exit 1 when nothing is."""
    from shared import privacy
    from shared.models import utcnow

    ident = _identifier(identifier)
    runtime = _runtime(demo=True)
    with transaction(runtime.sessions) as session:
        held = privacy.find(session, ident)
        if held.empty:
            raise click.ClickException(f"nothing is held on {ident.value}")
        copy = privacy.export(held, utcnow())
    click.echo(json.dumps(copy, ensure_ascii=False, indent=2))


@contacts.command("forget")
@click.argument("identifier")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def contacts_forget(identifier: str, yes: bool) -> None:
    """Erase IDENTIFIER's personal data, keeping the kilos and the counts.

    Contact rows lose name, phone and email (one-way hashes and the opt-out
    stay, so the number is never texted again); messages to and from them
    lose their words and addresses; survey comments and the newsletter
    subscription go. Running it again changes nothing.
    """
    from shared import privacy
    from shared.models import utcnow

    ident = _identifier(identifier)
    runtime = _runtime(demo=True)
    # Read and ask outside the erasing transaction: on SQLite any transaction
    # takes the write lock, and a question can wait a long time for its answer.
    with runtime.sessions() as session:
        held = privacy.find(session, ident)
        summary = _erasure_summary(held)
    if held.empty:
        click.echo(f"nothing is held on {ident.value}: nothing to erase")
        return
    if held.personal:
        click.echo(summary)
        if not yes:
            click.confirm("Erase all of this? It cannot be undone", abort=True)
        with transaction(runtime.sessions) as session:
            # Again, in the transaction: what is erased is what is there now.
            done = privacy.forget(session, privacy.find(session, ident), utcnow())
    else:
        done = privacy.Erasure(erased_before=privacy.erased_before(held))
    if done.changed:
        entries = _many(done.audit_entries, "audit log entry", "audit log entries")
        click.echo(
            f"erased {_many(done.contacts, 'contact')},"
            f" {_many(done.messages, 'message')},"
            f" {_many(done.mentions, 'quote')} in others' messages,"
            f" {_many(done.surveys, 'survey comment')},"
            f" {_many(done.subscribers, 'newsletter subscription')};"
            f" scrubbed {entries}"
        )
    for moment in done.erased_before:
        click.echo(f"{ident.value} was already erased on {moment:%Y-%m-%d %H:%M} UTC")


def _erasure_summary(held: Holdings) -> str:
    lines = [f"Held on {held.ident.value}:"]
    for contact in held.contacts:
        owner = contact.farm or contact.organization
        lines.append(
            f"  contact #{contact.id} {contact.name}"
            f" ({owner.name if owner is not None else 'no farm or organization'})"
        )
    lines += [
        f"  {_many(len(held.messages), 'message')} to or from them",
        f"  {_many(len(held.mentions), 'message')} to others quoting their address",
        f"  {_many(len(held.surveys), 'survey response')}",
        f"  {_many(len(held.subscribers), 'newsletter subscription')}",
        f"  {_many(len(held.audit_entries), 'audit log entry', 'audit log entries')}"
        " about their contact rows",
    ]
    others = [a.value for a in held.addresses if a != held.ident]
    if others:
        lines.append(f"  also erased as theirs: {', '.join(others)}")
    return "\n".join(lines)


def _many(n: int, one: str, many: str = "") -> str:
    """ "1 message", "3 messages"; `many` when the plural is not one + "s"."""
    return f"{n} {one if n == 1 else many or one + 's'}"


@main.group()
def messages() -> None:
    """Stored SMS and emails."""


@messages.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Keep this many days (default: GLANAGE_RETENTION_DAYS, 365).",
)
def messages_purge(days: int | None) -> None:
    """Blank the words of messages older than --days; the rows, and so every
    figure, stay. Messages not sent yet are left alone."""
    from shared import privacy
    from shared.models import utcnow

    runtime = _runtime(demo=True)
    keep = days if days is not None else runtime.settings.retention_days
    if keep < 1:
        raise click.ClickException("GLANAGE_RETENTION_DAYS must be at least 1")
    result = privacy.purge_messages(runtime.sessions, keep, utcnow())
    click.echo(
        f"purged {_many(result.purged, 'message')} created before"
        f" {result.cutoff:%Y-%m-%d %H:%M} UTC ({keep} days);"
        f" kept {_many(result.kept, 'newer message')}"
    )


@main.command("parse")
@click.argument("text")
@click.option("--from", "sender", default=None, help="Sender phone (named parcels).")
@click.option("--now", "now_text", default=None, help="ISO 8601 moment for dates.")
def parse_command(text: str, sender: str | None, now_text: str | None) -> None:
    """Parse TEXT with the SMS grammar; '-' reads one message a line from stdin."""
    settings = config.load(demo=True)
    now = _now(now_text, settings)
    names = _parcel_names(sender) if sender else {}
    lines = sys.stdin if text == "-" else [text]
    for line in lines:
        message = line.rstrip("\r\n") if text == "-" else line
        result = parse(message, now=now, parcel_names=names).to_dict()
        click.echo(json.dumps(result, ensure_ascii=False))


def _now(value: str | None, settings: config.Settings) -> datetime:
    if not value:
        return datetime.now(settings.tz)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(
            f"not ISO 8601: {value}", param_hint="--now"
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


def _parcel_names(sender: str) -> dict[str, str]:
    """Named parcels of the sender's farm, when the database knows the number."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from shared.models import Contact
    from shared.phones import normalize

    try:
        runtime = _runtime(demo=True)
        with runtime.sessions() as session:
            contact = session.scalar(
                select(Contact).where(Contact.phone == (normalize(sender) or sender))
            )
            if contact is None or contact.farm is None:
                return {}
            return {p.name: p.code for p in contact.farm.parcels if p.name}
    except SQLAlchemyError:
        return {}


if __name__ == "__main__":
    main()
