"""Taking in a report, giving back a receipt, tracking and withdrawing it."""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

import h3
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.areas import service as areas
from app.areas.models import Area
from app.audit import service as audit
from app.moderation import alerts
from app.moderation import triage as triage_service
from app.register.models import Action, Context
from app.reports.models import Report, ReporterRole, ReportSource, ReportStatus
from app.reports.schemas import ReportCreate
from app.taxonomy import service as taxonomy

# Easy to read aloud and to copy from a screen: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
RECEIPT_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
RECEIPT_LENGTH = 12  # 25**12 is about 2**55: not guessable at /track's rate limit

TRIAGE_FAILED = "triage_failed"
log = logging.getLogger("safetymap.reports")

SOURCE_FOR_ROLE = {
    ReporterRole.YOUNG_PERSON: ReportSource.YOUNG_PERSON,
    ReporterRole.PARENT_CARER: ReportSource.FAMILY,
    ReporterRole.COMMUNITY_MEMBER: ReportSource.COMMUNITY,
    ReporterRole.PRACTITIONER: ReportSource.PRACTITIONER,
}


class ReportInputError(ValueError):
    """Input that only the database can judge (a place from another area, a point outside it)."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(code)
        self.field = field
        self.code = code


@dataclass(frozen=True)
class Submitted:
    report: Report
    created: bool  # False when this was a retry of a submission we already have


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalise_receipt_code(text: str) -> str:
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def new_submission_token() -> str:
    return secrets.token_urlsafe(18)


def submit_report(
    session: Session, area: Area, data: ReportCreate, *, language: str, source: str | None = None
) -> Submitted:
    """Store a report exactly once per submission token, triaged, and return its receipt."""
    existing = _by_submission_token(session, data.submission_token)
    if existing is not None:
        return Submitted(existing, created=False)
    assert area.id is not None

    h3_cell: str | None = None
    if data.place_id is not None:
        place = areas.get_place(session, area.id, data.place_id)
        if place is None:
            raise ReportInputError("where", "unknown_place")
        h3_cell = h3.latlng_to_cell(place.lat, place.lng, area.h3_resolution)
    if data.lat is not None and data.lng is not None:
        if not area.contains(data.lat, data.lng):
            raise ReportInputError("where", "outside_area")
        # Everything but the raw entry sees only this coarse cell.
        h3_cell = h3.latlng_to_cell(data.lat, data.lng, area.h3_resolution)

    reported_context_id: int | None = None
    if data.me_too_context_id is not None:
        context = session.get(Context, data.me_too_context_id)
        if context is None or context.area_id != area.id:
            raise ReportInputError("me_too_context_id", "unknown_context")
        reported_context_id = context.id

    # The area's own co-designed categories for this kind; the version is kept with the report so
    # it is always read in the words it was answered with.
    offered = taxonomy.allowed_category_codes(session, area, data.kind)
    categories = [code for code in data.categories if code in offered]
    taxonomy_version_id = taxonomy.current_version_id(session, area.id)

    school_names = areas.school_names(session, area.id)
    place_names = areas.place_names(session, area.id)
    suggestions: list[dict[str, object]] = []
    urgent = False
    reasons: list[str] = []
    for field in ("description", "what_would_help"):
        text = getattr(data, field)
        if not text:
            continue
        try:
            result = triage_service.triage(text, school_names=school_names, place_names=place_names)
        except Exception as exc:
            # Fail safe: a triage fault never loses the report; a person reads it first instead.
            # The log names the fault and where, never the message (it could quote the words).
            where = traceback.extract_tb(exc.__traceback__)[-1]
            log.error("triage failed (%s at %s:%s); report marked urgent", type(exc).__name__, where.filename, where.lineno)
            urgent = True
            if TRIAGE_FAILED not in reasons:
                reasons.append(TRIAGE_FAILED)
            continue
        urgent = urgent or result.urgent
        reasons.extend(r for r in result.reasons if r not in reasons)
        suggestions.extend({"field": field, "kind": s.kind, "start": s.start, "end": s.end} for s in result.pii)

    report = Report(
        area_id=area.id,
        receipt_code=new_receipt_code(),
        submission_token=data.submission_token,
        kind=data.kind,
        status=ReportStatus.PENDING,
        source=source or SOURCE_FOR_ROLE.get(data.reporter_role, ReportSource.UNKNOWN),  # type: ignore[arg-type]
        language=language,
        place_id=data.place_id,
        location_text=data.location_text,
        lat=data.lat,
        lng=data.lng,
        h3_cell=h3_cell,
        time_bands=",".join(data.time_bands),
        days=",".join(data.days),
        categories=",".join(categories)[:300],
        taxonomy_version_id=taxonomy_version_id,
        feeling=data.feeling,
        description=data.description,
        what_would_help=data.what_would_help or None,
        age_band=data.age_band,
        reporter_role=data.reporter_role,
        group_name=data.group_name or None,
        reported_context_id=reported_context_id,
        urgent=urgent,
        urgent_reasons=",".join(reasons),
        suggested_redactions=suggestions,
    )
    session.add(report)
    try:
        session.flush()
    except IntegrityError:
        # Two copies of one submission raced; the other one won, and it is the same report.
        session.rollback()
        existing = _by_submission_token(session, data.submission_token)
        if existing is None:
            raise
        return Submitted(existing, created=False)
    audit.record(
        session,
        "report.received",
        area_id=area.id,
        subject_type="report",
        subject_id=report.id,
        kind=report.kind,
        source=report.source,
        urgent=urgent,
        reasons=reasons,
    )
    if urgent:
        alerts.raise_alert(session, report)
    session.commit()
    if urgent:
        alerts.notify_new_alert()
    return Submitted(report, created=True)


def _by_submission_token(session: Session, token: str) -> Report | None:
    return session.exec(select(Report).where(Report.submission_token == token)).first()


def find_by_receipt(session: Session, area_id: int, code: str) -> Report | None:
    code = normalise_receipt_code(code)
    if len(code) != RECEIPT_LENGTH + 2:
        return None
    query = select(Report).where(Report.receipt_code == code, Report.area_id == area_id)
    return session.exec(query).first()


def published_actions_for(session: Session, report: Report) -> Sequence[Action]:
    """The "You said, we did" actions on the context this report was linked to."""
    if report.context_id is None or report.status != ReportStatus.PUBLISHED:
        return []
    query = (
        select(Action)
        .where(Action.context_id == report.context_id, col(Action.published_at).is_not(None))
        .order_by(col(Action.published_at).desc())
    )
    return session.exec(query).all()


def withdraw(session: Session, report: Report) -> None:
    """Delete the report at its reporter's wish; the audit keeps only that it was withdrawn."""
    area_id, report_id = report.area_id, report.id
    session.exec(delete(Report).where(col(Report.id) == report_id))
    audit.record(session, "report.withdrawn", area_id=area_id, subject_type="report", subject_id=report_id)
    session.commit()
