"""Who did what to an entry, and what a moderator has just decided (for the page they land on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.moderation.models import Decision, ModerationDecision, SafeguardingAlert, TriageLabel
from app.moderation.service import get_for_moderation
from app.register import service as register
from app.register.models import Context
from app.reports.models import Report, ReportStatus


class HistoryStep(StrEnum):
    RECEIVED = "received"
    FIRST_OPENED = "first_opened"
    CLAIMED = "claimed"
    CALLED_URGENT = "called_urgent"
    CALLED_NOT_URGENT = "called_not_urgent"
    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    PUBLISHED = "published"
    REJECTED = "rejected"


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    step: HistoryStep
    who: str | None  # the moderator's name; None for the reporter or the platform
    reason: str | None = None  # a RejectionReason code
    context_name: str | None = None


def decision_history(session: Session, report: Report) -> list[HistoryItem]:
    """What happened to an entry and who did it, oldest first, from the rows that record each step
    (every one indexed by report: the decisions, the safeguarding call, the alerts, the report)."""
    assert report.id is not None
    decisions = session.exec(
        select(ModerationDecision)
        .where(ModerationDecision.report_id == report.id, ModerationDecision.area_id == report.area_id)
        .order_by(col(ModerationDecision.created_at), col(ModerationDecision.id))
    ).all()
    label = session.exec(select(TriageLabel).where(TriageLabel.report_id == report.id, TriageLabel.area_id == report.area_id)).first()
    acknowledged = session.exec(
        select(SafeguardingAlert).where(
            SafeguardingAlert.report_id == report.id,
            SafeguardingAlert.area_id == report.area_id,
            col(SafeguardingAlert.acknowledged_at).is_not(None),
        )
    ).all()
    people = {
        *(d.moderator_id for d in decisions),
        *(a.acknowledged_by_id for a in acknowledged),
        label.moderator_id if label else None,
        report.first_opened_by_id,
        report.claimed_by_id,
    }
    people.discard(None)
    names = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(people))).all()) if people else {}
    context_ids = {d.context_id for d in decisions if d.context_id is not None}
    contexts = dict(session.exec(select(Context.id, Context.name).where(col(Context.id).in_(context_ids))).all()) if context_ids else {}

    items = [HistoryItem(report.created_at, HistoryStep.RECEIVED, None)]
    if report.first_opened_at is not None:
        items.append(HistoryItem(report.first_opened_at, HistoryStep.FIRST_OPENED, names.get(report.first_opened_by_id)))
    if report.claimed_at is not None and report.claimed_by_id is not None:
        items.append(HistoryItem(report.claimed_at, HistoryStep.CLAIMED, names.get(report.claimed_by_id)))
    if label is not None:
        step = HistoryStep.CALLED_URGENT if label.urgent else HistoryStep.CALLED_NOT_URGENT
        items.append(HistoryItem(label.created_at, step, names.get(label.moderator_id)))
    for alert in acknowledged:
        assert alert.acknowledged_at is not None
        items.append(HistoryItem(alert.acknowledged_at, HistoryStep.ALERT_ACKNOWLEDGED, names.get(alert.acknowledged_by_id)))
    for decision in decisions:
        step = HistoryStep.PUBLISHED if decision.decision == Decision.PUBLISH else HistoryStep.REJECTED
        items.append(
            HistoryItem(
                decision.created_at, step, names.get(decision.moderator_id), reason=decision.reason,
                context_name=contexts.get(decision.context_id) if decision.context_id else None,
            )
        )
    return sorted(items, key=lambda item: item.at)


@dataclass(frozen=True)
class Outcome:
    """What a moderator just did, for the message on the page they land on."""

    report_id: int
    decision: str  # "published" or "rejected"
    context_id: int | None = None
    context_name: str | None = None
    reason: str | None = None


def outcome_of(session: Session, area_id: int, report_id: int, decision: str) -> Outcome | None:
    """The decision just made on one of this area's entries, read back from the entry itself (so
    a link can only ever confirm what really happened)."""
    report = get_for_moderation(session, area_id, report_id)
    if report is None or report.id is None:
        return None
    if decision == ReportStatus.PUBLISHED and report.status == ReportStatus.PUBLISHED:
        context = register.get_context(session, area_id, report.context_id) if report.context_id else None
        return Outcome(report.id, decision, context.id if context else None, context.name if context else None)
    if decision == ReportStatus.REJECTED and report.status == ReportStatus.REJECTED:
        return Outcome(report.id, decision, reason=report.rejection_reason)
    return None

