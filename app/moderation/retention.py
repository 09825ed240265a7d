"""Retention: raw words are deleted after the area's period; redacted text and the audit trail stay."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from app.areas.models import Area
from app.audit import service as audit
from app.core.types import utcnow
from app.reports import questions
from app.reports.models import Report


def run_retention(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Delete the raw text of every moderated report older than its area's retention period.

    Returns the number of reports cleared per area slug. Pending reports are never touched: their raw
    words are what a moderator still has to read.
    """
    now = now or utcnow()
    cleared: dict[str, int] = {}
    for area in session.exec(select(Area)).all():
        cutoff = now - timedelta(days=area.retention_days)
        ids = session.exec(
            select(Report.id).where(
                Report.area_id == area.id,
                col(Report.moderated_at).is_not(None),
                col(Report.moderated_at) < cutoff,
                col(Report.raw_deleted_at).is_(None),
            )
        ).all()
        if not ids:
            continue
        session.execute(
            update(Report)
            .where(col(Report.id).in_(ids))
            .values(
                description=None, what_would_help=None, lat=None, lng=None, location_text="",
                # Triage's cues can quote the raw words, so they go with them.
                suggested_redactions=[], urgent_cues=[], raw_deleted_at=now,
            )
        )
        # Answers reporters gave to a moderator's question are raw words too.
        questions.forget_raw_answers(session, [report_id for report_id in ids if report_id is not None])
        audit.record(session, "retention.raw_text_deleted", area_id=area.id, count=len(ids), retention_days=area.retention_days)
        cleared[area.slug] = len(ids)
    session.commit()
    return cleared
