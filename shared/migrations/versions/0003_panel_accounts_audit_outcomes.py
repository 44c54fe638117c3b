"""Panel accounts, the audit log and pickup outcomes

Columns added to existing tables get server defaults so rows already there
(claims, users) stay valid.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 19:32:02.775057
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

THIRD = str(100 / 3)


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=10), nullable=False, server_default='pending'))
        batch_op.add_column(sa.Column('collected_kg', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('share_farmer_pct', sa.Double(), nullable=False, server_default=THIRD))
        batch_op.add_column(sa.Column('share_gleaners_pct', sa.Double(), nullable=False, server_default=THIRD))
        batch_op.add_column(sa.Column('share_food_bank_pct', sa.Double(), nullable=False, server_default=THIRD))
        batch_op.add_column(sa.Column('outcome_note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('outcome_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('active')
        batch_op.drop_column('name')

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('outcome_at')
        batch_op.drop_column('outcome_note')
        batch_op.drop_column('share_food_bank_pct')
        batch_op.drop_column('share_gleaners_pct')
        batch_op.drop_column('share_farmer_pct')
        batch_op.drop_column('collected_kg')
        batch_op.drop_column('outcome')

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_created_at'))

    op.drop_table('audit_log')
