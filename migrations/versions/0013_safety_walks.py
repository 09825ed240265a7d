"""Safety walks (stops and their ratings).

A workshop gains a mode ("workshop" or "safety_walk") and the position of the walk's current stop;
a walk's route is its stops, each phone rates a stop once (changeable while the group is there),
and a note made at a stop is an ordinary workshop entry that names the stop.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mode", sa.String(length=20), server_default="workshop", nullable=False)
        )
        batch_op.add_column(
            sa.Column("walk_position", sa.Integer(), server_default="0", nullable=False)
        )

    op.create_table(
        "workshop_walk_stop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["place_id"], ["place.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshop.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id"),
        sa.UniqueConstraint("workshop_id", "position", name="uq_walk_stop_position"),
    )
    with op.batch_alter_table("workshop_walk_stop", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workshop_walk_stop_workshop_id"), ["workshop_id"], unique=False
        )

    op.create_table(
        "workshop_walk_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("stop_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("lighting", sa.Integer(), nullable=True),
        sa.Column("openness", sa.Integer(), nullable=True),
        sa.Column("visibility", sa.Integer(), nullable=True),
        sa.Column("people", sa.Integer(), nullable=True),
        sa.Column("trusted_adults", sa.Integer(), nullable=True),
        sa.Column("transport", sa.Integer(), nullable=True),
        sa.Column("feeling", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["workshop_participant.id"]),
        sa.ForeignKeyConstraint(["stop_id"], ["workshop_walk_stop.id"]),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshop.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("stop_id", "participant_id", name="uq_walk_rating_once"),
    )
    with op.batch_alter_table("workshop_walk_rating", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workshop_walk_rating_stop_id"), ["stop_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workshop_walk_rating_workshop_id"), ["workshop_id"], unique=False
        )

    with op.batch_alter_table("workshop_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("walk_stop_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_workshop_entry_walk_stop_id"), ["walk_stop_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_workshop_entry_walk_stop_id", "workshop_walk_stop", ["walk_stop_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("workshop_entry", schema=None) as batch_op:
        batch_op.drop_constraint("fk_workshop_entry_walk_stop_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_workshop_entry_walk_stop_id"))
        batch_op.drop_column("walk_stop_id")

    with op.batch_alter_table("workshop_walk_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_walk_rating_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_workshop_walk_rating_stop_id"))
    op.drop_table("workshop_walk_rating")

    with op.batch_alter_table("workshop_walk_stop", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_walk_stop_workshop_id"))
    op.drop_table("workshop_walk_stop")

    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("walk_position")
        batch_op.drop_column("mode")
