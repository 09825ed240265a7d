"""Safeguarding alerts: emails to the area's contacts about possible disclosures, until acknowledged.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 22:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safeguarding_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=60), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["staff_user.id"]),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("safeguarding_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safeguarding_alert_area_id"), ["area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safeguarding_alert_report_id"), ["report_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("safeguarding_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safeguarding_alert_report_id"))
        batch_op.drop_index(batch_op.f("ix_safeguarding_alert_area_id"))
    op.drop_table("safeguarding_alert")
