"""The JSON API (/api/v1). It reads no cookies, so cross-site request forgery cannot borrow a session."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from app.core.i18n import LOCALES
from app.core.security import csrf_exempt
from app.core.web import (
    PublicArea,
    PublicAreaData,
    ReadSession,
    SettingsDep,
    WriteSession,
    client_address,
)
from app.reports import service
from app.reports.models import ReportKind
from app.reports.schemas import ReportCreate, ReportReceipt
from app.reports.taxonomy import CATEGORIES, TIME_BANDS

router = APIRouter(prefix="/api/v1", tags=["reports"])


class ReportIn(ReportCreate):
    language: str = Field("en", max_length=10)


class TrackIn(BaseModel):
    receipt_code: str = Field(..., max_length=30)


class TrackOut(BaseModel):
    receipt_code: str
    kind: ReportKind
    status: str
    actions: list[str]


class Taxonomy(BaseModel):
    area: str
    kinds: list[str]
    categories: dict[str, list[str]]
    time_bands: list[str]


@router.get("/taxonomy", response_model=Taxonomy)
def taxonomy(area: PublicArea) -> Taxonomy:
    """The codes a client may send for this area's reports."""
    return Taxonomy(
        area=area.slug,
        kinds=[k.value for k in ReportKind],
        categories={kind: list(codes) for kind, codes in CATEGORIES.items()},
        time_bands=list(TIME_BANDS),
    )


@router.post("/reports", response_model=ReportReceipt, status_code=201)
@csrf_exempt("JSON API: authenticates nothing from cookies")
def create_report(
    payload: ReportIn, request: Request, known: PublicAreaData, session: WriteSession, settings: SettingsDep
) -> ReportReceipt:
    """Send a report. Retrying with the same submission_token returns the same receipt.

    Words that may mean someone is not safe are never refused by the rate limit: they are stored,
    and the receipt says `urgent` with `help_url`, the page of help to show the reporter at once.
    """
    grading = service.grade_answers(payload.model_dump())
    bypassed: list[str] = []
    if not request.app.state.rate_limiter.hit(
        "report", client_address(request, settings), limit=settings.report_rate_limit, window_seconds=3600
    ):
        if service.may_hold_back(grading):
            raise HTTPException(status_code=429, detail="Too many reports from this connection; try again later.")
        bypassed.append("rate_limit")
    language = payload.language if payload.language in LOCALES else known.area.default_locale
    try:
        submitted = service.submit_report(session, known.area, payload, language=language, bypassed_checks=bypassed, known=known)
    except service.ReportInputError as exc:
        raise HTTPException(status_code=422, detail={exc.field: exc.code}) from None
    report = submitted.report
    urgent = service.kept_for_safeguarding(report)
    return ReportReceipt(receipt_code=report.receipt_code, urgent=urgent, help_url=f"/help?lang={language}" if urgent else None)


@router.post("/track", response_model=TrackOut)
@csrf_exempt("JSON API: authenticates nothing from cookies")
def track(body: TrackIn, request: Request, area: PublicArea, session: ReadSession, settings: SettingsDep) -> TrackOut:
    if not request.app.state.rate_limiter.hit("track", client_address(request, settings), limit=60, window_seconds=3600):
        raise HTTPException(status_code=429, detail="Too many tries; try again later.")
    assert area.id is not None
    report = service.find_by_receipt(session, area.id, body.receipt_code)
    if report is None:
        raise HTTPException(status_code=404, detail="No report with that receipt code.")
    actions = [a.public_summary for a in service.published_actions_for(session, report)]
    return TrackOut(receipt_code=report.receipt_code, kind=report.kind, status=report.status, actions=actions)  # type: ignore[arg-type]
