"""The moderation workspace: the queue, one entry, and the decisions."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from datetime import date
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_date, format_timedelta
from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from app.accounts.models import Role
from app.accounts.service import StaffIdentity
from app.areas.models import Area
from app.core import live
from app.core.db import Database
from app.core.i18n import LOCALES, get_locale, set_locale
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.templating import environment, render
from app.core.types import utcnow
from app.core.web import (
    DatabaseDep,
    DbId,
    ReadSession,
    WriteSession,
    found,
    require_role,
    use_locale,
)
from app.moderation import alert_status, alerts, history, labels, language, linking, service
from app.moderation import queue as moderation_queue
from app.moderation.highlight import Segment, highlighted
from app.moderation.models import RejectionReason
from app.moderation.schemas import BulkForm, PublishForm, RejectForm, SafeguardingCallForm
from app.moderation.triage import KIND_LABELS as PII_LABELS
from app.register import labels as register_labels
from app.reports import questions
from app.reports.models import Report, ReportKind, ReportSource, ReportStatus
from app.reports.taxonomy import AGE_BANDS, DAYS, TIME_BANDS
from app.taxonomy import service as taxonomy

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

HISTORY_LABELS = {
    history.HistoryStep.RECEIVED: _l("Sent in"),
    history.HistoryStep.FIRST_OPENED: _l("First opened by a moderator"),
    history.HistoryStep.CLAIMED: _l("Taken on (“I'm looking at this”)"),
    history.HistoryStep.CALLED_URGENT: _l("Safeguarding call: someone may be in danger"),
    history.HistoryStep.CALLED_NOT_URGENT: _l("Safeguarding call: not urgent"),
    history.HistoryStep.ALERT_ACKNOWLEDGED: _l("Safeguarding alert acknowledged"),
    history.HistoryStep.PUBLISHED: _l("Published to the register"),
    history.HistoryStep.REJECTED: _l("Not published"),
}


@router.get("")
def queue(
    request: Request, staff: Moderator, session: ReadSession, status: str = ReportStatus.PENDING, kind: str = "", source: str = "",
    language: str = "", done: str = "", entry: str = "",
) -> Response:
    assert staff.area.id is not None
    filters = _filters(status, kind, source, language)
    waiting_summaries, summaries_count = moderation_queue.summaries_waiting(session, staff.area.id)
    return render(
        request,
        "moderation/queue.html",
        {
            "entries": moderation_queue.queue(session, staff.area.id, filters),
            "counts": moderation_queue.queue_counts(session, staff.area.id),
            "filters": filters,
            "kinds": list(ReportKind),
            "sources": list(ReportSource),
            "statuses": list(ReportStatus),
            "languages": list(LOCALES),
            "open_alerts": alerts.unacknowledged_count(session, staff.area.id),
            "undelivered": alert_status.undelivered_alerts(session, staff.area.id),
            "waited": waited,
            "excerpt": excerpt,
            "pii_labels": PII_LABELS,
            "rejection_reasons": REJECTION_LABELS,
            "outcome": history.outcome_of(session, staff.area.id, int(entry), done) if entry.isdigit() and done else None,
            "waiting_summaries": waiting_summaries,
            "summaries_count": summaries_count,
            # Where the live stream starts: alerts raised after the page was read come through it.
            "live_seq": moderation_queue.latest_alert_seq(session, staff.area.id),
            "live_query": urlencode(_live_params(filters)),
            "answers_waiting": questions.reports_with_answers_waiting(session, staff.area.id),
        }
        | code_words(),
    )


# Words for the codes an entry carries, for the queue rows and the entry page (never raw codes).
STATUS_WORDS = {
    ReportStatus.PENDING: _l("Waiting for a decision"),
    ReportStatus.PUBLISHED: _l("Published"),
    ReportStatus.REJECTED: _l("Not published"),
}


def when_words(report: Report) -> str:
    """"Evening, Weekends": the times and days the reporter chose, in the reader's words."""
    bands = [str(TIME_BANDS.get(code, code)) for code in (report.time_bands or "").split(",") if code]
    days = [str(DAYS.get(code, code)) for code in (report.days or "").split(",") if code]
    return ", ".join(bands + days)


def code_words() -> dict[str, Any]:
    return {
        "entry_kinds": register_labels.ENTRY_KIND,
        "source_labels": register_labels.SOURCE,
        "status_words": STATUS_WORDS,
        "age_bands": AGE_BANDS,
        "when_words": when_words,
    }


def _filters(status: str, kind: str, source: str, language: str) -> moderation_queue.QueueFilters:
    return moderation_queue.QueueFilters(
        status=status if status in {s.value for s in ReportStatus} else ReportStatus.PENDING,
        kind=kind if kind in {k.value for k in ReportKind} else None,
        source=source if source in {s.value for s in ReportSource} else None,
        language=language if language in LOCALES else None,
    )


