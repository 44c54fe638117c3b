"""What the matcher reads on every surplus, indexed

organizations.updated_at tells the in-memory index which organizations
changed since it last looked (existing rows take their creation time), and
claims by organization serve the capacity-left and history lookups.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE (recreate='never'): rebuilding organizations on SQLite
    # fails while other tables point at it.
    with op.batch_alter_table('organizations', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_organizations_updated_at'), ['updated_at'], unique=False)
    op.execute("UPDATE organizations SET updated_at = created_at")
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_organization_id'), ['organization_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_organization_id'))
    with op.batch_alter_table('organizations', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizations_updated_at'))
        batch_op.drop_column('updated_at')
