"""Staff areas: an email domain belongs to one area's single sign-on only, and a staff session may
wait for its person to choose an area (someone with roles in several areas chooses after sign-in).

Domains already listed by more than one area stay with the area that set up sign-in first; the
others are refused at sign-in until their admin saves settings without them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oidc_domain",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"]),
        sa.PrimaryKeyConstraint("domain"),
    )
    with op.batch_alter_table("oidc_domain", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_domain_area_id"), ["area_id"], unique=False)

    connection = op.get_bind()
    configs = connection.execute(sa.text("SELECT area_id, allowed_domains FROM area_oidc_config ORDER BY id")).all()
    claimed: set[str] = set()
    for area_id, allowed in configs:
        for domain in (d.strip().lower() for d in (allowed or "").split(",")):
            if domain and domain not in claimed:
                claimed.add(domain)
                connection.execute(
                    sa.text("INSERT INTO oidc_domain (domain, area_id) VALUES (:domain, :area_id)"),
                    {"domain": domain[:253], "area_id": area_id},
                )

    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.alter_column("area_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Sessions still waiting for an area cannot be kept by the older schema; those people sign in again.
    op.execute("DELETE FROM staff_session WHERE area_id IS NULL")
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.alter_column("area_id", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("oidc_domain", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_domain_area_id"))
    op.drop_table("oidc_domain")
