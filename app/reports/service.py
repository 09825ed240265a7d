"""Taking in a report, giving back a receipt, tracking and withdrawing it."""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import h3
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.areas.lookup import AreaData, load_area_data
from app.areas.models import Area
from app.audit import service as audit
from app.core.types import utcnow
from app.moderation import alerts
from app.moderation import triage as triage_service
from app.register import counts as register_counts
from app.register.models import Action, Context
from app.reports.models import Report, ReporterRole, ReportSource, ReportStatus
from app.reports.notice_models import ReporterNotice
from app.reports.schemas import ReportCreate, clean_text

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


LIKELY, POSSIBLE, NOT_URGENT = "likely", "possible", "none"
_LEVEL_STRENGTH = {NOT_URGENT: 0, POSSIBLE: 1, LIKELY: 2}
GRADED_FIELDS = ("description", "what_would_help")


@dataclass(frozen=True)
class Grading:
    """What triage said about a report's words, strongest across its answers."""

    level: str = NOT_URGENT  # "likely" | "possible" | "none"
    reasons: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()  # words a moderator reads; they may quote the reporter
    suggestions: tuple[dict[str, object], ...] = ()  # personal details to redact, per field

    @property
    def urgent(self) -> bool:
        """A possible disclosure: jumps the queue, raises an alert, shows help, is never refused."""
        return self.level != NOT_URGENT


def grade_words(
    texts: Mapping[str, str | None], *, school_names: Sequence[str] = (), place_names: Sequence[str] = ()
) -> Grading:
    """Triage each answer and keep the strongest level; a triage fault counts as urgent.

    Fail safe: a fault never loses the report or hides help; a person reads it first instead. The
    log names the fault and where, never the words.
    """
    level = NOT_URGENT
    reasons: list[str] = []
    cues: list[str] = []
    suggestions: list[dict[str, object]] = []
    for field, text in texts.items():
        if not text:
            continue
        try:
            result = triage_service.triage(text, school_names=school_names, place_names=place_names)
        except Exception as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            log.error("triage failed (%s at %s:%s); report marked urgent", type(exc).__name__, where.filename, where.lineno)
            level = LIKELY
            if TRIAGE_FAILED not in reasons:
                reasons.append(TRIAGE_FAILED)
            continue
        found = result.level
        if result.urgent and found == NOT_URGENT:
            found = POSSIBLE  # urgent must never be graded down to "none"
        if _LEVEL_STRENGTH.get(found, 0) > _LEVEL_STRENGTH[level]:
            level = found
        reasons.extend(r for r in result.reasons if r not in reasons)
        cues.extend(c for c in result.cues if c not in cues)
        suggestions.extend({"field": field, "kind": s.kind, "start": s.start, "end": s.end} for s in result.pii)
    return Grading(level, tuple(reasons), tuple(cues), tuple(suggestions))


def grade_answers(values: Mapping[str, object], known: AreaData | None = None) -> Grading:
    """The grading of a report being written (its answers so far), for the screens before Send.

    With the area's data, the words are cleaned as ReportCreate cleans them and the gazetteer's
    names are used, so on Send this is exactly the grading `submit_report` would make: the flow
    passes it on instead of triaging the same words twice.
    """
    texts = {field: str(clean_text(values.get(field) or "")) for field in GRADED_FIELDS}
    if known is None:
        return grade_words(texts)
    return grade_words(texts, school_names=known.gazetteer.school_names, place_names=known.gazetteer.place_names)


def may_hold_back(grading: Grading) -> bool:
    """Whether an anti-abuse check (a rate limit, the honeypot) may refuse these words.

    Never for a possible disclosure: it is stored and its reporter sees help, whatever the
    connection it came from (a school's or youth club's wifi sends many reports) or what a
    browser filled in. Ordinary reports keep the limits.
    """
    return not grading.urgent


