"""Changing a password, resetting a code, removing a role or pausing an account ends the person's
other sessions at once (their server-side rows go), and the audit log says so."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.accounts import changes
from app.accounts.models import Membership, StaffSession, User
from app.audit.models import AuditEvent
from app.cli import app as cli
from app.core.config import Settings
from tests.factories import make_area, make_staff
from tests.support import sign_in


@pytest.fixture
def run_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SAFETYMAP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFETYMAP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SAFETYMAP_SECRET_KEY", settings.secret_key.get_secret_value())

    def run(*args: str, stdin: str | None = None) -> str:
        result = CliRunner().invoke(cli, list(args), input=stdin)
        assert result.exit_code == 0, result.output
        return result.output

    return run


def _ended(session: Session) -> list[dict[str, object]]:
    return [event.detail for event in session.exec(select(AuditEvent).where(AuditEvent.action == "auth.sessions_ended")).all()]


def test_a_new_password_ends_every_session(client: TestClient, session: Session, run_cli) -> None:  # type: ignore[no-untyped-def]
    area = make_area(session)
    user = make_staff(session, area, "moderator")
    sign_in(client, user.email)
    assert client.get("/staff/moderation").status_code == 200
    assert "signed out" in run_cli("users", "set-password", user.email, "--password-stdin", stdin="a brand new long password\n")
    assert client.get("/staff/moderation").status_code == 303
    assert session.exec(select(StaffSession)).all() == []
    assert _ended(session) == [{"reason": "password_set", "count": 1}]
    client.cookies.clear()
    assert sign_in(client, user.email, "a brand new long password").status_code == 303


def test_a_reset_code_ends_every_session(client: TestClient, session: Session, run_cli) -> None:  # type: ignore[no-untyped-def]
    area = make_area(session)
    user = make_staff(session, area, "moderator")
    sign_in(client, user.email)
    run_cli("users", "reset-code", user.email)
    assert client.get("/staff/moderation").status_code == 303
    assert _ended(session) == [{"reason": "totp_reset", "count": 1}]


def test_a_removed_role_ends_the_sessions_in_that_area(client: TestClient, session: Session, run_cli) -> None:  # type: ignore[no-untyped-def]
    area = make_area(session)
    user = make_staff(session, area, "moderator", "statutory")
    sign_in(client, user.email)
    run_cli("users", "remove-role", user.email, "--area", "brackenford", "--role", "moderator")
    # The remaining role would still open the register: the session ended all the same.
    assert client.get("/staff/register").status_code == 303
    roles = session.exec(select(Membership.role).where(Membership.user_id == user.id)).all()
    assert list(roles) == ["statutory"]
    assert _ended(session) == [{"reason": "role_removed", "count": 1}]
    removed = session.exec(select(AuditEvent).where(AuditEvent.action == "account.role_removed")).one()
    assert removed.detail == {"role": "moderator", "via": "cli"} and removed.area_id == area.id


def test_a_paused_account_has_no_sessions_left(client: TestClient, session: Session, run_cli) -> None:  # type: ignore[no-untyped-def]
    area = make_area(session)
    user = make_staff(session, area, "moderator")
    sign_in(client, user.email)
    run_cli("users", "disable", user.email)
    assert session.exec(select(StaffSession)).all() == []
    assert client.get("/staff/moderation").status_code == 303
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored is not None and not stored.is_active
    assert _ended(session) == [{"reason": "disabled", "count": 1}]


def test_changing_your_own_password_keeps_the_session_you_are_using(web_app: FastAPI, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "moderator")
    with TestClient(web_app, follow_redirects=False) as laptop, TestClient(web_app, follow_redirects=False) as phone:
        sign_in(laptop, user.email)
        sign_in(phone, user.email)
        rows = session.exec(select(StaffSession).order_by(StaffSession.id)).all()  # type: ignore[arg-type]
        laptop_session = rows[0].id
        changes.set_password(session, user, "another long password here", via="self", keep_session_id=laptop_session)
        session.commit()
        assert laptop.get("/staff/moderation").status_code == 200
        assert phone.get("/staff/moderation").status_code == 303


def test_another_persons_sessions_are_left_alone(web_app: FastAPI, session: Session, run_cli) -> None:  # type: ignore[no-untyped-def]
    area = make_area(session)
    user = make_staff(session, area, "moderator")
    colleague = make_staff(session, area, "moderator")
    with TestClient(web_app, follow_redirects=False) as theirs:
        sign_in(theirs, colleague.email)
        run_cli("users", "reset-code", user.email)
        assert theirs.get("/staff/moderation").status_code == 200
