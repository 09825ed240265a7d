"""Questions to reporters and their answers.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reporter_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answer_urgency", sa.String(length=10), nullable=False),
        sa.Column("answer_reasons", sa.String(length=200), nullable=False),
        sa.Column("answer_cues", sa.JSON(), nullable=False),
        sa.Column("answer_suggested_redactions", sa.JSON(), nullable=False),
        sa.Column("public_answer", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["asked_by_id"], ["staff_user.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reporter_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporter_question_area_id"), ["area_id"], unique=False)
        batch_op.create_index("ix_reporter_question_report", ["report_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reporter_question", schema=None) as batch_op:
        batch_op.drop_index("ix_reporter_question_report")
        batch_op.drop_index(batch_op.f("ix_reporter_question_area_id"))
    op.drop_table("reporter_question")
