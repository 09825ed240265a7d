"""The register's forms as they are posted: a context's status, flag, assessment notes, merge and
split; actions; the panel's decisions; and a context's outcomes (goals, measures, readings, links).

Every field arrives as text, so a mistake comes back with the register's own message and what staff
typed, never a bare 400. Lengths are cut where they always were (the body-size limit bounds the
rest); ids that are not a number a row could have become 0, which names no row. Dates are read by
the model, each with the message that belongs to its form.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

from app.core.web import MAX_DB_INT
from app.register.actions import ActionInput
from app.register.models import ActionStatus, AssessmentField
from app.register.outcomes.goals import GoalInput
from app.register.outcomes.measures import MeasureInput, ReadingInput
from app.register.outcomes.models import GoalStatus
from app.register.panel import DecisionInput
from app.register.service import RegisterError


class PostedForm(BaseModel):
    """A staff form: fields the route does not name (the CSRF token, buttons) are ignored."""

    model_config = ConfigDict(extra="ignore")


def form_id(text: str) -> int:
    """An id typed into a form, or 0 (no row) for anything that is not one."""
    text = text.strip()
    return int(text) if text.isdecimal() and 1 <= int(text) <= MAX_DB_INT else 0


def form_date(text: str, code: str) -> date | None:
    """A date from a date field (blank is none); a wrong one is refused with the form's own code."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as exc:
        raise RegisterError(code) from exc


# --- a context -----------------------------------------------------------------------------------


class StatusForm(PostedForm):
    status: str = ""
    note: str = ""


class FlagForm(PostedForm):
    reason: str = ""


class AssessmentForm(PostedForm):
    """The assessment notes and the neighbourhood. A box posted empty is cleared; one the form did
    not carry is kept as it is. FastAPI reads an empty declared field as a missing one, so the boxes
    are not declared one by one: `posted` gathers those the form carried, empty ones included."""

    posted: dict[str, str] = {}

    @model_validator(mode="before")
    @classmethod
    def _posted_boxes(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        names = [*(field.value for field in AssessmentField), "neighbourhood"]
        return {"posted": {name: str(data[name]) for name in names if name in data}}

    @property
    def notes(self) -> dict[str, str]:
        return {name: text for name, text in self.posted.items() if name != "neighbourhood"}

    @property
    def neighbourhood(self) -> str | None:
        return self.posted.get("neighbourhood")


class MergeForm(PostedForm):
    target_id: str = ""
    note: str = ""

    @property
    def target(self) -> int:
        return form_id(self.target_id)


class SplitForm(PostedForm):
    entry_id: list[str] = []
    name: str = ""
    kind: str = ""
    note: str = ""

    @property
    def entry_ids(self) -> list[int]:
        return [entry for entry in map(form_id, self.entry_id) if entry]


# --- actions and the panel -----------------------------------------------------------------------


class ActionForm(PostedForm):
    """An action's questions, as the context's page and the panel ask them."""

    title: str = ""
    owner_organisation: str = ""
    response_type: str = ""
    status: str = ""
    due_date: str = ""
    detail: str = ""
    public_summary: str = ""

    def action_input(self) -> ActionInput:
        return ActionInput(
            title=self.title[:200], owner_organisation=self.owner_organisation[:160], response_type=self.response_type,
            status=self.status or ActionStatus.PLANNED, due_date=form_date(self.due_date, "date_invalid"),
            detail=self.detail[:5000], public_summary=self.public_summary[:1000],
        )

    def typed(self) -> dict[str, str]:
        """What was typed, to show again beside the message."""
        return self.model_dump()


class ActionUpdateForm(PostedForm):
    status: str = ""
    due_date: str = ""

    def due(self) -> date | None:
        return form_date(self.due_date, "date_invalid")


class PublishForm(PostedForm):
    public_summary: str = ""


class DecisionForm(PostedForm):
    """What the panel decided, and the action it agreed, if any (its questions prefixed `action_`)."""

    panel_date: str = ""
    decision: str = ""
    to_status: str = ""
    keep_on_agenda: str = ""
    action_title: str = ""
    action_owner_organisation: str = ""
    action_response_type: str = ""
    action_status: str = ""
    action_due_date: str = ""
    action_detail: str = ""
    action_public_summary: str = ""

    def decision_input(self, today: date) -> DecisionInput:
        return DecisionInput(
            panel_date=form_date(self.panel_date, "date_invalid") or today, decision=self.decision[:5000],
            to_status=self.to_status or None, keep_on_agenda=self.keep_on_agenda == "yes",
        )

    def action_input(self) -> ActionInput | None:
        if not self.action_title.strip():
            return None
        fields = {name: getattr(self, f"action_{name}") for name in ActionForm.model_fields}
        return ActionForm(**fields).action_input()


# --- outcomes ------------------------------------------------------------------------------------


class OutcomeForm(PostedForm):
    """Ids travel as text: one that names no goal or measure of the context is the service's refusal.
    `typed()` is what staff wrote, cut to `typed_limit`, to use and to show again beside a message."""

    typed_fields: ClassVar[tuple[str, ...]] = ()
    typed_limit: ClassVar[int] = 2000
    goal_id: str = ""
    measure_id: str = ""

    @property
    def goal(self) -> int:
        return form_id(self.goal_id)

    @property
    def measure(self) -> int:
        return form_id(self.measure_id)

    def typed(self) -> dict[str, str]:
        return {name: str(getattr(self, name))[: self.typed_limit] for name in self.typed_fields}


def outcome_date(text: str, code: str) -> date | None:
    return form_date(text.strip(), code)


class GoalForm(OutcomeForm):
    typed_fields = ("title", "detail", "status", "review_date")
    typed_limit = 5000
    title: str = ""
    detail: str = ""
    status: str = ""
    review_date: str = ""

    def goal_input(self) -> GoalInput:
        typed = self.typed()
        return GoalInput(
            title=typed["title"], detail=typed["detail"], status=typed["status"] or GoalStatus.NOT_STARTED,
            review_date=outcome_date(typed["review_date"], "review_date_invalid"),
        )


class MeasureForm(OutcomeForm):
    typed_fields = ("what", "method", "kind", "unit", "baseline", "target")
    what: str = ""
    method: str = ""
    kind: str = ""
    unit: str = ""
    baseline: str = ""
    target: str = ""

    def measure_input(self) -> MeasureInput:
        return MeasureInput(**self.typed())


class ReadingForm(OutcomeForm):
    typed_fields = ("value", "text", "observed_on")
    value: str = ""
    text: str = ""
    observed_on: str = ""

    def reading_input(self) -> ReadingInput:
        typed = self.typed()
        return ReadingInput(
            value=typed["value"], text=typed["text"], observed_on=outcome_date(typed["observed_on"], "reading_date_invalid")
        )


class LinkForm(OutcomeForm):
    action_id: str = ""
    unlink: str = ""

    @property
    def action(self) -> int:
        return form_id(self.action_id)


class ActionDatesForm(PostedForm):
    started_on: str = ""
    completed_on: str = ""

    def dates(self) -> tuple[date | None, date | None]:
        return outcome_date(self.started_on, "dates_invalid"), outcome_date(self.completed_on, "dates_invalid")
