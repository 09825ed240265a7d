"""The panel: the agenda of flagged contexts with what a panel paper needs, and what the panel decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.audit import service as audit
from app.core.types import utcnow
from app.register.actions import ActionInput, record_action, validate_action
from app.register.counts import EMPTY_AGGREGATES, aggregates_for, window_counts
from app.register.models import (
    Action,
    ActionStatus,
    AggregateDimension,
    Context,
    ContextStatus,
    PanelDecision,
)
from app.register.periods import recent_windows
from app.register.service import RegisterError, set_status, touch
from app.reports.models import ReportKind


@dataclass(frozen=True)
class PanelItem:
    context: Context
    recent: dict[str, int]  # the last 3 months (this month and the two before), by kind
    previous: dict[str, int]  # the 3 months before that
    themes: list[tuple[str, int]]
    peak_time: str | None
    open_actions: list[Action]
    last_decision: PanelDecision | None

    @property
    def change(self) -> int:
        return self.recent.get(ReportKind.UNSAFE, 0) - self.previous.get(ReportKind.UNSAFE, 0)


def panel_agenda(session: Session, area_id: int, *, today: date | None = None) -> list[PanelItem]:
    """Every context flagged for the next panel, with the summary a panel paper needs."""
    recent, previous = recent_windows(today or utcnow().date())
    contexts = session.exec(
        select(Context)
        .where(Context.area_id == area_id, col(Context.flagged_for_panel).is_(True), col(Context.merged_into_id).is_(None))
        .order_by(col(Context.flagged_at), col(Context.id))
    ).all()
    ids = [c.id for c in contexts]
    if not ids:
        return []
    # Six months of counts and themes, all of time for the time-of-day pattern.
    aggregates = aggregates_for(
        session, area_id, contexts, since=previous[0],
        dimensions=[AggregateDimension.ENTRIES, AggregateDimension.THEME, AggregateDimension.TIME_BAND],
    )
    open_actions: dict[int, list[Action]] = {}
    for action in session.exec(
        select(Action).where(col(Action.context_id).in_(ids), Action.area_id == area_id, col(Action.status).in_([ActionStatus.PLANNED, ActionStatus.IN_PROGRESS]))
    ).all():
        open_actions.setdefault(action.context_id, []).append(action)
    last: dict[int, PanelDecision] = {}
    for decision in session.exec(select(PanelDecision).where(col(PanelDecision.context_id).in_(ids)).order_by(col(PanelDecision.id))).all():
        last[decision.context_id] = decision
    items = []
    for context in contexts:
        assert context.id is not None
        agg = aggregates.get(context.id, EMPTY_AGGREGATES)
        times = [(code, n) for code, n in agg.time_bands.most_common() if code != "all_the_time"]
        items.append(
            PanelItem(
                context=context, recent=window_counts(agg, recent), previous=window_counts(agg, previous),
                themes=agg.theme_counts(recent[0]).most_common(3), peak_time=times[0][0] if times else None,
                open_actions=open_actions.get(context.id, []), last_decision=last.get(context.id),
            )
        )
    return items


@dataclass(frozen=True)
class DecisionInput:
    panel_date: date
    decision: str
    to_status: str | None = None
    keep_on_agenda: bool = False


def record_decision(session: Session, staff: StaffIdentity, context: Context, data: DecisionInput, action: ActionInput | None = None) -> PanelDecision:
    """What the panel decided: the words, an optional new status, and an optional action agreed there."""
    if not data.decision.strip():
        raise RegisterError("decision_missing")
    if data.to_status and data.to_status not in {s.value for s in ContextStatus}:
        raise RegisterError("status_unknown")
    if action is not None and validate_action(action):
        raise RegisterError(validate_action(action)[0])
    if context.merged_into_id is not None:
        raise RegisterError("context_merged")
    assert context.id is not None
    decision = PanelDecision(
        area_id=context.area_id, context_id=context.id, panel_date=data.panel_date, decision=data.decision.strip()[:5000],
        to_status=data.to_status or None, recorded_by_id=staff.user.id,
    )
    session.add(decision)
    session.flush()
    audit.record(
        session, "panel.decision_recorded", area_id=context.area_id, actor_id=staff.user.id, subject_type="context", subject_id=context.id,
        decision_id=decision.id, to_status=data.to_status or None, with_action=action is not None,
    )
    if data.to_status and data.to_status != context.status:
        set_status(session, staff, context, data.to_status, note_code="panel_decision", note_params={"date": data.panel_date.isoformat()})
    if not data.keep_on_agenda:
        context.flagged_for_panel = False
        context.flagged_at = None
        context.panel_reason = ""
    touch(session, context)
    session.commit()
    if action is not None:
        record_action(session, staff, context, action, decision_id=decision.id)
    return decision
