"""Public reporting: the form, the receipt, /track and withdrawal."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.areas import service as areas
from app.areas.models import Area
from app.core import i18n
from app.core.i18n import gettext as _
from app.core.security import CSRFError, check_csrf, csrf_exempt
from app.core.templating import render
from app.core.web import PublicArea, SessionDep, SettingsDep, client_address, use_locale
from app.register.models import Context
from app.reports import flow, service
from app.reports.models import ReportKind
from app.reports.schemas import ReportCreate, error_messages
from app.reports.taxonomy import (
    AGE_BANDS,
    DAYS,
    FEELINGS,
    KIND_LABELS,
    REPORTER_ROLES,
    TIME_BANDS,
)
from app.taxonomy import service as taxonomy

FORM_QUESTIONS = ("where", "when", "what", "description", "feel", "what_would_help")

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)

HONEYPOT_FIELD = "extra_details_hp"
log = logging.getLogger("safetymap.reports")


def _step_context(
    session: Session, area: Area, step: str, values: dict[str, Any], errors: dict[str, str], notice: str = "",
    nearby: Sequence[Context] = (),
) -> dict[str, Any]:
    assert area.id is not None
    kind = values.get("kind") or ""
    query = str(values.get("place_query", "")).strip()
    chosen_place = None
    if str(values.get("place_id", "")).isdigit():
        chosen_place = areas.get_place(session, area.id, int(values["place_id"]))
    # The area's co-designed words: its categories and question wording, in the reader's language.
    # One version lookup for the whole screen, then one read of the words per kind.
    locale = i18n.get_locale()
    version_id = taxonomy.current_version_id(session, area.id)
    asked_kind = kind if kind in KIND_LABELS else ReportKind.UNSAFE
    wordings = {
        code: taxonomy.question_wordings(
            session, area, code, locale, ("kind_label", "kind_hint", *(FORM_QUESTIONS if code == asked_kind else ())), version_id=version_id
        )
        for code in KIND_LABELS
    }
    kind_labels = {code: words["kind_label"] for code, words in wordings.items()}
    kind_hints = {code: words["kind_hint"] for code, words in wordings.items()}
    questions = {name: wordings[asked_kind][name] for name in FORM_QUESTIONS}
    return {
        "step": step,
        "questions": questions,
        "position": flow.position(step),
        "values": values,
        "errors": errors,
        "notice": notice,
        "carry": [f for f in (*flow.ANSWER_FIELDS,) if f not in flow.STEP_FIELDS[step]],
        "list_fields": flow.LIST_FIELDS,
        "place_results": areas.search_places(session, area.id, query) if query else [],
        "place_query": query,
        "chosen_place": chosen_place,
        "me_too": nearby if step in {"me_too", "check"} else [],
        "kinds": kind_labels,
        "kind_hints": kind_hints,
        "kind_label": kind_labels.get(kind, ""),
        "categories": dict(taxonomy.current_categories(session, area, kind, locale, version_id=version_id)) if kind in KIND_LABELS else {},
        "time_bands": TIME_BANDS,
        "days": DAYS,
        "feelings": FEELINGS,
        "age_bands": AGE_BANDS,
        "reporter_roles": REPORTER_ROLES,
        "honeypot_field": HONEYPOT_FIELD,
        "tile_url": area.tile_url or "",
        "language_form": "report-form",
    }


def _show_step(
    request: Request, session: Session, area: Area, step: str, values: dict[str, Any],
    errors: dict[str, str] | None = None, notice: str = "", status: int = 200, *, slow_down: bool = False,
    nearby: Sequence[Context] = (),
) -> Response:
    if area.tile_url:
        # Every step, not only "where": htmx swaps steps into the document whose CSP came first.
        request.state.tile_origin = _origin(area.tile_url)
    context = _step_context(session, area, step, values, errors or {}, notice, nearby) | {"slow_down": slow_down}
    return render(request, "reports/form.html", context, status_code=status)


def _origin(url: str) -> str:
    parts = urlsplit(url.replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}"


@router.get("/report")
def report_start(request: Request, area: PublicArea, session: SessionDep) -> Response:
    values = {"submission_token": service.new_submission_token()}
    return _show_step(request, session, area, "kind", values)


@router.post("/report")
@csrf_exempt("checks its own token so that a stale form shows the answers again instead of losing them")
async def report_step(request: Request, area: PublicArea, session: SessionDep, settings: SettingsDep) -> Response:
    """Every screen of the report posts here: `step` says which screen, `go` where to next."""
    form = await request.form()
    values = flow.read_answers(form)
    if not values.get("submission_token"):
        values["submission_token"] = service.new_submission_token()
    # A form without a step is a whole report in one post (older pages, scripts): treat it as Send.
    step = str(form.get("step", "check"))
    if step not in flow.STEPS:
        step = "kind"
    go = str(form.get("go", "send" if "step" not in form else "next"))
    # Published contexts near the chosen place: asked for once, used by the step order and the screens.
    nearby = flow.nearby_contexts(session, area, values)

    try:
        await check_csrf(request)
    except CSRFError:
        notice = _("This page was open for a while, so we need you to press the button once more. Your answers are still here.")
        return _show_step(request, session, area, step, values, notice=notice, status=400, nearby=nearby)
    if form.get(HONEYPOT_FIELD):
        return _show_step(request, session, area, step, values, {HONEYPOT_FIELD: _("Please leave this box empty.")}, status=422, nearby=nearby)

    has_me_too = bool(nearby)
    if go == "back":
        return _show_step(request, session, area, flow.previous_step(step, has_me_too), values, nearby=nearby)
    if go.startswith("change:") and go[7:] in flow.STEPS:
        return _show_step(request, session, area, go[7:], values, nearby=nearby)
    if go.startswith("language:"):
        # Switching language mid-report keeps every answer: same screen, new words, choice remembered.
        code = go.partition(":")[2]
        if code in area.locale_list:
            i18n.set_locale(code)
            request.state.locale = code
        response = _show_step(request, session, area, step, values, nearby=nearby)
        if code in area.locale_list:
            response.set_cookie("sm_lang", code, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/")
        return response
    if go == "search":
        return _show_step(request, session, area, "where", values)
    if go == "clear_place":
        values["place_id"] = ""
        values["lat"] = values["lng"] = ""
        return _show_step(request, session, area, "where", values)

    errors = flow.validate_upto(values, step)
    if not errors and flow.STEPS.index(step) >= flow.STEPS.index("where"):
        errors = flow.check_where(session, area, values)
    if errors:
        return _show_step(request, session, area, flow.first_step_with_errors(errors), values, errors, status=422, nearby=nearby)
    if go != "send":
        return _show_step(request, session, area, flow.next_step(step, has_me_too), values, nearby=nearby)
    return _send(request, session, area, settings, values, nearby)


def _send(
    request: Request, session: Session, area: Area, settings: Any, values: dict[str, Any], nearby: Sequence[Context]
) -> Response:
    limiter = request.app.state.rate_limiter
    if not limiter.hit("report", client_address(request, settings), limit=settings.report_rate_limit, window_seconds=3600):
        notice = _("You have sent a lot of reports in a short time. Please wait a little and press send again: your answers are still here.")
        return _show_step(request, session, area, "check", values, notice=notice, status=429, slow_down=True, nearby=nearby)
    data = values | {"me_too_context_id": flow.me_too_choice(values, nearby)}
    try:
        report = ReportCreate.model_validate({k: v for k, v in data.items() if k != "place_query"})
    except ValidationError as exc:
        errors = error_messages(exc)
        return _show_step(request, session, area, flow.first_step_with_errors(errors), values, errors, status=422, nearby=nearby)
    try:
        submitted = service.submit_report(session, area, report, language=request.state.locale)
    except service.ReportInputError:
        errors = flow.check_where(session, area, values) or {"where": _("Please choose a place from the list, or describe it in words.")}
        return _show_step(request, session, area, "where", values, errors, status=422, nearby=nearby)
    except SQLAlchemyError as exc:
        # Our fault, not theirs: keep every answer on screen and say so plainly.
        session.rollback()
        log.error("report could not be stored: %s", type(exc).__name__)
        notice = _("Sorry, we could not save this just now. Nothing is lost: your answers are still here. Please press send again in a minute.")
        return _show_step(request, session, area, "check", values, notice=notice, status=503, nearby=nearby)
    return render(request, "reports/sent.html", {"report": submitted.report})


@router.post("/report/places")
async def place_search(request: Request, area: PublicArea, session: SessionDep) -> Response:
    """Gazetteer matches while someone types (htmx). POST keeps what they typed out of logs."""
    form = await request.form()
    values = flow.read_answers(form)
    return render(request, "reports/_place_results.html", _step_context(session, area, "where", values, {}))


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
