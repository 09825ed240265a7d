"""The register for statutory teams: contexts, a context's profile, the panel, weighting, exports.

Who may do what, declared once per route:
- read the register, its map, weighting, panel agenda and exports: statutory teams and moderators;
- change a context (status, panel flag, assessment notes, actions, panel decisions): statutory teams;
- merge and split contexts (curating where entries belong): statutory teams and moderators;
- publish the plain-words "You said, we did" version of an action: moderators, as for every public text;
- read the access log: the area's admins.
Admins may use every staff page (see app.core.web.require_role).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.audit.access import ACCESS_LOG_PER_PAGE, ViewRecord, access_log, records_view
from app.core.i18n import lazy_gettext as _l
from app.core.i18n import local_day
from app.core.templating import render
from app.core.types import utcnow
from app.core.web import (
    DbId,
    PageNumber,
    ReadSession,
    WriteSession,
    found,
    require_role,
    use_locale,
)
from app.register import actions as actions_service
from app.register import (
    charts,
    exports,
    forms,
    labels,
    listing,
    periods,
    regrouping,
    service,
    staff_map,
    weighting,
)
from app.register import panel as panel_service
from app.register import profile as profiles
from app.register.models import (
    Action,
    ActionStatus,
    AssessmentField,
    Context,
    ContextKind,
    ContextStatus,
    ResponseType,
)
from app.reports.taxonomy import DAYS, TIME_BANDS
from app.taxonomy.service import category_names
from app.workshops.service import workshop_votes_by_context

router = APIRouter(prefix="/staff/register", dependencies=[Depends(use_locale)], include_in_schema=False)
RegisterReader = Annotated[StaffIdentity, Depends(require_role(Role.STATUTORY, Role.MODERATOR))]
RegisterEditor = Annotated[StaffIdentity, Depends(require_role(Role.STATUTORY))]
RegisterCurator = Annotated[StaffIdentity, Depends(require_role(Role.STATUTORY, Role.MODERATOR))]
SummaryPublisher = Annotated[StaffIdentity, Depends(require_role(Role.MODERATOR))]
AreaAdmin = Annotated[StaffIdentity, Depends(require_role(Role.ADMIN))]
PAGE_SIZE = 50

ERRORS = {
    "title_missing": _l("Please say what the action is."),
    "owner_missing": _l("Please say which organisation owns this action."),
    "response_type_unknown": _l("Please choose the kind of response."),
    "status_unknown": _l("Please choose a status."),
    "summary_missing": _l("Please write the plain-words summary people will see."),
    "summary_too_long": _l("Please keep the summary under 1000 characters."),
    "summary_personal_details": _l(
        "The summary seems to contain personal details (a name, number or address). Please take them out before publishing."
    ),
    "moderator_only": _l("Only a moderator can publish what the public reads."),
    "context_merged": _l("This context was merged into another one; please make changes there."),
    "merge_same": _l("Please choose a different context to merge into."),
    "not_found": _l("Please choose a context from this area."),
    "name_missing": _l("Please give the new context a name."),
    "kind_unknown": _l("Please choose what kind of context it is."),
    "entries_missing": _l("Please tick the entries to move; only published entries of this context can move."),
    "decision_missing": _l("Please write down what the panel decided."),
    "date_invalid": _l("Please give the date as a date."),
}


def _render(request: Request, template: str, context: dict[str, Any], *, status_code: int = 200) -> Response:
    """render(), with the register's code-to-words helpers: L("status", "on_panel_agenda"), status_note(change)."""
    return render(request, template, {"L": _label, "status_note": labels.status_note} | context, status_code=status_code)


def _label(table: str, code: str | None) -> str:
    return labels.label(labels.ALL[table], code)


def _area_id(staff: StaffIdentity) -> int:
    assert staff.area.id is not None
    return staff.area.id


def _filters(status: str, kind: str, q: str, period: str, theme: str, neighbourhood: str, sort: str) -> listing.RegisterFilters:
    return listing.RegisterFilters(
        status=status if status in {s.value for s in ContextStatus} else None,
        kind=kind if kind in {k.value for k in ContextKind} else None,
        search=q[:100],
        period=period if period in periods.PERIODS else periods.DEFAULT_PERIOD,
        theme=theme[:60] or None,
        neighbourhood=neighbourhood[:80] or None,
        sort=sort if sort in listing.SORTS else "activity",
    )


