"""Help at once, never refused, nothing lost: words that may be a disclosure get past every
anti-abuse check, bring help on the very next screen, stay at the top of the receipt and /track, and
outlive a withdrawal; a Redis outage never refuses a report."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from app.moderation.models import SafeguardingAlert
from app.reports.models import Report
from app.workshops.models import WorkshopEntry
from tests.factories import make_area, make_staff, make_workshop
from tests.functional.test_moderation_and_register import _publish_form
from tests.functional.test_workshops import join, phone, send_entry
from tests.support import csrf_from, free_port, receipt_from, report_form, sign_in

DISCLOSURE = "He keeps sending me messages and he will come to my house tonight. I'm 13."
ORDINARY = "Older lads hang around here after dark and shout at people."
HELP_LINKS = (
    'href="tel:999"', 'href="tel:08001111"', 'href="tel:08088005000"', 'href="tel:101"',
    'href="https://www.childline.org.uk/"', 'href="https://www.fearless.org/"',
    'href="tel:01632960123"',  # the area's own contact
)
_STEP = re.compile(r'data-report-step="([a-z_]+)"')
_SUBMISSION = re.compile(r'name="submission_token" value="([^"]+)"')


def help_box(html: str) -> str:
    """The help box on a page ("" when there is none): the one the words brought, not the header's panel."""
    start = html.find("data-help-now")
    return "" if start < 0 else html[start : html.index("</section>", start)]


def assert_help_at_top(html: str, before: str) -> None:
    box = help_box(html)
    assert box, "no help box on the page"
    for link in HELP_LINKS:
        assert link in box, link
    assert html.index("data-help-now") < html.index(before), f"help is not above {before}"
    assert "keep a secret" in box  # never promises secrecy


def send(client: TestClient, **fields: Any) -> Any:
    return client.post("/report", data=report_form(client, **fields))


def receipt(client: TestClient, description: str) -> str:
    response = send(client, description=description)
    assert response.status_code == 200, response.text[:500]
    return receipt_from(response.text)


def withdraw(client: TestClient, code: str) -> Any:
    token = csrf_from(client.get("/track").text)
    confirm = client.post("/track/withdraw", data={"code": code, "csrf_token": token})
    assert confirm.status_code == 200
    return client.post("/track/withdraw", data={"code": code, "csrf_token": token, "confirm": "yes"})


def track(client: TestClient, code: str) -> Any:
    return client.post("/track", data={"code": code, "csrf_token": csrf_from(client.get("/track").text)})


def walk(client: TestClient, step: str, **answers: Any) -> tuple[str, Any]:
    page = client.get("/report")
    base = {"csrf_token": csrf_from(page.text), "submission_token": _SUBMISSION.search(page.text).group(1)}  # type: ignore[union-attr]
    response = client.post("/report", data=base | {"step": step, "go": "next"} | answers)
    match = _STEP.search(response.text)
    return (match.group(1) if match else "sent"), response


# --- 1. Never refused -------------------------------------------------------------------------


def test_the_eleventh_report_from_one_address_is_stored_when_it_may_be_a_disclosure(client: TestClient, session: Session) -> None:
    make_area(session)
    for _ in range(10):  # a youth club's wifi: one address for the whole room
        assert send(client).status_code == 200
    response = send(client, description=DISCLOSURE)
    assert response.status_code == 200
    assert_help_at_top(response.text, before="receipt-code")
    report = session.exec(select(Report).where(Report.description == DISCLOSURE)).one()
    assert report.urgent and report.urgency in {"likely", "possible"}
    assert report.urgent_cues
    assert session.exec(select(SafeguardingAlert).where(SafeguardingAlert.report_id == report.id)).one()
    received = session.exec(select(AuditEvent).where(AuditEvent.action == "report.received", AuditEvent.subject_id == str(report.id))).one()
    assert received.detail["anti_abuse_bypassed"] == ["rate_limit"]
    assert "house tonight" not in str(received.detail)

    # An ordinary twelfth is still held back, every answer kept on screen.
    held = send(client, description="The lights on the underpass are out again.")
    assert held.status_code == 429
    assert "wait a little" in held.text and "The lights on the underpass are out again." in held.text
    assert not help_box(held.text)
    assert len(session.exec(select(Report)).all()) == 11


