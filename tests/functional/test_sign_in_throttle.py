"""Guessing at staff sign-in is slowed without locking anyone out or telling which accounts exist.

Timing is checked by counting argon2 verifications (every answer costs exactly one), not by
measuring time.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import limits.storage.memory
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response
from limits import parse
from sqlmodel import Session

from app.accounts import throttle
from app.accounts.throttle import Step
from tests.factories import PASSWORD, make_area, make_staff
from tests.support import csrf_from, page_token, totp_code

WRONG = "not the right password at all"


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification the app runs, in order."""
    calls: list[str] = []
    original = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        calls.append("verify")
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


def _password(client: TestClient, email: str, password: str = PASSWORD, code: str | None = None) -> Response:
    data = {"email": email, "password": password, "csrf_token": page_token(client, "/staff/sign-in"), "next": "/staff/register"}
    if code is not None:
        data["code"] = code
    return client.post("/staff/sign-in", data=data)


@pytest.fixture
def pause_after_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pauses accounts after 2 wrong passwords instead of 5: each try costs a real argon2 verification."""
    monkeypatch.setattr(throttle, "ACCOUNT_PASSWORD_LIMIT", parse("2/15 minutes"))


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    monkeypatch.setattr(limits.storage.memory, "time", SimpleNamespace(time=lambda: time.time() + seconds))
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: time.time() + seconds, monotonic=time.monotonic))


@pytest.mark.usefixtures("pause_after_two")
def test_every_password_answer_costs_one_verification(client: TestClient, session: Session, verifications: list[str]) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    paused = make_staff(session, area, "statutory")
    inactive = make_staff(session, area, "statutory")
    inactive.is_active = False
    session.add(inactive)
    session.commit()
    for _ in range(2):
        _password(client, paused.email, WRONG)
    cases = {
        "unknown account": (_password, ("nobody@brackenford.example", PASSWORD)),
        "wrong password": (_password, (user.email, WRONG)),
        "inactive account, right password": (_password, (inactive.email, PASSWORD)),
        "paused account, right password": (_password, (paused.email, PASSWORD)),
        "paused account, wrong password": (_password, (paused.email, WRONG)),
        "right password": (_password, (user.email, PASSWORD)),
    }
    for name, (attempt, (email, password)) in cases.items():
        verifications.clear()
        response = attempt(client, email, password)
        assert response.status_code in (303, 401), name
        assert verifications == ["verify"], f"{name}: {len(verifications)} verifications"


def test_wrong_passwords_pause_the_account_but_never_lock_the_person_out(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    for attempt in range(1, 6):
        response = _password(client, user.email, WRONG)
        assert response.status_code == 401
        assert ("enter your password and the six-digit code" in response.text) == (attempt == 5)
    assert 'name="code"' in response.text
    # The right password alone is not enough now, and the answer does not say it was right.
    alone = _password(client, user.email)
    assert alone.status_code == 401 and "enter your password and the six-digit code" in alone.text
    assert "sm_pending=" not in alone.headers.get("set-cookie", "")
    # The right password with the right code gets straight in.
    both = _password(client, user.email, code=totp_code())
    assert both.status_code == 303 and both.headers["location"] == "/staff/register"
    assert "sm_staff=" in both.headers["set-cookie"]
    assert client.get("/staff/register").status_code == 200
    # And a full sign-in clears the pause.
    client.cookies.clear()
    assert _password(client, user.email).headers["location"] == "/staff/sign-in/code"


@pytest.mark.usefixtures("pause_after_two")
def test_a_paused_account_allows_one_password_and_code_try_per_short_pause(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    for _ in range(2):
        _password(client, user.email, WRONG)
    wrong_code = _password(client, user.email, WRONG, code=totp_code())
    assert wrong_code.status_code == 401 and "password and code do not match" in wrong_code.text
    too_soon = _password(client, user.email, code=totp_code())
    assert too_soon.status_code == 429 and "Please wait 1 minute before you try your password and code again" in too_soon.text
    _later(monkeypatch, 61)
    assert _password(client, user.email, code=totp_code()).status_code == 303


@pytest.mark.usefixtures("pause_after_two")
def test_an_unknown_account_answers_exactly_like_a_real_one(client: TestClient, session: Session) -> None:
    area = make_area(session)
    user = make_staff(session, area, "statutory", email="sam@brackenford.example")
    answers: dict[str, list[tuple[int, str]]] = {}
    for email in (user.email, "nobody@brackenford.example"):
        answers[email] = []
        for password in [WRONG, WRONG, PASSWORD]:
            response = _password(client, email, password)
            notice = response.text.split('role="alert"', 1)[1].split("</div>", 1)[0] if 'role="alert"' in response.text else ""
            answers[email].append((response.status_code, notice))
    assert answers[user.email] == answers["nobody@brackenford.example"]


def test_a_busy_connection_is_told_to_wait_and_other_steps_go_on(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(throttle.ADDRESS_LIMITS, Step.PASSWORD, parse("3/15 minutes"))
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    # Right passwords do not use up the office's allowance.
    for _ in range(4):
        assert _password(client, user.email).status_code == 303
    # Someone at this connection is at the code step now; then wrong passwords for other accounts.
    for number in range(3):
        _password(client, f"guess{number}@brackenford.example", WRONG)
    refused = _password(client, "guess9@brackenford.example", WRONG)
    assert refused.status_code == 429
    assert "Too many tries from this connection, please wait 15 minutes" in refused.text
    assert "do not match" not in refused.text
    # The code step has its own allowance: the person already past their password signs in.
    page = client.get("/staff/sign-in/code")
    done = client.post("/staff/sign-in/code", data={"code": totp_code(), "csrf_token": csrf_from(page.text)})
    assert done.status_code == 303 and client.get("/staff/register").status_code == 200


def test_wrong_codes_from_one_connection_are_told_to_wait(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(throttle.ADDRESS_LIMITS, Step.CODE, parse("2/15 minutes"))
    area = make_area(session)
    user = make_staff(session, area, "statutory")
    _password(client, user.email)
    token = csrf_from(client.get("/staff/sign-in/code").text)
    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"
    for _ in range(2):
        assert client.post("/staff/sign-in/code", data={"code": wrong, "csrf_token": token}).status_code == 401
    refused = client.post("/staff/sign-in/code", data={"code": totp_code(), "csrf_token": token})
    assert refused.status_code == 429 and "Too many tries from this connection" in refused.text
