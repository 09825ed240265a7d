"""Journey 2: a possible disclosure alerts the area's safeguarding contacts by email, with a link and
never the words, until a moderator acknowledges it; and everyone can see what happened to each email.

Mail goes to real SMTP servers on loopback (tests/smtp.py): one that accepts, one that refuses, or
none at all. The clock is passed in (`now`); nothing sleeps to wait for a retry or an escalation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.config import Settings
from app.core.db import Database
from app.core.mail import Mailer, NoMailServer, SmtpMailer
from app.core.types import utcnow
from app.main import create_app
from app.moderation import alert_status, alerts, outbox
from app.moderation.models import OutboxMessage, OutboxPurpose, OutboxState, SafeguardingAlert
from app.reports.models import Report
from tests.factories import make_area, make_report, make_staff
from tests.smtp import SmtpServer
from tests.support import csrf_from, free_port, report_form, sign_in

DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I have to hold stuff for him at his flat."
BASE = "http://testserver"
EVERY = timedelta(minutes=30)


def _mailer(settings: Settings, port: int) -> SmtpMailer:
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    return SmtpMailer(settings)


def _round(db: Database, mailer: Mailer, now: datetime, resend_after: timedelta = EVERY) -> alerts.RoundResult:
    return alerts.run_round(db, mailer, base_url=BASE, resend_after=resend_after, now=now)


def _messages(session: Session, **where: Any) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(session.exec(query).all())


def _actions(session: Session, prefix: str = "") -> list[str]:
    return [e.action for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all() if e.action.startswith(prefix)]


def _reload(session: Session, row: Any) -> Any:
    """The row as the app committed it (the test's session would otherwise keep its SQLite snapshot)."""
    session.rollback()  # ends the read transaction and its snapshot
    session.refresh(row)
    return row


def _wait_for(predicate: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def mailing_client(settings: Settings, db: Database, smtp_server: SmtpServer) -> Iterator[TestClient]:
    settings.smtp_host, settings.smtp_port = "127.0.0.1", smtp_server.port
    settings.alert_loop_seconds = 0.2
    with TestClient(create_app(settings, database=db), follow_redirects=False) as test_client:
        yield test_client


# --- Sent ------------------------------------------------------------------------------------


def test_possible_disclosure_emails_a_link_and_never_the_words(mailing_client: TestClient, session: Session, smtp_server: SmtpServer) -> None:
    make_area(session, safeguarding_emails="safeguarding@brackenford.example, duty@brackenford.example")
    response = mailing_client.post("/report", data=report_form(mailing_client, description=DISCLOSURE))
    assert response.status_code == 200
    _wait_for(lambda: smtp_server.messages)
    message = smtp_server.messages[0]
    body = str(message.get_payload())
    assert "duty@brackenford.example" in message["X-Envelope-To"]
    assert "/staff/moderation/" in body
    assert "sister" not in body and "flat" not in body and "sister" not in message["Subject"]
    # The mail server has it a moment before the loop records that it was sent.
    _wait_for(lambda: session.exec(select(OutboxMessage).where(OutboxMessage.state == OutboxState.SENT)).first() is not None)
    row = session.exec(select(OutboxMessage)).one()
    assert "sister" not in row.body and row.recipients == "safeguarding@brackenford.example, duty@brackenford.example"


def test_an_alert_email_is_an_outbox_row_sent_once_and_the_entry_says_so(
    settings: Settings, db: Database, session: Session, smtp_server: SmtpServer, client: TestClient,
) -> None:
    area = make_area(session, safeguarding_emails="safeguarding@brackenford.example, duty@brackenford.example")
    report = make_report(session, area, description=DISCLOSURE)
    mailer = _mailer(settings, smtp_server.port)
    now = utcnow()
    result = _round(db, mailer, now)
    assert (result.queued, result.delivery.sent) == (1, 1)
    assert _round(db, mailer, now + timedelta(minutes=1)).delivery.sent == 0
    [row] = _messages(session)
    assert (row.state, row.attempts, row.purpose, row.report_id, row.sent_at) == (OutboxState.SENT, 1, OutboxPurpose.ALERT, report.id, now)
    assert len(smtp_server.messages) == 1
    assert f"{BASE}/staff/moderation/{report.id}" in smtp_server.bodies()[0]
    assert {"alert.raised", "outbox.queued", "outbox.sent"} <= set(_actions(session))

    sign_in(client, make_staff(session, area, "moderator").email)
    page = client.get(f"/staff/moderation/{report.id}").text
    assert "Alert</strong>: Sent to 2 safeguarding contacts at " in page
    assert "were alerted by email" not in page


def test_unacknowledged_alert_is_sent_again_and_stops_once_acknowledged(
    settings: Settings, db: Database, session: Session, smtp_server: SmtpServer, client: TestClient,
) -> None:
    area = make_area(session, urgent_response_minutes=1440)  # no escalation in this test
    report = make_report(session, area, description=DISCLOSURE)
    mailer = _mailer(settings, smtp_server.port)
    now = utcnow()
    assert _round(db, mailer, now).delivery.sent == 1
    assert _round(db, mailer, now + timedelta(minutes=5)).delivery.sent == 0
    assert _round(db, mailer, now + timedelta(minutes=31)).delivery.sent == 1
    assert "reminder" in smtp_server.bodies()[-1]

    sign_in(client, make_staff(session, area, "moderator").email)
    page = client.get(f"/staff/moderation/{report.id}")
    assert "Acknowledge the alert" in page.text
    client.post(f"/staff/moderation/{report.id}/acknowledge", data={"csrf_token": csrf_from(page.text)})
    assert _round(db, mailer, now + timedelta(hours=5)).delivery.sent == 0
    acknowledged = session.exec(select(SafeguardingAlert)).one()
    assert acknowledged.acknowledged_at is not None and acknowledged.sent_count == 2
    assert [m.purpose for m in _messages(session)] == [OutboxPurpose.ALERT, OutboxPurpose.RESEND]
    assert {"alert.raised", "outbox.sent", "alert.acknowledged"} <= set(_actions(session))


# --- Refused, and retried --------------------------------------------------------------------


def test_a_refusing_server_is_retried_with_backoff_then_failed_and_the_alert_stays_open(
    settings: Settings, db: Database, session: Session, refusing_smtp_server: SmtpServer, client: TestClient,
) -> None:
    area = make_area(session)
    report = make_report(session, area, description=DISCLOSURE)
    mailer = _mailer(settings, refusing_smtp_server.port)
    quiet = timedelta(days=7)  # no reminders in this test: only the first email's retries
    start = utcnow()
    _round(db, mailer, start, quiet)
    [row] = _messages(session)
    assert (row.state, row.attempts, row.last_error) == (OutboxState.QUEUED, 1, "refused:SMTPRecipientsRefused")
    assert row.next_attempt_at == start + timedelta(minutes=1)
    # Not due yet: nothing is tried.
    assert _round(db, mailer, start + timedelta(seconds=30), quiet).delivery.retrying == 0

    sign_in(client, make_staff(session, area, "moderator").email)
    page = client.get(f"/staff/moderation/{report.id}").text
    assert "Trying again at" in page and "the mail server refused (SMTPRecipientsRefused)" in page
    assert "were alerted by email" not in page
    assert "No email about this entry has reached the safeguarding contacts" in page

    gaps = []  # minutes from each try to the next
    while row.state == OutboxState.QUEUED:
        assert row.next_attempt_at is not None
        due = row.next_attempt_at
        _round(db, mailer, due, quiet)
        row = _reload(session, row)
        if row.state == OutboxState.QUEUED:
            assert row.next_attempt_at is not None
            gaps.append(round((row.next_attempt_at - due).total_seconds() / 60))
    assert gaps == [2, 4, 8, 16, 32, 60]
    assert (row.state, row.attempts) == (OutboxState.FAILED, outbox.MAX_ATTEMPTS)
    assert refusing_smtp_server.messages == []
    alert = session.exec(select(SafeguardingAlert)).one()
    assert alert.acknowledged_at is None and alert.sent_count == 0
    assert "outbox.retry_scheduled" in _actions(session) and "outbox.failed" in _actions(session)

    page = client.get(f"/staff/moderation/{report.id}").text
    assert f"Failed after {outbox.MAX_ATTEMPTS} tries: the mail server refused (SMTPRecipientsRefused)" in page
    assert "Acknowledge the alert" in page


def test_mail_server_down_keeps_the_message_queued_for_its_next_try(settings: Settings, db: Database, session: Session) -> None:
    area = make_area(session)
    make_report(session, area, description=DISCLOSURE)
    mailer = _mailer(settings, free_port())  # nothing listens there
    now = utcnow()
    assert _round(db, mailer, now).delivery.retrying == 1
    [row] = _messages(session)
    assert row.state == OutboxState.QUEUED and row.last_error == "unreachable:ConnectionRefusedError"
    assert "could not be reached" in alert_status.message_status(row, now=now)


# --- No mail server at all -------------------------------------------------------------------


def test_without_a_mail_server_alerts_are_undeliverable_at_once_and_every_page_says_so(
    db: Database, session: Session, client: TestClient,
) -> None:
    area = make_area(session)
    report = make_report(session, area, description=DISCLOSURE)
    assert isinstance(client.app.state.mailer, NoMailServer)  # type: ignore[attr-defined]
    result = _round(db, client.app.state.mailer, utcnow())  # type: ignore[attr-defined]
    assert result.delivery.undeliverable == 1
    [row] = _messages(session)
    assert (row.state, row.last_error) == (OutboxState.UNDELIVERABLE, "not_configured")
    assert "outbox.undeliverable" in _actions(session)

    sign_in(client, make_staff(session, area, "admin").email)
    page = client.get(f"/staff/moderation/{report.id}").text
    assert "Not sent: no mail server is set up" in page
    assert "were alerted by email" not in page and "Sent to" not in page
    queue = client.get("/staff/moderation").text
    assert "1 safeguarding alert has not reached anyone by email." in queue and "No mail server is set up." in queue

    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "database": db.engine.dialect.name, "mail": "not_configured", "redis": "not_configured"}


def test_without_a_mail_server_reminders_wait_and_go_once_one_is_set_up(
    settings: Settings, db: Database, session: Session, smtp_server: SmtpServer,
) -> None:
    area = make_area(session, urgent_response_minutes=1440)  # no escalation in this test
    make_report(session, area, description=DISCLOSURE)
    now = utcnow()
    _round(db, NoMailServer(), now)
    _round(db, NoMailServer(), now + timedelta(hours=2))  # no pile of undeliverable reminders
    assert [(m.purpose, m.state) for m in _messages(session)] == [(OutboxPurpose.ALERT, OutboxState.UNDELIVERABLE)]
    _round(db, _mailer(settings, smtp_server.port), now + timedelta(hours=2, minutes=1))
    assert [(m.purpose, m.state) for m in _messages(session)] == [
        (OutboxPurpose.ALERT, OutboxState.UNDELIVERABLE), (OutboxPurpose.RESEND, OutboxState.SENT),
    ]
    assert len(smtp_server.messages) == 1


def test_with_nobody_to_tell_the_email_is_undeliverable_and_says_why(settings: Settings, db: Database, session: Session, smtp_server: SmtpServer) -> None:
    area = make_area(session, safeguarding_emails="")
    make_report(session, area, description=DISCLOSURE)
    _round(db, _mailer(settings, smtp_server.port), utcnow())
    [row] = _messages(session)
    assert (row.state, row.last_error) == (OutboxState.UNDELIVERABLE, "no_recipients")
    assert alert_status.message_status(row) == "Not sent: there is nobody to send it to"


# --- Crashes and several processes -----------------------------------------------------------


def test_a_message_left_sending_by_a_crash_goes_back_to_the_queue_after_five_minutes(
    settings: Settings, db: Database, session: Session, smtp_server: SmtpServer,
) -> None:
    area = make_area(session)
    make_report(session, area, description=DISCLOSURE)
    now = utcnow()
    assert alerts.queue_alert_messages(db, base_url=BASE, resend_after=EVERY, now=now) == 1
    [row] = _messages(session)
    assert outbox._claim(db, row.id or 0, now=now) is not None  # claimed, then the process died
    mailer = _mailer(settings, smtp_server.port)
    assert outbox.deliver_due(db, mailer, now=now + timedelta(minutes=4)).sent == 0
    row = _reload(session, row)
    assert row.state == OutboxState.SENDING
    delivery = outbox.deliver_due(db, mailer, now=now + timedelta(minutes=5, seconds=1))
    assert (delivery.recovered, delivery.sent) == (1, 1)
    row = _reload(session, row)
    assert (row.state, row.attempts) == (OutboxState.SENT, 2)
    assert len(smtp_server.messages) == 1
    assert "outbox.interrupted" in _actions(session)


def test_two_delivery_rounds_at_once_send_each_message_once(
    settings: Settings, db: Database, session: Session, smtp_server: SmtpServer,
) -> None:
    area = make_area(session)
    for _ in range(6):
        make_report(session, area, description=DISCLOSURE)
    now = utcnow()
    assert alerts.queue_alert_messages(db, base_url=BASE, resend_after=EVERY, now=now) == 6
    mailer = _mailer(settings, smtp_server.port)
    start = threading.Barrier(2)
    results: list[outbox.Delivery] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait()
            results.append(outbox.deliver_due(db, mailer, now=now))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sum(r.sent for r in results) == 6
    assert len(smtp_server.messages) == 6
    assert {(m.state, m.attempts) for m in _messages(session)} == {(OutboxState.SENT, 1)}


def test_two_rounds_queue_an_alert_once(db: Database, session: Session) -> None:
    area = make_area(session)
    make_report(session, area, description=DISCLOSURE)
    now = utcnow()
    assert alerts.queue_alert_messages(db, base_url=BASE, resend_after=EVERY, now=now) == 1
    assert alerts.queue_alert_messages(db, base_url=BASE, resend_after=EVERY, now=now) == 0
    assert len(_messages(session)) == 1


# --- Escalation and review reminders ---------------------------------------------------------


def test_an_urgent_entry_nobody_opens_in_time_escalates_to_both_lists_once(
    settings: Settings, db: Database, session: Session, smtp_server: SmtpServer,
) -> None:
    area = make_area(session, urgent_response_minutes=15, escalation_emails="manager@brackenford.example; safeguarding@brackenford.example")
    report = make_report(session, area, description=DISCLOSURE)
    mailer = _mailer(settings, smtp_server.port)
    opened = report.created_at
    assert _round(db, mailer, opened + timedelta(minutes=14)).escalated == 0
    result = _round(db, mailer, opened + timedelta(minutes=16))
    assert result.escalated == 1
    [escalation] = _messages(session, purpose=OutboxPurpose.ESCALATION)
    assert escalation.recipients == "safeguarding@brackenford.example, manager@brackenford.example"
    assert escalation.state == OutboxState.SENT and escalation.alert_id is not None
    sent = [m for m in smtp_server.messages if "nobody has opened" in m["Subject"]]
    assert len(sent) == 1 and sent[0]["X-Envelope-To"] == "safeguarding@brackenford.example, manager@brackenford.example"
    assert "sister" not in str(sent[0].get_payload())
    alert = session.exec(select(SafeguardingAlert)).one()
    assert alert.escalated_at == opened + timedelta(minutes=16)
    assert _round(db, mailer, opened + timedelta(minutes=45)).escalated == 0
    assert len(_messages(session, purpose=OutboxPurpose.ESCALATION)) == 1
    assert _actions(session, "alert.escalated") == ["alert.escalated"]


def test_an_urgent_entry_opened_in_time_does_not_escalate(
    settings: Settings, db: Database, session: Session, smtp_server: SmtpServer, client: TestClient,
) -> None:
    area = make_area(session, escalation_emails="manager@brackenford.example")
    report = make_report(session, area, description=DISCLOSURE)
    moderator = make_staff(session, area, "moderator")
    sign_in(client, moderator.email)
    assert client.get(f"/staff/moderation/{report.id}").status_code == 200
    report = _reload(session, report)
    first = report.first_opened_at
    assert first is not None and report.first_opened_by_id == moderator.id
    client.get(f"/staff/moderation/{report.id}")  # the second look changes nothing
    report = _reload(session, report)
    assert report.first_opened_at == first
    assert _actions(session, "report.first_opened") == ["report.first_opened"]
    result = _round(db, _mailer(settings, smtp_server.port), report.created_at + timedelta(minutes=60))
    assert result.escalated == 0
    assert _messages(session, purpose=OutboxPurpose.ESCALATION) == []


def test_an_entry_waiting_past_the_review_time_tells_the_moderators_once(
    settings: Settings, db: Database, session: Session, smtp_server: SmtpServer, client: TestClient,
) -> None:
    area = make_area(session, review_hours=24)
    other = make_area(session, "northwick")
    report = make_report(session, area)
    make_staff(session, area, "moderator", email="mod.one@brackenford.example")
    make_staff(session, area, "moderator", email="mod.two@brackenford.example")
    make_staff(session, area, "statutory", email="panel@brackenford.example")
    make_staff(session, other, "moderator", email="mod@northwick.example")
    mailer = _mailer(settings, smtp_server.port)
    assert _round(db, mailer, report.created_at + timedelta(hours=23)).overdue == 0
    assert _round(db, mailer, report.created_at + timedelta(hours=25)).overdue == 1
    [reminder] = _messages(session, purpose=OutboxPurpose.OVERDUE)
    assert reminder.recipients == "mod.one@brackenford.example, mod.two@brackenford.example"
    assert reminder.state == OutboxState.SENT and f"/staff/moderation/{report.id}" in reminder.body
    assert _round(db, mailer, report.created_at + timedelta(hours=50)).overdue == 0
    assert len(_messages(session, purpose=OutboxPurpose.OVERDUE)) == 1
    report = _reload(session, report)
    assert report.overdue_alerted_at == report.created_at + timedelta(hours=25)
    assert "moderation.review_overdue" in _actions(session)

    sign_in(client, "mod.one@brackenford.example")
    page = client.get(f"/staff/moderation/{report.id}").text
    assert "Waited too long" in page and "Sent to 2 moderators at" in page


def test_several_overdue_entries_share_one_reminder_that_each_entry_shows(
    settings: Settings, db: Database, session: Session, smtp_server: SmtpServer,
) -> None:
    area = make_area(session)
    make_staff(session, area, "moderator")
    reports = [make_report(session, area) for _ in range(3)]
    later = max(r.created_at for r in reports) + timedelta(hours=25)
    assert _round(db, _mailer(settings, smtp_server.port), later).overdue == 3
    [reminder] = _messages(session, purpose=OutboxPurpose.OVERDUE)
    assert reminder.report_id is None and "3 entries" in reminder.subject
    for report in reports:
        report = _reload(session, report)
        assert [m.id for m in alert_status.messages_for_report(session, report)] == [reminder.id]


# --- Pages -----------------------------------------------------------------------------------


def test_the_alerts_page_lists_alerts_and_emails_by_state_for_the_areas_admins_only(db: Database, session: Session, client: TestClient) -> None:
    home = make_area(session)
    other = make_area(session, "northwick")
    mine = make_report(session, home, description=DISCLOSURE)
    theirs = make_report(session, other, description=DISCLOSURE)
    _round(db, NoMailServer(), utcnow())
    sign_in(client, make_staff(session, home, "admin").email)
    page = client.get("/staff/alerts").text
    assert f"Alert for entry #{mine.id}" in page and "Not sent: no mail server is set up" in page
    assert f"Alert for entry #{theirs.id}" not in page and "northwick" not in page
    assert "No mail server is set up" in page
    assert f"Alert for entry #{mine.id}" in client.get("/staff/alerts?state=undeliverable").text
    assert f"Alert for entry #{mine.id}" not in client.get("/staff/alerts?state=sent").text


def test_moderators_cannot_open_the_alerts_page(session: Session, client: TestClient) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "moderator").email)
    assert client.get("/staff/alerts").status_code == 403


