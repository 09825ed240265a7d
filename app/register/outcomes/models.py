"""The outcomes tables (goals, their linked actions, measures, readings and history), their codes,
and the words for the codes in the language current when shown.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from babel.support import LazyProxy
from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from app.core.i18n import lazy_gettext as _l
from app.core.types import UTCDateTime, utcnow
from app.register.models import ResponseType

# --- models ------------------------------------------------------------------------------------


class GoalStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    NO_LONGER_RELEVANT = "no_longer_relevant"


OPEN_GOAL_STATUSES = frozenset({GoalStatus.NOT_STARTED, GoalStatus.IN_PROGRESS})


class MeasureMethod(StrEnum):
    """How a measure is taken."""

    ENTRIES = "entries"  # what people tell us on Safety Map, e.g. the share of entries here that feel safe
    WORKSHOP = "workshop"  # young people's feedback in a workshop
    SURVEY = "survey"  # a survey or questionnaire
    OBSERVATION = "observation"  # a safety walk or what practitioners see
    OTHER = "other"


class MeasureKind(StrEnum):
    NUMBER = "number"  # a baseline, a target and readings as numbers
    WORDS = "words"  # qualitative: what it is like now, what we hope to hear, what people said


class OutcomeGoal(SQLModel, table=True):
    __tablename__ = "outcome_goal"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    context_id: int = Field(foreign_key="context.id", index=True)
    title: str = Field(max_length=300)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default=GoalStatus.NOT_STARTED, max_length=20)
    review_date: date | None = None
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OutcomeGoalAction(SQLModel, table=True):
    """An action of the context that is meant to reach a goal (an action may serve several goals)."""

    __tablename__ = "outcome_goal_action"

    goal_id: int = Field(foreign_key="outcome_goal.id", primary_key=True)
    action_id: int = Field(foreign_key="action.id", primary_key=True, index=True)
    linked_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OutcomeMeasure(SQLModel, table=True):
    __tablename__ = "outcome_measure"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    goal_id: int = Field(foreign_key="outcome_goal.id", index=True)
    what: str = Field(max_length=300)
    method: str = Field(default=MeasureMethod.OTHER, max_length=20)
    kind: str = Field(default=MeasureKind.NUMBER, max_length=10)
    unit: str = Field(default="", max_length=40)
    baseline_value: float | None = None
    target_value: float | None = None
    baseline_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    target_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OutcomeReading(SQLModel, table=True):
    """One dated value of a measure: the newest is its latest value."""

    __tablename__ = "outcome_reading"

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="outcome_measure.id", index=True)
    value: float | None = None
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    observed_on: date
    recorded_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OutcomeChange(SQLModel, table=True):
    """A goal's dated history: each change to it, its measures and its linked responses, with the words."""

    __tablename__ = "outcome_change"

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="outcome_goal.id", index=True)
    measure_id: int | None = Field(default=None, foreign_key="outcome_measure.id")
    change: str = Field(max_length=30)
    before: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    after: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    changed_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# --- words for the codes -------------------------------------------------------------------------

GOAL_STATUS: dict[str, LazyProxy] = {
    "not_started": _l("Not started"),
    "in_progress": _l("In progress"),
    "achieved": _l("Achieved"),
    "no_longer_relevant": _l("No longer relevant"),
}
METHOD: dict[str, LazyProxy] = {
    "entries": _l("What people tell us on Safety Map"),
    "workshop": _l("Young people's feedback in a workshop"),
    "survey": _l("A survey or questionnaire"),
    "observation": _l("A safety walk or what practitioners see"),
    "other": _l("Another way"),
}
MEASURE_KIND: dict[str, LazyProxy] = {
    "number": _l("A number"),
    "words": _l("In words (what people say)"),
}
# Which family each response type belongs to: the outcomes page shows the mix of a goal's responses,
# so a plan that leans only on enforcement is easy to see.
RESPONSE_FAMILY: dict[str, str] = {
    ResponseType.RELATIONAL: "relational",
    ResponseType.PROVISION: "relational",
    ResponseType.GUARDIANSHIP: "relational",
    ResponseType.ENVIRONMENT: "physical",
    ResponseType.POLICY: "policy",
    ResponseType.ENFORCEMENT: "enforcement",
}
RESPONSE_FAMILY_LABEL: dict[str, LazyProxy] = {
    "relational": _l("relational (youth work, trusted adults, provision, guardianship)"),
    "physical": _l("physical or environmental (lighting, design)"),
    "policy": _l("policy or practice"),
    "enforcement": _l("enforcement"),
}
ERRORS: dict[str, LazyProxy] = {
    "goal_title_missing": _l("Please write the goal in plain words."),
    "goal_status_unknown": _l("Please choose the goal's status."),
    "review_date_invalid": _l("Please give the review date as a date."),
    "goal_not_found": _l("Please choose a goal of this context."),
    "measure_what_missing": _l("Please say what is measured."),
    "measure_method_unknown": _l("Please choose how it is measured."),
    "measure_kind_unknown": _l("Please choose whether it is a number or in words."),
    "measure_number_invalid": _l(
        "Please give the baseline and the target as numbers, for example 20 or 35.5."
    ),
    "measure_not_found": _l("Please choose a measure of this context's goals."),
    "reading_value_invalid": _l("Please give the latest value as a number."),
    "reading_text_missing": _l("Please write what people said."),
    "reading_date_invalid": _l("Please give the date the value is from, not later than today."),
    "action_not_found": _l("Please choose an action of this context."),
    "dates_invalid": _l("Please give the dates as dates, with the start not after the completion."),
    "context_merged": _l("This context was merged into another one; please make changes there."),
}


def label(table: dict[str, LazyProxy], code: str | None) -> str:
    if not code:
        return ""
    found = table.get(code)
    return str(found) if found is not None else code.replace("_", " ")