def submit_report(
    session: Session, area: Area, data: ReportCreate, *, language: str, source: str | None = None,
    bypassed_checks: Sequence[str] = (), known: AreaData | None = None, grading: Grading | None = None,
) -> Submitted:
    """Store a report exactly once per submission token, triaged, and return its receipt.

    `known` is the request's area data (its gazetteer and words, app.areas.lookup); without it they
    are read here. `grading` is `grade_answers(<these answers>, known)` when the caller already has
    it. Commits before returning: the caller renders the receipt with the lock released.
    """
    assert area.id is not None
    token = data.submission_token
    existing = _by_submission_token(session, token)
    if existing is not None:
        if existing.area_id == area.id:
            return Submitted(existing, created=False)
        # The same token sent to another area's site (copied from someone's page, or replayed):
        # never hand back the first area's report. This one is stored under a token of its own.
        token = new_submission_token()
    known = known if known is not None and known.area.id == area.id else load_area_data(session, area)

    h3_cell: str | None = None
    if data.place_id is not None:
        place = known.place(data.place_id)
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
    offered = known.words.allowed_codes(data.kind)
    categories = [code for code in data.categories if code in offered]
    taxonomy_version_id = known.words.version_id

    if grading is None:
        grading = grade_words(
            {"description": data.description, "what_would_help": data.what_would_help},
            school_names=known.gazetteer.school_names,
            place_names=known.gazetteer.place_names,
        )
    urgent, reasons = grading.urgent, list(grading.reasons)

    report = Report(
        area_id=area.id,
        receipt_code=new_receipt_code(),
        submission_token=token,
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
        urgency=grading.level,
        urgent_reasons=",".join(reasons)[:200],
        urgent_cues=list(grading.cues),
        suggested_redactions=list(grading.suggestions),
    )
    session.add(report)
    try:
        session.flush()
    except IntegrityError:
        # Two copies of one submission raced; the other one won, and it is the same report.
        session.rollback()
        existing = _by_submission_token(session, token)
        if existing is None or existing.area_id != area.id:
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
        urgency=grading.level,
        reasons=reasons,
        anti_abuse_bypassed=list(bypassed_checks),  # checks a possible disclosure was let through
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


def kept_for_safeguarding(report: Report) -> bool:
    """A possible disclosure outlives its reporter's wish to take it back (a child may not be safe)."""
    return report.urgent or report.urgency != NOT_URGENT


@dataclass(frozen=True)
class Withdrawal:
    kept: bool  # True: kept for safeguarding and never published; False: deleted


def withdraw(session: Session, report: Report) -> Withdrawal:
    """Take a report back at its reporter's wish; the audit keeps only that it was withdrawn.

    An ordinary report is deleted. A possible disclosure is kept for a safeguarding worker to check
    everyone is OK: marked withdrawn, never published, and its version bumped so a moderator's
    publish already under way fails instead of landing.

    Either way the reporter's "tell me when something changes" address is deleted: they took the
    report back, so there is nothing more to tell them.
    """
    area_id, report_id = report.area_id, report.id
    session.exec(delete(ReporterNotice).where(col(ReporterNotice.report_id) == report_id))
    if kept_for_safeguarding(report):
        if report.withdrawn_at is None:
            was_published = report.status == ReportStatus.PUBLISHED
            if was_published:
                # We told the reporter it will not be published: it leaves the register and the map
                # at once, and goes back to the queue (with its badge) for a safeguarding worker.
                register_counts.entry_unpublished(session, report)
            session.execute(
                update(Report)
                .where(col(Report.id) == report_id)
                .values(
                    withdrawn_at=utcnow(), version=col(Report.version) + 1,
                    **({"status": ReportStatus.PENDING, "show_on_map": False} if was_published else {}),
                )
            )
            audit.record(
                session, "report.withdrawn", area_id=area_id, subject_type="report", subject_id=report_id,
                kept_for_safeguarding=True, status=report.status,
            )
        session.commit()
        return Withdrawal(kept=True)
    register_counts.entry_unpublished(session, report)  # a published entry leaves the register's counts
    session.exec(delete(Report).where(col(Report.id) == report_id))
    audit.record(session, "report.withdrawn", area_id=area_id, subject_type="report", subject_id=report_id, kept_for_safeguarding=False)
    session.commit()
    return Withdrawal(kept=False)
