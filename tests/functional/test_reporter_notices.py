"""The optional "tell me when something changes" email: asked for on the receipt page or on /track,
never needed, never seen by staff, sent through the real mail server at most once a day, and the
address deleted when the report is taken back, closed, or twelve months old."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.areas.lookup import load_area_data
from app.areas.models import Area
from app.cli import app as cli
from app.core.config import Settings
from app.core.db import Database
from app.core.mail import SmtpMailer
from app.core.types import utcnow
from app.register import actions
from app.reports import notices, questions
from app.reports.models import Report
from app.reports.notice_models import ReporterNotice
from tests.conftest import TEST_SECRET
from tests.factories import make_area, make_context, make_published, make_report, make_staff
from tests.smtp import SmtpServer
from tests.support import csrf_from, free_port, receipt_from, report_form, sign_in

ADDRESS = "sam.reporter@example.org"
DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I'm scared to go home."


@pytest.fixture
def reporter(web_app: FastAPI) -> Iterator[TestClient]:
    """The young person's own browser: no staff cookie."""
    with TestClient(web_app, follow_redirects=False) as browser:
        yield browser


def _track(browser: TestClient, code: str) -> Any:
    token = csrf_from(browser.get("/track").text)
    return browser.post("/track", data={"code": code, "csrf_token": token})


def _ask(browser: TestClient, code: str, email: str = ADDRESS, back_to: str = "track") -> Any:
    page = _track(browser, code)
    return browser.post(
        "/track/notices", data={"code": code, "email": email, "back_to": back_to, "csrf_token": csrf_from(page.text)}
    )


def _notice(session: Session, report: Report) -> ReporterNotice | None:
    return session.exec(select(ReporterNotice).where(ReporterNotice.report_id == report.id)).first()


# --- Asking, over HTTP ---------------------------------------------------------------------------


def test_the_receipt_page_offers_the_email_and_says_plainly_what_it_means(reporter: TestClient, session: Session) -> None:
    make_area(session)
    sent = reporter.post("/report", data=report_form(reporter))
    assert sent.status_code == 200
    html = sent.text
    assert "Tell me when something changes" in html
    assert "You do not have to" in html
    assert "It never has your words, your receipt code or the place in it." in html
    assert "Anyone who can read that inbox will see an email from this site." in html
    assert "The people who read reports never see your email address." in html
    assert "We delete your email address when your report is closed or taken back, or after 12 months." in html
    form = re.search(r'<form method="post" action="/track/notices".*?</form>', html, re.S)
    assert form, "no notice form on the receipt page"
    assert 'name="email"' in form.group(0) and 'name="back_to" value="receipt"' in form.group(0)
    assert f'name="code" value="{receipt_from(html)}"' in form.group(0)
    assert "/track/notices?" not in html  # the code never goes in an address


def test_asking_on_the_receipt_page_stores_the_address_sealed_and_shows_the_receipt_again(
    reporter: TestClient, session: Session, db: Database
) -> None:
    make_area(session)
    sent = reporter.post("/report", data=report_form(reporter))
    code = receipt_from(sent.text)
    response = reporter.post(
        "/track/notices", data={"code": code, "email": f"  {ADDRESS} ", "back_to": "receipt", "csrf_token": csrf_from(sent.text)}
    )
    assert response.status_code == 200
    assert receipt_from(response.text) == code  # still the receipt, code in view
    assert "Thank you. We will email you when something changes." in response.text
    assert "Stop the emails and delete my address" in response.text
    stored = session.exec(select(ReporterNotice)).one()
    assert stored.locale == "en"
    assert ADDRESS not in stored.sealed and len(stored.stop_token_hash) == 64
    assert notices.AddressBox(TEST_SECRET).open(stored.sealed)[0] == ADDRESS
    with db.engine.connect() as connection:  # nowhere in the row, in any column
        row = connection.execute(text("SELECT * FROM reporter_notice")).one()
    assert not any(ADDRESS in str(value) for value in row)