def _live_params(filters: moderation_queue.QueueFilters) -> dict[str, str]:
    values = {"kind": filters.kind, "source": filters.source, "language": filters.language}
    return {key: value for key, value in values.items() if value}


# How often an open queue's stream re-reads the database for new urgent entries (and sends a
# heartbeat): well under the 60 s after which proxies close a quiet stream.
LIVE_CHECK_SECONDS = 5.0
# A stream ends after this long and the browser reconnects at once (Last-Event-ID), so the staff
# session is checked again: a signed-out or expired session stops receiving entries within minutes.
LIVE_STREAM_SECONDS = 300.0
LIVE_GAP_WINDOW = 20


@router.get("/events")
def live_queue(
    request: Request, staff: Moderator, db: DatabaseDep, after: Annotated[int, Query(ge=0)] = 0, kind: str = "", source: str = "",
    language: str = "",
) -> Response:
    """The open queue's live stream (text/event-stream): each urgent entry as it arrives, at the top.

    The sequence is the area's safeguarding alert id (every entry that becomes urgent raises one),
    so a reconnecting queue's Last-Event-ID is answered from the database and nothing is kept in
    any one process: with several app processes, each stream reads what every process committed.
    """
    assert staff.area.id is not None
    after = live.resume_after(request, after)
    filters = _filters(ReportStatus.PENDING, kind, source, language)
    body = queue_stream(db, staff.area.id, after, filters, locale=get_locale())
    return StreamingResponse(body, media_type="text/event-stream", headers={"x-accel-buffering": "no", "cache-control": "no-store"})


def queue_stream(
    db: Database, area_id: int, after: int, filters: moderation_queue.QueueFilters, *, locale: str, check_seconds: float = LIVE_CHECK_SECONDS,
    lasting: float = LIVE_STREAM_SECONDS,
) -> AsyncIterator[str]:
    """Server-sent events for the queue, through the workshop wall's stream loop (app.core.live)."""

    # On PostgreSQL ids are handed out before commit, so an alert can become visible after one with
    # a higher id. Each read looks back LIVE_GAP_WINDOW ids and skips what this stream has sent.
    sent: set[int] = set()
    primed = False

    def load(_area: int, last: int) -> list[moderation_queue.UrgentArrival]:
        nonlocal primed
        with db.read() as session:
            if not primed:
                # What the page (or the last connection) already had: never announced again.
                sent.update(moderation_queue.alert_ids(session, area_id, after=last - LIVE_GAP_WINDOW, up_to=last))
                primed = True
            arrivals = moderation_queue.urgent_arrivals(session, area_id, max(0, last - LIVE_GAP_WINDOW), filters, skip=sent)
        sent.update(arrival.seq for arrival in arrivals)
        return arrivals

    def render_arrivals(arrivals: Sequence[moderation_queue.UrgentArrival]) -> str:
        with db.read() as session:
            return live_fragment(session, area_id, arrivals, locale=locale)

    # Nothing rings this stream's doorbell (a report is committed by whichever process took it), so
    # the heartbeat is the doorbell: every `check_seconds` it re-reads the database.
    body = live.event_stream(
        live.InProcessBroker(), area_id, after, load, render_arrivals, heartbeat=check_seconds,
        seq_of=lambda _arrival: max(sent),
    )
    return _for_at_most(body, lasting)


async def _for_at_most(body: AsyncIterator[str], seconds: float) -> AsyncIterator[str]:
    deadline = time.monotonic() + seconds
    try:
        async for message in body:
            yield message
            if time.monotonic() >= deadline:
                break
    finally:
        await body.aclose()  # type: ignore[attr-defined]


def live_fragment(session: Any, area_id: int, arrivals: Sequence[moderation_queue.UrgentArrival], *, locale: str) -> str:
    """The htmx partials for a batch of arrivals: rows at the top, the counts, a polite announcement."""
    set_locale(locale)
    rows = [a for a in arrivals if a.report is not None]
    return environment.get_template("moderation/_queue_live.html").render(
        {
            "arrivals": rows,
            "counts": moderation_queue.queue_counts(session, area_id),
            # The area, for its time zone (the row's time).
            "area": session.get(Area, area_id),
            "waited": waited,
            "excerpt": excerpt,
            "pii_labels": PII_LABELS,
            "locale": locale,
            "answers_waiting": questions.reports_with_answers_waiting(session, area_id),
        }
        | code_words()
    )


