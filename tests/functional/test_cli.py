"""The `safetymap` command, run in-process against both databases."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from app.accounts.models import User
from app.cli import app as cli
from app.core import migrate
from app.core.config import Settings
from app.core.types import utcnow
from app.moderation.retention import run_retention
from app.reports.models import Report
from tests.factories import make_area, make_report

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SAFETYMAP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFETYMAP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SAFETYMAP_SECRET_KEY", settings.secret_key.get_secret_value())
    return settings


def test_users_create_reads_the_password_from_stdin(cli_env: Settings, session: Session) -> None:
    make_area(session)
    result = runner.invoke(cli, ["users", "create", "new.person@council.example", "--area", "brackenford", "--role", "moderator", "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert session.exec(select(User).where(User.email == "new.person@council.example")).one().password_hash


def test_users_create_refuses_a_short_password_with_a_clear_message(cli_env: Settings, session: Session) -> None:
    make_area(session)
    result = runner.invoke(cli, ["users", "create", "x@council.example", "--area", "brackenford", "--role", "moderator", "--password-stdin"], input="short\n")
    assert result.exit_code == 2
    assert "at least 12 characters" in result.output


def test_demo_loads_a_town_once_and_prints_passwords_once(cli_env: Settings, session: Session) -> None:
    first = runner.invoke(cli, ["demo", "--reports", "120"])
    assert first.exit_code == 0, first.output
    assert "moderator@brackenford.example" in first.output
    assert session.exec(select(func.count()).select_from(Report)).one() == 120
    again = runner.invoke(cli, ["demo", "--reports", "120"])
    assert "already loaded" in again.output and "moderator@brackenford.example" not in again.output


def test_triage_command_follows_the_json_lines_contract(cli_env: Settings) -> None:
    lines = "\n".join(
        json.dumps(row)
        for row in [
            {"id": "a", "text": "Call me on 07700 900123."},
            {"id": "b", "text": "The chips here are killer."},
        ]
    )
    result = runner.invoke(cli, ["triage"], input=lines + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in out] == ["a", "b"]
    # the original keys first, in order; "level" and "reasons" were added after them
    assert list(out[0]) == ["id", "urgent", "pii", "level", "reasons"]
    assert out[0]["pii"][0]["kind"] == "phone"
    assert out[1] == {"id": "b", "urgent": False, "pii": [], "level": "none", "reasons": []}


def test_export_writes_only_redacted_text(cli_env: Settings, session: Session) -> None:
    make_area(session)
    result = runner.invoke(cli, ["export", "--area", "brackenford", "--format", "geojson"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["type"] == "FeatureCollection"


def test_backup_is_a_consistent_copy(cli_env: Settings, session: Session, tmp_path: Path) -> None:
    area = make_area(session)
    make_report(session, area)
    if cli_env.is_sqlite:
        target = tmp_path / "backup.db"
        result = runner.invoke(cli, ["backup", "--output", str(target)])
        assert result.exit_code == 0, result.output
        with sqlite3.connect(target) as copy:
            assert copy.execute("SELECT count(*) FROM report").fetchone() == (1,)
        return
    assert shutil.which("pg_restore"), "pg_dump and pg_restore come with Debian's postgresql-client"
    target = tmp_path / "backup.dump"
    result = runner.invoke(cli, ["backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:5] == b"PGDMP"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    listing = subprocess.run(["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True)  # noqa: S603, S607
    assert "TABLE DATA public report" in listing.stdout


def test_retention_deletes_raw_words_but_keeps_public_text(session: Session) -> None:
    area = make_area(session, retention_days=90)
    old = make_report(session, area, description="Raw words with a name: Jordan Mills.")
    fresh = make_report(session, area, description="Recent raw words.")
    waiting = make_report(session, area, description="Still waiting for a moderator.")
    now = utcnow()
    for report, age in ((old, 91), (fresh, 10)):
        report.status = "published"
        report.public_description = "Redacted words."
        report.moderated_at = now - timedelta(days=age)
        session.add(report)
    waiting.created_at = now - timedelta(days=200)
    session.add(waiting)
    session.commit()
    assert run_retention(session, now=now) == {"brackenford": 1}
    session.expire_all()
    cleared = session.get(Report, old.id)
    assert cleared is not None and cleared.description is None and cleared.public_description == "Redacted words."
    assert session.get(Report, fresh.id).description == "Recent raw words."  # type: ignore[union-attr]
    assert session.get(Report, waiting.id).description == "Still waiting for a moderator."  # type: ignore[union-attr]


def test_migrations_go_down_to_base_and_up_again_and_match_the_models(database_url: str) -> None:
    migrate.downgrade(database_url, "base")
    migrate.upgrade(database_url, "head")
    migrate.check(database_url)


def test_sso_configure_refuses_a_domain_another_area_owns_with_a_message(cli_env: Settings, session: Session) -> None:
    make_area(session, "brackenford")
    make_area(session, "northwick", name="Northwick")
    args = ["--issuer", "https://id.example.org", "--client-id", "sm", "--domain", "council.example", "--group-role", "staff=moderator"]
    first = runner.invoke(cli, ["sso", "configure", "--area", "brackenford", *args, "--client-secret-stdin"], input="s3cret\n")
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["sso", "configure", "--area", "northwick", *args, "--client-secret-stdin"], input="s3cret\n")
    assert second.exit_code == 2
    assert "an email domain can belong to one area only" in second.output
    assert "Traceback" not in second.output


def test_demo_receipt_codes_differ_on_every_machine(tmp_path: Path, settings: Settings) -> None:
    # The demo data is seeded so the town looks the same everywhere; its receipt codes must not be,
    # or anyone could read another install's demo reports by typing a code from the source.
    from app.core.db import Database
    from app.demo.generate import load_demo

    codes = []
    for name in ("one", "two"):
        url = f"sqlite:///{tmp_path / name}.db"
        migrate.upgrade(url)
        database = Database(settings.model_copy(update={"database_url": url}))
        try:
            load_demo(database, reports=20, seed=7, echo=lambda _: None)
            with database.session() as session:
                codes.append(set(session.exec(select(Report.receipt_code)).all()))
        finally:
            database.dispose()
    assert len(codes[0]) == 20 and not codes[0] & codes[1]
