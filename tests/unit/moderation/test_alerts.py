"""What the pages say about each safeguarding email: exactly what happened, never "sent" unless it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.moderation import alert_status, outbox
from app.moderation.models import OutboxMessage, OutboxPurpose, OutboxState

NOW = datetime(2026, 12, 3, 14, 20, tzinfo=UTC)
TWO = "safeguarding@brackenford.example, duty@brackenford.example"


def _message(**values: object) -> OutboxMessage:
    defaults: dict[str, object] = {"area_id": 1, "purpose": OutboxPurpose.ALERT, "recipients": TWO, "created_at": NOW - timedelta(minutes=17)}
    return OutboxMessage(**(defaults | values))


def test_a_sent_alert_says_to_how_many_contacts_and_when() -> None:
    sent = _message(state=OutboxState.SENT, attempts=1, sent_at=datetime(2026, 12, 3, 14, 3, tzinfo=UTC))
    assert alert_status.message_status(sent, now=NOW) == "Sent to 2 safeguarding contacts at 14:03"


def test_a_message_sent_on_another_day_gives_the_date() -> None:
    sent = _message(state=OutboxState.SENT, attempts=1, sent_at=datetime(2026, 12, 1, 9, 5, tzinfo=UTC))
    assert alert_status.message_status(sent, now=NOW) == "Sent to 2 safeguarding contacts at 01/12/2026, 09:05"


def test_without_a_mail_server_it_says_not_sent() -> None:
    message = _message(state=OutboxState.UNDELIVERABLE, attempts=1, last_error="not_configured")
    assert alert_status.message_status(message, now=NOW) == "Not sent: no mail server is set up"


def test_a_refused_message_says_when_it_is_tried_again_and_why() -> None:
    message = _message(state=OutboxState.QUEUED, attempts=3, last_error="refused:SMTPRecipientsRefused",
                       next_attempt_at=datetime(2026, 12, 3, 14, 10, tzinfo=UTC))
    assert alert_status.message_status(message, now=NOW) == "Trying again at 14:10: the mail server refused (SMTPRecipientsRefused)"


def test_a_failed_message_says_after_how_many_tries() -> None:
    message = _message(state=OutboxState.FAILED, attempts=8, last_error="unreachable:ConnectionRefusedError")
    assert alert_status.message_status(message, now=NOW) == "Failed after 8 tries: the mail server could not be reached (ConnectionRefusedError)"


def test_a_partly_refused_message_says_who_got_it() -> None:
    message = _message(state=OutboxState.SENT, attempts=1, sent_at=NOW, last_error="partly_refused:1")
    assert alert_status.message_status(message, now=NOW) == "Sent to 1 of 2 safeguarding contacts at 14:20; the mail server refused the others"


def test_escalations_and_review_reminders_name_who_they_went_to() -> None:
    escalation = _message(purpose=OutboxPurpose.ESCALATION, state=OutboxState.SENT, sent_at=NOW, recipients=TWO + ", manager@brackenford.example")
    assert alert_status.message_status(escalation, now=NOW) == "Sent to 3 safeguarding and escalation contacts at 14:20"
    overdue = _message(purpose=OutboxPurpose.OVERDUE, state=OutboxState.SENT, sent_at=NOW, recipients="mod@brackenford.example")
    assert alert_status.message_status(overdue, now=NOW) == "Sent to 1 moderator at 14:20"


def test_a_pattern_email_names_the_statutory_team_and_its_purpose() -> None:
    pattern = _message(purpose=OutboxPurpose.PATTERN, state=OutboxState.SENT, sent_at=NOW)
    assert alert_status.message_status(pattern, now=NOW) == "Sent to 2 members of the statutory team at 14:20"
    assert str(alert_status.PURPOSE_LABELS[OutboxPurpose.PATTERN]) == "Pattern found"


def test_a_queued_message_nobody_has_tried_says_the_sender_has_not_run() -> None:
    fresh = _message(state=OutboxState.QUEUED, attempts=0, created_at=NOW - timedelta(minutes=1), next_attempt_at=NOW - timedelta(minutes=1))
    assert alert_status.message_status(fresh, now=NOW) == "Waiting to be sent (queued at 14:19)"
    stale = _message(state=OutboxState.QUEUED, attempts=0, created_at=NOW - timedelta(minutes=20), next_attempt_at=NOW - timedelta(minutes=20))
    assert alert_status.message_status(stale, now=NOW) == "Waiting since 14:00: the alert sender has not run"


def test_the_backoff_doubles_from_one_minute_and_stops_at_an_hour() -> None:
    assert [outbox.backoff(n) // timedelta(minutes=1) for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_addresses_can_be_separated_by_commas_semicolons_or_new_lines_and_count_once() -> None:
    assert outbox.split_addresses("a@x.example; b@x.example,\nc@x.example a@x.example") == ["a@x.example", "b@x.example", "c@x.example"]
