"""Per-context counts for the register: context_aggregate rows and context.last_entry_at, built from
the published entries already there (afterwards the app keeps them as entries come and go).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00
"""

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def upgrade() -> None:
    op.add_column("context", sa.Column("last_entry_at", sa.DateTime(), nullable=True))
    aggregate = op.create_table(
        "context_aggregate",
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=12), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"]),
        sa.ForeignKeyConstraint(["context_id"], ["context.id"]),
        sa.PrimaryKeyConstraint("context_id", "dimension", "month", "kind", "code"),
    )
    op.create_index("ix_context_aggregate_area", "context_aggregate", ["area_id", "dimension", "month"], unique=False)
    _build(op.get_bind(), aggregate)


def _codes(value: str | None) -> list[str]:
    return sorted({code for code in (value or "").split(",") if code})


def _contributions(kind: str, created: datetime, urgent: bool, categories: str, time_bands: str, days: str, source: str) -> Iterator[tuple[str, str, str, str]]:
    """The same rows app.register.counts.contributions counts, frozen here as of this revision."""
    month = f"{created.year:04d}-{created.month:02d}"
    yield ("entries", month, kind, "")
    if urgent:
        yield ("urgent", month, kind, "")
    for code in _codes(categories):
        yield ("theme", month, kind, code)
    for code in _codes(time_bands):
        yield ("time_band", "", "", code)
    for code in _codes(days):
        yield ("day", "", "", code)
    yield ("source", "", "", source or "unknown")


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value  # type: ignore[no-any-return]


def _build(connection: sa.Connection, aggregate: sa.Table) -> None:
    rows = connection.execute(
        sa.text(
            "SELECT area_id, context_id, kind, created_at, urgent, categories, time_bands, days, source FROM report"
            " WHERE status = 'published' AND context_id IS NOT NULL ORDER BY context_id"
        ).execution_options(yield_per=10_000)
    )
    context = sa.table("context", sa.column("id", sa.Integer()), sa.column("last_entry_at", sa.DateTime()))
    set_last = sa.update(context).where(context.c.id == sa.bindparam("context_id")).values(last_entry_at=sa.bindparam("last"))
    pending: list[dict[str, Any]] = []
    latest: list[dict[str, Any]] = []

    def flush_context(context_id: int, area_id: int, counts: Counter[tuple[str, str, str, str]], last: datetime) -> None:
        pending.extend(
            {"context_id": context_id, "dimension": d, "month": m, "kind": k, "code": c, "area_id": area_id, "count": n}
            for (d, m, k, c), n in sorted(counts.items())
        )
        latest.append({"context_id": context_id, "last": last})

    current: int | None = None
    area = 0
    counts: Counter[tuple[str, str, str, str]] = Counter()
    last: datetime | None = None
    for area_id, context_id, kind, created_at, urgent, categories, time_bands, days, source in rows:
        if context_id != current:
            if current is not None and last is not None:
                flush_context(current, area, counts, last)
            current, area, counts, last = context_id, area_id, Counter(), None
        created = _as_datetime(created_at)
        counts.update(_contributions(kind, created, bool(urgent), categories, time_bands, days, source))
        last = created if last is None or created > last else last
        if len(pending) >= BATCH:
            connection.execute(aggregate.insert(), pending)
            pending.clear()
    if current is not None and last is not None:
        flush_context(current, area, counts, last)
    if pending:
        connection.execute(aggregate.insert(), pending)
    for start in range(0, len(latest), BATCH):
        connection.execute(set_last, latest[start : start + BATCH])


def downgrade() -> None:
    op.drop_index("ix_context_aggregate_area", table_name="context_aggregate")
    op.drop_table("context_aggregate")
    with op.batch_alter_table("context") as batch:
        batch.drop_column("last_entry_at")
