"""insight snapshots

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:10:00

Reviewed by hand: one new table, nothing else changes. The worker's `insight-figures` job keeps the staff
dashboard's figures in it (portal/insight/snapshots.py), so a dashboard reads them instead of computing
them; it holds nothing that cannot be computed again (emptying it only makes the next dashboards slower).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'insight_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('figure', sa.String(length=40), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('period_key', sa.String(length=16), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_insight_snapshot')),
        sa.UniqueConstraint('figure', 'scope', 'period_key', name='uq_insight_snapshot_figure'),
    )


def downgrade():
    op.drop_table('insight_snapshot')
