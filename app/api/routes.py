"""The JSON API (/api/v1). It reads no cookies, so cross-site request forgery cannot borrow a session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from app.core import i18n
from app.core.i18n import LOCALES
from app.core.security import csrf_exempt
from app.core.web import (
    PublicArea,
    PublicAreaData,
    ReadSession,
    SettingsDep,
    WriteSession,
)
from app.reports import limits, service
from app.reports.models import ReportKind
from app.reports.schemas import ReportCreate, ReportReceipt
from app.reports.taxonomy import TIME_BANDS
from app.taxonomy import service as taxonomy_service

router = APIRouter(prefix="/api/v1", tags=["reports"])


class ReportIn(ReportCreate):
    language: str = Field("en", max_length=10)


class ErrorMessage(BaseModel):
    """A refusal that is not about one field: too many requests, or nothing found."""

    detail: str


# Each operation documents every status it can answer with, so clients (and the schema fuzz test)
# know the whole contract. 422 is FastAPI's own HTTPValidationError model.
REFUSALS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorMessage, "description": "No such area, or no report with that code"},
    413: {"model": ErrorMessage, "description": "The body is too large"},
    429: {"model": ErrorMessage, "description": "Too many requests from this connection; try again later"},
}


class TrackIn(BaseModel):
    receipt_code: str = Field(..., max_length=30)


class TrackOut(BaseModel):
    receipt_code: str
    kind: ReportKind
    status: str
    actions: list[str]


class TaxonomyTerm(BaseModel):
    code: str = Field(description="What a client sends and the database keeps.", examples=["poor_lighting"])
    label: str = Field(description="The words people read, in the response's `locale`.", examples=["Poor lighting"])


class Taxonomy(BaseModel):
    """The area's co-designed categories in force, with the words people read."""

    area: str = Field(description="The area's slug.")
    locale: str = Field(description="The language of every `label`: `?lang=`, else Accept-Language, else the area's default.")
    version: int | None = Field(description="The number of the area's taxonomy version in force; null while it uses the defaults.")
    kinds: list[str] = Field(description="The kinds of report.")
    kind_labels: list[TaxonomyTerm] = Field(description="Each kind in words.")
    categories: dict[str, list[str]] = Field(description="By kind, the category codes a client may send now, in the area's order.")
    category_labels: dict[str, list[TaxonomyTerm]] = Field(description="By kind, the same categories with their words.")
    time_bands: list[str] = Field(description="The time-of-day codes a client may send.")
    time_band_labels: list[TaxonomyTerm] = Field(description="Each time of day in words.")


def _api_locale(request: Request, area: PublicArea) -> str:
    """`?lang=`, else Accept-Language, else the area's default: no cookie is read for it."""
    return i18n.choose_locale(
        explicit=request.query_params.get("lang"), cookie=None, accept_language=request.headers.get("accept-language"),
        area_default=area.default_locale, allowed=area.locale_list,
    )


@router.get("/taxonomy", response_model=Taxonomy)
def taxonomy(area: PublicArea, session: ReadSession, locale: Annotated[str, Depends(_api_locale)], lang: str = "") -> Taxonomy:
    """The categories this area offers now (its own co-designed ones), as codes and in words.

    `lang` picks the language of the words (one the area offers); without it, Accept-Language does.
    """
    assert area.id is not None
    i18n.set_locale(locale)
    offered = taxonomy_service.area_categories(session, area, locale)
    version = taxonomy_service.current_version(session, area.id)
    kind_words = {k.value: taxonomy_service.question_wording(session, area, k.value, locale, "kind_label") for k in ReportKind}
    return Taxonomy(
        area=area.slug,
        locale=locale,
        version=version.number if version else None,
        kinds=[k.value for k in ReportKind],
        kind_labels=[TaxonomyTerm(code=kind, label=words) for kind, words in kind_words.items()],
        categories={kind: [code for code, _label in found] for kind, found in offered.items()},
        category_labels={kind: [TaxonomyTerm(code=code, label=label) for code, label in found] for kind, found in offered.items()},
        time_bands=list(TIME_BANDS),
        time_band_labels=[TaxonomyTerm(code=code, label=str(label)) for code, label in TIME_BANDS.items()],
    )


@router.post("/reports", response_model=ReportReceipt, status_code=201, responses=REFUSALS)
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
    if not limits.report_allowed(request, settings):
        if service.may_hold_back(grading):
            raise HTTPException(status_code=429, detail="Too many reports from this connection; try again later.")
        bypassed.append("rate_limit")
    language = payload.language if payload.language in LOCALES else known.area.default_locale
    try:
        submitted = service.submit_report(session, known.area, payload, language=language, bypassed_checks=bypassed, known=known)
    except service.ReportInputError as exc:
        # The same shape as every other 422 (FastAPI's ValidationError: loc, msg, type).
        raise HTTPException(
            status_code=422, detail=[{"loc": ["body", exc.field], "msg": exc.code, "type": "value_error"}]
        ) from None
    report = submitted.report
    urgent = service.kept_for_safeguarding(report)
    return ReportReceipt(receipt_code=report.receipt_code, urgent=urgent, help_url=f"/help?lang={language}" if urgent else None)


@router.post("/track", response_model=TrackOut, responses=REFUSALS)
@csrf_exempt("JSON API: authenticates nothing from cookies")
def track(body: TrackIn, request: Request, area: PublicArea, session: ReadSession, settings: SettingsDep) -> TrackOut:
    if not limits.track_allowed(request, settings):
        raise HTTPException(status_code=429, detail="Too many tries; try again later.")
    assert area.id is not None
    report = service.find_by_receipt(session, area.id, body.receipt_code)
    if report is None:
        raise HTTPException(status_code=404, detail="No report with that receipt code.")
    actions = [a.public_summary for a in service.published_actions_for(session, report)]
    return TrackOut(receipt_code=report.receipt_code, kind=report.kind, status=report.status, actions=actions)  # type: ignore[arg-type]
