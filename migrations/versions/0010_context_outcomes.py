"""Outcomes for a context (goals, responses, measures).

Goals with a review date and status, the actions linked to each goal, measures with dated readings,
each goal's history of changes, and the start and completion dates of actions.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action") as batch:
        batch.add_column(sa.Column("started_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("completed_on", sa.Date(), nullable=True))
    op.create_table(
        "outcome_goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"]),
        sa.ForeignKeyConstraint(["context_id"], ["context.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outcome_goal_area_id", "outcome_goal", ["area_id"])
    op.create_index("ix_outcome_goal_context_id", "outcome_goal", ["context_id"])
    op.create_table(
        "outcome_goal_action",
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"]),
        sa.ForeignKeyConstraint(["goal_id"], ["outcome_goal.id"]),
        sa.ForeignKeyConstraint(["linked_by_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("goal_id", "action_id"),
    )
    op.create_index("ix_outcome_goal_action_action_id", "outcome_goal_action", ["action_id"])
    op.create_table(
        "outcome_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=300), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("baseline_value", sa.Float(), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("baseline_text", sa.Text(), nullable=False),
        sa.Column("target_text", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_user.id"]),
        sa.ForeignKeyConstraint(["goal_id"], ["outcome_goal.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outcome_measure_area_id", "outcome_measure", ["area_id"])
    op.create_index("ix_outcome_measure_goal_id", "outcome_measure", ["goal_id"])
    op.create_table(
        "outcome_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["measure_id"], ["outcome_measure.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outcome_reading_measure_id", "outcome_reading", ["measure_id"])
    op.create_table(
        "outcome_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=True),
        sa.Column("change", sa.String(length=30), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["changed_by_id"], ["staff_user.id"]),
        sa.ForeignKeyConstraint(["goal_id"], ["outcome_goal.id"]),
        sa.ForeignKeyConstraint(["measure_id"], ["outcome_measure.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outcome_change_goal_id", "outcome_change", ["goal_id"])


def downgrade() -> None:
    op.drop_index("ix_outcome_change_goal_id", table_name="outcome_change")
    op.drop_table("outcome_change")
    op.drop_index("ix_outcome_reading_measure_id", table_name="outcome_reading")
    op.drop_table("outcome_reading")
    op.drop_index("ix_outcome_measure_goal_id", table_name="outcome_measure")
    op.drop_index("ix_outcome_measure_area_id", table_name="outcome_measure")
    op.drop_table("outcome_measure")
    op.drop_index("ix_outcome_goal_action_action_id", table_name="outcome_goal_action")
    op.drop_table("outcome_goal_action")
    op.drop_index("ix_outcome_goal_context_id", table_name="outcome_goal")
    op.drop_index("ix_outcome_goal_area_id", table_name="outcome_goal")
    op.drop_table("outcome_goal")
    with op.batch_alter_table("action") as batch:
        batch.drop_column("completed_on")
        batch.drop_column("started_on")
