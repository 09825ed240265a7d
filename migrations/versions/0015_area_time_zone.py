"""Each area's time zone, and status-history notes kept as codes rather than English sentences.

- `area.time_zone`: the IANA zone the area's dates and times are shown in (Europe/London for
  every existing area).
- `context_status_change.note_code` and `note_params`: the notes the product writes (a merge, a
  flag for the panel, a panel decision) as a code and its values, put into words in the reader's
  language when shown. Existing rows whose note is exactly one of the English sentences the
  product used to write are turned into codes; every other note is what a person typed and stays.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 20:00:00
"""

import json
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The sentences earlier releases wrote (app.register.service, regrouping, panel), each only with the
# status it came with, so a person's own note that happens to start the same way is left alone.
_FLAGGED = "Flagged for the next panel"
_MERGED = re.compile(r"^Merged into (?P<name>.+)$", re.DOTALL)
_DECISION = re.compile(r"^Panel decision (?P<date>\d{4}-\d{2}-\d{2})$")

_changes = sa.table(
    "context_status_change",
    sa.column("id", sa.Integer()),
    sa.column("to_status", sa.String()),
    sa.column("note", sa.String()),
    sa.column("note_code", sa.String()),
    sa.column("note_params", sa.JSON()),
)


def _recognised(note: str, to_status: str) -> tuple[str, dict[str, str]] | None:
    if note == _FLAGGED and to_status == "on_panel_agenda":
        return "flagged_for_panel", {}
    merged = _MERGED.match(note)
    if merged and to_status == "closed":
        return "merged_into", {"name": merged["name"]}
    decision = _DECISION.match(note)
    if decision:
        return "panel_decision", {"date": decision["date"]}
    return None


def upgrade() -> None:
    with op.batch_alter_table("area") as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=60), nullable=False, server_default="Europe/London"))
    with op.batch_alter_table("area") as batch_op:
        batch_op.alter_column("time_zone", server_default=None)

    with op.batch_alter_table("context_status_change") as batch_op:
        batch_op.add_column(sa.Column("note_code", sa.String(length=40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("note_params", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("context_status_change") as batch_op:
        batch_op.alter_column("note_code", server_default=None)
        batch_op.alter_column("note_params", server_default=None)

    connection = op.get_bind()
    candidates = connection.execute(
        sa.select(_changes.c.id, _changes.c.to_status, _changes.c.note).where(
            sa.or_(
                _changes.c.note == _FLAGGED,
                _changes.c.note.like("Merged into %"),
                _changes.c.note.like("Panel decision %"),
            )
        )
    ).all()
    for change_id, to_status, note in candidates:
        found = _recognised(note, to_status)
        if found is None:
            continue
        code, params = found
        connection.execute(
            sa.update(_changes).where(_changes.c.id == change_id).values(note="", note_code=code, note_params=params)
        )


def downgrade() -> None:
    # Back to the English sentences the earlier release reads.
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_changes.c.id, _changes.c.note, _changes.c.note_code, _changes.c.note_params).where(_changes.c.note_code != "")
    ).all()
    for change_id, note, code, params in rows:
        values = params if isinstance(params, dict) else json.loads(params or "{}")
        sentence = {
            "flagged_for_panel": _FLAGGED,
            "merged_into": f"Merged into {values.get('name', '')}",
            "panel_decision": f"Panel decision {values.get('date', '')}",
        }.get(code, "")
        text = f"{sentence}: {note}" if sentence and note else sentence or note
        connection.execute(sa.update(_changes).where(_changes.c.id == change_id).values(note=text[:500]))

    with op.batch_alter_table("context_status_change") as batch_op:
        batch_op.drop_column("note_params")
        batch_op.drop_column("note_code")
    with op.batch_alter_table("area") as batch_op:
        batch_op.drop_column("time_zone")
