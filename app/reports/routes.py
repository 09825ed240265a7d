"""Public reporting: the form, the receipt, /track and withdrawal.

Plain `def` routes (FastAPI runs them in its thread pool), forms as models, the step machine in
app.reports.flow: a route parses, calls one function, renders.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from app.areas.lookup import AreaData
from app.core.i18n import gettext as _
from app.core.security import csrf_exempt, csrf_passed
from app.core.templating import render
from app.core.web import (
    PublicArea,
    PublicAreaData,
    ReadSession,
    SettingsDep,
    WriteSession,
    use_locale,
)
from app.reports import flow, limits, service, track_routes
from app.reports.schemas import ReportStep

router = APIRouter(dependencies=[Depends(use_locale)], include_in_schema=False)

HONEYPOT_FIELD = flow.HONEYPOT_FIELD


class TrackForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str = ""
    answer: str = ""  # an answer to a question, kept through a "too many tries" pause


class WithdrawForm(TrackForm):
    confirm: str = ""  # "yes" once they have read what withdrawing means


def _origin(url: str) -> str:
    parts = urlsplit(url.replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}"


def _show(request: Request, known: AreaData, screen: flow.Screen) -> Response:
    if known.area.tile_url:
        # Every step, not only "where": htmx swaps steps into the document whose CSP came first.
        request.state.tile_origin = _origin(known.area.tile_url)
    if screen.language:
        request.state.locale = screen.language
    return render(request, screen.template, screen.context, status_code=screen.status)


@router.get("/report")
def report_start(request: Request, known: PublicAreaData) -> Response:
    values = {"submission_token": service.new_submission_token()}
    context = flow.screen_context(known, "kind", values, {}) | {"slow_down": False, "help_now": False}
    return _show(request, known, flow.Screen(flow.FORM_TEMPLATE, context))


@router.post("/report")
@csrf_exempt("checks its own token so that a stale form shows the answers again instead of losing them")
def report_step(
    request: Request, data: Annotated[ReportStep, Form()], known: PublicAreaData, read: ReadSession, write: WriteSession,
    settings: SettingsDep,
) -> Response:
    """Every screen of the report posts here (see flow.report_step)."""

    def may_send() -> bool:
        return limits.report_allowed(request, settings)

    step = flow.StepRequest(known=known, read=read, write=write, csrf_ok=csrf_passed(request, data.csrf_token), may_send=may_send)
    screen = flow.report_step(data, step)
    response = _show(request, known, screen)
    if screen.language:
        response.set_cookie("sm_lang", screen.language, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/")
    return response


@router.post("/report/places")
def place_search(request: Request, data: Annotated[ReportStep, Form()], known: PublicAreaData) -> Response:
    """Gazetteer matches while someone types (htmx). POST keeps what they typed out of logs."""
    context = flow.screen_context(known, "where", flow.read_answers(data), {})
    return render(request, "reports/_place_results.html", context)


@router.get("/track")
def track_form(request: Request, area: PublicArea) -> Response:
    return render(request, "reports/track.html", {"code": "", "error": ""})


@router.post("/track")
def track(request: Request, data: Annotated[TrackForm, Form()], area: PublicArea, session: ReadSession, settings: SettingsDep) -> Response:
    # POST, not GET: the receipt code stays out of the address bar, history and server logs.
    code = data.code.strip()
    if not limits.track_allowed(request, settings):
        error = _("Too many tries. Please wait a little and try again.")
        return render(request, "reports/track.html", {"code": code, "error": error, "answer": data.answer}, status_code=429)
    assert area.id is not None
    report = service.find_by_receipt(session, area.id, code) if code else None
    if report is None:
        error = _("Please type your receipt code.") if not code else _("We could not find that code. Please check it and try again: it has 12 letters and numbers.")
        return render(request, "reports/track.html", {"code": code, "error": error}, status_code=422 if code else 400)
    context = track_routes.track_context(session, report, answer=data.answer)
    session.close()  # everything the page shows is loaded
    return render(request, "reports/track_result.html", context | {"help_now": context["kept"]})


@router.post("/track/withdraw")
def withdraw(
    request: Request, data: Annotated[WithdrawForm, Form()], area: PublicArea, read: ReadSession, write: WriteSession,
    settings: SettingsDep,
) -> Response:
    # A receipt code is tried here as on /track, so both count in the same limit: guessing codes
    # through this form is no faster than through the other.
    if not limits.track_allowed(request, settings):
        error = _("Too many tries. Please wait a little and try again.")
        return render(request, "reports/track.html", {"code": data.code, "error": error}, status_code=429)
    # Only the confirmed post writes; the question before it only looks.
    session = write if data.confirm == "yes" else read
    assert area.id is not None
    report = service.find_by_receipt(session, area.id, data.code)
    if report is None:
        return render(request, "reports/track.html", {"code": data.code, "error": _("We could not find that code. Please check it and try again: it has 12 letters and numbers.")}, status_code=422)
    kept = service.kept_for_safeguarding(report)
    if data.confirm != "yes":
        session.close()
        return render(request, "reports/withdraw_confirm.html", {"code": report.receipt_code, "kept": kept, "help_now": kept})
    withdrawal = service.withdraw(session, report)  # commits
    return render(request, "reports/withdrawn.html", {"kept": withdrawal.kept, "help_now": withdrawal.kept, "help_sent": True})
