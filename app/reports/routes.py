"""Public reporting: the form, the receipt, /track and withdrawal."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.areas import service as areas
from app.areas.models import Area
from app.core.i18n import gettext as _
from app.core.security import CSRFError, check_csrf, csrf_exempt
from app.core.templating import render
from app.core.web import PublicArea, SessionDep, SettingsDep, client_address, use_locale
from app.reports import service
from app.reports.schemas import ReportCreate, error_messages
from app.reports.taxonomy import (
    AGE_BANDS,
    CATEGORIES,
    DAYS,
    FEELINGS,
    KIND_HINTS,
    KIND_LABELS,
    REPORTER_ROLES,
    TIME_BANDS,
)

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)

LIST_FIELDS = ("time_bands", "days", "categories")
HONEYPOT_FIELD = "extra_details_hp"


def _form_context(session: Any, area: Area, values: dict[str, Any], errors: dict[str, str], notice: str = "") -> dict[str, Any]:
    assert area.id is not None
    return {
        "values": values,
        "errors": errors,
        "notice": notice,
        "places": areas.places(session, area.id),
        "kinds": KIND_LABELS,
        "kind_hints": KIND_HINTS,
        "categories": CATEGORIES,
        "time_bands": TIME_BANDS,
        "days": DAYS,
        "feelings": FEELINGS,
        "age_bands": AGE_BANDS,
        "reporter_roles": REPORTER_ROLES,
        "honeypot_field": HONEYPOT_FIELD,
    }


@router.get("/report")
def report_form(request: Request, area: PublicArea, session: SessionDep) -> Response:
    values = {"submission_token": service.new_submission_token()}
    return render(request, "reports/form.html", _form_context(session, area, values, {}))


@router.post("/report")
@csrf_exempt("checks its own token so that a stale form shows the answers again instead of losing them")
async def submit(request: Request, area: PublicArea, session: SessionDep, settings: SettingsDep) -> Response:
    form = await request.form()
    values: dict[str, Any] = {key: form.get(key, "") for key in form if key not in LIST_FIELDS}
    for key in LIST_FIELDS:
        values[key] = [v for v in form.getlist(key) if isinstance(v, str)]
    if not values.get("submission_token"):
        values["submission_token"] = service.new_submission_token()

    def again(errors: dict[str, str], notice: str = "", status: int = 422) -> Response:
        return render(request, "reports/form.html", _form_context(session, area, values, errors, notice), status_code=status)

    try:
        await check_csrf(request)
    except CSRFError:
        return again({}, _("This page was open for a while, so we need you to press send once more. Your answers are still here."), 400)
    if form.get(HONEYPOT_FIELD):
        return again({HONEYPOT_FIELD: _("Please leave this box empty.")})
    limiter = request.app.state.rate_limiter
    if not limiter.hit("report", client_address(request, settings), limit=settings.report_rate_limit, window_seconds=3600):
        return again({}, _("You have sent a lot of reports in a short time. Please wait a little and press send again: your answers are still here."), 429)
    try:
        data = ReportCreate.model_validate(values)
    except ValidationError as exc:
        return again(error_messages(exc))
    try:
        submitted = service.submit_report(session, area, data, language=request.state.locale)
    except service.ReportInputError as exc:
        message = (
            _("That point is outside %(area)s. Please choose somewhere inside the area, or describe it in words.", area=area.name)
            if exc.code == "outside_area"
            else _("Please choose a place from the list, or describe it in words.")
        )
        return again({exc.field: message})
    return render(request, "reports/sent.html", {"report": submitted.report})


@router.get("/track")
def track_form(request: Request, area: PublicArea) -> Response:
    return render(request, "reports/track.html", {"code": "", "error": ""})


@router.post("/track")
async def track(request: Request, area: PublicArea, session: SessionDep, settings: SettingsDep) -> Response:
    # POST, not GET: the receipt code stays out of the address bar, history and server logs.
    form = await request.form()
    code = str(form.get("code", "")).strip()
    limiter = request.app.state.rate_limiter
    if not limiter.hit("track", client_address(request, settings), limit=60, window_seconds=3600):
        return render(request, "reports/track.html", {"code": code, "error": _("Too many tries. Please wait a little and try again.")}, status_code=429)
    assert area.id is not None
    report = service.find_by_receipt(session, area.id, code) if code else None
    if report is None:
        error = _("Please type your receipt code.") if not code else _("We could not find that code. Please check it and try again: it has 12 letters and numbers.")
        return render(request, "reports/track.html", {"code": code, "error": error}, status_code=422 if code else 400)
    actions = service.published_actions_for(session, report)
    return render(request, "reports/track_result.html", {"report": report, "actions": actions, "code": report.receipt_code})


@router.post("/track/withdraw")
async def withdraw(request: Request, area: PublicArea, session: SessionDep) -> Response:
    form = await request.form()
    code = str(form.get("code", ""))
    assert area.id is not None
    report = service.find_by_receipt(session, area.id, code)
    if report is None:
        return render(request, "reports/track.html", {"code": code, "error": _("We could not find that code. Please check it and try again: it has 12 letters and numbers.")}, status_code=422)
    if form.get("confirm") != "yes":
        return render(request, "reports/withdraw_confirm.html", {"code": report.receipt_code})
    service.withdraw(session, report)
    return render(request, "reports/withdrawn.html")
