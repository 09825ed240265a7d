"""Shared fixtures. Every test that touches the database runs once on SQLite and once on PostgreSQL.

The schema always comes from the Alembic migrations (never create_all), migrated once per test session
into a template; each test then gets a fresh copy (SQLite) or freshly truncated tables (PostgreSQL).
With CI=true an unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (the whole schema on the metadata)
from app.core import i18n, migrate
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from tests.oidc.fixtures import oidc_provider  # noqa: F401  (a real OpenID provider on loopback, for the SSO tests)
from tests.smtp import refusing_smtp_server, smtp_server  # noqa: F401  (real SMTP servers on loopback)

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get("SAFETYMAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_SECRET = "test-secret-key-that-is-long-enough-to-pass-the-check"


def _tables() -> list[str]:
    return [table.name for table in SQLModel.metadata.sorted_tables]


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_default_language() -> Iterator[None]:
    # The current language is a context variable: a test that renders Welsh would otherwise leave
    # the next test in the same worker speaking Welsh (a code path that reads words without a
    # request, like a unit test of a service, then depends on test order).
    i18n.set_locale(i18n.DEFAULT_LOCALE)
    yield
    i18n.set_locale(i18n.DEFAULT_LOCALE)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    # The pid keeps concurrent test runs on one machine (and xdist workers) in their own databases.
    name = f"safetymap_test_{worker_id}_{os.getpid()}".replace("-", "_")
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    migrate.upgrade(url)
    yield url
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "safetymap.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_url")
    database = Database(Settings(database_url=url, secret_key=SecretStr(TEST_SECRET)))
    with database.engine.begin() as connection:
        # TRUNCATE fires no row triggers, so the append-only audit table can be emptied between tests.
        connection.execute(text(f"TRUNCATE {', '.join(_tables())} RESTART IDENTITY CASCADE"))
    database.dispose()
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path,
        database_url=database_url,
        secret_key=SecretStr(TEST_SECRET),
        redis_url=None,
        base_url="http://testserver",
        smtp_host=None,
        # No background alert loop unless a test asks for one: it would write while the test does.
        alert_loop_seconds=0,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    yield database
    database.dispose()


class FreshReadSession(Session):
    """The test's own session: each query starts from what the app has committed.

    SQLite keeps one snapshot for a whole read transaction, so a test that looked at the database
    before an HTTP call would otherwise not see what the request wrote. With nothing pending, ending
    the transaction before a query loses nothing.
    """

    def _fresh(self) -> None:
        if not (self.new or self.dirty or self.deleted) and self.in_transaction():
            self.rollback()

    def exec(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self._fresh()
        return super().exec(*args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self._fresh()
        return super().get(*args, **kwargs)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with FreshReadSession(bind=db.engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def web_app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, database=db)


@pytest.fixture
def client(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app, follow_redirects=False) as test_client:
        yield test_client
