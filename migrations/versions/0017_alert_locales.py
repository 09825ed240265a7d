"""The languages an area's safeguarding emails are written in.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Blank for every area that exists: its emails stay in its own language until an admin adds more.
    with op.batch_alter_table("area") as batch_op:
        batch_op.add_column(sa.Column("alert_locales", sa.String(length=100), nullable=False, server_default=""))
    with op.batch_alter_table("area") as batch_op:
        batch_op.alter_column("alert_locales", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("area") as batch_op:
        batch_op.drop_column("alert_locales")
