"""The outbox: every email is an `OutboxMessage` row first, then delivered, retried and recorded.

A message is rendered from templates/email/ in the area's language when it is queued (a link to the
entry, never the report's words). The round (app.moderation.alerts.run_round) delivers due rows.
Several app processes may deliver at once: each claims a row with a conditional UPDATE, so one
message is sent by one process. A row left in `sending` by a process that died goes back to the
queue once its lease runs out (so an email may, rarely, go twice; it is never silently lost). A
failed try waits longer each time (`backoff`); after MAX_ATTEMPTS the message has failed, for all
to see.

`mail_health` is /healthz's one word for all this. It does not count an alert held for a moderator
(`_held`) as a mail fault; the hold rule lives here because the round (alerts.py), the queue's
warning (alert_status.py) and /healthz must agree on it, and all three build on this module.

Every function takes `now`, so tests drive the clock and never sleep.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from app.areas.models import Area
from app.audit import service as audit
from app.core import i18n
from app.core.db import Database
from app.core.mail import Mailer, MailError, MailProblem, OutgoingMail
from app.core.templating import render_string
from app.core.types import utcnow
from app.moderation.models import (
    OutboxMessage,
    OutboxPurpose,
    OutboxState,
    SafeguardingAlert,
    TriageLabel,
)
from app.reports.models import Report

# The log keeps the name it had before the outbox had its own module.
log = logging.getLogger("safetymap.alerts")

# A message is tried this many times (about 3 hours with the backoff below), then marked failed.
MAX_ATTEMPTS = 8
BACKOFF_CAP = timedelta(minutes=60)
# A process that claimed a message has this long to record what happened; after that the message
# is taken to be abandoned (the process died) and goes back to the queue.
SENDING_LEASE = timedelta(minutes=5)
# /healthz: a due message nobody has tried for this long means no sender is running.
SENDER_LATE = timedelta(minutes=5)
# /healthz: a failed message within this window makes mail "failing".
FAILING_WINDOW = timedelta(hours=24)
PARTLY_REFUSED = "partly_refused"
UNFINISHED = (OutboxState.QUEUED, OutboxState.SENDING)
NOT_DELIVERED = (OutboxState.FAILED, OutboxState.UNDELIVERABLE)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the n-th failed try: 1, 2, 4, 8, 16, 32, then 60 minutes."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def split_addresses(text: str) -> list[str]:
    """Addresses typed by an admin, separated by commas, semicolons, spaces or new lines; each once."""
    seen: dict[str, None] = {}
    for address in re.split(r"[,;\s]+", text or ""):
        if address.strip():
            seen.setdefault(address.strip(), None)
    return list(seen)


# --- Alerts held for a moderator -----------------------------------------------------------------


def _held() -> Any:
    """A "possible" flag waits for a moderator before anyone is emailed: most of them are not
    disclosures (see bench/README.md, precision at a realistic prevalence), and emailing every one
    would teach the safeguarding contacts to ignore alerts. It stays at the top of the queue; its
    first email is the escalation if nobody opens it within the area's urgent response time, and a
    moderator's "Yes, someone may be in danger" sends it at once. "likely", a triage fault and a
    moderator marking an entry urgent email straight away.

    One SQL condition on SafeguardingAlert, so the email round, the queue's warning and /healthz
    agree and none of them asks per alert."""
    possible = select(Report.id).where(col(Report.id) == col(SafeguardingAlert.report_id), col(Report.urgency) == "possible")
    said_urgent = select(TriageLabel.id).where(
        col(TriageLabel.report_id) == col(SafeguardingAlert.report_id), col(TriageLabel.urgent).is_(True)
    )
    return and_(
        col(SafeguardingAlert.last_sent_at).is_(None), col(SafeguardingAlert.escalated_at).is_(None),
        possible.exists(), ~said_urgent.exists(),
    )


def held_for_a_moderator(session: Session, alert: SafeguardingAlert) -> bool:
    query = select(SafeguardingAlert.id).where(col(SafeguardingAlert.id) == alert.id, _held())
    return session.exec(query).first() is not None



# --- Queueing ------------------------------------------------------------------------------------


EMAIL_LANGUAGE_BREAK = "\n\n- - -\n\n"


def _render(area: Area, template: str, context: dict[str, Any]) -> tuple[str, str]:
    """The email in each of the area's alert languages, in its order: one subject line joined with
    " / ", the bodies one after another. One email, so nobody waits for a second one."""
    previous = i18n.get_locale()
    subjects: list[str] = []
    bodies: list[str] = []
    try:
        for locale in area.alert_locale_list:
            i18n.set_locale(locale)
            subjects.append(render_string(f"email/{template}/subject.txt", {"area": area, **context}).strip())
            bodies.append(render_string(f"email/{template}/body.txt", {"area": area, **context}).strip() + "\n")
    finally:
        i18n.set_locale(previous)
    return " / ".join(dict.fromkeys(subjects)), EMAIL_LANGUAGE_BREAK.join(bodies)


def enqueue(
    session: Session, area: Area, purpose: OutboxPurpose, to: Iterable[str], template: str, context: dict[str, Any], *,
    now: datetime, alert_id: int | None = None, report_id: int | None = None,
) -> OutboxMessage:
    """Store one email to send. With nobody to send it to, it is undeliverable at once, for all to see."""
    assert area.id is not None
    addresses = list(dict.fromkeys(to))
    subject, body = _render(area, template, context)
    message = OutboxMessage(
        area_id=area.id, alert_id=alert_id, report_id=report_id, purpose=purpose, recipients=", ".join(addresses),
        subject=subject[:300], body=body, locale=area.alert_locale_list[0], created_at=now, next_attempt_at=now,
    )
    if not addresses:
        message.state = OutboxState.UNDELIVERABLE
        message.last_error = MailProblem.NO_RECIPIENTS
    session.add(message)
    session.flush()
    audit.record(
        session, "outbox.queued", area_id=area.id, subject_type="outbox_message", subject_id=message.id,
        purpose=str(purpose), alert_id=alert_id, report_id=report_id, recipients=len(addresses),
    )
    if not addresses:
        audit.record(session, "outbox.undeliverable", area_id=area.id, subject_type="outbox_message", subject_id=message.id, reason=MailProblem.NO_RECIPIENTS)
    return message


# --- Delivering --------------------------------------------------------------------------------


@dataclass
class Delivery:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    undeliverable: int = 0
    recovered: int = 0

    def count(self, state: str) -> None:
        if state == OutboxState.SENT:
            self.sent += 1
        elif state == OutboxState.QUEUED:
            self.retrying += 1
        elif state == OutboxState.FAILED:
            self.failed += 1
        elif state == OutboxState.UNDELIVERABLE:
            self.undeliverable += 1


def recover_abandoned(db: Database, *, now: datetime) -> int:
    """Messages whose sender stopped half way (its lease ran out) go back to the queue."""
    with db.session() as session:
        stuck = session.exec(
            select(OutboxMessage.id).where(col(OutboxMessage.state) == OutboxState.SENDING, col(OutboxMessage.next_attempt_at) <= now)
        ).all()
    recovered = 0
    for message_id in stuck:
        with db.transaction() as session:
            message = session.get(OutboxMessage, message_id)
            if message is None:
                continue
            state = OutboxState.FAILED if message.attempts >= MAX_ATTEMPTS else OutboxState.QUEUED
            result = session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.state) == OutboxState.SENDING, col(OutboxMessage.next_attempt_at) <= now)
                .values(state=state, next_attempt_at=now, last_error=MailProblem.INTERRUPTED)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                audit.record(
                    session, "outbox.interrupted", area_id=message.area_id, subject_type="outbox_message", subject_id=message_id,
                    attempts=message.attempts, state=str(state),
                )
                recovered += 1
    return recovered


def deliver_due(db: Database, mailer: Mailer, *, now: datetime, limit: int = 100) -> Delivery:
    """Send the messages that are due, each claimed by exactly one caller."""
    delivery = Delivery(recovered=recover_abandoned(db, now=now))
    with db.session() as session:
        due = session.exec(
            select(OutboxMessage.id)
            .where(col(OutboxMessage.state) == OutboxState.QUEUED, col(OutboxMessage.next_attempt_at) <= now)
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(limit)
        ).all()
    for message_id in due:
        if message_id is not None:
            state = deliver_one(db, mailer, message_id, now=now)
            if state:
                delivery.count(state)
    return delivery


def _claim(db: Database, message_id: int, *, now: datetime) -> OutboxMessage | None:
    with db.transaction() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.state) == OutboxState.QUEUED, col(OutboxMessage.next_attempt_at) <= now)
            .values(state=OutboxState.SENDING, attempts=col(OutboxMessage.attempts) + 1, next_attempt_at=now + SENDING_LEASE)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        return session.get(OutboxMessage, message_id)


def deliver_one(db: Database, mailer: Mailer, message_id: int, *, now: datetime) -> str | None:
    """Try one message if it is still queued and due; returns its new state (None: not ours)."""
    message = _claim(db, message_id, now=now)
    if message is None:
        return None
    addresses = tuple(split_addresses(message.recipients))
    try:
        if not addresses:
            raise MailError(MailProblem.NO_RECIPIENTS)
        # No transaction is open while the mail server takes its time.
        refused = mailer.send(OutgoingMail(to=addresses, subject=message.subject, body=message.body))
    except MailError as exc:
        return _record_failure(db, message, exc, now=now)
    return _record_sent(db, message, accepted=len(addresses) - len(refused), refused=len(refused), now=now)


def _ours(message: OutboxMessage) -> Any:
    """Only the claim that is still current may record the outcome."""
    return and_(col(OutboxMessage.id) == message.id, col(OutboxMessage.state) == OutboxState.SENDING, col(OutboxMessage.attempts) == message.attempts)


def _record_sent(db: Database, message: OutboxMessage, *, accepted: int, refused: int, now: datetime) -> str:
    with db.transaction() as session:
        session.execute(
            update(OutboxMessage).where(_ours(message))
            .values(state=OutboxState.SENT, sent_at=now, last_error=f"{PARTLY_REFUSED}:{refused}" if refused else None)
        )
        if message.alert_id is not None:
            session.execute(
                update(SafeguardingAlert).where(col(SafeguardingAlert.id) == message.alert_id)
                .values(sent_count=col(SafeguardingAlert.sent_count) + 1, last_error=None)
            )
        audit.record(
            session, "outbox.sent", area_id=message.area_id, subject_type="outbox_message", subject_id=message.id,
            purpose=message.purpose, alert_id=message.alert_id, report_id=message.report_id, recipients=accepted,
            refused=refused, attempts=message.attempts,
        )
    return OutboxState.SENT


def _record_failure(db: Database, message: OutboxMessage, exc: MailError, *, now: datetime) -> str:
    reason = f"{exc.problem}:{exc.detail}" if exc.detail else str(exc.problem)
    values: dict[str, Any] = {"last_error": reason[:200]}
    if exc.problem in (MailProblem.NOT_CONFIGURED, MailProblem.NO_RECIPIENTS):
        state, action = OutboxState.UNDELIVERABLE, "outbox.undeliverable"
    elif message.attempts >= MAX_ATTEMPTS:
        state, action = OutboxState.FAILED, "outbox.failed"
    else:
        state, action = OutboxState.QUEUED, "outbox.retry_scheduled"
        values["next_attempt_at"] = now + backoff(message.attempts)
    log.warning("email %s (%s) not sent, try %d: %s; now %s", message.id, message.purpose, message.attempts, reason, state)
    with db.transaction() as session:
        session.execute(update(OutboxMessage).where(_ours(message)).values(state=state, **values))
        if message.alert_id is not None:
            session.execute(update(SafeguardingAlert).where(col(SafeguardingAlert.id) == message.alert_id).values(last_error=reason[:60]))
        audit.record(
            session, action, area_id=message.area_id, subject_type="outbox_message", subject_id=message.id,
            purpose=message.purpose, alert_id=message.alert_id, report_id=message.report_id, reason=reason[:200],
            attempts=message.attempts, next_attempt_at=values["next_attempt_at"].isoformat() if "next_attempt_at" in values else None,
        )
    return state



# --- Health --------------------------------------------------------------------------------------


def mail_health(session: Session, *, configured: bool, now: datetime | None = None) -> str:
    """/healthz "mail": not_configured without a mail server; failing when, in the last 24 hours, a
    message failed for good, or the latest try of a queued message failed, or a due message has
    waited more than 5 minutes with no try (no sender running), or an alert has had no email queued
    for 5 minutes; otherwise ok."""
    if not configured:
        return "not_configured"
    now = now or utcnow()
    recent = col(OutboxMessage.created_at) >= now - FAILING_WINDOW
    trouble = or_(
        col(OutboxMessage.state) == OutboxState.FAILED,
        and_(col(OutboxMessage.state) == OutboxState.QUEUED, col(OutboxMessage.attempts) > 0),
        and_(col(OutboxMessage.state).in_(UNFINISHED), col(OutboxMessage.next_attempt_at) <= now - SENDER_LATE),
    )
    if session.exec(select(OutboxMessage.id).where(recent, trouble).limit(1)).first() is not None:
        return "failing"
    never_queued = select(SafeguardingAlert.id).where(
        col(SafeguardingAlert.acknowledged_at).is_(None), col(SafeguardingAlert.last_sent_at).is_(None),
        col(SafeguardingAlert.created_at) <= now - SENDER_LATE, col(SafeguardingAlert.created_at) >= now - FAILING_WINDOW,
        ~_held(),  # waiting for a moderator, as designed, is not a mail fault
    )
    return "failing" if session.exec(never_queued.limit(1)).first() is not None else "ok"
