"""The full context register: assessment-note history, merge and split, panel decisions, neighbourhoods.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("context") as batch:
        batch.add_column(sa.Column("panel_reason", sa.String(length=500), server_default="", nullable=False))
        batch.add_column(sa.Column("flagged_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("neighbourhood", sa.String(length=80), server_default="", nullable=False))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_context_merged_into_id_context", "context", ["merged_into_id"], ["id"])
    op.create_table(
        "panel_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("panel_date", sa.Date(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"]),
        sa.ForeignKeyConstraint(["context_id"], ["context.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_panel_decision_area_id", "panel_decision", ["area_id"])
    op.create_index("ix_panel_decision_context_id", "panel_decision", ["context_id"])
    with op.batch_alter_table("action") as batch:
        batch.add_column(sa.Column("published_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("decision_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_action_published_by_id_staff_user", "staff_user", ["published_by_id"], ["id"])
        batch.create_foreign_key("fk_action_decision_id_panel_decision", "panel_decision", ["decision_id"], ["id"])
    op.create_table(
        "context_note_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["context_id"], ["context.id"]),
        sa.ForeignKeyConstraint(["changed_by_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_context_note_change_context_id", "context_note_change", ["context_id"])
    op.create_table(
        "context_regrouping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("source_context_id", sa.Integer(), nullable=False),
        sa.Column("target_context_id", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"]),
        sa.ForeignKeyConstraint(["source_context_id"], ["context.id"]),
        sa.ForeignKeyConstraint(["target_context_id"], ["context.id"]),
        sa.ForeignKeyConstraint(["changed_by_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_context_regrouping_area_id", "context_regrouping", ["area_id"])
    op.create_index("ix_context_regrouping_source_context_id", "context_regrouping", ["source_context_id"])
    op.create_index("ix_context_regrouping_target_context_id", "context_regrouping", ["target_context_id"])
    op.create_index("ix_report_register", "report", ["area_id", "status", "context_id", "kind", "created_at"])
    op.create_index("ix_report_context_created", "report", ["context_id", "status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_report_context_created", table_name="report")
    op.drop_index("ix_report_register", table_name="report")
    op.drop_index("ix_context_regrouping_target_context_id", table_name="context_regrouping")
    op.drop_index("ix_context_regrouping_source_context_id", table_name="context_regrouping")
    op.drop_index("ix_context_regrouping_area_id", table_name="context_regrouping")
    op.drop_table("context_regrouping")
    op.drop_index("ix_context_note_change_context_id", table_name="context_note_change")
    op.drop_table("context_note_change")
    with op.batch_alter_table("action") as batch:
        batch.drop_constraint("fk_action_decision_id_panel_decision", type_="foreignkey")
        batch.drop_constraint("fk_action_published_by_id_staff_user", type_="foreignkey")
        batch.drop_column("decision_id")
        batch.drop_column("published_by_id")
    op.drop_index("ix_panel_decision_context_id", table_name="panel_decision")
    op.drop_index("ix_panel_decision_area_id", table_name="panel_decision")
    op.drop_table("panel_decision")
    with op.batch_alter_table("context") as batch:
        batch.drop_constraint("fk_context_merged_into_id_context", type_="foreignkey")
        batch.drop_column("merged_into_id")
        batch.drop_column("neighbourhood")
        batch.drop_column("flagged_at")
        batch.drop_column("panel_reason")
