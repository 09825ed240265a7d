"""The reporter's optional "tell me when something changes" address, in a table of its own.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reporter_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("shown_hash", sa.String(length=64), nullable=False),
        sa.Column("stop_token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reporter_notice_report_id", "reporter_notice", ["report_id"], unique=True)
    op.create_index("ix_reporter_notice_stop_token_hash", "reporter_notice", ["stop_token_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_reporter_notice_stop_token_hash", table_name="reporter_notice")
    op.drop_index("ix_reporter_notice_report_id", table_name="reporter_notice")
    op.drop_table("reporter_notice")
