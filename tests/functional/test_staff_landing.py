"""Every role's first page after sign-in is one it can use."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_area, make_staff
from tests.support import sign_in


@pytest.mark.parametrize(
    ("role", "landing"),
    [("moderator", "/staff/moderation"), ("statutory", "/staff/register"), ("facilitator", "/staff/workshops"), ("admin", "/staff/moderation")],
)
def test_each_role_lands_on_its_own_work(client: TestClient, session: Session, role: str, landing: str) -> None:
    area = make_area(session)
    user = make_staff(session, area, role)
    sign_in(client, user.email)
    first = client.get("/staff/", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == landing
    page = client.get(landing)
    assert page.status_code == 200
    assert "not part of your role" not in page.text