def excerpt(report: Report, limit: int = 160) -> list[Segment]:
    """The start of what they wrote, flagged as the entry page flags it, cut at a word."""
    if report.raw_deleted_at is not None or not report.description:
        text, spans = (report.public_description or ""), []
    else:
        text, spans = report.description, list(enumerate(service.suggested_spans(report, "description")))
    segments = highlighted(text, spans)
    out: list[Segment] = []
    used = 0
    for segment in segments:
        room = limit - used
        if room <= 0:
            break
        if len(segment.text) <= room:
            out.append(segment)
            used += len(segment.text)
            continue
        if segment.kind is not None:
            break  # never half a flagged detail
        cut = segment.text[:room]
        cut = cut.rsplit(" ", 1)[0] if " " in cut.strip() else cut
        out.append(Segment(cut.rstrip(), None))
        used = limit
    if used >= limit or len(out) < len(segments):
        out.append(Segment("…", None))
    return out


def waited(report: Report) -> str:
    """How long an entry has waited, in the reader's language ("3 hours")."""
    return format_timedelta(utcnow() - report.created_at, locale=get_locale(), threshold=1.1)


def _entry_context(
    session: Any, staff: StaffIdentity, report: Report, *, context_q: str = "", sent: PublishForm | None = None, **extra: Any
) -> dict[str, Any]:
    """Everything the entry page shows; `sent` is a refused publish form, shown again as it was sent."""
    open_alert = alerts.open_alert_for(session, report.area_id, report.id) if report.id else None
    choices = linking.context_choices(session, report, query=context_q)
    where = linking.describe_where(session, report)
    return code_words() | {
        "report": report,
        "suggestions": {
            field: list(enumerate(service.suggested_spans(report, field))) for field in ("description", "what_would_help")
        },
        "pii_labels": PII_LABELS,
        "contexts": choices.choices,
        "context_choices": choices,
        "where": where,
        "history": history.decision_history(session, report),
        "history_labels": HISTORY_LABELS,
        "detected_language": language.differs_from_chosen(report.language, report.description, report.what_would_help),
        "format_metres": format_metres,
        "rejection_reasons": REJECTION_LABELS,
        # The area's own words for the categories, as this entry was answered with them.
        "category_label": partial(taxonomy.category_names(session, report.area_id), version_id=report.taxonomy_version_id, kind=report.kind),
        "highlighted": highlighted,
        "error": "",
        "conflict": False,
        "open_alert": open_alert,
        # What happened to each email about it, in words (templates/moderation/_alert_emails.html).
        "emails": alert_status.entry_emails(session, report, open_alert),
        "message_status": alert_status.message_status,
        "purpose_labels": alert_status.PURPOSE_LABELS,
        "now": utcnow(),
        "safeguarding": labels.call_for(session, report),
        "area_response_minutes": staff.area.urgent_response_minutes,
    } | _publish_values(report, choices, where, sent) | extra


def _publish_values(
    report: Report, choices: linking.ContextChoices, where: linking.Where, sent: PublishForm | None
) -> dict[str, Any]:
    """What the publish form starts with: the suggestions, or, when it was refused, what was sent."""
    if sent is None:
        return {
            "public_description": service.suggested_public_text(report, "description"),
            "public_what_would_help": service.suggested_public_text(report, "what_would_help"),
            "kept_redactions": None,  # every suggestion ticked
            "chosen_context_id": choices.selected_id,
            "new_context_name": report.location_text or where.place_name or "",
            "show_on_map": False,
        }
    shown = {choice.context.id for choice in choices.choices}
    return {
        "public_description": sent.public_description,
        "public_what_would_help": sent.public_what_would_help,
        "kept_redactions": sent.accepted(),
        # A context found by a search the page no longer shows falls back to the likeliest one.
        "chosen_context_id": sent.context_id if not sent.context_id or sent.context_id in shown else choices.selected_id,
        "new_context_name": sent.new_context_name,
        "show_on_map": sent.show_on_map == "yes",
    }


def _load(session: Any, staff: StaffIdentity, report_id: int) -> Report:
    assert staff.area.id is not None
    return found(service.get_for_moderation(session, staff.area.id, report_id))


def _entry_page(request: Request, session: Any, staff: StaffIdentity, report_id: int, *, status_code: int, **extra: Any) -> Response:
    """The entry page again after a refused decision, read afresh (the write session is closed by then)."""
    report = _load(session, staff, report_id)
    context = _entry_context(session, staff, report, **extra)
    return render(request, "moderation/entry.html", context, status_code=status_code)


@router.post("/bulk")
def bulk(staff: Moderator, session: WriteSession, data: Annotated[BulkForm, Form()]) -> Response:
    if data.action == "reject_spam" and data.report_id:
        service.bulk_reject_spam(session, staff, data.report_id)
    return RedirectResponse("/staff/moderation", status_code=303)


