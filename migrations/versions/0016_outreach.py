"""Posters, partners' links and campaigns, with openings counted per day.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outreach_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outreach_campaign_area_id", "outreach_campaign", ["area_id"])
    op.create_table(
        "outreach_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("partner_name", sa.String(length=160), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"]),
        sa.ForeignKeyConstraint(["place_id"], ["place.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["outreach_campaign.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outreach_link_area_id", "outreach_link", ["area_id"])
    op.create_index("ix_outreach_link_campaign_id", "outreach_link", ["campaign_id"])
    op.create_index("ix_outreach_link_code", "outreach_link", ["code"], unique=True)
    op.create_table(
        "outreach_count",
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["link_id"], ["outreach_link.id"]),
        sa.PrimaryKeyConstraint("link_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("outreach_count")
    op.drop_index("ix_outreach_link_code", table_name="outreach_link")
    op.drop_index("ix_outreach_link_campaign_id", table_name="outreach_link")
    op.drop_index("ix_outreach_link_area_id", table_name="outreach_link")
    op.drop_table("outreach_link")
    op.drop_index("ix_outreach_campaign_area_id", table_name="outreach_campaign")
    op.drop_table("outreach_campaign")
