"""Safeguarding alerts and the outbox: tell the area's safeguarding contacts at once, keep telling them
until a moderator acknowledges, widen the circle when nobody opens an urgent entry in time, and
remind moderators of entries that waited too long. And always know what happened to each email.

Every email is an `OutboxMessage` row first, rendered from templates/email/ (a link to the entry,
never the report's words). A round (`run_round`, from the in-app `AlertLoop` or `safetymap alerts
run`) queues what is due, then delivers due rows. Several app processes may run rounds at once:
each step claims its rows with a conditional UPDATE, so one message is sent by one process. A row
left in `sending` by a process that died goes back to the queue once its lease runs out (so an email
may, rarely, go twice; it is never silently lost).

Every function takes `now`, so tests drive the clock and never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from app.accounts.models import Membership, Role, User
from app.accounts.service import StaffIdentity
from app.areas.models import Area
from app.audit import service as audit
from app.core import i18n
from app.core.db import Database
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.i18n import ngettext
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
from app.reports.models import Report, ReportStatus

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


def recipients(area: Area) -> tuple[str, ...]:
    return tuple(split_addresses(area.safeguarding_emails))


def escalation_recipients(area: Area) -> tuple[str, ...]:
    return tuple(split_addresses(f"{area.safeguarding_emails},{area.escalation_emails}"))


def moderator_emails(session: Session, area_id: int) -> tuple[str, ...]:
    query = (
        select(User.email)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.area_id == area_id, Membership.role == Role.MODERATOR, col(User.is_active).is_(True))
        .order_by(col(User.email))
    )
    return tuple(dict.fromkeys(session.exec(query).all()))


# --- Raising and queueing ----------------------------------------------------------------------


def raise_alert(session: Session, report: Report) -> SafeguardingAlert:
    """Record that this report needs an alert. Its email is queued by the next round, which the
    commit's `notify_new_alert` starts at once (the round knows the public address for the link)."""
    assert report.id is not None
    alert = SafeguardingAlert(area_id=report.area_id, report_id=report.id)
    session.add(alert)
    session.flush()
    audit.record(session, "alert.raised", area_id=report.area_id, subject_type="report", subject_id=report.id)
    return alert


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


def _render(area: Area, template: str, context: dict[str, Any]) -> tuple[str, str]:
    previous = i18n.get_locale()
    i18n.set_locale(area.default_locale)
    try:
        subject = render_string(f"email/{template}/subject.txt", {"area": area, **context}).strip()
        body = render_string(f"email/{template}/body.txt", {"area": area, **context})
    finally:
        i18n.set_locale(previous)
    return subject, body


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
        subject=subject[:300], body=body, locale=area.default_locale, created_at=now, next_attempt_at=now,
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


def _entry_link(base_url: str, report_id: int) -> str:
    return f"{base_url.rstrip('/')}/staff/moderation/{report_id}"


