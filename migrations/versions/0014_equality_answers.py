"""Optional equality answers, stored apart from the text.

Answers live in their own table, never in the report row. They go when their report goes: the
foreign key cascades on delete, and a trigger deletes them when the report is withdrawn (kept for
safeguarding) or when retention clears its raw words.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Constant SQL (no values from outside): the answers go when the report is withdrawn or its words are cleared.
POSTGRES_FUNCTION = (
    "CREATE FUNCTION equality_answer_forget() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN DELETE FROM equality_answer WHERE report_id = NEW.id; RETURN NEW; END $$"
)
POSTGRES_TRIGGER = (
    "CREATE TRIGGER equality_answer_forget AFTER UPDATE OF withdrawn_at, raw_deleted_at ON report FOR EACH ROW"
    " WHEN (NEW.withdrawn_at IS NOT NULL OR NEW.raw_deleted_at IS NOT NULL) EXECUTE FUNCTION equality_answer_forget()"
)
SQLITE_TRIGGER = (
    "CREATE TRIGGER equality_answer_forget AFTER UPDATE OF withdrawn_at, raw_deleted_at ON report FOR EACH ROW"
    " WHEN NEW.withdrawn_at IS NOT NULL OR NEW.raw_deleted_at IS NOT NULL"
    " BEGIN DELETE FROM equality_answer WHERE report_id = NEW.id; END"
)


def upgrade() -> None:
    op.create_table(
        "equality_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("question", sa.String(length=30), nullable=False),
        sa.Column("answer", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_equality_answer_area_id", "equality_answer", ["area_id"], unique=False)
    op.create_index(
        "ix_equality_answer_area_month",
        "equality_answer",
        ["area_id", "question", "month"],
        unique=False,
    )
    op.create_index(
        "uq_equality_answer_report_question",
        "equality_answer",
        ["report_id", "question"],
        unique=True,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS equality_answer_forget ON report")
        op.execute("DROP FUNCTION IF EXISTS equality_answer_forget()")
    else:
        op.execute("DROP TRIGGER IF EXISTS equality_answer_forget")
    op.drop_index("uq_equality_answer_report_question", table_name="equality_answer")
    op.drop_index("ix_equality_answer_area_month", table_name="equality_answer")
    op.drop_index("ix_equality_answer_area_id", table_name="equality_answer")
    op.drop_table("equality_answer")
