"""A context's goals: reading them (with measures, readings, linked actions and history), creating
and changing them, linking the context's actions to them, and setting an action's dates.

Every change is a dated line of the goal's history (`_change`, the words) and an audit event (the
codes, never the words). A context merged into another takes no changes (`_open`); measures and
readings (`app.register.outcomes.measures`) follow the same two rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.service import StaffIdentity
from app.audit import service as audit
from app.core.types import utcnow
from app.register.models import Action, ActionStatus, Context
from app.register.outcomes.models import (
    GOAL_STATUS,
    METHOD,
    OPEN_GOAL_STATUSES,
    RESPONSE_FAMILY,
    RESPONSE_FAMILY_LABEL,
    GoalStatus,
    MeasureKind,
    OutcomeChange,
    OutcomeGoal,
    OutcomeGoalAction,
    OutcomeMeasure,
    OutcomeReading,
    label,
)
from app.register.service import RegisterError, touch

# --- reading goals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureView:
    measure: OutcomeMeasure
    readings: Sequence[OutcomeReading]  # newest first

    @property
    def latest(self) -> OutcomeReading | None:
        return self.readings[0] if self.readings else None

    @property
    def method_label(self) -> str:
        return label(METHOD, self.measure.method)

    @property
    def progress(self) -> float | None:
        """How far the latest value has come from the baseline towards the target (0 to 1), if it is a number."""
        m, latest = self.measure, self.latest
        if m.kind != MeasureKind.NUMBER or latest is None or latest.value is None:
            return None
        return progress_towards(m.baseline_value, m.target_value, latest.value)


def progress_towards(baseline: float | None, target: float | None, value: float) -> float | None:
    """The share of the way from baseline to target, clipped to 0..1 (a target can be lower than the baseline)."""
    if baseline is None or target is None or math.isclose(baseline, target):
        return None
    return min(max((value - baseline) / (target - baseline), 0.0), 1.0)


@dataclass(frozen=True)
class GoalView:
    goal: OutcomeGoal
    measures: list[MeasureView]
    actions: list[Action]
    history: Sequence[OutcomeChange] = field(default_factory=list)  # newest first
    today: date = field(default_factory=lambda: utcnow().date())

    @property
    def review_overdue(self) -> bool:
        return review_overdue(self.goal, self.today)

    @property
    def status_label(self) -> str:
        return label(GOAL_STATUS, self.goal.status)

    @property
    def response_mix(self) -> list[tuple[str, int]]:
        """How many linked responses of each family, relational first."""
        counts = dict.fromkeys(RESPONSE_FAMILY_LABEL, 0)
        for action in self.actions:
            counts[RESPONSE_FAMILY.get(action.response_type, "policy")] += 1
        return [(family, n) for family, n in counts.items() if n]


def review_overdue(goal: OutcomeGoal, today: date) -> bool:
    """An open goal whose review date has passed."""
    return (
        goal.status in OPEN_GOAL_STATUSES
        and goal.review_date is not None
        and goal.review_date < today
    )


def context_goals(
    session: Session, context: Context, *, today: date | None = None, with_history: bool = False
) -> list[GoalView]:
    """The context's goals, open ones first (then by review date), each with measures, readings and linked actions."""
    today = today or utcnow().date()
    goals = session.exec(
        select(OutcomeGoal)
        .where(OutcomeGoal.area_id == context.area_id, OutcomeGoal.context_id == context.id)
        .order_by(col(OutcomeGoal.id))
    ).all()
    if not goals:
        return []
    goal_ids = [g.id for g in goals]
    measures = session.exec(
        select(OutcomeMeasure)
        .where(col(OutcomeMeasure.goal_id).in_(goal_ids))
        .order_by(col(OutcomeMeasure.id))
    ).all()
    readings = session.exec(
        select(OutcomeReading)
        .where(col(OutcomeReading.measure_id).in_([m.id for m in measures] or [-1]))
        .order_by(col(OutcomeReading.observed_on).desc(), col(OutcomeReading.id).desc())
    ).all()
    links = session.exec(
        select(OutcomeGoalAction, Action)
        .join(Action, col(Action.id) == col(OutcomeGoalAction.action_id))
        .where(col(OutcomeGoalAction.goal_id).in_(goal_ids), Action.area_id == context.area_id)
        .order_by(col(Action.created_at).desc())
    ).all()
    history: dict[int, list[OutcomeChange]] = {}
    if with_history:
        for change in session.exec(
            select(OutcomeChange)
            .where(col(OutcomeChange.goal_id).in_(goal_ids))
            .order_by(col(OutcomeChange.id).desc())
        ).all():
            history.setdefault(change.goal_id, []).append(change)
    views = []
    for goal in goals:
        goal_measures = [
            MeasureView(m, [r for r in readings if r.measure_id == m.id])
            for m in measures
            if m.goal_id == goal.id
        ]
        assert goal.id is not None
        views.append(
            GoalView(
                goal,
                goal_measures,
                [a for link, a in links if link.goal_id == goal.id],
                history.get(goal.id, []),
                today,
            )
        )

    def order(view: GoalView) -> tuple[int, date, int]:
        return (
            0 if view.goal.status in OPEN_GOAL_STATUSES else 1,
            view.goal.review_date or date.max,
            view.goal.id or 0,
        )

    return sorted(views, key=order)