def queue_alert_messages(db: Database, *, base_url: str, resend_after: timedelta, now: datetime, reminders: bool = True) -> int:
    """Queue the first email of each new alert, and a reminder for each unacknowledged one whose
    last email was queued longer than `resend_after` ago (not while an earlier one is still trying).
    Without a mail server (`reminders=False`) only first emails are queued, to show they could not
    go; the reminder waits, and goes in the first round after a mail server is set up.

    `SafeguardingAlert.last_sent_at` is the resend clock: when its latest email was queued.
    """
    never = col(SafeguardingAlert.last_sent_at).is_(None)
    due = or_(never, col(SafeguardingAlert.last_sent_at) <= now - resend_after) if reminders else never
    with db.session() as session:
        candidates = session.exec(
            select(SafeguardingAlert.id).where(col(SafeguardingAlert.acknowledged_at).is_(None), due, ~_held())
        ).all()
    queued = 0
    for alert_id in candidates:
        with db.transaction() as session:
            alert = session.get(SafeguardingAlert, alert_id)
            if alert is None:
                continue
            resend = alert.last_sent_at is not None
            claimed = session.execute(
                update(SafeguardingAlert)
                .where(col(SafeguardingAlert.id) == alert_id, col(SafeguardingAlert.acknowledged_at).is_(None), due, ~_held())
                .values(last_sent_at=now)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                continue  # another process queued it
            if resend and _has_unfinished(session, alert.id or 0):
                continue  # the earlier email is still being tried: the clock restarts, no second copy
            area = session.get(Area, alert.area_id)
            assert area is not None
            enqueue(
                session, area, OutboxPurpose.RESEND if resend else OutboxPurpose.ALERT, recipients(area), "safeguarding_alert",
                {"link": _entry_link(base_url, alert.report_id), "resend": resend, "raised_at": _clock(alert.created_at, now)},
                now=now, alert_id=alert_id, report_id=alert.report_id,
            )
            queued += 1
    return queued


def _has_unfinished(session: Session, alert_id: int) -> bool:
    query = select(OutboxMessage.id).where(
        OutboxMessage.alert_id == alert_id,
        col(OutboxMessage.purpose).in_([OutboxPurpose.ALERT, OutboxPurpose.RESEND]),
        col(OutboxMessage.state).in_(UNFINISHED),
    )
    return session.exec(query).first() is not None


def escalate_unopened(db: Database, *, base_url: str, now: datetime) -> int:
    """An urgent pending entry nobody has opened within the area's urgent response time: email the
    safeguarding contacts and the escalation contacts, once per alert (`escalated_at`)."""
    with db.session() as session:
        rows = session.exec(
            select(SafeguardingAlert.id, Report.created_at, Area.urgent_response_minutes)
            .join(Report, and_(col(Report.id) == col(SafeguardingAlert.report_id), col(Report.area_id) == col(SafeguardingAlert.area_id)))
            .join(Area, col(Area.id) == col(SafeguardingAlert.area_id))
            .where(
                col(SafeguardingAlert.acknowledged_at).is_(None), col(SafeguardingAlert.escalated_at).is_(None),
                col(Report.urgent).is_(True), col(Report.status) == ReportStatus.PENDING, col(Report.first_opened_at).is_(None),
            )
        ).all()
    due = [alert_id for alert_id, created_at, minutes in rows if created_at <= now - timedelta(minutes=minutes)]
    escalated = 0
    for alert_id in due:
        with db.transaction() as session:
            alert = session.get(SafeguardingAlert, alert_id)
            report = session.get(Report, alert.report_id) if alert else None
            if alert is None or report is None or report.first_opened_at is not None:
                continue
            claimed = session.execute(
                update(SafeguardingAlert)
                .where(col(SafeguardingAlert.id) == alert_id, col(SafeguardingAlert.escalated_at).is_(None), col(SafeguardingAlert.acknowledged_at).is_(None))
                # A held "possible" alert's first email is this one: start its resend clock too.
                .values(escalated_at=now, last_sent_at=func.coalesce(SafeguardingAlert.last_sent_at, now))
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                continue
            area = session.get(Area, alert.area_id)
            assert area is not None and report.id is not None
            message = enqueue(
                session, area, OutboxPurpose.ESCALATION, escalation_recipients(area), "escalation",
                {"link": _entry_link(base_url, report.id), "minutes": area.urgent_response_minutes},
                now=now, alert_id=alert_id, report_id=report.id,
            )
            audit.record(
                session, "alert.escalated", area_id=area.id, subject_type="report", subject_id=report.id,
                minutes=area.urgent_response_minutes, message_id=message.id, recipients=len(split_addresses(message.recipients)),
            )
            escalated += 1
    return escalated


def alert_overdue(db: Database, *, base_url: str, now: datetime) -> int:
    """Entries still pending after the area's review time: one email per area and round to its
    moderators, listing links; each entry is mentioned once (`overdue_alerted_at`)."""
    with db.session() as session:
        rows = session.exec(
            select(Report.id, Report.area_id, Report.created_at, Area.review_hours)
            .join(Area, col(Area.id) == col(Report.area_id))
            .where(col(Report.status) == ReportStatus.PENDING, col(Report.overdue_alerted_at).is_(None))
        ).all()
    by_area: dict[int, list[int]] = defaultdict(list)
    for report_id, area_id, created_at, hours in rows:
        if report_id is not None and created_at <= now - timedelta(hours=hours):
            by_area[area_id].append(report_id)
    mentioned = 0
    for area_id, report_ids in sorted(by_area.items()):
        with db.transaction() as session:
            claimed = []
            for report_id in sorted(report_ids):  # one lock order, so two rounds never deadlock
                result = session.execute(
                    update(Report)
                    .where(col(Report.id) == report_id, col(Report.overdue_alerted_at).is_(None), col(Report.status) == ReportStatus.PENDING)
                    .values(overdue_alerted_at=now)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    claimed.append(report_id)
            if not claimed:
                continue
            area = session.get(Area, area_id)
            assert area is not None
            shown = claimed[:20]
            message = enqueue(
                session, area, OutboxPurpose.OVERDUE, moderator_emails(session, area_id), "review_overdue",
                {
                    "links": [_entry_link(base_url, report_id) for report_id in shown], "more": len(claimed) - len(shown),
                    "count": len(claimed), "hours": area.review_hours, "queue_link": f"{base_url.rstrip('/')}/staff/moderation",
                },
                # With several entries the message belongs to none; each entry finds it by time.
                now=now, report_id=claimed[0] if len(claimed) == 1 else None,
            )
            audit.record(
                session, "moderation.review_overdue", area_id=area_id, subject_type="outbox_message", subject_id=message.id,
                hours=area.review_hours, count=len(claimed), report_ids=claimed[:200],
            )
            mentioned += len(claimed)
    return mentioned


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


@dataclass
class RoundResult:
    queued: int = 0
    escalated: int = 0
    overdue: int = 0
    delivery: Delivery = field(default_factory=Delivery)


def run_round(db: Database, mailer: Mailer, *, base_url: str, resend_after: timedelta, now: datetime | None = None) -> RoundResult:
    """One round: queue new alerts and reminders, escalations and review reminders; send what is due."""
    now = now or utcnow()
    result = RoundResult(
        queued=queue_alert_messages(db, base_url=base_url, resend_after=resend_after, now=now, reminders=mailer.configured),
        escalated=escalate_unopened(db, base_url=base_url, now=now),
        overdue=alert_overdue(db, base_url=base_url, now=now),
    )
    result.delivery = deliver_due(db, mailer, now=now)
    return result


# --- Opening and acknowledging -----------------------------------------------------------------


def record_first_open(db: Database, staff: StaffIdentity, report_id: int, *, now: datetime | None = None) -> bool:
    """The first time a moderator opens an entry (bookkeeping, in its own short write, like the
    access log): an urgent entry nobody opens in time escalates."""
    now = now or utcnow()
    with db.transaction() as session:
        result = session.execute(
            update(Report)
            .where(col(Report.id) == report_id, col(Report.area_id) == staff.area.id, col(Report.first_opened_at).is_(None))
            .values(first_opened_at=now, first_opened_by_id=staff.user.id)
        )
        opened = bool(result.rowcount)  # type: ignore[attr-defined]
        if opened:
            audit.record(session, "report.first_opened", area_id=staff.area.id, actor_id=staff.user.id, subject_type="report", subject_id=report_id)
    return opened


def open_alert_for(session: Session, area_id: int, report_id: int) -> SafeguardingAlert | None:
    query = select(SafeguardingAlert).where(
        SafeguardingAlert.area_id == area_id,
        SafeguardingAlert.report_id == report_id,
        col(SafeguardingAlert.acknowledged_at).is_(None),
    )
    return session.exec(query).first()


def unacknowledged_count(session: Session, area_id: int) -> int:
    query = select(func.count()).select_from(SafeguardingAlert).where(
        SafeguardingAlert.area_id == area_id, col(SafeguardingAlert.acknowledged_at).is_(None)
    )
    return int(session.exec(query).one())


def acknowledge(session: Session, staff: StaffIdentity, alert: SafeguardingAlert) -> None:
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by_id = staff.user.id
    session.add(alert)
    audit.record(session, "alert.acknowledged", area_id=alert.area_id, actor_id=staff.user.id, subject_type="report", subject_id=alert.report_id)
    session.commit()


# --- What happened, for people -----------------------------------------------------------------


def messages_for_report(session: Session, report: Report) -> Sequence[OutboxMessage]:
    """Every email about this entry, oldest first, including a review reminder that listed it."""
    about = col(OutboxMessage.report_id) == report.id
    if report.overdue_alerted_at is not None:
        about = or_(about, and_(
            col(OutboxMessage.purpose) == OutboxPurpose.OVERDUE, col(OutboxMessage.report_id).is_(None),
            col(OutboxMessage.created_at) == report.overdue_alerted_at,
        ))
    query = select(OutboxMessage).where(OutboxMessage.area_id == report.area_id, about).order_by(col(OutboxMessage.id))
    return session.exec(query).all()


@dataclass(frozen=True)
class EntryEmails:
    messages: Sequence[OutboxMessage]
    reached: bool  # an alert, reminder or escalation about it reached a mail server
    in_trouble: bool  # and something did not go as it should (failed, retrying, nobody sending)
    held: bool = False  # a "possible" flag waiting for a moderator (held_for_a_moderator)


def entry_emails(
    session: Session, report: Report, open_alert: SafeguardingAlert | None, *, now: datetime | None = None
) -> EntryEmails:
    """The entry page's account of its emails; `open_alert` is the one it has already looked up."""
    now = now or utcnow()
    messages = messages_for_report(session, report)
    held = open_alert is not None and not messages and held_for_a_moderator(session, open_alert)
    return EntryEmails(messages, _delivered(messages), any(_in_trouble(m, now) for m in messages), held)


def _delivered(messages: Iterable[OutboxMessage]) -> bool:
    return any(m.state == OutboxState.SENT and m.purpose != OutboxPurpose.OVERDUE for m in messages)


def _in_trouble(message: OutboxMessage, now: datetime) -> bool:
    if message.state in NOT_DELIVERED:
        return True
    if message.state == OutboxState.QUEUED and message.attempts > 0:
        return True
    return message.state in UNFINISHED and message.next_attempt_at is not None and message.next_attempt_at <= now - SENDER_LATE


@dataclass(frozen=True)
class Undelivered:
    alerts: int  # open alerts whose emails have reached nobody, and are not simply on their way
    no_mail_server: bool


def undelivered_alerts(session: Session, area_id: int, *, now: datetime | None = None) -> Undelivered:
    """For the queue's warning: open alerts nobody has been emailed about, and why."""
    now = now or utcnow()
    alerts = session.exec(
        select(SafeguardingAlert).where(
            SafeguardingAlert.area_id == area_id, col(SafeguardingAlert.acknowledged_at).is_(None), ~_held()
        )
    ).all()
    if not alerts:
        return Undelivered(0, False)
    by_alert: dict[int, list[OutboxMessage]] = defaultdict(list)
    for message in session.exec(select(OutboxMessage).where(col(OutboxMessage.alert_id).in_([a.id for a in alerts]))).all():
        if message.alert_id is not None:
            by_alert[message.alert_id].append(message)
    count, no_server = 0, False
    for alert in alerts:
        messages = by_alert.get(alert.id or 0, [])
        if _delivered(messages):
            continue
        if messages and not any(_in_trouble(m, now) for m in messages):
            continue  # on its way
        if not messages and alert.created_at > now - SENDER_LATE:
            continue  # just raised; the round queues it
        count += 1
        no_server = no_server or any((m.last_error or "").startswith(MailProblem.NOT_CONFIGURED) for m in messages)
    return Undelivered(count, no_server)


def _clock(moment: datetime | None, now: datetime) -> str:
    """14:03 today, or 03/12/2026 14:03 (UTC, as elsewhere on staff pages)."""
    if moment is None:
        return ""
    return moment.strftime("%H:%M") if moment.date() == now.date() else moment.strftime("%d/%m/%Y %H:%M")


def _audience(message: OutboxMessage, count: int) -> str:
    if message.purpose == OutboxPurpose.ESCALATION:
        return ngettext("%(num)s safeguarding or escalation contact", "%(num)s safeguarding and escalation contacts", count)
    if message.purpose == OutboxPurpose.OVERDUE:
        return ngettext("%(num)s moderator", "%(num)s moderators", count)
    return ngettext("%(num)s safeguarding contact", "%(num)s safeguarding contacts", count)


def _reason(last_error: str | None) -> str:
    problem, _sep, detail = (last_error or "").partition(":")
    known: dict[str, str] = {
        MailProblem.NOT_CONFIGURED: _("no mail server is set up"),
        MailProblem.NO_RECIPIENTS: _("there is nobody to send it to"),
        MailProblem.REFUSED: _("the mail server refused"),
        MailProblem.UNREACHABLE: _("the mail server could not be reached"),
        MailProblem.SIGN_IN: _("the mail server did not accept the sign-in"),
        MailProblem.INTERRUPTED: _("sending was interrupted"),
    }
    words = known.get(problem, _("sending went wrong"))
    return f"{words} ({detail})" if detail else words


PURPOSE_LABELS = {
    OutboxPurpose.ALERT: _l("Alert"),
    OutboxPurpose.RESEND: _l("Reminder"),
    OutboxPurpose.ESCALATION: _l("Escalation"),
    OutboxPurpose.OVERDUE: _l("Waited too long"),
}


def message_status(message: OutboxMessage, *, now: datetime | None = None) -> str:
    """Exactly what happened to one email, in plain words ("Sent to 2 safeguarding contacts at 14:03")."""
    now = now or utcnow()
    count = len(split_addresses(message.recipients))
    if message.state == OutboxState.SENT:
        problem, _sep, refused_text = (message.last_error or "").partition(":")
        refused = int(refused_text) if problem == PARTLY_REFUSED and refused_text.isdigit() else 0
        if refused:
            return _("Sent to %(accepted)s of %(audience)s at %(time)s; the mail server refused the others",
                     accepted=count - refused, audience=_audience(message, count), time=_clock(message.sent_at, now))
        return _("Sent to %(audience)s at %(time)s", audience=_audience(message, count), time=_clock(message.sent_at, now))
    if message.state == OutboxState.UNDELIVERABLE:
        return _("Not sent: %(reason)s", reason=_reason(message.last_error))
    if message.state == OutboxState.FAILED:
        return ngettext("Failed after %(num)s try: %(reason)s", "Failed after %(num)s tries: %(reason)s", message.attempts, reason=_reason(message.last_error))
    if message.state == OutboxState.SENDING:
        return _("Being sent now (try %(num)s)", num=message.attempts)
    if message.attempts:
        return _("Trying again at %(time)s: %(reason)s", time=_clock(message.next_attempt_at, now), reason=_reason(message.last_error))
    if message.next_attempt_at is not None and message.next_attempt_at <= now - SENDER_LATE:
        return _("Waiting since %(time)s: the alert sender has not run", time=_clock(message.created_at, now))
    return _("Waiting to be sent (queued at %(time)s)", time=_clock(message.created_at, now))


@dataclass(frozen=True)
class AlertView:
    alert: SafeguardingAlert | None
    messages: Sequence[OutboxMessage]


def alerts_overview(session: Session, area_id: int, *, state: str | None = None, limit: int = 200) -> list[AlertView]:
    """The admin alerts page: each alert with its emails, and emails that belong to no alert (review
    reminders), newest first; with `state`, only what has an email in that state."""
    message_query = select(OutboxMessage).where(OutboxMessage.area_id == area_id)
    if state:
        message_query = message_query.where(col(OutboxMessage.state) == state)
    messages = session.exec(message_query.order_by(col(OutboxMessage.id).desc()).limit(limit * 5)).all()
    alert_query = select(SafeguardingAlert).where(SafeguardingAlert.area_id == area_id)
    if state:
        alert_query = alert_query.where(col(SafeguardingAlert.id).in_({m.alert_id for m in messages if m.alert_id is not None}))
    alerts = session.exec(alert_query.order_by(col(SafeguardingAlert.id).desc()).limit(limit)).all()
    by_alert: dict[int, list[OutboxMessage]] = defaultdict(list)
    all_of_theirs = session.exec(
        select(OutboxMessage).where(OutboxMessage.area_id == area_id, col(OutboxMessage.alert_id).in_([a.id for a in alerts]))
        .order_by(col(OutboxMessage.id))
    ).all() if alerts else []
    for message in all_of_theirs:
        if message.alert_id is not None:
            by_alert[message.alert_id].append(message)
    views = [AlertView(alert, by_alert.get(alert.id or 0, [])) for alert in alerts]
    loose = [m for m in messages if m.alert_id is None]
    views += [AlertView(None, [m]) for m in loose[:limit]]
    return sorted(views, key=lambda v: v.alert.created_at if v.alert else v.messages[0].created_at, reverse=True)


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


# --- The in-app loop ---------------------------------------------------------------------------


class AlertLoop:
    """Runs inside the app: a round every `interval` seconds, and at once when nudged."""

    def __init__(self, db: Database, mailer: Mailer, *, base_url: str, resend_after: timedelta, interval: float) -> None:
        self.db = db
        self.mailer = mailer
        self.base_url = base_url
        self.resend_after = resend_after
        self.interval = interval
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self._run())
        _running_loops.add(self)

    async def stop(self) -> None:
        _running_loops.discard(self)
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def nudge(self) -> None:
        """Safe to call from any thread (sync routes run in a thread pool)."""
        if self._loop and self._wake and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            # The first round runs at start-up: emails queued while the app was down go at once.
            try:
                await asyncio.to_thread(run_round, self.db, self.mailer, base_url=self.base_url, resend_after=self.resend_after)
            except Exception:  # a database or mail outage must not stop the loop
                log.exception("safeguarding alert round failed; will try again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()


_running_loops: weakref.WeakSet[AlertLoop] = weakref.WeakSet()


def notify_new_alert() -> None:
    """Called once a report with an alert is committed, whatever the way in (web, API, workshop)."""
    for loop in list(_running_loops):
        loop.nudge()