def test_a_filled_honeypot_never_refuses_a_possible_disclosure(client: TestClient, session: Session) -> None:
    make_area(session)
    response = send(client, description=DISCLOSURE, extra_details_hp="autofilled by a phone")
    assert response.status_code == 200
    assert help_box(response.text)
    assert session.exec(select(Report)).one().urgent
    assert send(client, extra_details_hp="http://spam.example").status_code == 422  # ordinary: held back


def test_a_stale_form_with_a_possible_disclosure_shows_help_and_keeps_the_words(client: TestClient, session: Session) -> None:
    make_area(session)
    data = report_form(client, description=DISCLOSURE)
    data["csrf_token"] = "stale"
    response = client.post("/report", data=data)
    assert response.status_code == 400
    assert "press the button once more" in response.text
    assert_help_at_top(response.text, before="press the button once more")
    assert DISCLOSURE.replace("'", "&#39;") in response.text


def test_the_api_takes_a_possible_disclosure_over_the_rate_limit(client: TestClient, session: Session) -> None:
    make_area(session)
    client.app.state.settings.report_rate_limit = 1  # type: ignore[attr-defined]
    body = {"kind": "unsafe", "location_text": "the alley behind the shops", "description": ORDINARY}
    assert client.post("/api/v1/reports", json=body | {"submission_token": "api-token-000000000001"}).status_code == 201
    refused = client.post("/api/v1/reports", json=body | {"submission_token": "api-token-000000000002"})
    assert refused.status_code == 429
    taken = client.post("/api/v1/reports", json=body | {"description": DISCLOSURE, "submission_token": "api-token-000000000003", "language": "cy"})
    assert taken.status_code == 201
    assert taken.json()["urgent"] is True and taken.json()["help_url"] == "/help?lang=cy"
    assert session.exec(select(SafeguardingAlert)).one()


