"""The migrations build exactly the schema the models describe, on both databases, and go down again."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import app.models  # noqa: F401  (the whole schema on the metadata)
from app.core.db import Database


def _differences(db: Database) -> list[Any]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_migrated_schema_matches_the_models(db: Database) -> None:
    assert _differences(db) == []