def test_admins_set_the_response_times_and_escalation_contacts_with_clear_messages(session: Session, client: TestClient) -> None:
    area = make_area(session)
    sign_in(client, make_staff(session, area, "admin").email)
    page = client.get("/staff/admin/safeguarding")
    assert page.status_code == 200 and "safeguarding@brackenford.example" in page.text
    token = csrf_from(page.text)
    bad = client.post("/staff/admin/safeguarding", data={
        "csrf_token": token, "safeguarding_emails": "", "escalation_emails": "not an address",
        "urgent_response_minutes": "0", "review_hours": "soon",
    })
    assert bad.status_code == 400
    for message in ("Enter at least one safeguarding contact", "Check the escalation addresses", "from 1 to 1440", "from 1 to 720"):
        assert message in bad.text
    good = client.post("/staff/admin/safeguarding", data={
        "csrf_token": token, "safeguarding_emails": "duty@brackenford.example,\nlead@brackenford.example",
        "escalation_emails": "manager@brackenford.example", "urgent_response_minutes": " 10 ", "review_hours": "48",
    })
    assert good.status_code == 303
    area = _reload(session, area)
    assert (area.safeguarding_emails, area.escalation_emails, area.urgent_response_minutes, area.review_hours) == (
        "duty@brackenford.example, lead@brackenford.example", "manager@brackenford.example", 10, 48,
    )
    assert "area.safeguarding_settings_changed" in _actions(session)


