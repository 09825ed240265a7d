"""Password sign-in takes a second step: a TOTP code, set up on first sign-in, used once, with backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.accounts import totp
from app.accounts.models import User
from app.accounts.service import TOTP_FREE_ATTEMPTS
from app.audit.models import AuditEvent
from app.cli import app as cli
from app.core.config import Settings
from app.core.types import utcnow
from tests.factories import PASSWORD, TOTP_SECRET, make_area, make_staff
from tests.support import csrf_from, page_token, secret_from, sign_in, totp_code


def _password(client: TestClient, email: str) -> Response:
    token = page_token(client, "/staff/sign-in")
    return client.post("/staff/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/staff/register"})


def _code(client: TestClient, code: str, path: str = "/staff/sign-in/code") -> Response:
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    return client.post(path, data={"code": code, "csrf_token": csrf_from(page.text)})


def _refusal_reasons(session: Session) -> list[str]:
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_refused")).all()
    return [str(event.detail.get("reason")) for event in events]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_right_password_alone_does_not_sign_anyone_in(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    response = _password(client, user.email)
    assert response.status_code == 303 and response.headers["location"] == "/staff/sign-in/code"
    assert "sm_staff=" not in response.headers.get("set-cookie", "")
    assert client.get("/staff/register").status_code == 303


def test_first_sign_in_sets_up_the_code_with_a_qr_code_and_the_key_as_text(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory", totp_secret=None)
    response = _password(client, user.email)
    assert response.headers["location"] == "/staff/sign-in/set-up-code"
    page = client.get("/staff/sign-in/set-up-code")
    assert page.status_code == 200
    assert '<svg role="img"' in page.text and "<title>QR code to add Safety Map" in page.text
    assert "<script>" not in page.text and "style=" not in page.text
    secret = secret_from(page.text)
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored is not None and stored.totp_secret == secret and stored.totp_confirmed_at is None
    # Looking at the page again changes nothing (no state change on GET).
    assert secret_from(client.get("/staff/sign-in/set-up-code").text) == secret
    # The code page is not offered until the code is set up.
    assert client.get("/staff/sign-in/code").headers["location"] == "/staff/sign-in/set-up-code"

    wrong = _code(client, _wrong(totp_code(secret)), "/staff/sign-in/set-up-code")
    assert wrong.status_code == 401 and "did not work" in wrong.text
    done = _code(client, totp_code(secret), "/staff/sign-in/set-up-code")
    assert done.status_code == 303 and done.headers["location"] == "/staff/register"
    assert "sm_staff=" in done.headers["set-cookie"]
    assert client.get("/staff/register").status_code == 200
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored is not None and stored.totp_confirmed_at is not None
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "auth.totp_enrolled")).one()

    # Next time: straight to the code, never the set-up page with the key.
    client.cookies.clear()
    assert _password(client, user.email).headers["location"] == "/staff/sign-in/code"
    assert client.get("/staff/sign-in/set-up-code").headers["location"] == "/staff/sign-in/code"


def test_an_interrupted_set_up_keeps_the_same_key(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "moderator", totp_secret=None)
    _password(client, user.email)
    first = secret_from(client.get("/staff/sign-in/set-up-code").text)
    client.cookies.clear()
    _password(client, user.email)
    assert secret_from(client.get("/staff/sign-in/set-up-code").text) == first


def test_a_wrong_code_is_refused_and_audited(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    _password(client, user.email)
    response = _code(client, _wrong(totp_code()))
    assert response.status_code == 401
    assert "did not work" in response.text
    assert "sm_staff=" not in response.headers.get("set-cookie", "")
    assert _refusal_reasons(session) == ["totp_wrong"]


def test_a_code_works_only_once(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    code = totp_code()
    _password(client, user.email)
    assert _code(client, code).status_code == 303
    client.cookies.clear()
    _password(client, user.email)
    again = _code(client, code)
    assert again.status_code == 401
    assert "already been used" in again.text
    assert _refusal_reasons(session) == ["totp_reused"]
    # An older code than the last one used is refused too, while the next one is fine.
    assert _code(client, totp_code(steps_ahead=-1)).status_code == 401
    assert _code(client, totp_code(steps_ahead=1)).status_code == 303


def test_codes_with_spaces_are_accepted(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    _password(client, user.email)
    code = totp_code()
    assert _code(client, f"{code[:3]} {code[3:]}").status_code == 303


def test_wrong_codes_pause_the_code_step_with_growing_waits(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    _password(client, user.email)
    for attempt in range(1, TOTP_FREE_ATTEMPTS + 1):
        response = _code(client, _wrong(totp_code()))
        assert response.status_code == (429 if attempt == TOTP_FREE_ATTEMPTS else 401)
    assert "paused for 1 minute." in response.text
    # While paused even the right code is refused, and says so.
    paused = _code(client, totp_code())
    assert paused.status_code == 429 and "paused" in paused.text
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored is not None and stored.totp_locked_until is not None
    assert stored.totp_failures == TOTP_FREE_ATTEMPTS

    # After the pause, one more wrong code pauses for twice as long.
    stored.totp_locked_until = utcnow() - timedelta(seconds=1)
    session.add(stored)
    session.commit()
    again = _code(client, _wrong(totp_code()))
    assert again.status_code == 429 and "paused for 2 minutes" in again.text

    # Once the pause is over the right code works and the count starts again.
    stored = session.get(User, user.id)
    assert stored is not None
    stored.totp_locked_until = utcnow() - timedelta(seconds=1)
    session.add(stored)
    session.commit()
    assert _code(client, totp_code()).status_code == 303
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored is not None and stored.totp_failures == 0 and stored.totp_locked_until is None
    assert _refusal_reasons(session).count("totp_locked") == 1


def test_the_code_step_needs_a_recent_password(client: TestClient, session: Session, settings: Settings) -> None:
    area = make_area(session)
    make_staff(session, area, "statutory")
    assert client.get("/staff/sign-in/code").headers["location"] == "/staff/sign-in"
    token = page_token(client, "/staff/sign-in")
    response = client.post("/staff/sign-in/code", data={"code": totp_code(), "csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/staff/sign-in"
    # A forged pending cookie (not signed with our key) is ignored.
    client.cookies.set("sm_pending", "eyJ1IjoxLCJuIjoiL3N0YWZmLyJ9.forged.sig")
    assert client.get("/staff/sign-in/code").headers["location"] == "/staff/sign-in"


def test_the_code_step_needs_the_csrf_token(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    _password(client, user.email)
    assert client.post("/staff/sign-in/code", data={"code": totp_code()}).status_code == 403


def test_a_reset_code_means_setting_up_again(client: TestClient, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    monkeypatch.setenv("SAFETYMAP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFETYMAP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SAFETYMAP_SECRET_KEY", settings.secret_key.get_secret_value())
    result = CliRunner().invoke(cli, ["users", "reset-code", user.email])
    assert result.exit_code == 0, result.output
    assert _password(client, user.email).headers["location"] == "/staff/sign-in/set-up-code"
    assert secret_from(client.get("/staff/sign-in/set-up-code").text) != TOTP_SECRET
    # The helper every other test uses copes with a first sign-in too.
    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 303


def test_signing_in_twice_within_one_step_still_works_for_the_test_helper(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "moderator")
    sign_in(client, user.email)
    client.cookies.clear()
    sign_in(client, user.email)
    assert client.get("/staff/moderation").status_code == 200


# --- The rules in accounts/totp.py --------------------------------------------------------------


def test_matching_step_allows_one_step_of_drift_either_way_and_no_more() -> None:
    secret = totp.new_secret()
    now = datetime(2026, 11, 25, 9, 0, 10, tzinfo=UTC)
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        assert totp.matching_step(secret, totp.code_for_step(secret, step + offset), now) == step + offset
    for offset in (-2, 2):
        assert totp.matching_step(secret, totp.code_for_step(secret, step + offset), now) is None
    assert totp.matching_step(secret, "12345", now) is None
    assert totp.matching_step(secret, "", now) is None


def test_codes_match_what_authenticator_apps_show() -> None:
    # RFC 6238's reference key with pyotp as the independent authenticator.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    moment = datetime(2009, 2, 13, 23, 31, 30, tzinfo=UTC)
    assert totp.matching_step(secret, pyotp.TOTP(secret).at(moment), moment) == totp.step_at(moment)


def test_secrets_are_160_bits_and_the_uri_names_the_service() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32 and secret != totp.new_secret()
    uri = totp.provisioning_uri(secret, "sam@council.example", "Brackenford")
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "Safety%20Map%20Brackenford" in uri
    assert totp.grouped("ABCDEFGH") == "ABCD EFGH"
