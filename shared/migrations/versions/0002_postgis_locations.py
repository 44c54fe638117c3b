"""PostGIS geography columns and GiST indexes (PostgreSQL only)

The columns are generated from lat/lon, so the application writes
coordinates once and the database keeps the geography in step. On SQLite
this revision does nothing: the in-memory index serves there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("organizations", "parcels")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    for table in TABLES:
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN location geography(Point, 4326) "
            "GENERATED ALWAYS AS "
            "(ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography) STORED"
        )
        op.execute(f"CREATE INDEX ix_{table}_location ON {table} USING gist (location)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_location")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS location")