# --- /healthz --------------------------------------------------------------------------------


def _health(settings: Settings, db: Database) -> Any:
    with TestClient(create_app(settings, database=db)) as health_client:
        return health_client.get("/healthz")


def test_healthz_is_ok_with_a_mail_server_and_no_trouble(settings: Settings, db: Database, smtp_server: SmtpServer) -> None:
    settings.smtp_host, settings.smtp_port = "127.0.0.1", smtp_server.port
    response = _health(settings, db)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": db.engine.dialect.name, "mail": "ok", "redis": "not_configured"}


def test_healthz_says_mail_is_failing_when_a_message_failed_or_is_retrying(
    settings: Settings, db: Database, session: Session, refusing_smtp_server: SmtpServer,
) -> None:
    area = make_area(session)
    make_report(session, area, description=DISCLOSURE)
    _round(db, _mailer(settings, refusing_smtp_server.port), utcnow())
    response = _health(settings, db)
    assert response.status_code == 200
    assert response.json()["status"] == "degraded" and response.json()["mail"] == "failing"


def test_healthz_says_mail_is_failing_when_nobody_sends_what_is_due(settings: Settings, db: Database, session: Session) -> None:
    area = make_area(session)
    make_report(session, area, description=DISCLOSURE)
    now = utcnow()
    alerts.queue_alert_messages(db, base_url=BASE, resend_after=EVERY, now=now - timedelta(minutes=10))
    with db.session() as read:
        assert outbox.mail_health(read, configured=True, now=now) == "failing"
        assert outbox.mail_health(read, configured=True, now=now - timedelta(minutes=9)) == "ok"
        assert outbox.mail_health(read, configured=False, now=now) == "not_configured"


