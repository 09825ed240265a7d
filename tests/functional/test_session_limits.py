"""What the outside review found holding, kept as regression tests: a staff session ends after
its idle and absolute limits, and every sign-in gets a new session token."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import StaffSession
from app.core.config import Settings
from app.core.types import utcnow
from app.core.web import staff_cookie_name
from tests.factories import make_area, make_staff
from tests.support import sign_in


def _age(session: Session, *, seen: timedelta = timedelta(), created: timedelta = timedelta()) -> None:
    row = session.exec(select(StaffSession)).one()
    row.last_seen_at = utcnow() - seen
    row.created_at = utcnow() - created
    session.add(row)
    session.commit()


def test_a_session_left_idle_past_its_limit_ends(client: TestClient, session: Session, settings: Settings) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "moderator").email)
    assert client.get("/staff/moderation", follow_redirects=False).status_code == 200
    _age(session, seen=timedelta(minutes=settings.session_idle_minutes + 1), created=timedelta(minutes=settings.session_idle_minutes + 1))
    response = client.get("/staff/moderation", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in")
    assert session.exec(select(StaffSession)).all() == []


def test_a_busy_session_still_ends_at_its_absolute_limit(client: TestClient, session: Session, settings: Settings) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "moderator").email)
    _age(session, seen=timedelta(minutes=1), created=timedelta(hours=settings.session_absolute_hours, minutes=1))
    response = client.get("/staff/moderation", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in")


def test_every_sign_in_gets_a_new_session_token(client: TestClient, session: Session, settings: Settings) -> None:
    area = make_area(session)
    user = make_staff(session, area, "moderator")
    first = sign_in(client, user.email).cookies.get(staff_cookie_name(settings))
    client.cookies.clear()
    second = sign_in(client, user.email).cookies.get(staff_cookie_name(settings))
    assert first and second and first != second
    assert len(session.exec(select(StaffSession)).all()) == 2
