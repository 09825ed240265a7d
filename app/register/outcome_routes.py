"""Outcomes for a context, on its own page: goals, their measures and readings, and the actions linked to them.

Who may do what (declared once per route, as in app.register.routes):
- read a context's outcomes: statutory teams and moderators (everyone who reads the register);
- add or change goals, measures, readings, links and an action's dates: statutory teams.
Goal and measure ids travel in the form, never alone in the path: every change is addressed through
its context (`/contexts/{context_id}/...`), so a context of another area is a 404 before anything
else is looked up, and a goal or measure that is not this context's is refused by the service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.audit.access import ViewRecord, records_view
from app.core.templating import render
from app.core.types import utcnow
from app.core.web import DbId, ReadSession, WriteSession, found, require_role, use_locale
from app.register import actions as actions_service
from app.register import forms, labels, service
from app.register.models import Action, Context
from app.register.outcomes import goals as outcome_goals
from app.register.outcomes import measures as outcome_measures
from app.register.outcomes import models as outcome_models
from app.register.routes import _profile_page

router = APIRouter(
    prefix="/staff/register", dependencies=[Depends(use_locale)], include_in_schema=False
)
OutcomesReader = Annotated[StaffIdentity, Depends(require_role(Role.STATUTORY, Role.MODERATOR))]
OutcomesEditor = Annotated[StaffIdentity, Depends(require_role(Role.STATUTORY))]


def _label(table: str, code: str | None) -> str:
    return labels.label(labels.ALL[table], code)


def _context(session: Session, staff: StaffIdentity, context_id: int) -> Context:
    assert staff.area.id is not None
    return found(service.get_context(session, staff.area.id, context_id))


def _outcomes_page(
    request: Request,
    session: Session,
    context: Context,
    *,
    status_code: int = 200,
    error: str = "",
    error_for: str = "",
    values: dict[str, str] | None = None,
) -> Response:
    today = utcnow().date()
    goals = outcome_goals.context_goals(session, context, today=today, with_history=True)
    assert context.id is not None
    actions = outcome_goals.context_actions(session, context)
    people_ids = {g.goal.created_by_id for g in goals} | {
        h.changed_by_id for g in goals for h in g.history
    }
    return render(
        request,
        "register/outcomes.html",
        {
            "L": _label,
            "O": outcome_models.label,
            "context": context,
            "goals": goals,
            "actions": actions,
            "today": today,
            "goal_statuses": list(outcome_models.GoalStatus),
            "methods": list(outcome_models.MeasureMethod),
            "measure_kinds": list(outcome_models.MeasureKind),
            "GOAL_STATUS": outcome_models.GOAL_STATUS,
            "METHOD": outcome_models.METHOD,
            "MEASURE_KIND": outcome_models.MEASURE_KIND,
            "RESPONSE_FAMILY_LABEL": outcome_models.RESPONSE_FAMILY_LABEL,
            "people": outcome_goals.names(session, {i for i in people_ids if i}),
            "overdue": [g for g in goals if g.review_overdue],
            "error": error,
            "error_for": error_for,
            "values": values or {},
        },
        status_code=status_code,
    )


def _back(context_id: int, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(
        f"/staff/register/contexts/{context_id}/outcomes{anchor}", status_code=303
    )


@dataclass(frozen=True)
class OutcomeChange:
    """A change to a context's outcomes, made the same way by every form on the page."""

    request: Request
    staff: StaffIdentity
    context_id: int
    read: Session
    write: Session

    def run(self, change: Callable[[Context], str], *, error_for: str, typed: dict[str, str]) -> Response:
        """Make `change` through the context, then back to the page at the anchor it returns
        (post/redirect/get). A refusal rolls it back and shows the page again, read afresh, with the
        message beside the form it came from (`error_for`) and what staff typed."""
        context = _context(self.write, self.staff, self.context_id)
        try:
            anchor = change(context)
        except service.RegisterError as exc:
            self.write.close()
            return _outcomes_page(
                self.request,
                self.read,
                _context(self.read, self.staff, self.context_id),
                status_code=422,
                error=str(outcome_models.ERRORS[exc.code]),
                error_for=error_for,
                values=typed,
            )
        return _back(self.context_id, anchor)


async def outcome_change(
    request: Request, context_id: DbId, staff: OutcomesEditor, read: ReadSession, write: WriteSession
) -> OutcomeChange:
    return OutcomeChange(request, staff, context_id, read, write)


OutcomeEdit = Annotated[OutcomeChange, Depends(outcome_change)]


