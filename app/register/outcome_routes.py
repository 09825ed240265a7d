"""Outcomes for a context, on its own page: goals, their measures and readings, and the actions linked to them.

Who may do what (declared once per route, as in app.register.routes):
- read a context's outcomes: statutory teams and moderators (everyone who reads the register);
- add or change goals, measures, readings, links and an action's dates: statutory teams.
Goal and measure ids travel in the form, never alone in the path: every change is addressed through
its context (`/contexts/{context_id}/...`), so a context of another area is a 404 before anything
else is looked up, and a goal or measure that is not this context's is refused by the service.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.audit.access import ViewRecord, records_view
from app.core.templating import render
from app.core.types import utcnow
from app.core.web import DbId, SessionDep, require_role, use_locale
from app.register import actions as actions_service
from app.register import labels, service
from app.register.models import Action, Context
from app.register.outcomes import goals as outcome_goals
from app.register.outcomes import measures as outcome_measures
from app.register.outcomes import models as outcome_models
from app.register.routes import _profile_page
from app.workshops.forms import FormDep

router = APIRouter(
    prefix="/staff/register", dependencies=[Depends(use_locale)], include_in_schema=False
)
OutcomesReader = Annotated[StaffIdentity, Depends(require_role(Role.STATUTORY, Role.MODERATOR))]
OutcomesEditor = Annotated[StaffIdentity, Depends(require_role(Role.STATUTORY))]

GOAL_FIELDS = ("title", "detail", "status", "review_date")
MEASURE_FIELDS = ("what", "method", "kind", "unit", "baseline", "target")
READING_FIELDS = ("value", "text", "observed_on")


def _label(table: str, code: str | None) -> str:
    return labels.label(labels.ALL[table], code)


def _context(session: Session, staff: StaffIdentity, context_id: int) -> Context:
    assert staff.area.id is not None
    context = service.get_context(session, staff.area.id, context_id)
    if context is None:
        raise HTTPException(status_code=404)
    return context


def _id(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _date(value: str, code: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError as exc:
        raise service.RegisterError(code) from exc


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


def _refused(
    request: Request,
    session: Session,
    context: Context,
    code: str,
    error_for: str,
    values: dict[str, str],
) -> Response:
    session.rollback()
    return _outcomes_page(
        request,
        session,
        context,
        status_code=422,
        error=str(outcome_models.ERRORS[code]),
        error_for=error_for,
        values=values,
    )


def _back(context: Context, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(
        f"/staff/register/contexts/{context.id}/outcomes{anchor}", status_code=303
    )


def _values(form: Any, names: tuple[str, ...], limit: int = 5000) -> dict[str, str]:
    return {name: str(form.get(name, ""))[:limit] for name in names}


@router.get("/contexts/{context_id}/outcomes")
def outcomes_page(
    request: Request,
    context_id: DbId,
    staff: OutcomesReader,
    session: SessionDep,
    _: Annotated[ViewRecord, Depends(records_view("outcomes_viewed", subject="context_id"))],
) -> Response:
    return _outcomes_page(request, session, _context(session, staff, context_id))


def _goal_input(values: dict[str, str]) -> outcome_goals.GoalInput:
    return outcome_goals.GoalInput(
        title=values["title"],
        detail=values["detail"],
        status=values["status"] or outcome_models.GoalStatus.NOT_STARTED,
        review_date=_date(values["review_date"], "review_date_invalid"),
    )


@router.post("/contexts/{context_id}/outcomes/goals")
def add_goal(
    request: Request, context_id: DbId, staff: OutcomesEditor, session: SessionDep, form: FormDep
) -> Response:
    context = _context(session, staff, context_id)
    values = _values(form, GOAL_FIELDS)
    try:
        goal = outcome_goals.create_goal(session, staff, context, _goal_input(values))
    except service.RegisterError as exc:
        return _refused(request, session, context, exc.code, "goal-new", values)
    return _back(context, f"#goal-{goal.id}")


@router.post("/contexts/{context_id}/outcomes/goal")
def change_goal(
    request: Request, context_id: DbId, staff: OutcomesEditor, session: SessionDep, form: FormDep
) -> Response:
    context = _context(session, staff, context_id)
    goal_id = _id(form.get("goal_id", ""))
    values = _values(form, GOAL_FIELDS)
    try:
        goal = outcome_goals.get_goal(session, context, goal_id)
        outcome_goals.update_goal(session, staff, context, goal, _goal_input(values))
    except service.RegisterError as exc:
        return _refused(request, session, context, exc.code, f"goal-{goal_id}", values)
    return _back(context, f"#goal-{goal.id}")


def _measure_input(values: dict[str, str]) -> outcome_measures.MeasureInput:
    return outcome_measures.MeasureInput(
        what=values["what"],
        method=values["method"],
        kind=values["kind"],
        unit=values["unit"],
        baseline=values["baseline"],
        target=values["target"],
    )


@router.post("/contexts/{context_id}/outcomes/measures")
def add_measure(
    request: Request, context_id: DbId, staff: OutcomesEditor, session: SessionDep, form: FormDep
) -> Response:
    context = _context(session, staff, context_id)
    goal_id = _id(form.get("goal_id", ""))
    values = _values(form, MEASURE_FIELDS, 2000)
    try:
        goal = outcome_goals.get_goal(session, context, goal_id)
        outcome_measures.add_measure(session, staff, context, goal, _measure_input(values))
    except service.RegisterError as exc:
        return _refused(request, session, context, exc.code, f"measure-new-{goal_id}", values)
    return _back(context, f"#goal-{goal.id}")


@router.post("/contexts/{context_id}/outcomes/measure")
def change_measure(
    request: Request, context_id: DbId, staff: OutcomesEditor, session: SessionDep, form: FormDep
) -> Response:
    context = _context(session, staff, context_id)
    measure_id = _id(form.get("measure_id", ""))
    values = _values(form, MEASURE_FIELDS, 2000)
    try:
        measure, goal = outcome_goals.get_measure(session, context, measure_id)
        outcome_measures.update_measure(session, staff, context, measure, goal, _measure_input(values))
    except service.RegisterError as exc:
        return _refused(request, session, context, exc.code, f"measure-{measure_id}", values)
    return _back(context, f"#measure-{measure.id}")


@router.post("/contexts/{context_id}/outcomes/readings")
def add_reading(
    request: Request, context_id: DbId, staff: OutcomesEditor, session: SessionDep, form: FormDep
) -> Response:
    context = _context(session, staff, context_id)
    measure_id = _id(form.get("measure_id", ""))
    values = _values(form, READING_FIELDS, 2000)
    try:
        measure, goal = outcome_goals.get_measure(session, context, measure_id)
        reading = outcome_measures.ReadingInput(
            value=values["value"],
            text=values["text"],
            observed_on=_date(values["observed_on"], "reading_date_invalid"),
        )
        outcome_measures.record_reading(session, staff, context, measure, goal, reading)
    except service.RegisterError as exc:
        return _refused(request, session, context, exc.code, f"reading-{measure_id}", values)
    return _back(context, f"#measure-{measure.id}")


@router.post("/contexts/{context_id}/outcomes/links")
def change_link(
    request: Request, context_id: DbId, staff: OutcomesEditor, session: SessionDep, form: FormDep
) -> Response:
    """Links an action to a goal, or (with unlink=yes) takes the link away again."""
    context = _context(session, staff, context_id)
    goal_id = _id(form.get("goal_id", ""))
    action_id = _id(form.get("action_id", ""))
    try:
        goal = outcome_goals.get_goal(session, context, goal_id)
        if form.get("unlink") == "yes":
            outcome_goals.unlink_action(session, staff, context, goal, action_id)
        else:
            outcome_goals.link_action(session, staff, context, goal, action_id)
    except service.RegisterError as exc:
        return _refused(request, session, context, exc.code, f"link-{goal_id}", {})
    return _back(context, f"#goal-{goal.id}")


@router.post("/actions/{action_id}/dates")
def action_dates(
    request: Request, action_id: DbId, staff: OutcomesEditor, session: SessionDep, form: FormDep
) -> Response:
    """When an action started and was completed: the days its before-and-after comparison counts from."""
    assert staff.area.id is not None
    action: Action | None = actions_service.get_action(session, staff.area.id, action_id)
    if action is None:
        raise HTTPException(status_code=404)
    try:
        outcome_goals.set_action_dates(
            session,
            staff,
            action,
            started_on=_date(str(form.get("started_on", "")), "dates_invalid"),
            completed_on=_date(str(form.get("completed_on", "")), "dates_invalid"),
        )
    except service.RegisterError as exc:
        session.rollback()
        return _profile_page(
            request,
            session,
            staff,
            action.context_id,
            status_code=422,
            error=str(outcome_models.ERRORS[exc.code]),
            error_section=f"dates-{action.id}",
        )
    return RedirectResponse(
        f"/staff/register/contexts/{action.context_id}#action-{action.id}-h", status_code=303
    )