def get_goal(session: Session, context: Context, goal_id: int) -> OutcomeGoal:
    goal = session.get(OutcomeGoal, goal_id)
    if goal is None or goal.area_id != context.area_id or goal.context_id != context.id:
        raise RegisterError("goal_not_found")
    return goal


def get_measure(
    session: Session, context: Context, measure_id: int
) -> tuple[OutcomeMeasure, OutcomeGoal]:
    measure = session.get(OutcomeMeasure, measure_id)
    if measure is None or measure.area_id != context.area_id:
        raise RegisterError("measure_not_found")
    try:
        goal = get_goal(session, context, measure.goal_id)
    except RegisterError as exc:
        raise RegisterError("measure_not_found") from exc
    return measure, goal


# --- changing goals ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalInput:
    title: str
    detail: str = ""
    status: str = GoalStatus.NOT_STARTED
    review_date: date | None = None


def validate_goal(data: GoalInput) -> list[str]:
    errors = []
    if not data.title.strip():
        errors.append("goal_title_missing")
    if data.status not in {s.value for s in GoalStatus}:
        errors.append("goal_status_unknown")
    return errors


def _open(context: Context) -> None:
    if context.merged_into_id is not None:
        raise RegisterError("context_merged")


def _change(
    session: Session,
    staff: StaffIdentity,
    goal: OutcomeGoal,
    change: str,
    before: str = "",
    after: str = "",
    measure_id: int | None = None,
) -> None:
    assert goal.id is not None
    session.add(
        OutcomeChange(
            goal_id=goal.id,
            measure_id=measure_id,
            change=change,
            before=before,
            after=after,
            changed_by_id=staff.user.id,
        )
    )


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def create_goal(
    session: Session, staff: StaffIdentity, context: Context, data: GoalInput
) -> OutcomeGoal:
    _open(context)
    errors = validate_goal(data)
    if errors:
        raise RegisterError(errors[0])
    assert context.id is not None
    goal = OutcomeGoal(
        area_id=context.area_id,
        context_id=context.id,
        title=data.title.strip()[:300],
        detail=data.detail.strip()[:5000],
        status=data.status,
        review_date=data.review_date,
        created_by_id=staff.user.id,
    )
    session.add(goal)
    session.flush()
    _change(session, staff, goal, "created", after=goal.title)
    audit.record(
        session,
        "outcome.goal_created",
        area_id=context.area_id,
        actor_id=staff.user.id,
        subject_type="outcome_goal",
        subject_id=goal.id,
        context_id=context.id,
        status=goal.status,
        review_date=_iso(goal.review_date) or None,
    )
    touch(session, context)
    session.commit()
    return goal


def update_goal(
    session: Session, staff: StaffIdentity, context: Context, goal: OutcomeGoal, data: GoalInput
) -> list[str]:
    """Changes what differs, each change a dated line of the goal's history; returns the fields changed."""
    _open(context)
    errors = validate_goal(data)
    if errors:
        raise RegisterError(errors[0])
    new = {
        "title": data.title.strip()[:300],
        "detail": data.detail.strip()[:5000],
        "status": data.status,
        "review_date": data.review_date,
    }
    changed = []
    before_codes: dict[str, str | None] = {}
    after_codes: dict[str, str | None] = {}
    for name, value in new.items():
        old = getattr(goal, name)
        if old == value:
            continue
        as_text = _iso(value) if name == "review_date" else str(value)  # type: ignore[arg-type]
        old_text = _iso(old) if name == "review_date" else str(old)
        _change(session, staff, goal, name, before=old_text, after=as_text)
        if name in (
            "status",
            "review_date",
        ):  # codes and dates go in the audit log; words stay in the history
            before_codes[name], after_codes[name] = old_text or None, as_text or None
        setattr(goal, name, value)
        changed.append(name)
    if changed:
        goal.updated_at = utcnow()
        session.add(goal)
        audit.record(
            session,
            "outcome.goal_updated",
            area_id=context.area_id,
            actor_id=staff.user.id,
            subject_type="outcome_goal",
            subject_id=goal.id,
            context_id=context.id,
            fields=changed,
            before=before_codes,
            after=after_codes,
        )
        touch(session, context)
    session.commit()
    return changed


