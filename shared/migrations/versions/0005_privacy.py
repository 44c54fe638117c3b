"""Privacy (Law 25): contacts' consent text, and what an erasure keeps

consent_text gets a server default so contacts already there stay valid
(their consent was recorded before its words were).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_text', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('email_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_contacts_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_email_hash'), ['email_hash'], unique=False)


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): rebuilding contacts,
    # as batch mode otherwise does on SQLite, fails its DROP TABLE while
    # messages and surveys point at contacts (foreign keys are on).
    with op.batch_alter_table('contacts', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_email_hash'))
        batch_op.drop_index(batch_op.f('ix_contacts_phone_hash'))
        batch_op.drop_column('email_hash')
        batch_op.drop_column('phone_hash')
        batch_op.drop_column('erased_at')
        batch_op.drop_column('consent_text')
