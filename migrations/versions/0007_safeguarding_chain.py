"""The safeguarding chain: graded urgency with its cues, an outbox of every alert email with its
state, escalation when nobody opens an urgent entry, moderators' labels on triage's calls, reports
kept for safeguarding when their reporter withdraws them, and report ids that are never reused.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_report_id'), ['report_id'], unique=False)

    op.create_table('triage_label',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('flagged', sa.String(length=10), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ),
    sa.ForeignKeyConstraint(['moderator_id'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('report_id')
    )
    with op.batch_alter_table('triage_label', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_triage_label_area_id'), ['area_id'], unique=False)

    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent_response_minutes', sa.Integer(), nullable=False, server_default='15'))
        batch_op.add_column(sa.Column('review_hours', sa.Integer(), nullable=False, server_default='24'))
        batch_op.add_column(sa.Column('escalation_emails', sa.String(length=1000), nullable=False, server_default=''))
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.alter_column('urgent_response_minutes', server_default=None)
        batch_op.alter_column('review_hours', server_default=None)
        batch_op.alter_column('escalation_emails', server_default=None)

    sqlite = op.get_bind().dialect.name == "sqlite"
    # On SQLite the report table is rebuilt with AUTOINCREMENT, so a withdrawn or retained report's
    # id is never handed to a new one (PostgreSQL's sequences never reuse ids already).
    with op.batch_alter_table(
        'report', schema=None, recreate="always" if sqlite else "auto", table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        batch_op.add_column(sa.Column('urgency', sa.String(length=10), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('urgent_cues', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('first_opened_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_opened_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('overdue_alerted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key('fk_report_first_opened_by_id_staff_user', 'staff_user', ['first_opened_by_id'], ['id'])
    with op.batch_alter_table('report', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.alter_column('urgency', server_default=None)
        batch_op.alter_column('urgent_cues', server_default=None)
    # Reports flagged before grading were flagged by the rules, which now means "likely".
    op.execute("UPDATE report SET urgency = 'likely' WHERE urgent")
    if sqlite:
        # Ids already used by reports that were withdrawn before this migration live on in the audit
        # log: start the sequence past all of them.
        bind = op.get_bind()
        highest = bind.execute(sa.text(
            "SELECT MAX(seq) FROM (SELECT COALESCE(MAX(id), 0) AS seq FROM report"
            " UNION ALL SELECT COALESCE(MAX(CAST(subject_id AS INTEGER)), 0) FROM audit_event WHERE subject_type = 'report')"
        )).scalar_one()
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'report'"))
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('report', :seq)"), {"seq": int(highest or 0)})

    with op.batch_alter_table('safeguarding_alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('safeguarding_alert', schema=None) as batch_op:
        batch_op.drop_column('escalated_at')

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_constraint('fk_report_first_opened_by_id_staff_user', type_='foreignkey')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('overdue_alerted_at')
        batch_op.drop_column('first_opened_by_id')
        batch_op.drop_column('first_opened_at')
        batch_op.drop_column('urgent_cues')
        batch_op.drop_column('urgency')

    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_column('escalation_emails')
        batch_op.drop_column('review_hours')
        batch_op.drop_column('urgent_response_minutes')

    with op.batch_alter_table('triage_label', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_triage_label_area_id'))
    op.drop_table('triage_label')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_report_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_area_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_alert_id'))
        batch_op.drop_index('ix_outbox_due')
    op.drop_table('outbox_message')
