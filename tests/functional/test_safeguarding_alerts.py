"""Journey 2: a possible disclosure alerts the area's safeguarding contacts by email (a real SMTP server
on loopback), with a link and never the words, until a moderator acknowledges it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.config import Settings
from app.core.db import Database
from app.core.mail import SmtpMailer
from app.core.types import utcnow
from app.main import create_app
from app.moderation import alerts
from app.moderation.models import SafeguardingAlert
from tests.factories import make_area, make_report, make_staff
from tests.support import csrf_from, free_port, report_form, sign_in

DISCLOSURE = "He said if I tell anyone he will hurt my little sister. I have to hold stuff for him at his flat."


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def mailing_client(settings: Settings, db: Database, inbox: tuple[Inbox, int]) -> Iterator[TestClient]:
    settings.smtp_host = "127.0.0.1"
    settings.smtp_port = inbox[1]
    settings.alert_loop_seconds = 0.2
    with TestClient(create_app(settings, database=db), follow_redirects=False) as test_client:
        yield test_client


def _wait_for(predicate: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_possible_disclosure_emails_a_link_and_never_the_words(mailing_client: TestClient, session: Session, inbox: tuple[Inbox, int]) -> None:
    make_area(session, safeguarding_emails="safeguarding@brackenford.example, duty@brackenford.example")
    response = mailing_client.post("/report", data=report_form(mailing_client, description=DISCLOSURE))
    assert response.status_code == 200
    handler, _ = inbox
    _wait_for(lambda: handler.messages)
    message = handler.messages[0]
    body = message.get_payload()
    assert "duty@brackenford.example" in message["X-Envelope-To"]
    assert "/staff/moderation/" in body
    assert "sister" not in body and "flat" not in body and "sister" not in message["Subject"]
    # The mail server has it a moment before the loop records that it was sent.
    _wait_for(lambda: session.exec(select(AuditEvent).where(AuditEvent.action == "alert.sent")).first() is not None)


def test_unacknowledged_alert_is_sent_again_and_stops_once_acknowledged(settings: Settings, db: Database, session: Session, inbox: tuple[Inbox, int], client: TestClient) -> None:
    area = make_area(session)
    report = make_report(session, area, description=DISCLOSURE)
    handler, port = inbox
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    mailer = SmtpMailer(settings)
    now = utcnow()
    every = timedelta(minutes=30)
    assert alerts.run_due(db, mailer, base_url="http://testserver", resend_after=every, now=now) == 1
    assert alerts.run_due(db, mailer, base_url="http://testserver", resend_after=every, now=now + timedelta(minutes=5)) == 0
    assert alerts.run_due(db, mailer, base_url="http://testserver", resend_after=every, now=now + timedelta(minutes=31)) == 1
    assert "reminder" in handler.messages[-1].get_payload()

    sign_in(client, make_staff(session, area, "moderator").email)
    page = client.get(f"/staff/moderation/{report.id}")
    assert "Acknowledge the alert" in page.text
    client.post(f"/staff/moderation/{report.id}/acknowledge", data={"csrf_token": csrf_from(page.text)})
    assert alerts.run_due(db, mailer, base_url="http://testserver", resend_after=every, now=now + timedelta(hours=5)) == 0
    acknowledged = session.exec(select(SafeguardingAlert)).one()
    assert acknowledged.acknowledged_at is not None and acknowledged.sent_count == 2
    actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert {"alert.raised", "alert.sent", "alert.resent", "alert.acknowledged"} <= set(actions)


def test_mail_server_down_keeps_the_alert_due_and_nothing_is_lost(settings: Settings, db: Database, session: Session) -> None:
    area = make_area(session)
    make_report(session, area, description=DISCLOSURE)
    settings.smtp_host, settings.smtp_port = "127.0.0.1", free_port()  # nothing listens there
    every = timedelta(minutes=30)
    assert alerts.run_due(db, SmtpMailer(settings), base_url="http://testserver", resend_after=every) == 0
    alert = session.exec(select(SafeguardingAlert)).one()
    assert alert.last_sent_at is None and alert.last_error
    assert alerts.due_alert_ids(db, now=utcnow(), resend_after=every) == [alert.id]


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
    statuses = {r.id: r.status for r in session.exec(select(type(urgent))).all()}
    assert [statuses[r.id] for r in spam] == ["rejected"] * 3
    assert statuses[urgent.id] == "pending"
