"""The moderation queue: what is waiting, in what order, and what has just arrived.

Urgent entries come first and the longest-waiting first among them. The queue's live stream
(app.moderation.routes.live_queue) counts in safeguarding alert ids: every entry that becomes urgent
raises one, and ids only grow.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.moderation.models import SafeguardingAlert
from app.register.models import Action, Context
from app.reports.models import Report, ReportStatus


@dataclass(frozen=True)
class QueueFilters:
    status: str = ReportStatus.PENDING
    kind: str | None = None
    source: str | None = None
    # The language of the form the report was written on (Report.language).
    language: str | None = None


def _matching(filters: QueueFilters) -> list[ColumnElement[bool]]:
    """The kind, source and language a queue shows (its status is for the caller to say)."""
    chosen = ((col(Report.kind), filters.kind), (col(Report.source), filters.source), (col(Report.language), filters.language))
    return [column == value for column, value in chosen if value]


@dataclass(frozen=True)
class QueueEntry:
    report: Report
    claimed_by: str | None


def queue(session: Session, area_id: int, filters: QueueFilters, *, limit: int = 100) -> Sequence[QueueEntry]:
    """Urgent first, then oldest first: the longest-waiting disclosure is always at the top."""
    query = (
        select(Report, User.display_name)
        .join(User, col(User.id) == col(Report.claimed_by_id), isouter=True)
        .where(Report.area_id == area_id, Report.status == filters.status, *_matching(filters))
    )
    query = query.order_by(col(Report.urgent).desc(), col(Report.created_at), col(Report.id)).limit(limit)
    return [QueueEntry(report, name) for report, name in session.exec(query).all()]


def queue_counts(session: Session, area_id: int) -> dict[str, int]:
    query = (
        select(Report.status, func.count())
        .where(Report.area_id == area_id)
        .group_by(col(Report.status))
    )
    counts: dict[str, int] = {status.value: 0 for status in ReportStatus}
    counts.update(dict(session.exec(query).all()))
    urgent = session.exec(
        select(func.count()).where(
            Report.area_id == area_id, Report.status == ReportStatus.PENDING, col(Report.urgent).is_(True)
        )
    ).one()
    counts["urgent"] = urgent
    return counts


# --- "You said, we did" drafts ----------------------------------------------------------------


@dataclass(frozen=True)
class WaitingSummary:
    action_id: int
    context_id: int
    context_name: str
    title: str
    created_at: datetime


def summaries_waiting(session: Session, area_id: int, *, limit: int = 5) -> tuple[list[WaitingSummary], int]:
    """Plain-words "You said, we did" drafts a statutory team wrote and a moderator has not yet
    checked and published (they are approved on the context's page, app.register.actions)."""
    waiting = (
        col(Action.area_id) == area_id,
        col(Action.published_at).is_(None),
        col(Action.public_summary) != "",
    )
    total = session.exec(select(func.count()).select_from(Action).where(*waiting)).one()
    rows = session.exec(
        select(Action, Context.name)
        .join(Context, col(Context.id) == col(Action.context_id))
        .where(*waiting)
        .order_by(col(Action.created_at), col(Action.id))
        .limit(limit)
    ).all()
    items = [
        WaitingSummary(action.id, action.context_id, name, action.title, action.created_at)  # type: ignore[arg-type]
        for action, name in rows
    ]
    return items, int(total or 0)


# --- The queue, live --------------------------------------------------------------------------


def latest_alert_seq(session: Session, area_id: int) -> int:
    """The area's newest safeguarding alert id: where an open queue's live stream starts.

    Every entry that becomes urgent raises one (app.moderation.alerts.raise_alert: triage at
    submission, or a moderator's "Yes, someone may be in danger"), and ids only grow, so the
    alert id is the queue's sequence number."""
    newest = session.exec(select(func.max(SafeguardingAlert.id)).where(SafeguardingAlert.area_id == area_id)).one()
    return int(newest or 0)


def alert_ids(session: Session, area_id: int, *, after: int, up_to: int) -> list[int]:
    """The area's alert ids in (after, up_to]: what a queue read at `up_to` has already seen."""
    query = select(SafeguardingAlert.id).where(
        SafeguardingAlert.area_id == area_id, col(SafeguardingAlert.id) > after, col(SafeguardingAlert.id) <= up_to
    )
    return [int(i) for i in session.exec(query).all() if i is not None]


@dataclass(frozen=True)
class UrgentArrival:
    seq: int  # the alert id
    report: Report | None  # None when the entry is no longer waiting, or the page's filters hide it
    claimed_by: str | None = None


def urgent_arrivals(
    session: Session, area_id: int, after: int, filters: QueueFilters, *, limit: int = 20, skip: Collection[int] = ()
) -> list[UrgentArrival]:
    """Alerts raised after `after` (but not those in `skip`), each with its entry when it belongs
    at the top of a queue showing these filters (waiting, urgent, matching kind, source and language)."""
    query_alerts = select(SafeguardingAlert).where(SafeguardingAlert.area_id == area_id, col(SafeguardingAlert.id) > after)
    skipped = [i for i in skip if i > after]
    if skipped:
        query_alerts = query_alerts.where(col(SafeguardingAlert.id).not_in(skipped))
    alerts_after = session.exec(query_alerts.order_by(col(SafeguardingAlert.id)).limit(limit)).all()
    if not alerts_after:
        return []
    query = (
        select(Report, User.display_name)
        .join(User, col(User.id) == col(Report.claimed_by_id), isouter=True)
        .where(
            col(Report.id).in_([a.report_id for a in alerts_after]),
            Report.area_id == area_id,
            Report.status == ReportStatus.PENDING,
            col(Report.urgent).is_(True),
            *_matching(filters),
        )
    )
    # A queue showing published or rejected entries has no place for a new urgent one.
    rows = session.exec(query).all() if filters.status == ReportStatus.PENDING else []
    found = {report.id: (report, name) for report, name in rows}
    arrivals: list[UrgentArrival] = []
    shown: set[int] = set()
    for alert in alerts_after:
        assert alert.id is not None
        report, name = found.get(alert.report_id, (None, None))
        if report is not None and report.id in shown:
            report, name = None, None  # a second alert for one entry: its row is already at the top
        if report is not None and report.id is not None:
            shown.add(report.id)
        arrivals.append(UrgentArrival(alert.id, report, name))
    return arrivals
