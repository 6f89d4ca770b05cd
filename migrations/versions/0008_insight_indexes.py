"""insight indexes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 15:55:00

Reviewed by hand: indexes only, no table or column changes. Each one is a read the staff dashboard
(portal/insight/stats.py, market.py) makes at 10,000 companies and 100,000 listings, measured with
bench/insight_speed.py: the audit log by object and by action and time (decision times, membership by
month, which had no index at all and took minutes), and composite indexes that hold every column a
figure reads, so the aggregates read the index alone and never the wide rows (listing descriptions,
interest messages, company profiles). Building them locks each table for a few seconds at that size.

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

INDEXES = (
    ('audit_log', 'ix_audit_log_object', ['object_type', 'object_id', 'action', 'at']),
    ('audit_log', 'ix_audit_log_action_at', ['object_type', 'action', 'at', 'object_id']),
    ('company', 'ix_company_association_activity', ['association_id', 'created_at', 'status', 'city']),
    ('listing', 'ix_listing_company_activity',
     ['company_id', 'status', 'type', 'direction', 'created_at', 'published_at', 'expires_at']),
    ('match_notice', 'ix_match_notice_listing_created', ['listing_id', 'created_at']),
    ('interest', 'ix_interest_listing_activity', ['listing_id', 'created_at', 'status', 'responded_at']),
    ('interest', 'ix_interest_sender_created', ['from_company_id', 'created_at']),
    ('conversation', 'ix_conversation_listing_created', ['listing_id', 'created_at']),
    ('meeting', 'ix_meeting_conversation_activity', ['conversation_id', 'status', 'starts_at']),
    ('outcome', 'ix_outcome_conversation_activity', ['conversation_id', 'status', 'decided_at', 'created_at']),
)


def upgrade():
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    for table, name, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