@router.get("/contexts/{context_id}/outcomes")
def outcomes_page(
    request: Request,
    context_id: DbId,
    staff: OutcomesReader,
    session: ReadSession,
    _: Annotated[ViewRecord, Depends(records_view("outcomes_viewed", subject="context_id"))],
) -> Response:
    return _outcomes_page(request, session, _context(session, staff, context_id))


@router.post("/contexts/{context_id}/outcomes/goals")
def add_goal(edit: OutcomeEdit, data: Annotated[forms.GoalForm, Form()]) -> Response:
    def change(context: Context) -> str:
        goal = outcome_goals.create_goal(edit.write, edit.staff, context, data.goal_input())
        return f"#goal-{goal.id}"

    return edit.run(change, error_for="goal-new", typed=data.typed())


@router.post("/contexts/{context_id}/outcomes/goal")
def change_goal(edit: OutcomeEdit, data: Annotated[forms.GoalForm, Form()]) -> Response:
    def change(context: Context) -> str:
        goal = outcome_goals.get_goal(edit.write, context, data.goal)
        outcome_goals.update_goal(edit.write, edit.staff, context, goal, data.goal_input())
        return f"#goal-{goal.id}"

    return edit.run(change, error_for=f"goal-{data.goal}", typed=data.typed())


@router.post("/contexts/{context_id}/outcomes/measures")
def add_measure(edit: OutcomeEdit, data: Annotated[forms.MeasureForm, Form()]) -> Response:
    def change(context: Context) -> str:
        goal = outcome_goals.get_goal(edit.write, context, data.goal)
        outcome_measures.add_measure(edit.write, edit.staff, context, goal, data.measure_input())
        return f"#goal-{goal.id}"

    return edit.run(change, error_for=f"measure-new-{data.goal}", typed=data.typed())


@router.post("/contexts/{context_id}/outcomes/measure")
def change_measure(edit: OutcomeEdit, data: Annotated[forms.MeasureForm, Form()]) -> Response:
    def change(context: Context) -> str:
        measure, goal = outcome_goals.get_measure(edit.write, context, data.measure)
        outcome_measures.update_measure(edit.write, edit.staff, context, measure, goal, data.measure_input())
        return f"#measure-{measure.id}"

    return edit.run(change, error_for=f"measure-{data.measure}", typed=data.typed())


@router.post("/contexts/{context_id}/outcomes/readings")
def add_reading(edit: OutcomeEdit, data: Annotated[forms.ReadingForm, Form()]) -> Response:
    def change(context: Context) -> str:
        measure, goal = outcome_goals.get_measure(edit.write, context, data.measure)
        outcome_measures.record_reading(edit.write, edit.staff, context, measure, goal, data.reading_input())
        return f"#measure-{measure.id}"

    return edit.run(change, error_for=f"reading-{data.measure}", typed=data.typed())


@router.post("/contexts/{context_id}/outcomes/links")
def change_link(edit: OutcomeEdit, data: Annotated[forms.LinkForm, Form()]) -> Response:
    """Links an action to a goal, or (with unlink=yes) takes the link away again."""

    def change(context: Context) -> str:
        goal = outcome_goals.get_goal(edit.write, context, data.goal)
        if data.unlink == "yes":
            outcome_goals.unlink_action(edit.write, edit.staff, context, goal, data.action)
        else:
            outcome_goals.link_action(edit.write, edit.staff, context, goal, data.action)
        return f"#goal-{goal.id}"

    return edit.run(change, error_for=f"link-{data.goal}", typed={})


@router.post("/actions/{action_id}/dates")
def action_dates(
    request: Request,
    action_id: DbId,
    staff: OutcomesEditor,
    read: ReadSession,
    write: WriteSession,
    data: Annotated[forms.ActionDatesForm, Form()],
) -> Response:
    """When an action started and was completed: the days its before-and-after comparison counts from."""
    assert staff.area.id is not None
    action: Action | None = actions_service.get_action(write, staff.area.id, action_id)
    if action is None:
        raise HTTPException(status_code=404)
    try:
        started_on, completed_on = data.dates()
        outcome_goals.set_action_dates(
            write, staff, action, started_on=started_on, completed_on=completed_on
        )
    except service.RegisterError as exc:
        write.close()
        return _profile_page(
            request,
            read,
            staff,
            action.context_id,
            status_code=422,
            error=str(outcome_models.ERRORS[exc.code]),
            error_section=f"dates-{action.id}",
        )
    return RedirectResponse(
        f"/staff/register/contexts/{action.context_id}#action-{action.id}-h", status_code=303
    )
