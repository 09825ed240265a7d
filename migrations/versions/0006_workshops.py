"""Co-design workshops (participants, entries on the live wall, dot-votes, wording questions, the
numbered event log live walls replay) and the co-designed, versioned taxonomy.

Reports gain `workshop_id` (entries made in a workshop) and `taxonomy_version_id` (the wording a
report was answered with).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('taxonomy_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('area_id', 'number', name='uq_taxonomy_version_number')
    )
    with op.batch_alter_table('taxonomy_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_taxonomy_version_area_id'), ['area_id'], unique=False)

    op.create_table('workshop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('kinds', sa.String(length=60), nullable=False),
    sa.Column('prompts', sa.Text(), nullable=False),
    sa.Column('votes_per_person', sa.Integer(), nullable=False),
    sa.Column('join_code', sa.String(length=6), nullable=False),
    sa.Column('code_expires_at', sa.DateTime(), nullable=False),
    sa.Column('voting', sa.String(length=20), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('event_seq', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('join_code')
    )
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_area_id'), ['area_id'], unique=False)

    op.create_table('taxonomy_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('added_by_area', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['taxonomy_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version_id', 'kind', 'code', name='uq_taxonomy_category')
    )
    with op.batch_alter_table('taxonomy_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_taxonomy_category_version_id'), ['version_id'], unique=False)

    op.create_table('taxonomy_label',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['taxonomy_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version_id', 'kind', 'key', 'locale', name='uq_taxonomy_label')
    )
    with op.batch_alter_table('taxonomy_label', schema=None) as batch_op:
        batch_op.create_index('ix_taxonomy_label_lookup', ['version_id', 'kind', 'locale'], unique=False)

    op.create_table('workshop_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workshop_id', 'seq', name='uq_workshop_event_seq')
    )
    op.create_table('workshop_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('workshop_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_participant_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('workshop_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('adopted_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['adopted_version_id'], ['taxonomy_version.id'], ),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('workshop_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_question_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('workshop_question_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['workshop_question.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('workshop_question_option', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_question_option_question_id'), ['question_id'], unique=False)

    op.create_table('workshop_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('wall_status', sa.String(length=20), nullable=False),
    sa.Column('wall_text', sa.Text(), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['checked_by_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['workshop_participant.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('report_id')
    )
    with op.batch_alter_table('workshop_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_entry_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index('ix_workshop_entry_wall', ['workshop_id', 'wall_status'], unique=False)

    op.create_table('workshop_question_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['option_id'], ['workshop_question_option.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['workshop_participant.id'], ),
    sa.ForeignKeyConstraint(['question_id'], ['workshop_question.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('question_id', 'participant_id', name='uq_workshop_answer_once')
    )
    with op.batch_alter_table('workshop_question_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_question_answer_option_id'), ['option_id'], unique=False)

    op.create_table('workshop_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['workshop_entry.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['workshop_participant.id'], ),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('participant_id', 'entry_id', name='uq_workshop_vote_once')
    )
    with op.batch_alter_table('workshop_vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_vote_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_vote_workshop_id'), ['workshop_id'], unique=False)

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workshop_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('taxonomy_version_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_report_workshop_id'), ['workshop_id'], unique=False)
        batch_op.create_foreign_key('fk_report_taxonomy_version_id_taxonomy_version', 'taxonomy_version', ['taxonomy_version_id'], ['id'])
        batch_op.create_foreign_key('fk_report_workshop_id_workshop', 'workshop', ['workshop_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_constraint("fk_report_workshop_id_workshop", type_="foreignkey")
        batch_op.drop_constraint("fk_report_taxonomy_version_id_taxonomy_version", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_report_workshop_id"))
        batch_op.drop_column("taxonomy_version_id")
        batch_op.drop_column("workshop_id")
    for table in (
        "workshop_vote",
        "workshop_question_answer",
        "workshop_entry",
        "workshop_question_option",
        "workshop_question",
        "workshop_participant",
        "workshop_event",
        "taxonomy_label",
        "taxonomy_category",
        "workshop",
        "taxonomy_version",
    ):
        op.drop_table(table)