def test_asking_from_track_and_stopping_there(reporter: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    response = _ask(reporter, report.receipt_code)
    assert response.status_code == 200
    assert "What happened to your report" in response.text
    assert "Thank you. We will email you when something changes." in response.text
    assert _notice(session, report) is not None
    again = _track(reporter, report.receipt_code)
    assert "We will send you a short email when something changes" in again.text
    assert 'name="email"' not in again.text  # already asked: the page offers to stop instead
    stopped = reporter.post(
        "/track/notices/stop", data={"code": report.receipt_code, "back_to": "track", "csrf_token": csrf_from(again.text)}
    )
    assert stopped.status_code == 200
    assert "We have stopped the emails and deleted your email address." in stopped.text
    assert _notice(session, report) is None
    assert 'name="email"' in stopped.text  # they may ask again


def test_a_welsh_reporter_is_written_to_in_welsh(reporter: TestClient, session: Session) -> None:
    area = make_area(session, locales="en,cy")
    report = make_report(session, area)
    reporter.cookies.set("sm_lang", "cy")
    assert _ask(reporter, report.receipt_code).status_code == 200
    stored = _notice(session, report)
    assert stored is not None and stored.locale == "cy"


def test_a_wrong_address_is_explained_and_kept(reporter: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    for typed, message in (
        ("sam.reporter@example", "That does not look like an email address."),
        ("sam reporter@example.org", "That does not look like an email address."),
        ("", "Please type your email address. Or leave it: you do not need one."),
    ):
        response = _ask(reporter, report.receipt_code, typed)
        assert response.status_code == 422
        assert message in response.text
        assert f'value="{typed}"' in response.text
        assert 'aria-invalid="true"' in response.text
    sent = reporter.post("/report", data=report_form(reporter))
    on_receipt = reporter.post(
        "/track/notices",
        data={"code": receipt_from(sent.text), "email": "sam@@example.org", "back_to": "receipt", "csrf_token": csrf_from(sent.text)},
    )
    assert on_receipt.status_code == 422
    assert receipt_from(on_receipt.text) == receipt_from(sent.text)
    assert 'value="sam@@example.org"' in on_receipt.text
    assert session.exec(select(ReporterNotice)).all() == []


def test_asking_needs_the_csrf_token_and_a_real_code(reporter: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _track(reporter, report.receipt_code)
    refused = reporter.post("/track/notices", data={"code": report.receipt_code, "email": ADDRESS})
    assert refused.status_code == 403
    token = csrf_from(reporter.get("/track").text)
    unknown = reporter.post("/track/notices", data={"code": "ACDE-FGHJ-KMNP", "email": ADDRESS, "csrf_token": token})
    assert unknown.status_code == 422
    assert "We could not find that code." in unknown.text
    assert ADDRESS not in unknown.text
    assert session.exec(select(ReporterNotice)).all() == []


def test_asking_counts_against_the_track_limit(reporter: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    token = csrf_from(reporter.get("/track").text)
    data = {"code": report.receipt_code, "email": ADDRESS, "csrf_token": token}
    answers = [reporter.post("/track/notices", data=data).status_code for _ in range(61)]
    assert answers[:60] == [200] * 60
    assert answers[60] == 429
    assert reporter.post("/track", data={"code": report.receipt_code, "csrf_token": token}).status_code == 429
    stop = reporter.post("/track/notices/stop", data={"code": report.receipt_code, "csrf_token": token})
    assert stop.status_code == 429


def test_a_closed_report_is_not_offered_the_email(reporter: TestClient, session: Session) -> None:
    area = make_area(session)
    report = make_report(session, area)
    report.status, report.rejection_reason = "rejected", "spam"
    session.add(report)
    session.commit()
    page = _track(reporter, report.receipt_code)
    assert "Tell me when something changes" not in page.text
    posted = reporter.post("/track/notices", data={"code": report.receipt_code, "email": ADDRESS, "csrf_token": csrf_from(page.text)})
    assert posted.status_code == 409
    assert "no news to email you about" in posted.text
    assert session.exec(select(ReporterNotice)).all() == []


def test_the_stop_link_asks_first_then_stops(reporter: TestClient, session: Session, db: Database) -> None:
    area = make_area(session)
    report = make_report(session, area)
    token = _ask_directly(session, report)
    page = reporter.get(f"/track/notices/stop/{token}")
    assert page.status_code == 200
    assert "<title>Stop the emails" in page.text and re.search(r'<html\b[^>]*\blang="en"', page.text)
    assert _notice(session, report) is not None  # opening the link changes nothing
    refused = reporter.post(f"/track/notices/stop/{token}")
    assert refused.status_code == 403
    done = reporter.post(f"/track/notices/stop/{token}", data={"csrf_token": csrf_from(page.text)})
    assert done.status_code == 200
    assert "The emails have stopped" in done.text
    assert _notice(session, report) is None
    after = reporter.get(f"/track/notices/stop/{token}")
    assert "There is nothing more to stop" in after.text
    assert reporter.get("/track/notices/stop/not-a-token!").status_code == 404


def test_a_stop_link_only_works_in_its_own_area(session: Session, db: Database) -> None:
    area = make_area(session)
    other = make_area(session, "northwick")
    report = make_report(session, area)
    token = _ask_directly(session, report)
    assert area.id is not None and other.id is not None
    with db.read() as read:
        assert not notices.stop_link_works(read, other.id, token)
        assert notices.stop_link_works(read, area.id, token)
    with db.transaction() as write:
        assert not notices.stop_by_token(write, other.id, token)
    assert _notice(session, report) is not None


def test_withdrawing_deletes_the_address(reporter: TestClient, session: Session) -> None:
    area = make_area(session)
    ordinary = make_report(session, area)
    kept = make_report(session, area, description=DISCLOSURE)
    for report in (ordinary, kept):
        assert _ask(reporter, report.receipt_code).status_code == 200
        assert _notice(session, report) is not None
        page = _track(reporter, report.receipt_code)
        withdrawn = reporter.post(
            "/track/withdraw", data={"code": report.receipt_code, "confirm": "yes", "csrf_token": csrf_from(page.text)}
        )
        assert withdrawn.status_code == 200
        assert _notice(session, report) is None
    assert session.get(Report, kept.id) is not None  # kept for safeguarding, the address gone all the same
    page = _track(reporter, kept.receipt_code)
    assert "Tell me when something changes" not in page.text


def test_the_address_is_never_on_a_staff_page_in_an_audit_row_or_in_the_log(
    client: TestClient, reporter: TestClient, session: Session, db: Database, smtp_server: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    area = make_area(session)
    context = make_context(session, area)
    published = make_published(session, area, context)
    urgent = make_report(session, area, description=DISCLOSURE)
    for report in (published, urgent):
        assert _ask(reporter, report.receipt_code).status_code == 200
    admin = make_staff(session, area, *(role.value for role in Role))
    _publish_action(session, area, admin, context, "Youth workers now visit on Friday evenings.")
    assert notices.run_notices(db, SmtpMailer(_mail_settings(smtp_server)), base_url="http://testserver", secret_key=TEST_SECRET).sent == 1
    sign_in(client, admin.email)
    pages = [
        "/staff/moderation", f"/staff/moderation/{urgent.id}", f"/staff/moderation/{published.id}",
        f"/staff/moderation/{urgent.id}/questions", "/staff/alerts", "/staff/register", f"/staff/register/contexts/{context.id}",
        "/staff/register/export.csv", "/staff/register/export.geojson", "/staff/register/panel.csv", "/staff/register/access-log",
        "/you-said-we-did",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert ADDRESS not in response.text and "asked to be told" not in response.text, path
    with db.engine.connect() as connection:
        for table in ("audit_event", "outbox_message", "report", "safeguarding_alert"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):  # noqa: S608 - our own table names
                assert not any(ADDRESS in str(value) for value in row), table
    # httpx is the test's own client, mail.log the test's own mail server (aiosmtpd); the rest is ours.
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "mail.log"))]
    assert ADDRESS not in "\n".join(r.getMessage() + (r.exc_text or "") for r in server)
    assert any(r.name == "safetymap.notices" for r in server)  # the round did log, in counts


# --- The round, through a real mail server --------------------------------------------------------


def _bodies(server: SmtpServer) -> list[str]:
    """What each email says, decoded (long lines travel quoted-printable)."""
    return [bytes(m.get_payload(decode=True)).decode() for m in server.messages]  # type: ignore[arg-type]


def _mail_settings(server: SmtpServer | None, port: int | None = None) -> Settings:
    return Settings(
        env="test", secret_key=SecretStr(TEST_SECRET), database_url="sqlite://", smtp_host="127.0.0.1",
        smtp_port=port or (server.port if server else free_port()), mail_from="safety-map@brackenford.example",
    )


def _ask_directly(session: Session, report: Report, address: str = ADDRESS, locale: str = "en", **kwargs: Any) -> str:
    """Ask as /track does; returns the stop link's token (as the reporter's email would carry it)."""
    notices.ask_to_be_told(session, notices.AddressBox(TEST_SECRET), report, address, locale, **kwargs)
    stored = _notice(session, report)
    assert stored is not None
    return notices.AddressBox(TEST_SECRET).open(stored.sealed)[1]


def _identity(area: Area, staff: Any) -> StaffIdentity:
    return StaffIdentity(user=staff, area=area, roles=frozenset(r.value for r in Role), session_id=0)


def _publish_action(session: Session, area: Area, staff: Any, context: Any, summary: str) -> None:
    identity = _identity(area, staff)
    action = actions.record_action(
        session, identity, context,
        actions.ActionInput(title="Youth work on Fridays", owner_organisation="Youth service", response_type="relational", status="in_progress", due_date=None),
    )
    actions.publish_action(session, identity, action, summary)


def _round(db: Database, server: SmtpServer | None, *, port: int | None = None, **kwargs: Any) -> notices.NoticeRound:
    mailer = SmtpMailer(_mail_settings(server, port))
    return notices.run_notices(db, mailer, base_url="http://testserver", secret_key=TEST_SECRET, **kwargs)


def test_news_is_one_email_that_says_only_that_there_is_news(session: Session, db: Database, smtp_server: SmtpServer) -> None:
    area = make_area(session)
    context = make_context(session, area, "Canal Walk")
    report = make_published(session, area, context)
    token = _ask_directly(session, report)
    assert _round(db, smtp_server).unchanged == 1
    assert smtp_server.messages == []  # nothing new: nothing sent

    _publish_action(session, area, make_staff(session, area, "moderator", "statutory"), context, "Lights fixed on the towpath.")
    result = _round(db, smtp_server)
    assert result.sent == 1
    [message] = smtp_server.messages
    assert message["X-Envelope-To"] == ADDRESS
    body = _bodies(smtp_server)[0]
    assert "There is news about something you told us" in body
    assert "http://testserver/track" in body
    assert f"http://testserver/track/notices/stop/{token}" in body
    for secret in (report.receipt_code, report.receipt_code.replace("-", ""), "Canal Walk", "Lights fixed", "alley", "Older lads"):
        assert secret not in body and secret not in str(message["Subject"])
    assert "<" not in body  # plain text, nothing remote to load

    assert _round(db, smtp_server).unchanged == 1  # told once; nothing new since
    assert len(smtp_server.messages) == 1


def test_a_second_change_the_same_day_waits_for_the_next_day(session: Session, db: Database, smtp_server: SmtpServer) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _ask_directly(session, report)
    moderator = make_staff(session, area, "moderator")
    now = utcnow()
    questions.ask(session, _identity(area, moderator), report, "Which end of the park was it?")
    assert _round(db, smtp_server, now=now).sent == 1

    fresh = session.get(Report, report.id)
    assert fresh is not None
    fresh.status, fresh.rejection_reason = "rejected", "duplicate"
    session.add(fresh)
    session.commit()
    later_today = _round(db, smtp_server, now=now + timedelta(hours=5))
    assert later_today.waiting == 1 and later_today.sent == 0
    assert len(smtp_server.messages) == 1
    tomorrow = _round(db, smtp_server, now=now + timedelta(days=1, minutes=1))
    assert tomorrow.sent == 1
    assert len(smtp_server.messages) == 2


def test_the_reporters_own_answer_is_not_news(session: Session, db: Database, smtp_server: SmtpServer) -> None:
    area = make_area(session, slug="brackenford")
    report = make_report(session, area)
    question = questions.ask(session, _identity(area, make_staff(session, area, "moderator")), report, "Which end of the park?")
    _ask_directly(session, report)  # asked to be told after the question was there: no news yet
    assert question.id is not None
    known = load_area_data(session, area)
    fresh = session.get(Report, report.id)
    assert fresh is not None
    questions.answer(session, fresh, question.id, "By the pond", questions.grade_answer("By the pond", known))
    assert _round(db, smtp_server).unchanged == 1
    assert smtp_server.messages == []


def test_a_mail_server_that_is_down_loses_nothing(session: Session, db: Database, smtp_server: SmtpServer) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _ask_directly(session, report)
    questions.ask(session, _identity(area, make_staff(session, area, "moderator")), report, "Which end of the park?")
    down = _round(db, None, port=free_port())  # nothing listens there
    assert down.retrying == 1 and down.sent == 0
    stored = _notice(session, report)
    assert stored is not None and stored.last_sent_at is None  # the claim was undone
    back = _round(db, smtp_server)
    assert back.sent == 1
    assert len(smtp_server.messages) == 1


def test_a_refusing_mail_server_is_tried_again(session: Session, db: Database, refusing_smtp_server: SmtpServer, smtp_server: SmtpServer) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _ask_directly(session, report)
    questions.ask(session, _identity(area, make_staff(session, area, "moderator")), report, "Which end of the park?")
    assert _round(db, refusing_smtp_server).retrying == 1
    assert _round(db, smtp_server).sent == 1


def test_a_rejected_report_gets_its_last_email_then_the_address_is_gone(session: Session, db: Database, smtp_server: SmtpServer) -> None:
    area = make_area(session)
    report = make_report(session, area)
    _ask_directly(session, report)
    report.status, report.rejection_reason = "rejected", "not_in_area"
    session.add(report)
    session.commit()
    result = _round(db, smtp_server)
    assert result.sent == 1
    assert "this is the last email we will send you about it" in _bodies(smtp_server)[0]
    assert "/track/notices/stop/" not in _bodies(smtp_server)[0]
    assert _notice(session, report) is None


def test_a_closed_context_is_news_and_the_last_of_it(session: Session, db: Database, smtp_server: SmtpServer, reporter: TestClient) -> None:
    area = make_area(session)
    context = make_context(session, area)
    report = make_published(session, area, context)
    _ask_directly(session, report)
    context.status = "closed"
    session.add(context)
    session.commit()
    page = _track(reporter, report.receipt_code)
    assert "have finished their work on this place for now" in page.text
    assert _round(db, smtp_server).sent == 1
    assert _notice(session, report) is None


def test_addresses_are_deleted_after_twelve_months(session: Session, db: Database, smtp_server: SmtpServer) -> None:
    area = make_area(session)
    old, recent = make_report(session, area), make_report(session, area)
    now = utcnow()
    _ask_directly(session, old, now=now - timedelta(days=366))
    _ask_directly(session, recent, "someone@example.org", now=now - timedelta(days=300))
    result = _round(db, smtp_server, now=now)
    assert result.forgotten == 1
    assert _notice(session, old) is None and _notice(session, recent) is not None
    assert smtp_server.messages == []


def test_a_changed_secret_key_deletes_the_rows_it_cannot_read(session: Session, db: Database, smtp_server: SmtpServer) -> None:
    area = make_area(session)
    report = make_report(session, area)
    notices.ask_to_be_told(session, notices.AddressBox("an-older-secret-key-that-was-replaced"), report, ADDRESS, "en")
    questions.ask(session, _identity(area, make_staff(session, area, "moderator")), report, "Which end of the park?")
    assert _round(db, smtp_server).forgotten == 1
    assert _notice(session, report) is None and smtp_server.messages == []


def test_notices_run_from_cron(settings: Settings, session: Session, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SAFETYMAP_DATABASE_URL": settings.database_url, "SAFETYMAP_DATA_DIR": str(settings.data_dir),
        "SAFETYMAP_SECRET_KEY": TEST_SECRET, "SAFETYMAP_SMTP_HOST": "127.0.0.1", "SAFETYMAP_SMTP_PORT": str(smtp_server.port),
    }.items():
        monkeypatch.setenv(name, value)
    area = make_area(session)
    report = make_report(session, area)
    _ask_directly(session, report)
    questions.ask(session, _identity(area, make_staff(session, area, "moderator")), report, "Which end of the park?")
    result = CliRunner().invoke(cli, ["notices", "run"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 email(s) about news" in result.output
    assert ADDRESS not in result.output
    assert len(smtp_server.messages) == 1
    monkeypatch.delenv("SAFETYMAP_SMTP_HOST")
    questions_again = CliRunner().invoke(cli, ["notices", "run"])
    assert questions_again.exit_code == 0
    assert "SAFETYMAP_SMTP_HOST is not set" in questions_again.output


def _track_page(browser: TestClient, code: str) -> str:
    return re.sub(r"name=\"csrf_token\" value=\"[^\"]*\"|hx-headers[^=]*='[^']*'", "", _track(browser, code).text)


def test_news_is_exactly_what_the_track_page_would_show_differently(
    reporter: TestClient, session: Session, db: Database, smtp_server: SmtpServer
) -> None:
    area = make_area(session)
    context = make_context(session, area)
    report = make_published(session, area, context)
    _ask_directly(session, report)
    page = _track_page(reporter, report.receipt_code)
    # What only staff see moves on: the reporter's page is the same, and nobody is emailed.
    context.status, context.strengths = "assessing", "A youth club nearby."
    session.add(context)
    session.commit()
    assert _track_page(reporter, report.receipt_code) == page
    assert _round(db, smtp_server).unchanged == 1
    # Something they would see: the page changes, and they are told.
    _publish_action(session, area, make_staff(session, area, "moderator", "statutory"), context, "A youth worker on Fridays.")
    assert _track_page(reporter, report.receipt_code) != page
    assert _round(db, smtp_server).sent == 1
