"""The register for statutory teams: contexts, a context's profile, status, actions, exports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.templating import render
from app.core.web import DatabaseDep, SessionDep, require_role, use_locale
from app.register import exports, service
from app.register.models import ActionStatus, Context, ContextKind, ContextStatus, ResponseType
from app.reports.taxonomy import category_label

router = APIRouter(prefix="/staff/register", dependencies=[Depends(use_locale)], include_in_schema=False)
RegisterUser = Annotated[StaffIdentity, Depends(require_role(Role.STATUTORY, Role.MODERATOR))]
PAGE_SIZE = 50

ACTION_ERRORS = {
    "title_missing": _l("Please say what the action is."),
    "owner_missing": _l("Please say which organisation owns this action."),
    "response_type_unknown": _l("Please choose the kind of response."),
    "status_unknown": _l("Please choose a status."),
    "summary_missing": _l("Please write the plain-words summary people will see."),
}


@router.get("")
def register(
    request: Request, staff: RegisterUser, session: SessionDep, db: DatabaseDep, status: str = "", kind: str = "", q: str = "", page: int = 1
) -> Response:
    assert staff.area.id is not None
    filters = service.RegisterFilters(
        status=status if status in {s.value for s in ContextStatus} else None,
        kind=kind if kind in {k.value for k in ContextKind} else None,
        search=q[:100],
    )
    page = max(page, 1)
    rows, total = service.list_contexts(session, staff.area.id, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    service.record_view(db, staff, "list_viewed", filters={"status": status, "kind": kind, "q": bool(q)}, page=page)
    return render(
        request,
        "register/list.html",
        {
            "rows": rows, "total": total, "filters": filters, "page": page,
            "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            "statuses": list(ContextStatus), "kinds": list(ContextKind),
        },
    )


def _context(session: Any, staff: StaffIdentity, context_id: int) -> Context:
    assert staff.area.id is not None
    context = service.get_context(session, staff.area.id, context_id)
    if context is None:
        raise HTTPException(status_code=404)
    return context


def _profile_page(request: Request, session: Any, staff: StaffIdentity, context_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    assert staff.area.id is not None
    profile = service.context_profile(session, staff.area.id, context_id)
    if profile is None:
        raise HTTPException(status_code=404)
    return render(
        request,
        "register/context.html",
        {
            "profile": profile, "statuses": list(ContextStatus), "response_types": list(ResponseType),
            "action_statuses": list(ActionStatus), "category_label": category_label,
            "action_error": "", "action_values": {},
        } | extra,
        status_code=status_code,
    )


@router.get("/contexts/{context_id}")
def context_page(request: Request, context_id: int, staff: RegisterUser, session: SessionDep, db: DatabaseDep) -> Response:
    response = _profile_page(request, session, staff, context_id)
    service.record_view(db, staff, "context_viewed", context_id)
    return response


@router.post("/contexts/{context_id}/status")
async def change_status(request: Request, context_id: int, staff: RegisterUser, session: SessionDep) -> Response:
    context = _context(session, staff, context_id)
    form = await request.form()
    try:
        service.change_status(session, staff, context, str(form.get("status", "")), str(form.get("note", "")))
    except service.RegisterError:
        return _profile_page(request, session, staff, context_id, status_code=422)
    return RedirectResponse(f"/staff/register/contexts/{context_id}", status_code=303)


@router.post("/contexts/{context_id}/flag")
def flag(context_id: int, staff: RegisterUser, session: SessionDep) -> Response:
    service.flag_for_panel(session, staff, _context(session, staff, context_id))
    return RedirectResponse(f"/staff/register/contexts/{context_id}", status_code=303)


@router.post("/contexts/{context_id}/actions")
async def add_action(request: Request, context_id: int, staff: RegisterUser, session: SessionDep) -> Response:
    context = _context(session, staff, context_id)
    form = await request.form()
    values = {key: str(form.get(key, "")) for key in ("title", "owner_organisation", "response_type", "status", "due_date", "detail", "public_summary")}
    try:
        due = date.fromisoformat(values["due_date"]) if values["due_date"] else None
    except ValueError:
        return _profile_page(request, session, staff, context_id, status_code=422, action_error=_("Please give the due date as a date."), action_values=values)
    data = service.ActionInput(
        title=values["title"][:200], owner_organisation=values["owner_organisation"][:160], response_type=values["response_type"],
        status=values["status"], due_date=due, detail=values["detail"], public_summary=values["public_summary"],
    )
    try:
        service.record_action(session, staff, context, data)
    except service.RegisterError as exc:
        return _profile_page(request, session, staff, context_id, status_code=422, action_error=str(ACTION_ERRORS[exc.code]), action_values=values)
    return RedirectResponse(f"/staff/register/contexts/{context_id}#actions", status_code=303)


@router.post("/actions/{action_id}/publish")
async def publish_action(request: Request, action_id: int, staff: RegisterUser, session: SessionDep) -> Response:
    assert staff.area.id is not None
    action = service.get_action(session, staff.area.id, action_id)
    if action is None:
        raise HTTPException(status_code=404)
    form = await request.form()
    try:
        service.publish_action(session, staff, action, str(form.get("public_summary", "")))
    except service.RegisterError as exc:
        return _profile_page(request, session, staff, action.context_id, status_code=422, action_error=str(ACTION_ERRORS[exc.code]))
    return RedirectResponse(f"/staff/register/contexts/{action.context_id}#actions", status_code=303)


@router.get("/export.csv")
def export_csv(staff: RegisterUser, session: SessionDep, db: DatabaseDep) -> Response:
    assert staff.area.id is not None
    body = exports.entries_csv(session, staff.area.id)
    service.record_view(db, staff, "exported", format="csv")
    return Response(
        body, media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{staff.area.slug}-register.csv"'},
    )


@router.get("/export.geojson")
def export_geojson(staff: RegisterUser, session: SessionDep, db: DatabaseDep) -> Response:
    assert staff.area.id is not None
    body = exports.dumps(exports.contexts_geojson(session, staff.area.id))
    service.record_view(db, staff, "exported", format="geojson")
    return Response(
        body, media_type="application/geo+json",
        headers={"content-disposition": f'attachment; filename="{staff.area.slug}-contexts.geojson"'},
    )
