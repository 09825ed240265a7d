"""Journey 1, 2 and 5 over HTTP: a report goes in, a receipt comes back, /track tells what happened."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.reports.models import Report
from tests.factories import make_area, make_place
from tests.support import csrf_from, receipt_from, report_form


def test_report_sent_from_the_form_gets_a_receipt_code(client: TestClient, session: Session) -> None:
    make_area(session)
    response = client.post("/report", data=report_form(client))
    assert response.status_code == 200
    code = receipt_from(response.text)
    assert len(code) == 14 and not set(code) & set("0O1IL")
    stored = session.exec(select(Report)).one()
    assert stored.receipt_code == code
    assert stored.status == "pending"
    # The page title and address never say what was reported.
    assert "<title>Sent" in response.text
    assert "Older lads" not in response.text


def test_a_retried_submission_never_creates_two_reports(client: TestClient, session: Session) -> None:
    make_area(session)
    data = report_form(client)
    first = client.post("/report", data=data)
    second = client.post("/report", data=data)
    assert receipt_from(first.text) == receipt_from(second.text)
    assert len(session.exec(select(Report)).all()) == 1


def test_a_place_from_the_gazetteer_gives_a_coarse_cell(client: TestClient, session: Session) -> None:
    area = make_area(session)
    park = make_place(session, area)
    client.post("/report", data=report_form(client, place_id=str(park.id), location_text=""))
    stored = session.exec(select(Report)).one()
    assert stored.place_id == park.id
    assert stored.h3_cell is not None and stored.lat is None


def test_empty_description_is_explained_and_keeps_every_answer(client: TestClient, session: Session) -> None:
    make_area(session)
    response = client.post("/report", data=report_form(client, description="   ", location_text="under the bridge by the canal"))
    assert response.status_code == 422
    assert "Please tell us what it is like there" in response.text
    assert 'value="under the bridge by the canal"' in response.text
    # The screen that asked about the words comes back; earlier answers travel with it.
    assert 'name="time_bands" value="evening"' in response.text
    assert session.exec(select(Report)).all() == []


def test_emoji_only_description_asks_for_words(client: TestClient, session: Session) -> None:
    make_area(session)
    response = client.post("/report", data=report_form(client, description="😡😡😡"))
    assert response.status_code == 422
    assert "as well as emoji" in response.text
    assert "😡😡😡</textarea>" in response.text


def test_too_long_text_is_kept_and_explained(client: TestClient, session: Session) -> None:
    make_area(session)
    long_text = "It is scary here at night. " * 100
    response = client.post("/report", data=report_form(client, description=long_text))
    assert response.status_code == 422
    assert "up to 2,000 characters" in response.text
    assert long_text.strip() in response.text


def test_pasted_html_is_shown_as_text_never_run(client: TestClient, session: Session) -> None:
    make_area(session)
    response = client.post("/report", data=report_form(client, description="<script>alert(1)</script>", location_text=""))
    assert response.status_code == 422  # no location given, so the form comes back with the text in it
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_right_to_left_text_is_accepted(client: TestClient, session: Session) -> None:
    make_area(session)
    words = "الإضاءة سيئة جدا في الليل بالقرب من المحطة"
    response = client.post("/report", data=report_form(client, description=words))
    assert response.status_code == 200
    assert session.exec(select(Report)).one().description == words


def test_missing_location_is_explained(client: TestClient, session: Session) -> None:
    make_area(session)
    response = client.post("/report", data=report_form(client, location_text=""))
    assert response.status_code == 422
    assert "Please tell us where" in response.text


def test_stale_form_token_shows_the_answers_again_instead_of_losing_them(client: TestClient, session: Session) -> None:
    make_area(session)
    data = report_form(client, description="The lights by the canal are broken again.")
    data["csrf_token"] = "stale"
    response = client.post("/report", data=data)
    assert response.status_code == 400
    assert "press the button once more" in response.text
    assert "The lights by the canal are broken again." in response.text
    data["csrf_token"] = csrf_from(response.text)
    assert client.post("/report", data=data).status_code == 200
    assert len(session.exec(select(Report)).all()) == 1


def test_honeypot_filled_keeps_the_answers_and_stores_nothing(client: TestClient, session: Session) -> None:
    make_area(session)
    response = client.post("/report", data=report_form(client, extra_details_hp="http://spam.example"))
    assert response.status_code == 422
    assert "Please leave this box empty" in response.text
    assert session.exec(select(Report)).all() == []


def test_too_many_reports_get_a_friendly_slow_down_and_keep_the_answers(client: TestClient, session: Session) -> None:
    make_area(session)
    client.app.state.settings.report_rate_limit = 2  # type: ignore[attr-defined]
    for _ in range(2):
        assert client.post("/report", data=report_form(client)).status_code == 200
    response = client.post("/report", data=report_form(client, description="Third one about the underpass."))
    assert response.status_code == 429
    assert "wait a little" in response.text
    assert "Third one about the underpass." in response.text


def test_possible_disclosure_shows_help_at_once(client: TestClient, session: Session) -> None:
    make_area(session)
    text = "I owe him money and he says I have to do another run this weekend or he'll hurt me. I'm 14."
    response = client.post("/report", data=report_form(client, description=text))
    assert response.status_code == 200
    assert "It sounds like someone might not be safe" in response.text
    assert "0800 1111" in response.text
    assert session.exec(select(Report)).one().urgent is True


def test_track_shows_status_but_never_the_words(client: TestClient, session: Session) -> None:
    make_area(session)
    sent = client.post("/report", data=report_form(client, description="Men wait in cars outside the school gates."))
    code = receipt_from(sent.text)
    page = client.get("/track")
    response = client.post("/track", data={"code": code.lower().replace("-", " "), "csrf_token": csrf_from(page.text)})
    assert response.status_code == 200
    assert "Waiting to be checked" in response.text
    assert "Men wait in cars" not in response.text


def test_unknown_receipt_code_gets_a_clear_message(client: TestClient, session: Session) -> None:
    make_area(session)
    page = client.get("/track")
    response = client.post("/track", data={"code": "AAAA-AAAA-AAAA", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert "We could not find that code" in response.text
    assert 'value="AAAA-AAAA-AAAA"' in response.text


def test_withdrawing_deletes_the_report_and_audit_keeps_only_that(client: TestClient, session: Session) -> None:
    make_area(session)
    code = receipt_from(client.post("/report", data=report_form(client)).text)
    token = csrf_from(client.get("/track").text)
    confirm = client.post("/track/withdraw", data={"code": code, "csrf_token": token})
    assert "Are you sure" in confirm.text
    done = client.post("/track/withdraw", data={"code": code, "csrf_token": token, "confirm": "yes"})
    assert "has been deleted" in done.text
    assert session.exec(select(Report)).all() == []
    withdrawn = session.exec(select(AuditEvent).where(AuditEvent.action == "report.withdrawn")).one()
    assert "Older lads" not in str(withdrawn.detail)


def test_json_api_takes_a_report_and_refuses_a_point_outside_the_area(client: TestClient, session: Session) -> None:
    make_area(session)
    body = {
        "kind": "safe", "lat": 52.58, "lng": -1.99, "description": "The library staff are lovely.",
        "submission_token": "api-token-0123456789",
    }
    created = client.post("/api/v1/reports", json=body)
    assert created.status_code == 201
    assert created.json()["urgent"] is False
    outside = client.post("/api/v1/reports", json=body | {"lat": 51.5, "lng": -0.12, "submission_token": "api-token-9876543210"})
    assert outside.status_code == 422
    tracked = client.post("/api/v1/track", json={"receipt_code": created.json()["receipt_code"]})
    assert tracked.json()["status"] == "pending"
