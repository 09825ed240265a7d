"""Numbers too big for the database, and very long text, get a clear refusal, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from tests.factories import make_area, make_staff
from tests.support import page_token, sign_in

HUGE = str(2**64)


@pytest.mark.parametrize(
    "path",
    [
        f"/staff/moderation/{HUGE}",
        f"/staff/register/contexts/{HUGE}",
        f"/staff/register/access-log?page={HUGE}",
    ],
)
def test_a_number_too_big_for_the_database_in_a_staff_address_is_not_found(
    client: TestClient, session: Session, path: str
) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "admin").email)
    response = client.get(path)
    assert response.status_code in (400, 404, 422), response.status_code


def test_a_number_too_big_in_a_form_is_refused_without_a_500(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "admin").email)
    token = page_token(client, "/staff/moderation")
    response = client.post(f"/staff/moderation/{HUGE}/publish", data={"csrf_token": token, "version": HUGE})
    assert response.status_code in (400, 404, 422)
    response = client.post(f"/staff/register/contexts/{HUGE}/status", data={"csrf_token": token, "status": "watching"})
    assert response.status_code in (400, 404, 422)


def test_a_huge_place_id_in_the_api_is_refused_with_the_documented_422(client: TestClient, session: Session) -> None:
    make_area(session)
    body = {"kind": "unsafe", "description": "dark path", "place_id": 2**64, "submission_token": "t" * 24}
    response = client.post("/api/v1/reports", json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


def test_a_very_long_place_search_is_answered(client: TestClient, session: Session) -> None:
    make_area(session)
    token = page_token(client, "/report?kind=unsafe")
    response = client.post("/report/places", data={"csrf_token": token, "q": "park " * 20000, "place_query": "park " * 20000})
    assert response.status_code in (200, 400, 413, 422)


def test_a_version_that_is_not_a_number_is_refused_kindly(client: TestClient, session: Session) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "moderator").email)
    token = page_token(client, "/staff/moderation")
    response = client.post("/staff/moderation/1/publish", data={"csrf_token": token, "version": "abc"})
    assert response.status_code in (400, 404, 409, 422)


def test_withdrawing_shares_the_track_limit(client: TestClient, session: Session) -> None:
    make_area(session)
    token = page_token(client, "/track")
    answers = [client.post("/track/withdraw", data={"csrf_token": token, "code": "ACDE-FGHJ-KMNP"}).status_code for _ in range(61)]
    assert answers[:60] == [422] * 60 and answers[60] == 429
    # and /track itself is now refused for this connection too
    assert client.post("/track", data={"csrf_token": token, "code": "ACDE-FGHJ-KMNP"}).status_code == 429


def test_malformed_sends_count_in_the_report_limit(client: TestClient, session: Session, settings: Settings) -> None:
    make_area(session)
    statuses = [
        client.post("/api/v1/reports", content=b"not json", headers={"content-type": "application/json"}).status_code
        for _ in range(settings.report_rate_limit + 1)
    ]
    assert statuses[:-1] == [422] * settings.report_rate_limit and statuses[-1] == 429
    good = {"kind": "unsafe", "description": "dark path by the canal", "location_text": "the canal", "submission_token": "t" * 24}
    assert client.post("/api/v1/reports", json=good).status_code == 429  # the same limit
