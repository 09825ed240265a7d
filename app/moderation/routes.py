"""The moderation workspace: the queue, one entry, and the decisions."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from babel.dates import format_date, format_timedelta
from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.core.i18n import get_locale
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.templating import render
from app.core.types import utcnow
from app.core.web import DatabaseDep, SessionDep, require_role, use_locale
from app.moderation import alerts, labels, service
from app.moderation.models import RejectionReason
from app.moderation.triage import KIND_LABELS as PII_LABELS
from app.moderation.triage import Span
from app.reports.models import Report, ReportKind, ReportSource, ReportStatus
from app.reports.taxonomy import category_label
from app.workshops.forms import FormDep

router = APIRouter(prefix="/staff/moderation", dependencies=[Depends(use_locale)], include_in_schema=False)
Moderator = Annotated[StaffIdentity, Depends(require_role(Role.MODERATOR))]
# How triage and the moderators' calls compare, for the area's moderators and admins.
triage_router = APIRouter(prefix="/staff/triage", dependencies=[Depends(use_locale)], include_in_schema=False)

REJECTION_LABELS = {
    RejectionReason.SPAM: _l("Spam or nonsense"),
    RejectionReason.DUPLICATE: _l("Duplicate of another entry"),
    RejectionReason.NOT_IN_AREA: _l("Not in this area"),
    RejectionReason.NOT_ABOUT_A_PLACE: _l("Not about a place or context"),
    RejectionReason.IDENTIFIES_SOMEONE: _l("Would identify someone even after redaction"),
    RejectionReason.HANDLED_ELSEWHERE: _l("Handled through safeguarding instead"),
}


@router.get("")
def queue(request: Request, staff: Moderator, session: SessionDep, status: str = ReportStatus.PENDING, kind: str = "", source: str = "") -> Response:
    assert staff.area.id is not None
    filters = service.QueueFilters(
        status=status if status in {s.value for s in ReportStatus} else ReportStatus.PENDING,
        kind=kind if kind in {k.value for k in ReportKind} else None,
        source=source if source in {s.value for s in ReportSource} else None,
    )
    return render(
        request,
        "moderation/queue.html",
        {
            "entries": service.queue(session, staff.area.id, filters),
            "counts": service.queue_counts(session, staff.area.id),
            "filters": filters,
            "kinds": list(ReportKind),
            "sources": list(ReportSource),
            "statuses": list(ReportStatus),
            "open_alerts": alerts.unacknowledged_count(session, staff.area.id),
            "undelivered": alerts.undelivered_alerts(session, staff.area.id),
            "waited": waited,
        },
    )


def waited(report: Report) -> str:
    """How long an entry has waited, in the reader's language ("3 hours")."""
    return format_timedelta(utcnow() - report.created_at, locale=get_locale(), threshold=1.1)


@dataclass(frozen=True)
class Segment:
    text: str
    kind: str | None


def highlighted(text: str, spans: list[tuple[int, Span]]) -> list[Segment]:
    """The raw text cut into plain and flagged pieces, so the template can mark them up safely."""
    segments: list[Segment] = []
    position = 0
    for _index, span in sorted(spans, key=lambda item: item[1].start):
        if span.start < position:
            continue
        segments.append(Segment(text[position : span.start], None))
        segments.append(Segment(text[span.start : span.end], span.kind))
        position = span.end
    segments.append(Segment(text[position:], None))
    return [s for s in segments if s.text]


def _entry_context(session: Any, staff: StaffIdentity, report: Report, **extra: Any) -> dict[str, Any]:
    open_alert = alerts.open_alert_for(session, report.area_id, report.id) if report.id else None
    return {
        "report": report,
        "suggestions": {
            field: list(enumerate(service.suggested_spans(report, field))) for field in ("description", "what_would_help")
        },
        "pii_labels": PII_LABELS,
        "public_description": service.suggested_public_text(report, "description"),
        "public_what_would_help": service.suggested_public_text(report, "what_would_help"),
        "contexts": service.context_suggestions(session, report),
        "rejection_reasons": REJECTION_LABELS,
        "category_label": category_label,
        "highlighted": highlighted,
        "error": "",
        "conflict": False,
        "open_alert": open_alert,
        # What happened to each email about it, in words (templates/moderation/_alert_emails.html).
        "emails": alerts.entry_emails(session, report, open_alert),
        "message_status": alerts.message_status,
        "purpose_labels": alerts.PURPOSE_LABELS,
        "now": utcnow(),
        "safeguarding": labels.call_for(session, report),
        "area_response_minutes": staff.area.urgent_response_minutes,
    } | extra


def _load(session: Any, staff: StaffIdentity, report_id: int) -> Report:
    assert staff.area.id is not None
    report = service.get_for_moderation(session, staff.area.id, report_id)
    if report is None:
        raise HTTPException(status_code=404)
    return report


@router.post("/bulk")
def bulk(request: Request, staff: Moderator, session: SessionDep, form: FormDep) -> Response:
    ids = [int(v) for v in form.getlist("report_id") if isinstance(v, str) and v.isdigit()]
    if form.get("action") == "reject_spam" and ids:
        service.bulk_reject_spam(session, staff, ids)
    return RedirectResponse("/staff/moderation", status_code=303)