def test_a_workshop_entry_with_a_possible_disclosure_passes_the_entry_limit_and_shows_help(
    client: TestClient, session: Session, web_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.workshops import public_routes

    monkeypatch.setattr(public_routes, "ENTRY_LIMIT", 1)
    area = make_area(session)
    workshop = make_workshop(session, area, make_staff(session, area, "facilitator"))
    participant = phone(web_app)
    join(participant, workshop.join_code)
    assert send_entry(participant).status_code == 303
    held = send_entry(participant, description="The bus shelter has no light.")
    assert held.status_code == 429 and "The bus shelter has no light." in held.text
    taken = send_entry(participant, description=DISCLOSURE)
    assert taken.status_code == 303
    page = participant.get(taken.headers["location"])
    assert_help_at_top(page.text, before='id="mine"' if 'id="mine"' in page.text else "</main>")
    reports = session.exec(select(Report).where(col(Report.workshop_id) == workshop.id)).all()
    assert sorted(r.urgent for r in reports) == [False, True]


# --- 2. Help at once, at the top -------------------------------------------------------------------


def test_help_shows_on_the_very_next_screen_after_the_words(client: TestClient, session: Session) -> None:
    make_area(session)
    answers = {"kind": "unsafe", "location_text": "by the garages", "description": DISCLOSURE}
    step, page = walk(client, "what", **answers)
    assert (step, page.status_code) == ("feel", 200)
    assert_help_at_top(page.text, before='id="step-count"')
    assert "When you send it" in help_box(page.text)  # honest: nothing is sent yet
    # It stays at the top of the screens after it, too.
    step, page = walk(client, "about", **answers)
    assert step == "check" and help_box(page.text)
    # Ordinary words bring no help box (the header's "Get help now" is always there).
    step, page = walk(client, "what", **(answers | {"description": ORDINARY}))
    assert step == "feel" and not help_box(page.text)


def test_help_in_what_would_help_shows_on_the_next_screen_too(client: TestClient, session: Session) -> None:
    make_area(session)
    step, page = walk(client, "feel", kind="unsafe", location_text="by the garages", description=ORDINARY, what_would_help=DISCLOSURE)
    assert step == "about"
    assert_help_at_top(page.text, before='id="step-count"')


def test_help_is_at_the_top_of_the_receipt_and_of_track(client: TestClient, session: Session) -> None:
    make_area(session)
    code = receipt(client, DISCLOSURE)
    tracked = track(client, code)
    assert tracked.status_code == 200
    assert_help_at_top(tracked.text, before="What happened to your report")
    assert "house tonight" not in tracked.text
    calm = track(client, receipt(client, ORDINARY))
    assert not help_box(calm.text)


def test_help_is_in_the_reporters_language(client: TestClient, session: Session) -> None:
    make_area(session, locales="en,cy")
    client.cookies.set("sm_lang", "cy")
    response = send(client, description=DISCLOSURE)
    box = help_box(response.text)
    assert "Ffoniwch 999" in box and "Mae'n swnio fel efallai nad yw rhywun yn ddiogel" in box


# --- 3. Withdrawal keeps a possible disclosure -----------------------------------------------------


def test_withdrawing_a_possible_disclosure_keeps_it_for_safeguarding_and_it_cannot_be_published(client: TestClient, session: Session) -> None:
    area = make_area(session)
    code = receipt(client, DISCLOSURE)
    report = session.exec(select(Report)).one()
    token = csrf_from(client.get("/track").text)
    confirm = client.post("/track/withdraw", data={"code": code, "csrf_token": token})
    assert "we keep it so a safeguarding worker can check everyone is OK" in confirm.text
    done = client.post("/track/withdraw", data={"code": code, "csrf_token": token, "confirm": "yes"})
    assert done.status_code == 200
    assert "Because what you wrote may mean someone is not safe, we keep it so a safeguarding worker can check everyone is OK. It will not be published." in done.text
    assert "has been deleted" not in done.text
    assert help_box(done.text)
    kept = session.get(Report, report.id)
    assert kept is not None and kept.withdrawn_at is not None and kept.description == DISCLOSURE
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "report.withdrawn")).one()
    assert event.detail["kept_for_safeguarding"] is True and "house" not in str(event.detail)
    # /track says so plainly and offers no second withdrawal.
    again = track(client, code)
    assert "You took this report back." in again.text and "Take my report back</button>" not in again.text

    # A moderator sees it marked, and publishing it is refused with a clear reason.
    sign_in(client, make_staff(session, area, "moderator").email)
    assert "Withdrawn by the reporter, kept for safeguarding" in client.get("/staff/moderation").text
    form = _publish_form(client, kept)
    refused = client.post(f"/staff/moderation/{report.id}/publish", data=form)
    assert refused.status_code == 422
    assert "kept for safeguarding only" in refused.text
    assert session.get(Report, report.id).status == "pending"  # type: ignore[union-attr]


def test_a_publish_begun_before_the_withdrawal_does_not_land(client: TestClient, session: Session) -> None:
    area = make_area(session)
    code = receipt(client, DISCLOSURE)
    report = session.exec(select(Report)).one()
    moderator = TestClient(client.app, follow_redirects=False)  # type: ignore[arg-type]
    sign_in(moderator, make_staff(session, area, "moderator").email)
    form = _publish_form(moderator, report)  # the entry open on a moderator's screen
    withdraw(client, code)
    response = moderator.post(f"/staff/moderation/{report.id}/publish", data=form)
    assert response.status_code in {409, 422}
    assert session.get(Report, report.id).status == "pending"  # type: ignore[union-attr]