def test_healthz_reports_redis_ok_and_failing(settings: Settings, db: Database, smtp_server: SmtpServer) -> None:
    settings.smtp_host, settings.smtp_port = "127.0.0.1", smtp_server.port
    settings.redis_url = "redis://127.0.0.1:6379/0"
    response = _health(settings, db)
    assert response.json()["redis"] == "ok" and response.json()["status"] == "ok"
    settings.redis_url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    response = _health(settings, db)
    assert response.status_code == 200
    assert response.json()["redis"] == "failing" and response.json()["status"] == "degraded"


def test_healthz_is_unavailable_when_the_database_does_not_answer(settings: Settings, tmp_path: Any) -> None:
    down = settings.model_copy(update={"database_url": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"})
    database = Database(down)
    try:
        response = _health(down, database)
    finally:
        database.dispose()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable", "mail": "not_configured", "redis": "not_configured"}


# --- Unchanged behaviour ---------------------------------------------------------------------


def test_calm_reports_raise_no_alert(session: Session) -> None:
    area = make_area(session)
    make_report(session, area, description="Someone got stabbed there two years ago so I avoid the cut-through.")
    assert session.exec(select(SafeguardingAlert)).all() == []


def test_bulk_spam_rejection_never_touches_urgent_entries(client: TestClient, session: Session) -> None:
    area = make_area(session)
    spam = [make_report(session, area, description=f"buy cheap trainers now {n}") for n in range(3)]
    urgent = make_report(session, area, description=DISCLOSURE)
    sign_in(client, make_staff(session, area, "moderator").email)
    token = csrf_from(client.get("/staff/moderation").text)
    ids = [str(r.id) for r in [*spam, urgent]]
    client.post("/staff/moderation/bulk", data={"csrf_token": token, "action": "reject_spam", "report_id": ids})
    statuses = {r.id: r.status for r in session.exec(select(Report)).all()}
    assert [statuses[r.id] for r in spam] == ["rejected"] * 3
    assert statuses[urgent.id] == "pending"


# --- "possible" waits for a moderator ------------------------------------------------------------


def _possible(session: Session, area: Any) -> Report:
    """An entry triage graded "possible" (most of which, in real use, are not disclosures)."""
    report = make_report(session, area, description=DISCLOSURE)
    report.urgency = "possible"
    session.add(report)
    session.commit()
    return report


def test_a_possible_flag_emails_nobody_until_the_response_time_passes_unopened(
    settings: Settings, db: Database, session: Session, smtp_server: SmtpServer,
) -> None:
    area = make_area(session, urgent_response_minutes=15, escalation_emails="manager@brackenford.example")
    report = _possible(session, area)
    mailer = _mailer(settings, smtp_server.port)
    assert _round(db, mailer, report.created_at + timedelta(minutes=10)).queued == 0
    assert _messages(session) == []
    with db.session() as read:
        assert outbox.mail_health(read, configured=True, now=report.created_at + timedelta(minutes=10)) == "ok"
        assert alert_status.undelivered_alerts(read, area.id, now=report.created_at + timedelta(minutes=10)).alerts == 0
        entry = read.get(Report, report.id)
        assert entry is not None
        assert alert_status.entry_emails(read, entry, alerts.open_alert_for(read, area.id, entry.id)).held  # type: ignore[arg-type]
    assert _round(db, mailer, report.created_at + timedelta(minutes=16)).escalated == 1
    # The escalation is its first email: no separate alert copy straight after it.
    _round(db, mailer, report.created_at + timedelta(minutes=17))
    assert [m.purpose for m in _messages(session)] == [OutboxPurpose.ESCALATION]


def test_a_moderator_confirming_a_possible_flag_emails_the_safeguarding_contacts_at_once(
    settings: Settings, db: Database, session: Session, smtp_server: SmtpServer, client: TestClient,
) -> None:
    area = make_area(session)
    report = _possible(session, area)
    sign_in(client, make_staff(session, area, "moderator").email)
    page = client.get(f"/staff/moderation/{report.id}")
    assert "Nobody has been emailed yet: a moderator reads it first." in page.text
    said = client.post(f"/staff/moderation/{report.id}/safeguarding-call", data={"csrf_token": csrf_from(page.text), "urgent": "yes"})
    assert said.status_code == 303
    result = _round(db, _mailer(settings, smtp_server.port), report.created_at + timedelta(minutes=2))
    assert result.queued == 1
    assert [m.purpose for m in _messages(session)] == [OutboxPurpose.ALERT]


def test_a_likely_flag_is_emailed_at_once(settings: Settings, db: Database, session: Session, smtp_server: SmtpServer) -> None:
    area = make_area(session)
    report = make_report(session, area, description=DISCLOSURE)
    assert report.urgency == "likely"
    assert _round(db, _mailer(settings, smtp_server.port), report.created_at + timedelta(seconds=5)).queued == 1
