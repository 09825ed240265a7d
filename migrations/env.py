"""Alembic environment: the SQLModel metadata is the source of truth for `alembic check`."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import app.models  # noqa: F401  (registers every table on the metadata)
from app.core.config import load_settings
from app.core.db import make_engine
from app.core.types import UTCDateTime

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write app column types as the plain SQLAlchemy types they store, so migrations stay frozen."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def compare_server_default(
    context: object, inspected_column: object, metadata_column: object,
    inspected_default: str | None, metadata_default: object, rendered_metadata_default: str | None,
) -> bool | None:
    """An empty-string default reads back from SQLite as ('') in quotes, which Alembic's own
    comparison takes for a change. Treat the two as equal; leave every other case to Alembic."""
    def bare(value: str | None) -> str | None:
        return None if value is None else value.strip().strip("()").strip("'\"")

    if bare(inspected_default) == "" and bare(rendered_metadata_default) == "":
        return False
    return None


def _url() -> str:
    return config.attributes.get("database_url") or load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        compare_server_default=compare_server_default,
        render_item=render_item,
        render_as_batch=_url().startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _url()
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            compare_server_default=compare_server_default,
            render_item=render_item,
            # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
            render_as_batch=url.startswith("sqlite"),
        )
        sqlite = url.startswith("sqlite")
        if sqlite:
            # Rebuilding a table that others reference (batch mode drops and renames it) needs
            # foreign keys off, and SQLite ignores that pragma inside a transaction: set it on the
            # driver connection first, then check every reference once the migrations are done.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            raw = connection.connection.dbapi_connection
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()  # type: ignore[union-attr]
            raw.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
            if broken:
                raise RuntimeError(f"migration left {len(broken)} broken foreign key reference(s)")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