def test_a_published_disclosure_withdrawn_leaves_the_register_as_the_reporter_is_told(client: TestClient, session: Session) -> None:
    area = make_area(session)
    code = receipt(client, DISCLOSURE)
    report = session.exec(select(Report)).one()
    moderator = TestClient(client.app, follow_redirects=False)  # type: ignore[arg-type]
    sign_in(moderator, make_staff(session, area, "moderator").email)
    published = moderator.post(f"/staff/moderation/{report.id}/publish", data=_publish_form(moderator, report))
    assert published.status_code in {200, 303}
    session.expire_all()
    assert session.get(Report, report.id).status == "published"  # type: ignore[union-attr]
    done = withdraw(client, code)
    assert "It will not be published." in done.text
    session.expire_all()
    kept = session.get(Report, report.id)
    assert kept is not None and kept.status == "pending" and kept.withdrawn_at is not None and not kept.show_on_map


def test_withdrawing_an_ordinary_report_still_deletes_it(client: TestClient, session: Session) -> None:
    make_area(session)
    done = withdraw(client, receipt(client, ORDINARY))
    assert "has been deleted" in done.text and not help_box(done.text)
    assert session.exec(select(Report)).all() == []
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "report.withdrawn")).one()
    assert event.detail["kept_for_safeguarding"] is False


def test_a_workshop_entry_with_a_possible_disclosure_is_kept_when_taken_back(client: TestClient, session: Session, web_app: FastAPI) -> None:
    area = make_area(session)
    workshop = make_workshop(session, area, make_staff(session, area, "facilitator"))
    participant = phone(web_app)
    join(participant, workshop.join_code)
    send_entry(participant, description=DISCLOSURE)
    entry = session.exec(select(WorkshopEntry)).one()
    page = participant.get("/workshops/session")
    response = participant.post(f"/workshops/session/entries/{entry.id}/withdraw", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 200
    assert "we keep it so a safeguarding worker can check everyone is OK" in response.text
    report = session.get(Report, entry.report_id)
    assert report is not None and report.withdrawn_at is not None


# --- 4. Redis down ------------------------------------------------------------------------------------


@pytest.fixture
def redis_down_client(settings: Settings, db: Database) -> Any:
    broken = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    with TestClient(create_app(broken, database=db), follow_redirects=False) as test_client:
        yield test_client


def test_with_redis_down_reports_are_stored_and_still_limited_in_process(redis_down_client: TestClient, session: Session, caplog: pytest.LogCaptureFixture) -> None:
    make_area(session)
    redis_down_client.app.state.settings.report_rate_limit = 2  # type: ignore[attr-defined]
    with caplog.at_level("WARNING", logger="safetymap.ratelimit"):
        for _ in range(2):
            assert send(redis_down_client).status_code == 200
        assert send(redis_down_client).status_code == 429  # still limited, in this process
        assert send(redis_down_client, description=DISCLOSURE).status_code == 200
    assert len(session.exec(select(Report)).all()) == 3
    fallbacks = [r for r in caplog.records if "counting in this process" in r.getMessage()]
    assert len(fallbacks) == 1  # once, not per request
    assert "testclient" not in caplog.text and "127.0.0.1" not in caplog.text


def test_with_redis_down_a_workshop_entry_is_stored(redis_down_client: TestClient, session: Session) -> None:
    area = make_area(session)
    workshop = make_workshop(session, area, make_staff(session, area, "facilitator"))
    join(redis_down_client, workshop.join_code)
    assert send_entry(redis_down_client).status_code == 303
    assert send_entry(redis_down_client, description=DISCLOSURE).status_code == 303
    assert len(session.exec(select(WorkshopEntry)).all()) == 2


# --- 5. Ids are never reused ---------------------------------------------------------------------------


def test_a_withdrawn_reports_id_is_never_given_to_the_next_one(client: TestClient, session: Session) -> None:
    make_area(session)
    withdraw(client, receipt(client, ORDINARY))
    gone = session.exec(select(AuditEvent).where(AuditEvent.action == "report.withdrawn")).one()
    receipt(client, "The park gates are locked early now.")
    new = session.exec(select(Report)).one()
    assert new.id is not None and new.id > int(gone.subject_id)
    received = session.exec(select(AuditEvent.subject_id).where(AuditEvent.action == "report.received")).all()
    assert len(received) == len(set(received)) == 2