# --- linking responses -------------------------------------------------------------------------


def _action_of(session: Session, context: Context, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None or action.area_id != context.area_id or action.context_id != context.id:
        raise RegisterError("action_not_found")
    return action


def link_action(
    session: Session, staff: StaffIdentity, context: Context, goal: OutcomeGoal, action_id: int
) -> bool:
    """Links one of the context's actions to a goal; False when it was linked already."""
    _open(context)
    action = _action_of(session, context, action_id)
    assert goal.id is not None and action.id is not None
    if session.get(OutcomeGoalAction, (goal.id, action.id)) is not None:
        return False
    session.add(OutcomeGoalAction(goal_id=goal.id, action_id=action.id, linked_by_id=staff.user.id))
    _change(session, staff, goal, "action_linked", after=action.title)
    audit.record(
        session,
        "outcome.action_linked",
        area_id=context.area_id,
        actor_id=staff.user.id,
        subject_type="outcome_goal",
        subject_id=goal.id,
        action_id=action.id,
        response_type=action.response_type,
    )
    goal.updated_at = utcnow()
    session.add(goal)
    session.commit()
    return True


def unlink_action(
    session: Session, staff: StaffIdentity, context: Context, goal: OutcomeGoal, action_id: int
) -> bool:
    _open(context)
    action = _action_of(session, context, action_id)
    assert goal.id is not None and action.id is not None
    link = session.get(OutcomeGoalAction, (goal.id, action.id))
    if link is None:
        return False
    session.delete(link)
    _change(session, staff, goal, "action_unlinked", before=action.title)
    audit.record(
        session,
        "outcome.action_unlinked",
        area_id=context.area_id,
        actor_id=staff.user.id,
        subject_type="outcome_goal",
        subject_id=goal.id,
        action_id=action.id,
    )
    goal.updated_at = utcnow()
    session.add(goal)
    session.commit()
    return True


# --- action dates (the anchors of before and after) ----------------------------------------------


def set_action_dates(
    session: Session,
    staff: StaffIdentity,
    action: Action,
    *,
    started_on: date | None,
    completed_on: date | None,
) -> None:
    if started_on and completed_on and started_on > completed_on:
        raise RegisterError("dates_invalid")
    before = {
        "started_on": _iso(action.started_on) or None,
        "completed_on": _iso(action.completed_on) or None,
    }
    action.started_on, action.completed_on = started_on, completed_on
    session.add(action)
    audit.record(
        session,
        "action.dates_updated",
        area_id=action.area_id,
        actor_id=staff.user.id,
        subject_type="action",
        subject_id=action.id,
        before=before,
        after={"started_on": _iso(started_on) or None, "completed_on": _iso(completed_on) or None},
    )
    session.commit()


def dates_for_status(action: Action, status: str, today: date) -> None:
    """An action that starts or finishes gets that day as its start or completion date, unless one is set."""
    if status in (ActionStatus.IN_PROGRESS, ActionStatus.DONE) and action.started_on is None:
        action.started_on = (
            today if status == ActionStatus.IN_PROGRESS else action.created_at.date()
        )
    if status == ActionStatus.DONE and action.completed_on is None:
        action.completed_on = today


# --- what the outcomes page also reads -----------------------------------------------------------


def context_actions(session: Session, context: Context) -> list[Action]:
    """The context's actions, newest first: the ones a goal can be linked to."""
    query = (
        select(Action)
        .where(Action.area_id == context.area_id, Action.context_id == context.id)
        .order_by(col(Action.created_at).desc())
    )
    return list(session.exec(query).all())


def names(session: Session, ids: set[int]) -> dict[int, str]:
    """Staff display names by id, for the goals' history."""
    if not ids:
        return {}
    return {
        u.id: u.display_name
        for u in session.exec(select(User).where(col(User.id).in_(ids))).all()
        if u.id is not None
    }