@router.get("/{report_id}")
def entry(request: Request, report_id: int, staff: Moderator, session: SessionDep, db: DatabaseDep) -> Response:
    report = _load(session, staff, report_id)
    if report.first_opened_at is None:
        # Bookkeeping in its own short write, like the access log: an urgent entry nobody opens escalates.
        alerts.record_first_open(db, staff, report_id)
    return render(request, "moderation/entry.html", _entry_context(session, staff, report))


@router.post("/{report_id}/acknowledge")
def acknowledge(report_id: int, staff: Moderator, session: SessionDep) -> Response:
    report = _load(session, staff, report_id)
    alert = alerts.open_alert_for(session, report.area_id, report_id)
    if alert is not None:
        alerts.acknowledge(session, staff, alert)
    return RedirectResponse(f"/staff/moderation/{report_id}", status_code=303)


class SafeguardingCallForm(BaseModel):
    """The moderator's answer to "could someone be in danger?"."""

    urgent: Literal["yes", "no"] | None = None


@router.post("/{report_id}/safeguarding-call")
def safeguarding_call(report_id: int, staff: Moderator, session: SessionDep, data: Annotated[SafeguardingCallForm, Form()]) -> Response:
    report = _load(session, staff, report_id)
    if data.urgent is not None:
        labels.make_call(session, staff, report, urgent=data.urgent == "yes")
    return RedirectResponse(f"/staff/moderation/{report_id}#safeguarding-call", status_code=303)


@router.post("/{report_id}/claim")
def claim(report_id: int, staff: Moderator, session: SessionDep) -> Response:
    report = _load(session, staff, report_id)
    # If someone else moved it on first, the page shows who has it now.
    with contextlib.suppress(service.ModerationConflict):
        service.claim(session, staff, report)
    return RedirectResponse(f"/staff/moderation/{report_id}", status_code=303)


@router.post("/{report_id}/publish")
def publish(request: Request, report_id: int, staff: Moderator, session: SessionDep, form: FormDep) -> Response:
    report = _load(session, staff, report_id)
    accepted = {
        field: {int(v) for v in form.getlist(f"accept_{field}") if isinstance(v, str) and v.isdigit()}
        for field in ("description", "what_would_help")
    }
    context_id = str(form.get("context_id", ""))
    try:
        service.publish(
            session,
            staff,
            report,
            expected_version=int(str(form.get("version", "0")) or 0),
            public_description=str(form.get("public_description", "")),
            public_what_would_help=str(form.get("public_what_would_help", "")),
            accepted=accepted,
            context_id=int(context_id) if context_id.isdigit() else None,
            new_context_name=str(form.get("new_context_name", "")),
            show_on_map=form.get("show_on_map") == "yes",
        )
    except service.ModerationConflict:
        fresh = _load(session, staff, report_id)
        return render(request, "moderation/entry.html", _entry_context(session, staff, fresh, conflict=True), status_code=409)
    except service.ModerationError as exc:
        messages = {
            "public_text_empty": _("The public text is empty. Please write what can be shown."),
            "context_missing": _("Choose a context to link this entry to, or name a new one."),
            "context_unknown": _("That context is not in your area."),
            "withdrawn_kept": _("The reporter took this back. It is kept for safeguarding only and can't be published."),
        }
        return render(
            request,
            "moderation/entry.html",
            _entry_context(
                session, staff, report, error=messages.get(exc.code, exc.code),
                public_description=str(form.get("public_description", "")),
                public_what_would_help=str(form.get("public_what_would_help", "")),
            ),
            status_code=422,
        )
    return RedirectResponse("/staff/moderation", status_code=303)


@router.post("/{report_id}/reject")
def reject(request: Request, report_id: int, staff: Moderator, session: SessionDep, form: FormDep) -> Response:
    report = _load(session, staff, report_id)
    try:
        service.reject(
            session, staff, report, expected_version=int(str(form.get("version", "0")) or 0), reason=str(form.get("reason", ""))
        )
    except service.ModerationConflict:
        fresh = _load(session, staff, report_id)
        return render(request, "moderation/entry.html", _entry_context(session, staff, fresh, conflict=True), status_code=409)
    except service.ModerationError:
        return render(
            request, "moderation/entry.html",
            _entry_context(session, staff, report, error=_("Please choose a reason for not publishing.")), status_code=422,
        )
    return RedirectResponse("/staff/moderation", status_code=303)


@triage_router.get("")
def triage_stats(request: Request, staff: Moderator, session: SessionDep) -> Response:
    assert staff.area.id is not None
    rows = labels.stats(session, staff.area.id)
    return render(
        request,
        "moderation/triage.html",
        {"rows": rows, "total": labels.totals(rows), "month_label": month_label, "percent": percent, "per_100": per_100},
    )


def month_label(month: str) -> str:
    """"2026-11" as the reader says it ("November 2026")."""
    year, number = (int(part) for part in month.split("-"))
    return format_date(date(year, number, 1), "LLLL y", locale=get_locale())


def percent(value: float | None) -> str:
    return "–" if value is None else format_percent(value, locale=get_locale())


def per_100(value: float | None) -> str:
    return "–" if value is None else format_decimal(round(value, 1), format="0.#", locale=get_locale())