@router.get("")
def register(
    request: Request, staff: RegisterReader, session: ReadSession, view: Annotated[ViewRecord, Depends(records_view("list_viewed"))], status: str = "", kind: str = "", q: str = "",
    period: str = periods.DEFAULT_PERIOD, theme: str = "", neighbourhood: str = "", sort: str = "activity", page: PageNumber = 1,
) -> Response:
    filters = _filters(status, kind, q, period, theme, neighbourhood, sort)
    page = max(page, 1)
    result = listing.register_page(session, _area_id(staff), filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    # What was filtered on, but not the typed search words (the log keeps codes, not free text).
    logged = {k: v for k, v in filters.query_params().items() if k != "q"}
    view.note(filters=logged, searched=bool(filters.search), page=page)
    return _render(
        request,
        "register/list.html",
        {
            "result": result, "rows": result.rows, "total": result.total, "filters": filters, "page": page,
            "pages": max((result.total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            "statuses": list(ContextStatus), "kinds": list(ContextKind), "periods": list(periods.PERIODS), "sorts": listing.SORTS,
            "sparkline": charts.sparkline, "category_label": category_names(session, _area_id(staff)),
        },
    )


@router.get("/map")
def register_map(request: Request, staff: RegisterReader, session: ReadSession, _: Annotated[ViewRecord, Depends(records_view("map_viewed"))]) -> Response:
    contexts_map = staff_map.contexts_map(session, staff.area)
    return _render(request, "register/contexts_map.html", {"map": contexts_map})


@router.get("/weighting")
def weighting_page(request: Request, staff: RegisterReader, session: ReadSession, _: Annotated[ViewRecord, Depends(records_view("weighting_viewed"))]) -> Response:
    # The room's priorities: closed workshop dot-votes on published entries, per context.
    votes = workshop_votes_by_context(session, _area_id(staff))
    ranked = weighting.weigh_contexts(session, _area_id(staff), workshop_votes=votes)
    return _render(
        request, "register/weighting.html",
        {"ranked": ranked, "weights": weighting.WEIGHTS, "labels": weighting.FACTOR_LABELS, "category_label": category_names(session, _area_id(staff)), "votes_on": bool(votes)},
    )


@router.get("/panel")
def panel(request: Request, staff: RegisterReader, session: ReadSession, _: Annotated[ViewRecord, Depends(records_view("panel_viewed"))]) -> Response:
    return _panel_page(request, session, staff)


def _panel_page(request: Request, session: Session, staff: StaffIdentity, *, error: str = "", error_for: int | None = None) -> Response:
    return _render(
        request, "register/panel.html",
        {
            "items": panel_service.panel_agenda(session, _area_id(staff)), "statuses": list(ContextStatus), "response_types": list(ResponseType),
            "action_statuses": list(ActionStatus), "category_label": category_names(session, _area_id(staff)), "time_labels": TIME_BANDS,
            "today": local_day(utcnow(), staff.area.time_zone), "error": error, "error_for": error_for,
        },
        status_code=422 if error else 200,
    )


@router.get("/panel.csv")
def panel_export(staff: RegisterReader, session: ReadSession, _: Annotated[ViewRecord, Depends(records_view("exported", format="panel_csv"))]) -> Response:
    body = exports.panel_csv(panel_service.panel_agenda(session, _area_id(staff)), category_names(session, _area_id(staff)))
    return Response(
        body, media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{staff.area.slug}-panel-agenda.csv"'},
    )


@router.post("/panel/{context_id}/decision")
def record_decision(
    request: Request, context_id: DbId, staff: RegisterEditor, read: ReadSession, write: WriteSession, data: Annotated[forms.DecisionForm, Form()]
) -> Response:
    context = _context(write, staff, context_id)
    try:
        panel_service.record_decision(write, staff, context, data.decision_input(utcnow().date()), data.action_input())
    except service.RegisterError as exc:
        write.close()
        return _panel_page(request, read, staff, error=str(ERRORS[exc.code]), error_for=context_id)
    return RedirectResponse("/staff/register/panel", status_code=303)


@router.get("/access-log")
def access_log_page(request: Request, staff: AreaAdmin, session: ReadSession, view: Annotated[ViewRecord, Depends(records_view("access_log_viewed"))], page: PageNumber = 1) -> Response:
    page = max(page, 1)
    entries, total = access_log(session, _area_id(staff), page=page)
    view.note(page=page)
    per_page = ACCESS_LOG_PER_PAGE
    return _render(request, "register/access_log.html", {"entries": entries, "total": total, "page": page, "pages": max((total + per_page - 1) // per_page, 1)})


def _context(session: Session, staff: StaffIdentity, context_id: int) -> Context:
    return found(service.get_context(session, _area_id(staff), context_id))


def _profile_page(
    request: Request, session: Session, staff: StaffIdentity, context_id: int, *, status_code: int = 200, entries_page: int = 1,
    window_weeks: int = 8, window_anchor: str = "start", merge_query: str = "", **extra: Any
) -> Response:
    profile = found(profiles.context_profile(
        session, _area_id(staff), context_id, entries_page=entries_page, window_weeks=window_weeks, window_anchor=window_anchor,
        merge_query=merge_query,
    ))
    months = [m.month for m in profile.monthly]
    category_label = category_names(session, _area_id(staff))
    return _render(
        request,
        "register/context.html",
        {
            "profile": profile, "statuses": list(ContextStatus), "response_types": list(ResponseType), "kinds": list(ContextKind),
            "action_statuses": list(ActionStatus), "category_label": category_label, "time_labels": TIME_BANDS, "day_labels": DAYS,
            "assessment_fields": list(AssessmentField),
            "month_chart": charts.stacked_columns(
                [m[5:] + "/" + m[2:4] for m in months],
                {"safe": [m.safe for m in profile.monthly], "unsafe": [m.unsafe for m in profile.monthly], "structural": [m.structural for m in profile.monthly]},
            ),
            "time_chart": charts.horizontal_bars([(str(TIME_BANDS.get(c, c)), n) for c, n in profile.time_of_day]),
            "day_chart": charts.horizontal_bars([(str(DAYS.get(c, c)), n) for c, n in profile.days]),
            "theme_chart": charts.horizontal_bars([(category_label(c), n) for c, n in profile.themes[:8]]),
            "error": "", "error_section": "", "action_values": {}, "merge_query": merge_query,
        } | extra,
        status_code=status_code,
    )


def _error_page(request: Request, read: Session, write: Session, staff: StaffIdentity, context_id: int, code: str, section: str, **extra: Any) -> Response:
    """The context's page again with the message, read afresh once the refused change is rolled back."""
    write.close()
    return _profile_page(request, read, staff, context_id, status_code=422, error=str(ERRORS[code]), error_section=section, **extra)


@router.get("/contexts/{context_id}")
def context_page(
    request: Request, context_id: DbId, staff: RegisterReader, session: ReadSession,
    view: Annotated[ViewRecord, Depends(records_view("context_viewed", subject="context_id"))], entries: int = 1,
    weeks: int = 8, anchor: str = "start", merge_q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    response = _profile_page(
        request, session, staff, context_id, entries_page=entries, window_weeks=weeks, window_anchor=anchor, merge_query=merge_q
    )
    view.note(entries_page=entries)
    return response


def _back(context_id: int, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/staff/register/contexts/{context_id}{anchor}", status_code=303)


@router.post("/contexts/{context_id}/status")
def change_status(request: Request, context_id: DbId, staff: RegisterEditor, read: ReadSession, write: WriteSession, data: Annotated[forms.StatusForm, Form()]) -> Response:
    context = _context(write, staff, context_id)
    try:
        service.change_status(write, staff, context, data.status, data.note)
    except service.RegisterError as exc:
        return _error_page(request, read, write, staff, context_id, exc.code, "status")
    return _back(context_id, "#status-h")


@router.post("/contexts/{context_id}/flag")
def flag(request: Request, context_id: DbId, staff: RegisterEditor, read: ReadSession, write: WriteSession, data: Annotated[forms.FlagForm, Form()]) -> Response:
    context = _context(write, staff, context_id)
    try:
        service.flag_for_panel(write, staff, context, data.reason)
    except service.RegisterError as exc:
        return _error_page(request, read, write, staff, context_id, exc.code, "status")
    return _back(context_id)


@router.post("/contexts/{context_id}/assessment")
def assessment(context_id: DbId, staff: RegisterEditor, session: WriteSession, data: Annotated[forms.AssessmentForm, Form()]) -> Response:
    context = _context(session, staff, context_id)
    service.update_assessment(session, staff, context, data.notes, data.neighbourhood)
    return _back(context_id, "#assessment-h")


@router.post("/contexts/{context_id}/merge")
def merge(request: Request, context_id: DbId, staff: RegisterCurator, read: ReadSession, write: WriteSession, data: Annotated[forms.MergeForm, Form()]) -> Response:
    source = _context(write, staff, context_id)
    target = service.get_context(write, _area_id(staff), data.target) if data.target else None
    if target is None:
        return _error_page(request, read, write, staff, context_id, "not_found", "merge")
    try:
        regrouping.merge_contexts(write, staff, source, target, data.note)
    except service.RegisterError as exc:
        return _error_page(request, read, write, staff, context_id, exc.code, "merge")
    return _back(data.target)


@router.post("/contexts/{context_id}/split")
def split(request: Request, context_id: DbId, staff: RegisterCurator, read: ReadSession, write: WriteSession, data: Annotated[forms.SplitForm, Form()]) -> Response:
    source = _context(write, staff, context_id)
    try:
        new = regrouping.split_context(write, staff, source, data.entry_ids, name=data.name[:160], kind=data.kind, note=data.note)
    except service.RegisterError as exc:
        return _error_page(request, read, write, staff, context_id, exc.code, "split")
    assert new.id is not None
    return _back(new.id)


@router.post("/contexts/{context_id}/actions")
def add_action(request: Request, context_id: DbId, staff: RegisterEditor, read: ReadSession, write: WriteSession, data: Annotated[forms.ActionForm, Form()]) -> Response:
    context = _context(write, staff, context_id)
    try:
        actions_service.record_action(write, staff, context, data.action_input())
    except service.RegisterError as exc:
        return _error_page(request, read, write, staff, context_id, exc.code, "action", action_values=data.typed())
    return _back(context_id, "#actions")


def _action(session: Session, staff: StaffIdentity, action_id: int) -> Action:
    return found(actions_service.get_action(session, _area_id(staff), action_id))


@router.post("/actions/{action_id}/update")
def update_action(request: Request, action_id: DbId, staff: RegisterEditor, read: ReadSession, write: WriteSession, data: Annotated[forms.ActionUpdateForm, Form()]) -> Response:
    action = _action(write, staff, action_id)
    try:
        actions_service.update_action(write, staff, action, status=data.status, due_date=data.due())
    except service.RegisterError as exc:
        return _error_page(request, read, write, staff, action.context_id, exc.code, "action")
    return _back(action.context_id, "#actions")


@router.post("/actions/{action_id}/publish")
def publish_action(request: Request, action_id: DbId, staff: SummaryPublisher, read: ReadSession, write: WriteSession, data: Annotated[forms.PublishForm, Form()]) -> Response:
    action = _action(write, staff, action_id)
    try:
        actions_service.publish_action(write, staff, action, data.public_summary)
    except service.RegisterError as exc:
        return _error_page(request, read, write, staff, action.context_id, exc.code, "action")
    return _back(action.context_id, "#actions")


@router.post("/actions/{action_id}/unpublish")
def unpublish_action(action_id: DbId, staff: SummaryPublisher, session: WriteSession) -> Response:
    action = _action(session, staff, action_id)
    actions_service.unpublish_action(session, staff, action)
    return _back(action.context_id, "#actions")


@router.get("/export.csv")
def export_csv(staff: RegisterReader, session: ReadSession, _: Annotated[ViewRecord, Depends(records_view("exported", format="csv"))]) -> Response:
    body = exports.entries_csv(session, _area_id(staff))
    return Response(
        body, media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{staff.area.slug}-register.csv"'},
    )


@router.get("/export.geojson")
def export_geojson(staff: RegisterReader, session: ReadSession, _: Annotated[ViewRecord, Depends(records_view("exported", format="geojson"))]) -> Response:
    body = exports.dumps(exports.contexts_geojson(session, _area_id(staff)))
    return Response(
        body, media_type="application/geo+json",
        headers={"content-disposition": f'attachment; filename="{staff.area.slug}-contexts.geojson"'},
    )
