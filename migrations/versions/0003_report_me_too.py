"""Reports can say "me too" to a published context near the chosen place.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("reported_context_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_report_reported_context_id_context", "context", ["reported_context_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.drop_constraint("fk_report_reported_context_id_context", type_="foreignkey")
        batch.drop_column("reported_context_id")
