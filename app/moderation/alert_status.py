"""What happened to the safeguarding emails, for people: the entry page's account of its emails, the
queue's warning about alerts that reached nobody, the alerts page, and each email's status in plain
words ("Sent to 2 safeguarding contacts at 14:03"), never "sent" unless it was.

Times are on the area's clock (`_clock`, also used for the alert email's "raised at").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from app.core import i18n
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.i18n import ngettext
from app.core.mail import MailProblem
from app.core.types import utcnow
from app.moderation.models import OutboxMessage, OutboxPurpose, OutboxState, SafeguardingAlert
from app.moderation.outbox import (
    NOT_DELIVERED,
    PARTLY_REFUSED,
    SENDER_LATE,
    UNFINISHED,
    _held,
    held_for_a_moderator,
    split_addresses,
)
from app.reports.models import Report

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


def _clock(moment: datetime | None, now: datetime, zone: str | None = None) -> str:
    """14:03 today, or 03/12/2026, 14:03, on the area's clock (`zone`; default: the page's area's)."""
    if moment is None:
        return ""
    if i18n.local_day(moment, zone) == i18n.local_day(now, zone):
        return i18n.format_local_time(moment, zone)
    return i18n.format_local_datetime(moment, zone, "short")


def _audience(message: OutboxMessage, count: int) -> str:
    if message.purpose == OutboxPurpose.ESCALATION:
        return ngettext("%(num)s safeguarding or escalation contact", "%(num)s safeguarding and escalation contacts", count)
    if message.purpose == OutboxPurpose.OVERDUE:
        return ngettext("%(num)s moderator", "%(num)s moderators", count)
    if message.purpose == OutboxPurpose.PATTERN:
        return ngettext("%(num)s member of the statutory team", "%(num)s members of the statutory team", count)
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
    OutboxPurpose.PATTERN: _l("Pattern found"),
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

