"""Engine and sessions for SQLite (embedded default) and PostgreSQL (production).

SQLite runs in WAL mode so readers work beside the one writer. A request that may write starts its
transaction with BEGIN IMMEDIATE: a deferred transaction that later upgrades to a write fails at once
with SQLITE_BUSY, ignoring busy_timeout, which would drop a young person's report under load.
synchronous=FULL makes an acknowledged report survive an OS crash.

Two kinds of session, and every request uses them the same way (STYLE.md, "A request"):

- `read()`: for screens that only look. A deferred BEGIN on SQLite (no write lock, ever; WAL lets it
  run beside the writer) and a plain transaction on PostgreSQL. It refuses to flush a change, so a
  write that sneaks into a read screen fails loudly in tests instead of taking a lock in production.
- `writer()` / `transaction()`: for requests that change something. BEGIN IMMEDIATE on SQLite, taken
  at the first statement (so a writer that was never used costs nothing), and committed by the service
  that owns the change before the page is rendered.

Neither is ever held while a response is sent: the request dependencies (app.core.web) close them
when the route function returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

from app.core.config import Settings

WRITE_OPTION = "safetymap_write"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so we can choose BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class ReadOnlySessionError(RuntimeError):
    """Something tried to write through a read session (see `Database.read`)."""


def _refuse_flush(session: Any, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySessionError("a read session cannot write: use a write session (Database.writer)")


# Direction embeddings, overrides and isolates (U+202A-202E, U+2066-2069) can make stored text read
# differently in the queue, the register or an export than what was typed ("Trojan Source"). The
# report form strips them as it reads (app.reports.schemas.clean_text); this strips them from every
# text column of every row the ORM writes, staff-written text included, so no path forgets.
DIRECTION_OVERRIDES = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _strip_direction_overrides(session: Any, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        state = sa_inspect(row)
        for attribute in state.mapper.column_attrs:
            # Only values already in memory: reading an expired one here would query mid-flush.
            value = state.dict.get(attribute.key)
            if isinstance(value, str) and DIRECTION_OVERRIDES.search(value):
                setattr(row, attribute.key, DIRECTION_OVERRIDES.sub("", value))


event.listen(Session, "before_flush", _strip_direction_overrides)


class Database:
    """One engine, two session factories: reads begin deferred, writes begin IMMEDIATE on SQLite."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        self.engine = make_engine(settings.database_url)
        self._read = sessionmaker(bind=self.engine, class_=Session, expire_on_commit=False)
        self._write = sessionmaker(
            bind=self.engine.execution_options(**{WRITE_OPTION: True}),
            class_=Session,
            expire_on_commit=False,
        )
        self._read_only = sessionmaker(bind=self.engine, class_=Session, expire_on_commit=False)
        event.listen(self._read_only, "before_flush", _refuse_flush)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self, *, write: bool = False) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for looking only: never a write lock, never a commit; closed on the way out."""
        with self._read_only() as session:
            yield session

    @contextmanager
    def writer(self) -> Iterator[Session]:
        """A write session whose owner commits; anything left uncommitted is rolled back at the end.

        Nothing is sent to the database until the first statement, so a route may take one and only
        use it on the branch that writes.
        """
        # Closing rolls back whatever is left; objects already loaded keep their values.
        with self.session(write=True) as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session committed on success and rolled back on any error."""
        with self.session(write=True) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
