"""The decisions made on an entry: claim, publish (with its redactions and context) and reject.

Two moderators acting on one entry cannot both win: every decision names the version it was made
on, and the update only lands if that is still the current version.

The rest of moderation lives beside it: the queue and its filters (`queue`), where an entry is about
and the contexts offered for it (`linking`), and who did what (`history`).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.accounts.service import StaffIdentity
from app.audit import service as audit
from app.core.types import utcnow
from app.moderation import labels
from app.moderation.models import Decision, ModerationDecision, RejectionReason
from app.moderation.triage import Span, apply_redactions
from app.register import counts as register_counts
from app.register import service as register
from app.register.models import Context
from app.reports.models import Report, ReportStatus


class ModerationConflict(Exception):
    """Someone else changed this entry first."""


class ModerationError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def get_for_moderation(session: Session, area_id: int, report_id: int) -> Report | None:
    report = session.get(Report, report_id)
    return report if report and report.area_id == area_id else None


def suggested_spans(report: Report, field: str) -> list[Span]:
    return [
        Span(kind=str(s["kind"]), start=int(s["start"]), end=int(s["end"]))  # type: ignore[call-overload]
        for s in report.suggested_redactions
        if s.get("field") == field
    ]


def suggested_public_text(report: Report, field: str) -> str:
    """The raw text with every suggestion applied: where a moderator starts editing."""
    text = getattr(report, field) or ""
    return apply_redactions(text, suggested_spans(report, field))


def enforce_redactions(report: Report, field: str, public_text: str, accepted: set[int]) -> str:
    """Whatever the moderator typed, an accepted span's words never reach the public text."""
    raw = getattr(report, field) or ""
    spans = suggested_spans(report, field)
    for index, span in enumerate(spans):
        if index not in accepted:
            continue
        words = raw[span.start : span.end]
        if words and words.lower() in public_text.lower():
            public_text = apply_redactions(public_text, _occurrences(public_text, words, span.kind))
    return public_text


def _occurrences(text: str, words: str, kind: str) -> list[Span]:
    spans: list[Span] = []
    lowered, needle = text.lower(), words.lower()
    start = lowered.find(needle)
    while start != -1:
        spans.append(Span(kind=kind, start=start, end=start + len(words)))
        start = lowered.find(needle, start + len(words))
    return spans


def claim(session: Session, staff: StaffIdentity, report: Report) -> None:
    _guarded_update(session, report, report.version, claimed_by_id=staff.user.id, claimed_at=utcnow())
    audit.record(session, "report.claimed", area_id=report.area_id, actor_id=staff.user.id, subject_type="report", subject_id=report.id)
    session.commit()


def publish(
    session: Session,
    staff: StaffIdentity,
    report: Report,
    *,
    expected_version: int,
    public_description: str,
    public_what_would_help: str,
    accepted: dict[str, set[int]],
    context_id: int | None,
    new_context_name: str,
    show_on_map: bool,
) -> Context:
    if report.withdrawn_at is not None:
        # The reporter took it back; it is kept only so safeguarding can check everyone is OK.
        raise ModerationError("withdrawn_kept")
    if report.status != ReportStatus.PENDING:
        raise ModerationConflict
    description = enforce_redactions(report, "description", public_description.strip(), accepted.get("description", set()))
    helps = enforce_redactions(report, "what_would_help", public_what_would_help.strip(), accepted.get("what_would_help", set()))
    if not description:
        raise ModerationError("public_text_empty")
    context = _context_for(session, staff, report, context_id, new_context_name)
    before = {"status": report.status, "context_id": report.context_id}
    # Read before the decision's writes; a conflict below rolls it back with them.
    labels.record_implicit(session, staff, report)
    _guarded_update(
        session,
        report,
        expected_version,
        status=ReportStatus.PUBLISHED,
        public_description=description,
        public_what_would_help=helps or None,
        context_id=context.id,
        show_on_map=show_on_map,
        moderated_at=utcnow(),
    )
    _decide(session, staff, report, Decision.PUBLISH, context_id=context.id)
    register_counts.entry_published(session, report)
    audit.record(
        session,
        "report.published",
        area_id=report.area_id,
        actor_id=staff.user.id,
        subject_type="report",
        subject_id=report.id,
        before=before,
        after={"status": ReportStatus.PUBLISHED, "context_id": context.id, "show_on_map": show_on_map},
        redactions_accepted=sum(len(v) for v in accepted.values()),
        public_text_edited=description != suggested_public_text(report, "description"),
    )
    register.touch(session, context)
    session.commit()
    return context


def reject(session: Session, staff: StaffIdentity, report: Report, *, expected_version: int, reason: str) -> None:
    if reason not in {r.value for r in RejectionReason}:
        raise ModerationError("reason_missing")
    if report.status != ReportStatus.PENDING:
        raise ModerationConflict
    labels.record_implicit(session, staff, report)
    _guarded_update(
        session, report, expected_version, status=ReportStatus.REJECTED, rejection_reason=reason, moderated_at=utcnow()
    )
    _decide(session, staff, report, Decision.REJECT, reason=reason)
    audit.record(
        session,
        "report.rejected",
        area_id=report.area_id,
        actor_id=staff.user.id,
        subject_type="report",
        subject_id=report.id,
        before={"status": ReportStatus.PENDING},
        after={"status": ReportStatus.REJECTED, "reason": reason},
    )
    session.commit()


def _context_for(
    session: Session, staff: StaffIdentity, report: Report, context_id: int | None, new_name: str
) -> Context:
    if context_id:
        context = register.get_context(session, report.area_id, context_id)
        if context is None:
            raise ModerationError("context_unknown")
        return context
    name = new_name.strip()
    if not name:
        raise ModerationError("context_missing")
    return register.create_context(
        session, staff, name=name, h3_cell=report.h3_cell, place_id=report.place_id,
        kind=register.kind_for_report(report.categories),
    )


def _guarded_update(session: Session, report: Report, expected_version: int, **values: object) -> None:
    result = session.execute(
        update(Report)
        .where(col(Report.id) == report.id, col(Report.version) == expected_version)
        .values(version=expected_version + 1, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise ModerationConflict
    session.refresh(report)


def _decide(session: Session, staff: StaffIdentity, report: Report, decision: Decision, **extra: object) -> None:
    assert report.id is not None and staff.user.id is not None
    session.add(
        ModerationDecision(
            report_id=report.id,
            area_id=report.area_id,
            moderator_id=staff.user.id,
            decision=decision,
            reason=extra.get("reason"),  # type: ignore[arg-type]
            context_id=extra.get("context_id"),  # type: ignore[arg-type]
        )
    )


def bulk_reject_spam(session: Session, staff: StaffIdentity, report_ids: list[int]) -> int:
    """Reject several pending entries as spam at once; urgent ones are never bulk-rejected."""
    assert staff.area.id is not None
    query = select(Report).where(
        col(Report.id).in_(report_ids),
        Report.area_id == staff.area.id,
        Report.status == ReportStatus.PENDING,
        col(Report.urgent).is_(False),
    )
    rejected = 0
    for report in session.exec(query).all():
        try:
            reject(session, staff, report, expected_version=report.version, reason=RejectionReason.SPAM)
        except ModerationConflict:
            continue
        rejected += 1
    return rejected

