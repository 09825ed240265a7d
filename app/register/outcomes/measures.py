"""A goal's measures (what is measured and how, a baseline and a target, as a number or in words)
and their dated readings, the newest being the measure's latest value.

Each change is a dated line of the goal's history and an audit event, as for the goals themselves
(`app.register.outcomes.goals`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from app.accounts.service import StaffIdentity
from app.audit import service as audit
from app.core.types import utcnow
from app.register.models import Context
from app.register.outcomes.goals import _change, _open
from app.register.outcomes.models import (
    MeasureKind,
    MeasureMethod,
    OutcomeGoal,
    OutcomeMeasure,
    OutcomeReading,
)
from app.register.service import RegisterError

# --- measures and readings -----------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureInput:
    what: str
    method: str
    kind: str
    unit: str = ""
    baseline: str = ""
    target: str = ""


def parse_number(value: str) -> float | None:
    """A number as people type it ("35", "35.5", "35%", "1,200"); None for blank; ValueError for words."""
    cleaned = value.strip().rstrip("%").replace(",", "").strip()
    if not cleaned:
        return None
    number = float(cleaned)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _measure_values(data: MeasureInput) -> dict[str, object]:
    if not data.what.strip():
        raise RegisterError("measure_what_missing")
    if data.method not in {m.value for m in MeasureMethod}:
        raise RegisterError("measure_method_unknown")
    if data.kind not in {k.value for k in MeasureKind}:
        raise RegisterError("measure_kind_unknown")
    values: dict[str, object] = {
        "what": data.what.strip()[:300],
        "method": data.method,
        "kind": data.kind,
        "unit": data.unit.strip()[:40],
    }
    if data.kind == MeasureKind.NUMBER:
        try:
            values |= {
                "baseline_value": parse_number(data.baseline),
                "target_value": parse_number(data.target),
                "baseline_text": "",
                "target_text": "",
            }
        except ValueError as exc:
            raise RegisterError("measure_number_invalid") from exc
    else:
        values |= {
            "baseline_value": None,
            "target_value": None,
            "baseline_text": data.baseline.strip()[:2000],
            "target_text": data.target.strip()[:2000],
        }
    return values


def describe_measure(measure: OutcomeMeasure) -> str:
    """The measure in one line of the goal's history (the words stay out of the audit log)."""
    if measure.kind == MeasureKind.NUMBER:
        return f"{measure.what} [{measure.method}] {_number(measure.baseline_value)} -> {_number(measure.target_value)} {measure.unit}".strip()
    return f"{measure.what} [{measure.method}] {measure.baseline_text} -> {measure.target_text}".strip()


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}"


def add_measure(
    session: Session, staff: StaffIdentity, context: Context, goal: OutcomeGoal, data: MeasureInput
) -> OutcomeMeasure:
    _open(context)
    values = _measure_values(data)
    assert goal.id is not None
    measure = OutcomeMeasure(
        area_id=context.area_id,
        goal_id=goal.id,
        what=str(values["what"]),
        created_by_id=staff.user.id,
    )
    for name, value in values.items():
        setattr(measure, name, value)
    session.add(measure)
    session.flush()
    _change(
        session,
        staff,
        goal,
        "measure_added",
        after=describe_measure(measure),
        measure_id=measure.id,
    )
    audit.record(
        session,
        "outcome.measure_added",
        area_id=context.area_id,
        actor_id=staff.user.id,
        subject_type="outcome_measure",
        subject_id=measure.id,
        goal_id=goal.id,
        method=measure.method,
        kind=measure.kind,
    )
    goal.updated_at = utcnow()
    session.add(goal)
    session.commit()
    return measure


def update_measure(
    session: Session,
    staff: StaffIdentity,
    context: Context,
    measure: OutcomeMeasure,
    goal: OutcomeGoal,
    data: MeasureInput,
) -> bool:
    _open(context)
    values = _measure_values(data)
    before = describe_measure(measure)
    changed = [name for name, value in values.items() if getattr(measure, name) != value]
    if not changed:
        return False
    for name, value in values.items():
        setattr(measure, name, value)
    session.add(measure)
    _change(
        session,
        staff,
        goal,
        "measure_edited",
        before=before,
        after=describe_measure(measure),
        measure_id=measure.id,
    )
    audit.record(
        session,
        "outcome.measure_updated",
        area_id=context.area_id,
        actor_id=staff.user.id,
        subject_type="outcome_measure",
        subject_id=measure.id,
        goal_id=goal.id,
        fields=changed,
    )
    goal.updated_at = utcnow()
    session.add(goal)
    session.commit()
    return True


@dataclass(frozen=True)
class ReadingInput:
    value: str
    observed_on: date | None
    text: str = ""


def record_reading(
    session: Session,
    staff: StaffIdentity,
    context: Context,
    measure: OutcomeMeasure,
    goal: OutcomeGoal,
    data: ReadingInput,
    *,
    today: date | None = None,
) -> OutcomeReading:
    _open(context)
    today = today or utcnow().date()
    if data.observed_on is None or data.observed_on > today:
        raise RegisterError("reading_date_invalid")
    value: float | None = None
    if measure.kind == MeasureKind.NUMBER:
        try:
            value = parse_number(data.value)
        except ValueError as exc:
            raise RegisterError("reading_value_invalid") from exc
        if value is None:
            raise RegisterError("reading_value_invalid")
    elif not data.text.strip():
        raise RegisterError("reading_text_missing")
    assert measure.id is not None
    reading = OutcomeReading(
        measure_id=measure.id,
        value=value,
        text=data.text.strip()[:2000],
        observed_on=data.observed_on,
        recorded_by_id=staff.user.id,
    )
    session.add(reading)
    session.flush()
    shown = _number(value) if measure.kind == MeasureKind.NUMBER else reading.text
    _change(
        session,
        staff,
        goal,
        "reading",
        before=measure.what,
        after=f"{shown} ({data.observed_on.isoformat()})",
        measure_id=measure.id,
    )
    audit.record(
        session,
        "outcome.reading_recorded",
        area_id=context.area_id,
        actor_id=staff.user.id,
        subject_type="outcome_measure",
        subject_id=measure.id,
        goal_id=goal.id,
        reading_id=reading.id,
        observed_on=data.observed_on.isoformat(),
    )
    goal.updated_at = utcnow()
    session.add(goal)
    session.commit()
    return reading


