"""The migrations build exactly the schema the models describe, on both databases, and go down again."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, create_engine

import app.models  # noqa: F401  (the whole schema on the metadata)
from app.core.db import Database


def _differences(db: Database) -> list[Any]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_migrated_schema_matches_the_models(db: Database) -> None:
    assert _differences(db) == []


def test_report_ids_are_never_reused_after_the_autoincrement_migration(tmp_path: Any) -> None:
    """Reports withdrawn before migration 0007 live on in the audit log under their ids: the first
    report after the migration, and every one after a later withdrawal, gets a new id."""
    from sqlalchemy import text

    from app.core import migrate

    url = f"sqlite:///{tmp_path / 'ids.db'}"
    migrate.upgrade(url, "0006")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO area (slug, name, default_locale, locales, min_cell_count, retention_days, h3_resolution,"
            " safeguarding_emails, min_lat, min_lng, max_lat, max_lng, help_contacts, created_at)"
            " VALUES ('a', 'A', 'en', 'en', 5, 90, 8, '', 0, 0, 1, 1, '[]', '2026-01-01')"
        ))
        # Report 7 was withdrawn (deleted) before the migration: only the audit log remembers it.
        connection.execute(text(
            "INSERT INTO audit_event (action, subject_type, subject_id, detail, created_at)"
            " VALUES ('report.withdrawn', 'report', '7', '{}', '2026-01-01')"
        ))
    engine.dispose()
    migrate.upgrade(url)

    engine = create_engine(url)
    insert = text(
        "INSERT INTO report (area_id, receipt_code, submission_token, kind, status, source, language, location_text,"
        " time_bands, days, categories, urgent, urgency, urgent_reasons, urgent_cues, suggested_redactions, show_on_map,"
        " version, created_at) VALUES (1, :code, :code, 'safe', 'pending', 'unknown', 'en', '', '', '', '', 0, 'none', '',"
        " '[]', '[]', 0, 1, '2026-01-01') RETURNING id"
    )
    with engine.begin() as connection:
        first = connection.execute(insert, {"code": "one"}).scalar_one()
        connection.execute(text("DELETE FROM report WHERE id = :id"), {"id": first})
        second = connection.execute(insert, {"code": "two"}).scalar_one()
    engine.dispose()
    assert first == 8
    assert second == 9
