"""search: the change journal and a cursor per index directory

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:20:00.000000

Written by hand and reviewed: two new tables, nothing else. search_journal uses AUTOINCREMENT on
SQLite so that ids are never handed out again after the table was emptied by pruning. After this
upgrade every index has no cursor: the worker (or `flask search rebuild`) rebuilds it once.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_cursor',
    sa.Column('index_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=120), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=500), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('error_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('index_id', name=op.f('pk_search_cursor'))
    )
    op.create_table('search_journal',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_journal')),
    sqlite_autoincrement=True
    )


def downgrade():
    op.drop_table('search_journal')
    op.drop_table('search_cursor')
