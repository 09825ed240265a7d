"""The CSRF cookie is only ever one we made, and a new one is issued at sign-in."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.core.security import _derive, cookie_name
from tests.factories import make_area, make_staff
from tests.support import page_token, sign_in


def test_a_planted_csrf_cookie_is_replaced_not_adopted(client: TestClient, session: Session, settings: Settings) -> None:
    make_area(session)
    name = cookie_name(settings, "sm_csrf")
    planted = "chosen-by-someone-else"
    client.cookies.set(name, planted)
    page = client.get("/staff/sign-in")
    assert page.status_code == 200
    issued = page.cookies.get(name)
    assert issued and issued != planted
    # A token worked out from the planted value (which its planter knows) opens nothing.
    client.cookies.set(name, planted)
    forged = _derive(settings.secret_key.get_secret_value(), planted)
    refused = client.post("/staff/sign-in", data={"email": "x@council.example", "password": "p" * 12, "csrf_token": forged})
    assert refused.status_code in (400, 403)


def test_sign_in_issues_a_new_csrf_cookie(client: TestClient, session: Session, settings: Settings) -> None:
    area = make_area(session)
    user = make_staff(session, area, "moderator")
    name = cookie_name(settings, "sm_csrf")
    before_token = page_token(client, "/staff/sign-in")
    before = client.cookies.get(name)
    response = sign_in(client, user.email)
    after = response.cookies.get(name)
    assert before and after and after != before
    # A token seen before sign-in (on a shared machine, in a cached page) is no use afterwards.
    assert client.post("/staff/sign-out", data={"csrf_token": before_token}).status_code in (400, 403)
    assert client.post("/staff/sign-out", data={"csrf_token": page_token(client, "/staff/moderation")}).status_code == 303
