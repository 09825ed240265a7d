"""Safeguarding alerts: tell the area's safeguarding contacts at once, keep telling them until a
moderator acknowledges, widen the circle when nobody opens an urgent entry in time, and remind
moderators of entries that waited too long.

A round (`run_round`, from the in-app `AlertLoop` or `safetymap alerts run`) queues what is due,
then delivers due rows. Every email goes through the outbox (app/moderation/outbox.py: rendering,
delivery, retries, the claim that makes one process send each message), and what happened to each
is told in plain words by app/moderation/alert_status.py. Several app processes may run rounds at
once: each step here claims its alert or report with a conditional UPDATE, so one email is queued
once.

Every function takes `now`, so tests drive the clock and never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from app.accounts.models import Membership, Role, User
from app.accounts.service import StaffIdentity
from app.areas.models import Area
from app.audit import service as audit
from app.core.db import Database
from app.core.mail import Mailer
from app.core.types import utcnow
from app.moderation.alert_status import _clock
from app.moderation.models import OutboxMessage, OutboxPurpose, SafeguardingAlert
from app.moderation.outbox import UNFINISHED, Delivery, _held, deliver_due, enqueue, split_addresses
from app.reports.models import Report, ReportStatus

log = logging.getLogger("safetymap.alerts")


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
                {"link": _entry_link(base_url, alert.report_id), "resend": resend, "raised_at": _clock(alert.created_at, now, area.time_zone)},
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



# --- A round -------------------------------------------------------------------------------------


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