@router.get("/{report_id}")
def entry(request: Request, report_id: DbId, staff: Moderator, session: ReadSession, db: DatabaseDep, context_q: str = "") -> Response:
    report = _load(session, staff, report_id)
    context = _entry_context(session, staff, report, context_q=context_q)
    session.close()  # everything the page shows is loaded; the write below takes its own connection
    if report.first_opened_at is None:
        # Bookkeeping in its own short write, like the access log: an urgent entry nobody opens escalates.
        alerts.record_first_open(db, staff, report_id)
    return render(request, "moderation/entry.html", context)


def format_metres(metres: float | None) -> str:
    """A rough distance as people say it ("about 300 m", "about 1.2 km")."""
    if metres is None:
        return ""
    if metres < 50:
        return _("here")
    if metres < 1000:
        return _("about %(distance)s m", distance=format_decimal(round(metres, -2) or 50, locale=get_locale()))
    return _("about %(distance)s km", distance=format_decimal(round(metres / 1000, 1), format="0.#", locale=get_locale()))


@router.post("/{report_id}/acknowledge")
def acknowledge(report_id: DbId, staff: Moderator, session: WriteSession) -> Response:
    report = _load(session, staff, report_id)
    alert = alerts.open_alert_for(session, report.area_id, report_id)
    if alert is not None:
        alerts.acknowledge(session, staff, alert)
    return RedirectResponse(f"/staff/moderation/{report_id}", status_code=303)


@router.post("/{report_id}/safeguarding-call")
def safeguarding_call(report_id: DbId, staff: Moderator, session: WriteSession, data: Annotated[SafeguardingCallForm, Form()]) -> Response:
    report = _load(session, staff, report_id)
    if data.urgent is not None:
        labels.make_call(session, staff, report, urgent=data.urgent == "yes")
    return RedirectResponse(f"/staff/moderation/{report_id}#safeguarding-call", status_code=303)


@router.post("/{report_id}/claim")
def claim(report_id: DbId, staff: Moderator, session: WriteSession) -> Response:
    report = _load(session, staff, report_id)
    # If someone else moved it on first, the page shows who has it now.
    with contextlib.suppress(service.ModerationConflict):
        service.claim(session, staff, report)
    return RedirectResponse(f"/staff/moderation/{report_id}", status_code=303)


PUBLISH_REFUSALS = {
    "public_text_empty": _l("The public text is empty. Please write what can be shown."),
    "context_missing": _l("Choose a context to link this entry to, or name a new one."),
    "context_unknown": _l("That context is not in your area."),
    "withdrawn_kept": _l("The reporter took this back. It is kept for safeguarding only and can't be published."),
}


@router.post("/{report_id}/publish")
def publish(
    request: Request, report_id: DbId, staff: Moderator, read: ReadSession, write: WriteSession, data: Annotated[PublishForm, Form()]
) -> Response:
    report = _load(write, staff, report_id)
    try:
        service.publish(
            write,
            staff,
            report,
            expected_version=data.version,
            public_description=data.public_description,
            public_what_would_help=data.public_what_would_help,
            accepted=data.accepted(),
            context_id=data.context_id,
            new_context_name=data.new_context_name,
            show_on_map=data.show_on_map == "yes",
        )  # commits
    except service.ModerationConflict:
        write.close()
        return _entry_page(request, read, staff, report_id, conflict=True, status_code=409)
    except service.ModerationError as exc:
        write.close()
        error = str(PUBLISH_REFUSALS.get(exc.code, exc.code))
        return _entry_page(request, read, staff, report_id, sent=data, error=error, status_code=422)
    return RedirectResponse(f"/staff/moderation?done=published&entry={report_id}", status_code=303)


@router.post("/{report_id}/reject")
def reject(
    request: Request, report_id: DbId, staff: Moderator, read: ReadSession, write: WriteSession, data: Annotated[RejectForm, Form()]
) -> Response:
    report = _load(write, staff, report_id)
    try:
        service.reject(write, staff, report, expected_version=data.version, reason=data.reason)  # commits
    except service.ModerationConflict:
        write.close()
        return _entry_page(request, read, staff, report_id, conflict=True, status_code=409)
    except service.ModerationError:
        write.close()
        return _entry_page(request, read, staff, report_id, error=_("Please choose a reason for not publishing."), status_code=422)
    return RedirectResponse(f"/staff/moderation?done=rejected&entry={report_id}", status_code=303)


@triage_router.get("")
def triage_stats(request: Request, staff: Moderator, session: ReadSession) -> Response:
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
