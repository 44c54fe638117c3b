"""Outbox wake-up: every insert into events NOTIFYs the relay (PostgreSQL)

The relay LISTENs on "glanage_outbox" and publishes as soon as a transaction
that wrote events commits (PostgreSQL delivers a NOTIFY at commit, and never
for a rollback), instead of finding the events at its next poll, up to
`glanage relay --interval` (0.5 s) later. A statement-level trigger costs the
writers no round trip; SQLite (the embedded demo) keeps polling.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 03:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION glanage_outbox_notify() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('glanage_outbox', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_notify_relay AFTER INSERT ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION glanage_outbox_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS events_notify_relay ON events")
    op.execute("DROP FUNCTION IF EXISTS glanage_outbox_notify()")
