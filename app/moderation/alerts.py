"""Safeguarding alerts: tell the area's safeguarding contacts at once, and keep telling them until a
moderator acknowledges. Several app processes may run the re-send loop: a conditional UPDATE decides
which one sends, so an alert is never sent twice for one round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.areas.models import Area
from app.audit import service as audit
from app.core import i18n
from app.core.db import Database
from app.core.mail import Mailer, MailError, OutgoingMail
from app.core.templating import render_string
from app.core.types import utcnow
from app.moderation.models import SafeguardingAlert
from app.reports.models import Report

log = logging.getLogger("safetymap.alerts")


def raise_alert(session: Session, report: Report) -> SafeguardingAlert:
    """Record that this report needs an alert; delivery happens after the report is safely stored."""
    assert report.id is not None
    alert = SafeguardingAlert(area_id=report.area_id, report_id=report.id)
    session.add(alert)
    session.flush()
    audit.record(session, "alert.raised", area_id=report.area_id, subject_type="report", subject_id=report.id)
    return alert


def recipients(area: Area) -> tuple[str, ...]:
    return tuple(address.strip() for address in area.safeguarding_emails.replace(";", ",").split(",") if address.strip())


def _compose(area: Area, alert: SafeguardingAlert, base_url: str, *, resend: bool) -> OutgoingMail:
    previous = i18n.get_locale()
    i18n.set_locale(area.default_locale)
    try:
        context = {"area": area, "link": f"{base_url}/staff/moderation/{alert.report_id}", "resend": resend, "sent_count": alert.sent_count}
        subject = render_string("email/safeguarding_alert/subject.txt", context).strip()
        body = render_string("email/safeguarding_alert/body.txt", context)
    finally:
        i18n.set_locale(previous)
    return OutgoingMail(to=recipients(area), subject=subject, body=body)


def _claim_round(db: Database, alert_id: int, *, now: datetime, resend_after: timedelta) -> bool:
    """True for exactly one caller per round: unsent, or last sent longer ago than resend_after."""
    with db.transaction() as session:
        result = session.execute(
            update(SafeguardingAlert)
            .where(
                col(SafeguardingAlert.id) == alert_id,
                col(SafeguardingAlert.acknowledged_at).is_(None),
                or_(col(SafeguardingAlert.last_sent_at).is_(None), col(SafeguardingAlert.last_sent_at) < now - resend_after),
            )
            .values(last_sent_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def deliver(db: Database, mailer: Mailer, alert_id: int, *, base_url: str, resend_after: timedelta, now: datetime | None = None) -> bool:
    """Send one alert if it is due. On failure the alert is left due, so the next round tries again."""
    now = now or utcnow()
    if not _claim_round(db, alert_id, now=now, resend_after=resend_after):
        return False
    with db.session() as session:
        alert = session.get(SafeguardingAlert, alert_id)
        area = session.get(Area, alert.area_id) if alert else None
    if alert is None or area is None:
        return False
    resend = alert.sent_count > 0
    mail = _compose(area, alert, base_url, resend=resend)
    with db.transaction() as session:
        if not mail.to:
            session.execute(update(SafeguardingAlert).where(col(SafeguardingAlert.id) == alert_id).values(last_sent_at=None, last_error="no_recipients"))
            audit.record(session, "alert.send_failed", area_id=area.id, subject_type="report", subject_id=alert.report_id, reason="no_recipients")
            return False
        try:
            mailer.send(mail)
        except MailError as exc:
            # Leave it due again at once: the loop (or `safetymap alerts run`) retries.
            session.execute(update(SafeguardingAlert).where(col(SafeguardingAlert.id) == alert_id).values(last_sent_at=None, last_error=str(exc)[:60]))
            audit.record(session, "alert.send_failed", area_id=area.id, subject_type="report", subject_id=alert.report_id, reason=str(exc)[:60])
            return False
        session.execute(
            update(SafeguardingAlert)
            .where(col(SafeguardingAlert.id) == alert_id)
            .values(sent_count=SafeguardingAlert.sent_count + 1, last_error=None)
        )
        audit.record(
            session, "alert.resent" if resend else "alert.sent", area_id=area.id, subject_type="report",
            subject_id=alert.report_id, recipients=len(mail.to),
        )
    return True


def due_alert_ids(db: Database, *, now: datetime, resend_after: timedelta) -> Sequence[int]:
    with db.session() as session:
        query = select(SafeguardingAlert.id).where(
            col(SafeguardingAlert.acknowledged_at).is_(None),
            or_(col(SafeguardingAlert.last_sent_at).is_(None), col(SafeguardingAlert.last_sent_at) < now - resend_after),
        )
        return [i for i in session.exec(query).all() if i is not None]


def run_due(db: Database, mailer: Mailer, *, base_url: str, resend_after: timedelta, now: datetime | None = None) -> int:
    """Send every alert that is due (new ones that failed, and unacknowledged ones past resend_after)."""
    now = now or utcnow()
    return sum(
        deliver(db, mailer, alert_id, base_url=base_url, resend_after=resend_after, now=now)
        for alert_id in due_alert_ids(db, now=now, resend_after=resend_after)
    )


def open_alert_for(session: Session, area_id: int, report_id: int) -> SafeguardingAlert | None:
    query = select(SafeguardingAlert).where(
        SafeguardingAlert.area_id == area_id,
        SafeguardingAlert.report_id == report_id,
        col(SafeguardingAlert.acknowledged_at).is_(None),
    )
    return session.exec(query).first()


def unacknowledged_count(session: Session, area_id: int) -> int:
    query = select(SafeguardingAlert.id).where(SafeguardingAlert.area_id == area_id, col(SafeguardingAlert.acknowledged_at).is_(None))
    return len(session.exec(query).all())


def acknowledge(session: Session, staff: StaffIdentity, alert: SafeguardingAlert) -> None:
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by_id = staff.user.id
    session.add(alert)
    audit.record(session, "alert.acknowledged", area_id=alert.area_id, actor_id=staff.user.id, subject_type="report", subject_id=alert.report_id)
    session.commit()


class AlertLoop:
    """Runs inside the app: sends due alerts every `interval` seconds, and at once when nudged."""

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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()
            try:
                await asyncio.to_thread(run_due, self.db, self.mailer, base_url=self.base_url, resend_after=self.resend_after)
            except Exception:  # a database or mail outage must not stop the loop
                log.exception("safeguarding alert round failed; will try again")


_running_loops: weakref.WeakSet[AlertLoop] = weakref.WeakSet()


def notify_new_alert() -> None:
    """Called once a report with an alert is committed, whatever the way in (web, API, workshop)."""
    for loop in list(_running_loops):
        loop.nudge()
