"""A participant's entries: sent from a phone, listed on their page, and taken back.

Entries are ordinary reports (source "workshop"), so they go through normal moderation. Putting one
on the wall is the facilitator's check (wall.py), not publishing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.areas.lookup import AreaData, load_area_data
from app.areas.models import Area
from app.core.live import LiveBroker
from app.reports import service as reports
from app.reports.models import Report, ReportSource
from app.reports.schemas import ReportCreate
from app.workshops.events import Participation, WorkshopError, commit_event, record_event
from app.workshops.models import WorkshopEntry, WorkshopEventKind, WorkshopVote


def add_entry(
    session: Session,
    area: Area,
    who: Participation,
    data: ReportCreate,
    *,
    language: str,
    chosen_categories: Sequence[str] = (),
    live: LiveBroker,
    bypassed_checks: Sequence[str] = (),
    known: AreaData | None = None,
    walk_stop_id: int | None = None,
) -> WorkshopEntry:
    """A participant's entry: stored as a report with source "workshop", waiting for the wall check.

    A retried send (same submission token) finds the entry already made instead of a second one.
    """
    workshop, participant = who.workshop, who.participant
    assert workshop.id is not None and participant.id is not None
    if data.kind not in workshop.kind_list:
        raise WorkshopError("kind_not_asked")
    known = (
        known if known is not None and known.area.id == area.id else load_area_data(session, area)
    )
    submitted = reports.submit_report(
        session,
        area,
        data,
        language=language,
        source=ReportSource.WORKSHOP,
        bypassed_checks=bypassed_checks,
        known=known,
    )
    report = submitted.report
    assert report.id is not None
    existing = session.exec(
        select(WorkshopEntry).where(WorkshopEntry.report_id == report.id)
    ).first()
    if existing is not None:
        return existing
    if not submitted.created:
        raise WorkshopError("not_yours")
    report.workshop_id = workshop.id
    report.taxonomy_version_id = known.words.version_id
    # The area's own added categories are not in the default list ReportCreate knows.
    allowed = known.words.allowed_codes(report.kind)
    codes = list(
        dict.fromkeys([*report.category_list, *(c for c in chosen_categories if c in allowed)])
    )
    report.categories = ",".join(codes)[:300]
    session.add(report)
    entry = WorkshopEntry(
        workshop_id=workshop.id,
        report_id=report.id,
        participant_id=participant.id,
        kind=report.kind,
        walk_stop_id=walk_stop_id,
    )
    session.add(entry)
    session.flush()
    commit_event(session, workshop, WorkshopEventKind.ENTRY_ADDED, entry.id, live=live)
    return entry


def entries_of(session: Session, participant_id: int) -> list[tuple[WorkshopEntry, Report]]:
    query = (
        select(WorkshopEntry, Report)
        .join(Report, col(Report.id) == col(WorkshopEntry.report_id))
        .where(WorkshopEntry.participant_id == participant_id)
        .order_by(col(WorkshopEntry.id))
    )
    return [(entry, report) for entry, report in session.exec(query).all()]


def withdraw_entry(
    session: Session, who: Participation, entry_id: int, *, live: LiveBroker
) -> reports.Withdrawal:
    """Take an entry back: off the wall, its dots gone, and the report withdrawn as /track does it
    (deleted, or kept for safeguarding when its words may mean someone is not safe)."""
    entry = session.get(WorkshopEntry, entry_id)
    if entry is None or entry.participant_id != who.participant.id:
        raise WorkshopError("not_yours")
    report = session.get(Report, entry.report_id)
    session.execute(delete(WorkshopVote).where(col(WorkshopVote.entry_id) == entry_id))
    session.execute(delete(WorkshopEntry).where(col(WorkshopEntry.id) == entry_id))
    assert who.workshop.id is not None
    seq = record_event(session, who.workshop.id, WorkshopEventKind.ENTRY_REMOVED, entry_id)
    withdrawal = reports.Withdrawal(kept=False)
    if report is not None:
        # Commits, with the event, in one transaction.
        withdrawal = reports.withdraw(session, report)
    else:
        session.commit()
    live.publish(who.workshop.id, seq)
    return withdrawal
