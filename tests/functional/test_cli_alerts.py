"""`safetymap serve` says plainly when alerts cannot be emailed; `safetymap alerts run` is one round."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import app as cli
from app.core.config import Settings
from app.moderation.models import OutboxMessage, OutboxState
from tests.factories import make_area, make_report
from tests.smtp import SmtpServer

runner = CliRunner()
DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I have to hold stuff for him at his flat."
NO_MAIL = "Safeguarding alerts cannot be emailed: SAFETYMAP_SMTP_HOST is not set. They are kept in the outbox and shown at /staff/alerts."


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SAFETYMAP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFETYMAP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SAFETYMAP_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.delenv("SAFETYMAP_SMTP_HOST", raising=False)
    return settings


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    return calls


def test_serve_says_at_start_up_that_alerts_cannot_be_emailed(cli_env: Settings, served: list[dict[str, Any]]) -> None:
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    assert NO_MAIL in result.output
    assert served


def test_serve_says_nothing_about_mail_when_a_mail_server_is_set(cli_env: Settings, served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYMAP_SMTP_HOST", "127.0.0.1")
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    assert "cannot be emailed" not in result.output


def test_serve_says_when_the_app_will_not_send_alerts_itself(cli_env: Settings, served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYMAP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SAFETYMAP_ALERT_LOOP_SECONDS", "0")
    result = runner.invoke(cli, ["serve"])
    assert "Run `safetymap alerts run` every minute" in result.output
    assert "`safetymap notices run` every 15 minutes" in result.output


def test_alerts_run_without_a_mail_server_fails_loudly_and_keeps_the_message(cli_env: Settings, session: Session) -> None:
    make_report(session, make_area(session), description=DISCLOSURE)
    result = runner.invoke(cli, ["alerts", "run"])
    assert result.exit_code == 1
    assert NO_MAIL in result.output and "could not send 1" in result.output
    assert session.exec(select(OutboxMessage)).one().state == OutboxState.UNDELIVERABLE


def test_alerts_run_sends_what_is_due(cli_env: Settings, session: Session, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYMAP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SAFETYMAP_SMTP_PORT", str(smtp_server.port))
    make_report(session, make_area(session), description=DISCLOSURE)
    result = runner.invoke(cli, ["alerts", "run"])
    assert result.exit_code == 0, result.output
    assert "Queued 1 alert email(s)" in result.output and "Sent 1" in result.output
    assert len(smtp_server.messages) == 1
